"""Metamorphic relations, judged on every target beside the oracle comparisons (a planner of `probes.PLANNERS`).

Each relation calls the target on inputs derived from a golden case and compares the results with each other
(or with a value the relation fixes exactly), within a bound derived in TOLERANCES.md ("Metamorphic
relations"), constants in `tolerances.toml` `[relations]`:

- identical vectors give -1 and opposite ones +1 (CS-VAL-3), every result in [-1, 1] (CS-VAL-2);
- permuting the batch permutes a "none" result (CS-VAL-1: a sample's value depends on its vectors alone);
- swapping y_true and y_pred leaves the result unchanged (CS-VAL-1: the formula is symmetric);
- scaling y_pred by a power of two that keeps every value normal and the clamp decision unchanged leaves
  it unchanged (CS-VAL-6);
- "sum" is the sum of the "none" values (CS-RED-2), "sum_over_batch_size" that over N (CS-RED-3), and
  "auto" is "sum_over_batch_size" (CS-RED-4).

Two results each within their own bound of one exact value differ by at most the sum of the two bounds, so
the pair bounds hold for every correct implementation by the triangle inequality, whatever it does to round.
A case gets relation probes when crc32 of its id is 0 modulo `stride`: a bounded, deterministic subset.
"""

from __future__ import annotations

import dataclasses
import math
import zlib

import ml_dtypes
import numpy as np
from cosine_spec.conf import judge, tolerance
from cosine_spec.conf.calls import Call, Outcome
from cosine_spec.conf.golden_cases import DTYPES, Case

U64 = 2.0**-53


def selected(case: Case) -> bool:
    """Whether `case` gets relation probes: a valid call, chosen by a hash of its id."""
    stride = int(tolerance.policy().relations["stride"])
    return (
        case.error is None
        and case.expected is not None
        and case.y_true.shape == case.y_pred.shape
        and case.y_true.ndim >= 1
        and zlib.crc32(case.id.encode()) % stride == 0
    )


def plan(case: Case) -> list:
    """The relation probes of `case` (none when it is not `selected`)."""
    if not selected(case):
        return []
    with np.errstate(all="ignore"):  # huge inputs: a candidate scaling may overflow (and is then not used)
        return [p for rel in (identity, permutation, swap, scaling, sums) for p in rel(case)]


def _call(case: Case, t, p, w=None, reduction: str = "none") -> Call:
    size = int(np.prod(_loss_shape(t.shape, case.axis))) if reduction == "none" else 1
    return Call("loss", y_true=t, y_pred=p, sample_weight=w, axis=case.axis, reduction=reduction, expect_size=size)


def _loss_shape(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    ax = axis % len(shape)
    return tuple(n for i, n in enumerate(shape) if i != ax)


def _derived(case: Case, **changes) -> Case:
    """`case` with other arguments, for its tolerance (expected: zeros of the result's shape)."""
    c = dataclasses.replace(case, **changes)
    shape = _loss_shape(c.y_true.shape, c.axis) if c.reduction == "none" else ()
    return dataclasses.replace(c, expected=np.zeros(shape, DTYPES[c.dtype]), exact=None, gradients=None)


def _tol(case: Case, **changes) -> np.ndarray:
    return np.asarray(tolerance.value_tolerance(_derived(case, **changes)), dtype=np.float64)


def _squared_norms(x: np.ndarray, axis: int) -> np.ndarray:
    """sum x_i^2 along axis in float64 without overflow or underflow (scaled by a power of two)."""
    x = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    _, e = np.frexp(np.max(np.abs(x), axis=-1, initial=0.0))
    with np.errstate(all="ignore"):
        return np.ldexp(np.sum(np.ldexp(x, -e[..., None]) ** 2, axis=-1), 2 * e)


def _unclamped(x: np.ndarray, axis: int) -> np.ndarray:
    pol = tolerance.policy()
    return _squared_norms(x, axis) >= float(pol.relations["clamp_margin"]) * pol.epsilon


def _got(out: Outcome, v: judge.Verdict, clauses, what: str) -> np.ndarray | None:
    """The returned array, or None after recording why there is none (raised, crashed, not an array)."""
    problem = out.problem or (None if out.raised is None else "raised " + out.raised.text())
    if problem is None and not isinstance(out.value, np.ndarray):
        problem = "returned no array"
    if problem is not None:
        named = (out.invalid_clause, *clauses) if out.invalid_clause else clauses
        v.fail(named, f"{what}: {problem}", "relation", problem.split(":")[0][:40])
        return None
    return out.value


def _within(v: judge.Verdict, clauses, got, want, bound, dtype: str, what: str, name: str) -> None:
    """`got` equals `want` within `bound`, shape and NaN pattern included; failures say which relation."""
    want = np.asarray(want, dtype=np.float64)
    expected = np.shape(bound) or want.shape  # a bound of the spec's result shape says what the shape must be
    if got.shape != want.shape or want.shape != expected:
        v.fail(
            clauses, f"{what}: shapes {got.shape} and {want.shape}, expected {expected}", "relation", f"{name}: shape"
        )
        return
    if not (judge.is_float(got.dtype) or got.dtype.kind in "iu"):
        v.fail(clauses, f"{what}: dtype {got.dtype}", "relation", f"{name}: dtype")
        return
    n = len(v.failures)
    judge._compare(v, clauses, got, want, want, np.broadcast_to(bound, want.shape), dtype, f"{what}: ", "relation")
    for f in v.failures[n:]:
        f.signature = f"{name}: {f.signature}"


def _overflows(got: np.ndarray, want: float, bound, dtype: str) -> bool:
    """An infinity of `want`'s sign where `want` lies within `bound` of the dtype's overflow: a rounding the
    relation cannot tell from a correct one (the golden cases judge it)."""
    g = got.astype(np.float64)
    reach = abs(want) + float(np.max(bound, initial=0.0))
    return bool(
        g.size == 1
        and np.isinf(g).all()
        and np.sign(g.ravel()[0]) == np.sign(want)
        and reach > float(ml_dtypes.finfo(DTYPES[dtype]).max)
    )


def _probe(case: Case, name: str, clauses: tuple[str, ...], calls, verdict):
    from cosine_spec.conf.probes import Probe  # probes imports this module

    return Probe(f"{case.id}/{name}", "relation", clauses, tuple(calls), verdict)


def identity(case: Case) -> list:
    """y_true against itself gives -1, against its negation +1, every element in [-1, 1] exactly."""
    t = case.y_true
    if not (np.all(np.isfinite(t)) and t.shape[case.axis] > 0 and np.all(_unclamped(t, case.axis))):
        return []
    clauses = ("CS-VAL-3", "CS-VAL-2")
    bound = tolerance.identity_bound(t.shape[case.axis], case.dtype)

    def verdict(outs: list[Outcome]) -> judge.Verdict:
        v = judge.Verdict(expected="-1 (identical), +1 (opposite)", clauses=clauses)
        for out, sign, what in ((outs[0], -1.0, "y_true against itself"), (outs[1], 1.0, "y_true against -y_true")):
            got = _got(out, v, clauses, what)
            if got is None:
                continue
            v.actual += f"{what}: {judge.short(got)}; "
            _within(
                v,
                ("CS-VAL-3",),
                got,
                np.full(_loss_shape(t.shape, case.axis), sign),
                bound,
                case.dtype,
                what,
                "identical" if sign < 0 else "opposite",
            )
            outside = np.isfinite(got.astype(np.float64)) & (np.abs(got.astype(np.float64)) > 1)
            if np.any(outside):
                v.fail(
                    ("CS-VAL-2",),
                    f"{what}: {float(got[outside][0])!r} lies outside [-1, 1]",
                    "range",
                    "outside [-1, 1]",
                )
        if len(outs) > 2:
            _weighted_identity(v, case, outs[2])
        return v

    calls = [_call(case, t, t.copy()), _call(case, t, -t)]
    if case.sample_weight is not None or case.reduction != "none":
        calls.append(_call(case, t, t.copy(), case.sample_weight, case.reduction))
    return [_probe(case, "identity", clauses, calls, verdict)]


def _weighted_identity(v: judge.Verdict, case: Case, out: Outcome) -> None:
    """y_true against itself with the case's weights and reduction: exactly -w (none) or -sum w (/ N), within
    the value bound, and within the range rule (CS-VAL-2: |fl(w v)| <= |w| exactly for "none")."""
    derived = _derived(case, y_pred=case.y_true)
    what = f"y_true against itself, weighted, {case.reduction!r}"
    got = _got(out, v, ("CS-VAL-3",), what)
    loss_shape = _loss_shape(case.y_true.shape, case.axis)
    w = np.broadcast_to(tolerance.align_weights(judge.weights_as_taken(case), loss_shape), loss_shape)
    if got is None or not np.all(np.isfinite(w)):
        return
    if case.reduction == "none":
        want = -np.asarray(w, dtype=np.float64)
    else:
        total = -math.fsum(w.ravel().tolist())
        want = np.asarray(total / w.size if w.size and case.reduction != "sum" else total if w.size else 0.0)
    _within(v, ("CS-VAL-3",), got, want, tolerance.value_tolerance(derived), case.dtype, what, "identical weighted")
    if got.shape == derived.expected.shape:
        judge._judge_range(v, derived, got)


def permutation(case: Case) -> list:
    """Rolling the leading (batch) axis by one rolls the "none" result (with the case's weights)."""
    t, p, w = case.y_true, case.y_pred, case.sample_weight
    if t.ndim < 2 or case.axis % t.ndim == 0 or t.shape[0] < 2:
        return []
    w2 = np.roll(w, 1, axis=0) if w is not None and w.ndim >= 1 and w.shape[0] == t.shape[0] else w
    clauses = ("CS-VAL-1",)

    def verdict(outs: list[Outcome]) -> judge.Verdict:
        v = judge.Verdict(expected="the batch-rolled result", clauses=clauses)
        a, b = (
            _got(o, v, clauses, what) for o, what in zip(outs, ("the result", "the rolled batch's result"), strict=True)
        )
        if a is not None and b is not None:
            tol = _tol(case, reduction="none")
            tol2 = _tol(case, reduction="none", y_true=np.roll(t, 1, 0), y_pred=np.roll(p, 1, 0), sample_weight=w2)
            v.actual = judge.short(b)
            if a.ndim == 0:
                v.fail(clauses, f"'none' result of shape {a.shape}", "relation", "permutation: shape")
            else:
                _within(
                    v,
                    clauses,
                    b,
                    np.roll(a.astype(np.float64), 1, 0),
                    tol2 + np.roll(tol, 1, 0),
                    case.dtype,
                    "rolled batch",
                    "permutation",
                )
        return v

    calls = (_call(case, t, p, w), _call(case, np.roll(t, 1, 0), np.roll(p, 1, 0), w2))
    return [_probe(case, "permutation", clauses, calls, verdict)]


def _pair(case: Case, name: str, clauses, changes: dict, what: str):
    """The case's call against the same call with `changes`: the exact value is the same for both."""
    other = dataclasses.replace(case, **changes)

    def verdict(outs: list[Outcome]) -> judge.Verdict:
        v = judge.Verdict(expected=f"the same result {what}", clauses=clauses)
        a, b = (_got(o, v, clauses, w) for o, w in zip(outs, ("the case's result", f"the result {what}"), strict=True))
        if a is not None and b is not None:
            v.actual = f"{judge.short(a)} and {judge.short(b)}"
            _within(v, clauses, b, a, _tol(case) + _tol(case, **changes), case.dtype, f"result {what}", name)
        return v

    calls = (
        _call(case, case.y_true, case.y_pred, case.sample_weight, case.reduction),
        _call(other, other.y_true, other.y_pred, other.sample_weight, other.reduction),
    )
    return _probe(case, name, clauses, calls, verdict)


def swap(case: Case) -> list:
    """y_true and y_pred exchanged: the formula is symmetric, so the exact result is the same."""
    return [
        _pair(
            case,
            "swap",
            ("CS-VAL-1",),
            {"y_true": case.y_pred, "y_pred": case.y_true},
            "with y_true and y_pred swapped",
        )
    ]


def scaling(case: Case) -> list:
    """y_pred times 2**k: exact, and n(y_pred) is unchanged where the clamp applies neither before nor after."""
    p = case.y_pred
    fi = ml_dtypes.finfo(DTYPES[case.dtype])
    p64 = p.astype(np.float64)
    nonzero = np.abs(p64[np.isfinite(p64) & (p64 != 0)])
    rows_zero = np.all(p64 == 0, axis=case.axis)
    for k in tolerance.policy().relations["scale_exponents"]:
        scaled = np.ldexp(nonzero, k)
        fits = nonzero.size == 0 or (
            np.min(nonzero) >= float(fi.smallest_normal)
            and np.min(scaled) >= float(fi.smallest_normal)
            and np.max(scaled) <= float(fi.max)
        )
        q = np.ldexp(p64, k).astype(p.dtype)
        keeps = np.all(rows_zero | (_unclamped(p, case.axis) & _unclamped(q, case.axis)))
        if fits and keeps:
            return [_pair(case, "scaling", ("CS-VAL-6",), {"y_pred": q}, f"with y_pred scaled by 2**{k}")]
    return []


def sums(case: Case) -> list:
    """The reductions against the target's own "none" values (the case's weights): sum, mean over N, auto."""
    t, p, w = case.y_true, case.y_pred, case.sample_weight
    clauses = ("CS-RED-2", "CS-RED-3", "CS-RED-4")
    whats = ("the 'none' result", "the 'sum' result", "the 'sum_over_batch_size' result", "the 'auto' result")

    def verdict(outs: list[Outcome]) -> judge.Verdict:
        v = judge.Verdict(expected="sum = sum of 'none'; sum_over_batch_size = that / N; auto = it", clauses=clauses)
        none, total, mean, auto = (
            _got(o, v, (cl,), what)
            for o, cl, what in zip(outs, ("CS-RED-1", "CS-RED-2", "CS-RED-3", "CS-RED-4"), whats, strict=True)
        )
        if none is None:
            return v
        v.actual = judge.short(none)
        vals = none.astype(np.float64).ravel()
        if not np.all(np.isfinite(vals)) and not np.any(np.isnan(vals)):
            return v  # an infinity: the exact sum may be finite or not; the golden cases judge it
        n = vals.size
        tol_none = _tol(case, reduction="none")
        tol_sum, tol_mean = _tol(case, reduction="sum"), _tol(case, reduction="sum_over_batch_size")
        s = math.fsum(vals) if np.all(np.isfinite(vals)) else math.nan
        extra = np.sum(tol_none) + 2 * U64 * abs(s) if n else 0.0
        for got_r, want, bound, cl, name in (
            (total, s, tol_sum + extra, ("CS-RED-2",), "sum"),
            (mean, s / n if n else 0.0, tol_mean + extra / max(n, 1), ("CS-RED-3",), "sum_over_batch_size"),
        ):
            if got_r is not None and not _overflows(got_r, want, bound, case.dtype):
                _within(v, cl, got_r, np.asarray(want), bound, case.dtype, f"'{name}' against the 'none' values", name)
        if auto is not None and mean is not None:
            _within(
                v,
                ("CS-RED-4",),
                auto,
                mean.astype(np.float64),
                2 * tol_mean,
                case.dtype,
                "'auto' against 'sum_over_batch_size'",
                "auto",
            )
        return v

    calls = [_call(case, t, p, w, r) for r in ("none", "sum", "sum_over_batch_size", "auto")]
    return [_probe(case, "sums", clauses, calls, verdict)]
