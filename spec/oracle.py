"""The exact oracle: correctly rounded values and gradients of the cosine similarity loss.

Inputs are floats, hence exact rationals. The sums of products and
squares are computed exactly (``spec/exact.py``). With ``A = max(S_tt, 1e-12)`` and
``B = max(S_pp, 1e-12)`` (1e-12 the real number; CS-VAL-1, CS-VAL-5) the per-sample value is
``v = -S_tp / sqrt(A * B)``: the square root is the only irrational step. Every output, a weighted sum
of per-sample values or a gradient component ``Q_j / sqrt(A * B)`` with exact ``Q_j`` (the factored form
that ``spec/derivation.py`` proves equal to sympy's derivative), is enclosed between two exact rationals
from an integer square root at ``prec`` bits. When both ends round to the same float (Ziv's test) that
float is the correctly rounded result; otherwise the precision doubles. ``verify=True`` repeats the
evaluation at twice the precision and demands the same rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from cosine_spec.spec import fastpass, shapes
from cosine_spec.spec.exact import DTYPES, FORMATS, Format, exact_row_dots
from cosine_spec.spec.exact import Rational as Fraction  # gmpy2.mpq, or fractions.Fraction
from cosine_spec.spec.shapes import SpecError
from cosine_spec.spec.ziv import (
    MAX_PREC,
    START_PREC,
    OracleError,
    combine,
    merge_equal,
    prove,
    round_quotients,
    sqrt_enclosure,
    square_classes,
)

__all__ = ["DTYPES", "EPSILON", "Result", "SpecError", "evaluate", "START_PREC", "MAX_PREC"]

EPSILON = Fraction(1, 10**12)
FAST_MIN_ROWS = 16  # values only: with fewer rows and fewer than FAST_MIN_SIZE elements the exact path
FAST_MIN_SIZE = 1024  # alone is about as fast as the fast pass's fixed cost


@dataclass
class Result:
    """Correctly rounded outputs. ``values``, ``exact`` and gradient lists are row-major flattenings."""

    dtype: str
    shape: tuple[int, ...]
    values: list[float]
    exact: list[str | None]
    gradients: list[tuple[list[float], list[float]]] | None

    def as_array(self) -> np.ndarray:
        return np.array(self.values, dtype=np.float64).reshape(self.shape).astype(shapes.np_dtype(self.dtype))


@dataclass
class _Sample:
    """Exact sums of one sample (one vector pair), or ``finite=False`` for a NaN/Inf vector (CS-NAN-1)."""

    finite: bool
    s_tp: Fraction = Fraction(0)
    s_tt: Fraction = Fraction(0)
    s_pp: Fraction = Fraction(0)
    a: Fraction = EPSILON
    b: Fraction = EPSILON
    flows_t: bool = False  # S_tt >= 1e-12: the gradient flows through the squared norm (CS-GRAD-1)
    flows_p: bool = False


def _samples(t: np.ndarray, p: np.ndarray, dtype: str) -> list[_Sample]:
    finite = np.isfinite(t).all(axis=1) & np.isfinite(p).all(axis=1)
    tf, pf = np.where(finite[:, None], t, 0.0), np.where(finite[:, None], p, 0.0)
    sums = exact_row_dots(np.concatenate([tf, tf, pf]), np.concatenate([pf, tf, pf]), dtype)  # one pass
    m = len(tf)
    s_tp, s_tt, s_pp = sums[:m], sums[m : 2 * m], sums[2 * m :]
    out = []
    for ok, tp, tt, pp in zip(finite.tolist(), s_tp, s_tt, s_pp, strict=True):
        if not ok:
            out.append(_Sample(False))
            continue
        ft, fp = tt >= EPSILON, pp >= EPSILON
        out.append(_Sample(True, tp, tt, pp, tt if ft else EPSILON, pp if fp else EPSILON, ft, fp))
    return out


def _reduce(samples, weights, reduction, size, fmt, verify, digits, rows=None):
    """Outputs as lists of (value, exact string or None): one per sample for NONE, one scalar otherwise.

    ``rows`` (NONE only) limits the work to those samples; the others are returned as None.
    """
    divisor = 1 if reduction in ("none", "sum") else size

    def output(indices):
        if any(not samples[i].finite or not math.isfinite(weights[i]) for i in indices):
            return _nonfinite(samples, weights, indices)
        if not indices or (divisor == 0):
            return 0.0, "0"
        terms = merge_equal(
            [(Fraction(weights[i]) * -samples[i].s_tp / divisor, samples[i].a * samples[i].b) for i in indices]
        )
        if not terms:
            return 0.0, "0"

        def build(prec):
            return combine([(c, *sqrt_enclosure(ab, prec)) for c, ab in terms])

        regroup = (lambda: square_classes(terms)) if len(terms) > 1 else None
        return prove(build, fmt, verify, digits, regroup)

    if reduction == "none":
        wanted = range(len(samples)) if rows is None else set(rows)
        return [output([i]) if i in wanted else None for i in range(len(samples))]
    return [output(list(range(len(samples))))]


def _nonfinite(samples, weights, indices) -> tuple[float, str]:
    """IEEE semantics for NaN/Inf: a NaN sample or NaN weight gives NaN; an infinite weight times v."""
    total = 0.0
    for i in indices:
        s, w = samples[i], weights[i]
        if not s.finite or math.isnan(w):
            return math.nan, "nan"
        if not math.isfinite(w):
            v = -s.s_tp
            total += math.nan if v == 0 else math.copysign(math.inf, w) * (1 if v > 0 else -1)
    return total, ("nan" if math.isnan(total) else str(total))


def _branch_band(fmt: Format, d: int) -> Fraction:
    """Relative distance of a squared norm from 1e-12 within which either clamp branch is accepted."""
    return min(Fraction(1, 2), Fraction(4 * (d + 2), 1 << fmt.p))


def _gradient(samples, t, p, weights, divisor, fmt, verify, flips, rows=None):
    """Correctly rounded d/dy_true and d/dy_pred (rows as the samples) for one choice of clamp branches.

    d v / d p_j = (-t_j + [p flows] * S_tp * p_j / B) / sqrt(A * B), and symmetrically for t
    (CS-GRAD-1; ``spec/derivation.py`` proves this equal to sympy's derivative of CS-VAL-1), where a
    squared norm that flows has A = S_tt (B = S_pp) and one that is clamped has A = 1e-12 and no flow.
    ``flips[i]`` = (flip_t, flip_p) puts sample i's squared norm on the other branch: the derivative of
    the loss with that clamp decided the other way, both the flow and the value of A (or B) switching.
    ``rows`` limits the work to those samples (the other rows are left at zero).
    """
    gt, gp = np.zeros_like(t), np.zeros_like(p)
    for i in range(len(samples)) if rows is None else rows:
        s = samples[i]
        w = Fraction(weights[i]) / divisor
        if w == 0:
            continue
        flows_t, flows_p = s.flows_t ^ flips[i][0], s.flows_p ^ flips[i][1]
        a = s.s_tt if flows_t else EPSILON
        b = s.s_pp if flows_p else EPSILON
        for out, own, other, flows, norm2 in ((gp, p[i], t[i], flows_p, b), (gt, t[i], p[i], flows_t, a)):
            proj = s.s_tp / norm2 if flows else Fraction(0)
            qs = [w * (proj * Fraction(x) - Fraction(y)) for x, y in zip(own.tolist(), other.tolist(), strict=True)]
            out[i, :] = round_quotients(qs, a * b, fmt, verify)
    return gt, gp


def near_band(samples, fmt: Format, d: int) -> list[tuple[bool, bool]]:
    """For each sample, whether S_tt and S_pp lie in the clamp band of :func:`_branch_band` (FORMAT.md)."""
    band = _branch_band(fmt, d)
    return [
        (s.finite and abs(s.s_tt / EPSILON - 1) <= band, s.finite and abs(s.s_pp / EPSILON - 1) <= band)
        for s in samples
    ]


def _gradient_alternatives(samples, t, p, weights, divisor, fmt, verify):
    """The gradient on the exact branches, plus one with every squared norm in the band on the other branch."""
    near = near_band(samples, fmt, t.shape[1])
    plans = [[(False, False)] * len(samples)]
    if any(a or b for a, b in near):
        plans.append(near)
    return [_gradient(samples, t, p, weights, divisor, fmt, verify, plan) for plan in plans]


def evaluate(
    y_true,
    y_pred,
    sample_weight=None,
    *,
    axis=-1,
    reduction="sum_over_batch_size",
    dtype="float32",
    gradients=False,
    verify=False,
    digits=False,
) -> Result:
    """The spec's result for these inputs, correctly rounded to ``dtype``; raises SpecError if rejected.

    ``digits=True`` also gives each value's exact decimal expansion to 40 digits (``Result.exact``, for
    the golden files); otherwise ``exact`` holds None for every finite value.

    Inputs (arrays or nested lists) are first rounded to ``dtype`` (exact when already of that dtype),
    sample_weight too (CS-SW-*). ``gradients=True`` adds the gradients (CS-GRAD-1) of the reduced loss,
    of the sum of the losses for ``none``; None when an input is NaN or infinite.

    The fast first pass (``spec/fastpass.py``) decides what its enclosures can; the exact path decides
    the rest. With ``verify=True`` the exact path decides everything and must agree with the fast pass.
    """
    call = shapes.canonical(y_true, y_pred, sample_weight, axis=axis, reduction=reduction, dtype=dtype)
    fmt = FORMATS[call.dtype]
    rows, d = call.t.shape
    divisor = max(rows, 1) if call.reduction in ("auto", "sum_over_batch_size") else 1
    fast = None
    if rows and d and (gradients or (not digits and (rows >= FAST_MIN_ROWS or rows * d >= FAST_MIN_SIZE))):
        with np.errstate(all="ignore"):
            fast = fastpass.first_pass(call.t, call.p, call.w, fmt, call.reduction, gradients, _branch_band(fmt, d))
    outs = _values(call, fmt, None if digits else fast, verify, digits)
    shape = call.loss_shape if call.reduction == "none" else ()
    grads = None
    finite = np.isfinite(call.t).all() and np.isfinite(call.p).all() and np.isfinite(call.w).all()
    if gradients and finite:
        grads = [(call.restore(gt), call.restore(gp)) for gt, gp in _gradients(call, fmt, fast, divisor, verify)]
    return Result(call.dtype, tuple(shape), [v for v, _ in outs], [e for _, e in outs], grads)


def _exact_rows(call, rows) -> list[_Sample]:
    return _samples(call.t[rows], call.p[rows], call.dtype)


def _check(fast_values, fast_ok, exact_values):
    """verify: every rounding the fast pass decided must be the exact path's."""
    for got, ok, want in zip(fast_values, fast_ok, exact_values, strict=True):
        if ok and got != want:
            raise OracleError(f"the fast pass decided {got!r} but the exact path {want!r}")


def _values(call, fmt, fast, verify, digits):
    rows = len(call.t)
    weights = call.w.tolist()
    if call.reduction != "none":
        if fast is not None and fast.values_ok[0] and not verify:
            return [(float(fast.values[0]), None)]
        outs = _reduce(_exact_rows(call, slice(None)), weights, call.reduction, rows, fmt, verify, digits)
        if fast is not None:
            _check(fast.values.tolist(), fast.values_ok.tolist(), [outs[0][0]])
        return outs
    need = np.arange(rows) if fast is None or verify else np.flatnonzero(~fast.values_ok)
    exact = _reduce(_exact_rows(call, need), [weights[i] for i in need], "none", len(need), fmt, verify, digits)
    if fast is None:
        return exact
    outs = [(v, None) for v in fast.values.tolist()]
    if verify:
        _check(fast.values.tolist(), fast.values_ok.tolist(), [v for v, _ in exact])
    for i, out in zip(need.tolist(), exact, strict=True):
        outs[i] = out
    return outs


def _gradients(call, fmt, fast, divisor, verify):
    """The gradient alternatives as (M, d) arrays: the fast pass's decided elements, the exact path's rows."""
    t, p, weights = call.t, call.p, call.w.tolist()
    if fast is None or verify:
        need = np.arange(len(t))
    else:
        need = np.flatnonzero(~(fast.gt_ok.all(axis=1) & fast.gp_ok.all(axis=1)))
    samples = _exact_rows(call, need)
    sub = (t[need], p[need], [weights[i] for i in need], divisor, fmt, verify)
    exact = _gradient_alternatives(samples, *sub)
    base_t, base_p = (np.zeros_like(t), np.zeros_like(p)) if fast is None else (fast.gt.copy(), fast.gp.copy())
    if fast is not None and verify:
        _check(fast.gt.ravel().tolist(), fast.gt_ok.ravel().tolist(), exact[0][0].ravel().tolist())
        _check(fast.gp.ravel().tolist(), fast.gp_ok.ravel().tolist(), exact[0][1].ravel().tolist())
    out = []
    for gt, gp in exact:
        full_t, full_p = base_t.copy(), base_p.copy()
        full_t[need], full_p[need] = gt, gp
        out.append((full_t, full_p))
    return out
