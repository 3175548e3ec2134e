"""Judge one outcome of the target against one golden case: the verdict names the clauses that failed.

Every failure records which check failed (`CHECKS`: shape, dtype, nan, error, value, range, gradient,
problem) and a short signature of how (`sign flipped`, `off by a factor 2`, ...), so failures with one cause
group together (conf/terminal.py). Its clauses are those the check actually speaks for, the most specific
first (`ordered`): a value beyond tolerance fails the case's value clauses (CS-GRAD-1, CS-OUT-1 and CS-VAL-2
have checks of their own), a wrong dtype CS-OUT-1, a wrong shape CS-OUT-1 with the shape clauses of the case,
a value outside the range rule CS-VAL-2 (judged exactly for a single weighted value, |fl(w v)| <= |w|, and
within the reduction's rounding for reduced results: TOLERANCES.md). What lies behind a reduced or weighted
result is re-judged by `conf/blame.py`. `Verdict.clauses` names what a value check spoke for (CS-OUT-1 once
the result is an array, CS-VAL-2 once the range was judged), so a declared deviation on them can be an
unexpected pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from cosine_spec.conf import tolerance
from cosine_spec.conf.calls import Outcome
from cosine_spec.conf.golden_cases import DTYPES, Case
from cosine_spec.spec.exact import FORMATS, round_to_dtype

GRAD = "CS-GRAD-1"


CHECKS = ("shape", "dtype", "nan", "error", "value", "range", "gradient", "problem")

# Clauses tagged on many cases as context: named after the clauses particular to the case (`ordered`).
NUM_1 = "CS-NUM-1"
FLUSHED = "flushed to zero (a subnormal expected)"  # the signature of a flush, named CS-NUM-1 first
GENERIC = ("CS-NUM-1", "CS-VAL-1", "CS-SW-1", "CS-AX-1", "CS-OUT-1")


def ordered(clauses) -> tuple[str, ...]:
    """`clauses` without repeats, the most specific first: those not in GENERIC keep their order."""
    uniq = list(dict.fromkeys(clauses))
    return tuple(sorted(uniq, key=lambda c: GENERIC.index(c) + 1 if c in GENERIC else 0))


@dataclass
class Failure:
    clauses: tuple[str, ...]
    message: str
    check: str = "value"
    signature: str = ""


@dataclass
class Verdict:
    failures: list[Failure] = field(default_factory=list)
    actual: str = ""
    expected: str = ""
    max_err: float | None = None
    max_ulp: float | None = None
    tol: float | None = None
    clauses: tuple[str, ...] = ()  # the clauses the check spoke for (it got far enough to test them)

    def fail(self, clauses: tuple[str, ...], message: str, check: str = "value", signature: str = "") -> None:
        self.failures.append(Failure(ordered(clauses), message, check, signature))

    @property
    def failed_clauses(self) -> list[str]:
        """Every failed clause once, in the order of the failures, the most specific first within each."""
        return list(dict.fromkeys(c for f in self.failures for c in f.clauses))

    @property
    def message(self) -> str:
        return "; ".join(f.message for f in self.failures)

    @property
    def cause(self) -> str:
        """`check: signature` of the first failure (what the terminal groups by), "" when nothing failed."""
        if not self.failures:
            return ""
        f = self.failures[0]
        return f"{f.check}: {f.signature}" if f.signature else f.check


def _unprintable(obj: object, what: str) -> str:
    try:
        return f"<unprintable {type(obj).__name__}: its {what} raised>"
    except BaseException:  # noqa: BLE001 - even the type's name can misbehave (a metaclass)
        return f"<unprintable object: its {what} raised>"


def safe_str(obj: object) -> str:
    """str(obj), or `<unprintable T: ...>` when the target's __str__ raises: a bad object never crashes us."""
    try:
        return str(obj)
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: BLE001
        return _unprintable(obj, "__str__")


def safe_repr(obj: object) -> str:
    """repr(obj), or `<unprintable T: ...>` when the target's __repr__ raises."""
    try:
        return repr(obj)
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: BLE001
        return _unprintable(obj, "__repr__")


def exc_text(exc: BaseException) -> str:
    """`Type: first line of the message` (160 characters at most) of any exception, even a misbehaving one."""
    text = safe_str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:160] if text else ''}"


def is_float(dtype: np.dtype) -> bool:
    """A real floating dtype (bfloat16 included): the only kinds the contract returns."""
    return dtype.kind == "f" or dtype.name == "bfloat16"


def short(a: object, limit: int = 6) -> str:
    """A short readable rendering of an array (float64 repr of each element) or any other object."""
    if isinstance(a, np.ndarray | np.generic):
        arr = np.asarray(a)
        if not (is_float(arr.dtype) or arr.dtype.kind in "iub"):  # complex, str, object: never convert
            flat = [safe_repr(v.item()) for v in arr.ravel()[:limit]] if arr.dtype.kind in "cSU" else None
        else:
            flat = [repr(float(v)) for v in arr.astype(np.float64).ravel()[:limit]]
        if flat is None:
            return f"array(dtype={arr.dtype}, shape={arr.shape})"
        more = ", ..." if arr.size > limit else ""
        body = flat[0] if arr.ndim == 0 else "[" + ", ".join(flat) + more + "]"
        return f"{body} ({arr.dtype}, shape {arr.shape})" if arr.ndim else f"{body} ({arr.dtype})"
    text = safe_repr(a)
    return text if len(text) < 80 else text[:77] + "..."


# Clauses with a check of their own: the gradient (judge_grad), dtype and shape (CS-OUT-1), the exact [-1, 1]
# bound (CS-VAL-2). A value outside tolerance does not fail them.
OWN_CHECK = {GRAD, "CS-OUT-1", "CS-VAL-2"}


def value_clauses(case: Case) -> tuple[str, ...]:
    """The clauses a value comparison speaks for: the case's clauses without those checked on their own."""
    return ordered(tuple(c for c in case.clauses if c not in OWN_CHECK) or case.clauses)


def signature(got: float, want: float) -> str:
    """How a wrong number relates to the right one, in a few words that group failures of one cause."""
    if want == 0 or not np.isfinite(want) or not np.isfinite(got):
        word = "zero" if got == 0 else "nonzero" if np.isfinite(got) else str(float(got))
        return f"{word} instead of {'zero' if want == 0 else float(want)}"
    if got == 0:
        return "zero instead of nonzero"
    r = got / want
    if abs(r + 1) < 1e-3:
        return "sign flipped"
    if r < 0:
        return "wrong sign"
    if abs(r - 1) < 0.01:
        return "slightly off (within 1%)"
    return f"off by a factor {float(f'{r:.2g}'):g}"


def _compare(v: Verdict, clauses, act, exact, expected, tol, dtype: str, label: str, check: str = "value") -> bool:
    """Values within tolerance (NaN pattern included); record the worst element. True when all pass."""
    a, x = act.astype(np.float64), np.asarray(exact, dtype=np.float64)
    nan_x, nan_a = np.isnan(x), np.isnan(a)
    if np.any(nan_x != nan_a):
        idx = tuple(int(i) for i in np.argwhere(nan_x != nan_a)[0])
        sig = "NaN where a number is expected" if nan_a[idx] else "a number where NaN is expected"
        v.fail(
            clauses,
            f"{label}NaN pattern differs at index {idx}: expected {x[idx]!r}, got {a[idx]!r}",
            "nan" if check == "value" else check,
            sig,
        )
        return False
    with np.errstate(all="ignore"):
        same = (a == np.asarray(expected, dtype=np.float64)) | nan_x
        err = np.where(same, 0.0, np.abs(a - x))
        ulps = err / tolerance.ulp(expected, dtype)
        ratio = np.where(err == 0, 0.0, err / tol)
    ratio = np.where(np.isnan(ratio), np.inf, ratio)
    worst = np.unravel_index(int(np.argmax(ratio)), ratio.shape) if ratio.size else ()
    if ratio.size:
        if v.max_err is None or err[worst] > v.max_err:
            v.max_err, v.tol = float(err[worst]), float(np.broadcast_to(tol, err.shape)[worst])
        v.max_ulp = max(v.max_ulp or 0.0, float(np.max(ulps)))
    if ratio.size and not ratio[worst] <= 1.0:
        sig = signature(a[worst], x[worst])
        # a subnormal result returned as zero is a flush: the one rounding of CS-NUM-1 keeps gradual underflow
        want = np.abs(np.asarray(expected, dtype=np.float64))
        flushed = (ratio > 1.0) & (a == 0) & (want > 0) & (want < math.ldexp(1.0, FORMATS[dtype].emin))
        if np.any(flushed):
            worst = tuple(int(i) for i in np.argwhere(flushed)[0])
            clauses, sig = (NUM_1, *(c for c in clauses if c != NUM_1)), FLUSHED
        v.fail(
            clauses,
            f"{label}value at index {tuple(int(i) for i in worst)} is {a[worst]!r}, expected "
            f"{x[worst]!r}: error {err[worst]:.3g} ({ulps[worst]:.3g} ulp) > tolerance "
            f"{np.broadcast_to(tol, err.shape)[worst]:.3g}",
            check,
            sig,
        )
        return False
    return True


def weights_as_taken(case: Case) -> np.ndarray | None:
    """The weights as the spec takes them: rounded once to the loss dtype (CS-SW-6), whatever their dtype."""
    w = case.sample_weight
    if w is None or w.dtype == DTYPES[case.dtype]:
        return w
    return round_to_dtype(np.asarray(w, dtype=np.float64), FORMATS[case.dtype])


def range_bound(case: Case) -> np.ndarray | None:
    """The largest |result| allowed when every per-sample value lies in [-1, 1] (CS-VAL-2; TOLERANCES.md).

    "none": |w| per element, exactly (|fl(w v)| <= |w| for |v| <= 1, rounding being monotone). Reduced:
    sum |w| grown by the roundings of the sum (M - 1 additions, the final rounding, the division by M for
    sum_over_batch_size), in the dtype's own unit roundoff (any accumulation at least as precise stays
    within), none at all for one element (nothing is rounded). None when no bound applies.
    """
    if case.expected is None:
        return None
    try:
        loss_shape = case.expected.shape if case.reduction == "none" else tolerance.loss_shape(case)
        w = np.broadcast_to(np.abs(tolerance.align_weights(weights_as_taken(case), loss_shape)), loss_shape)
    except ValueError:
        return None
    if case.reduction == "none":
        return w
    m, u = w.size, tolerance.policy().unit_roundoff[case.dtype]
    n = 0 if m <= 1 else m + (case.reduction != "sum")
    with np.errstate(all="ignore"):
        total = np.sum(w) * (1 + n * u / (1 - n * u) if n * u < 0.5 else 2 * n * u)
        return np.asarray(total / m if m and case.reduction != "sum" else total)


def _judge_range(v: Verdict, case: Case, act: np.ndarray) -> None:
    bound = range_bound(case)
    if bound is None:
        return
    v.clauses = tuple(dict.fromkeys(v.clauses + ("CS-VAL-2",)))  # the range rule applies
    a = act.astype(np.float64)
    with np.errstate(invalid="ignore"):
        outside = np.isfinite(a) & (np.abs(a) > bound)
    if np.any(outside):
        idx = tuple(int(i) for i in np.argwhere(outside)[0]) if a.ndim else ()
        b = float(np.broadcast_to(bound, a.shape)[idx])
        what = (
            f"per-sample value {a[idx]!r} at index {idx} lies outside [-1, 1]"
            if b == 1 and case.reduction == "none"
            else f"value {a[idx]!r} at index {idx} exceeds {b!r}, the largest |result| per-sample "
            f"values in [-1, 1] allow ({'|w|' if case.reduction == 'none' else 'sum |w| and its rounding'})"
        )
        v.fail(("CS-VAL-2",), what, "range", "outside [-1, 1]" if b == 1 else "beyond the weights' range bound")


def judge_value(case: Case, out: Outcome) -> Verdict:
    """The verdict of a value call (`loss(...)`) on `case`."""
    v, clauses = Verdict(), value_clauses(case)
    v.expected = f"raises {case.error}" if case.error else short(case.expected)
    if out.problem is not None:
        v.actual = out.problem
        named = (out.invalid_clause, *clauses) if out.invalid_clause else clauses
        v.fail(named, v.actual, "problem", out.problem.split(":")[0].split(";")[0][:40])
        return v
    if out.raised is not None:
        v.actual = "raised " + out.raised.text()
        if not (case.error and case.error in out.raised.kinds):
            v.fail(
                clauses,
                f"expected {v.expected}, {v.actual}",
                "error",
                f"raised {out.raised.type_name}" + (f" instead of {case.error}" if case.error else ""),
            )
        return v
    v.actual = short(out.value)
    if case.error:
        v.fail(
            clauses, f"expected {case.error}, returned {v.actual}", "error", f"returned instead of raising {case.error}"
        )
        return v
    act = out.value
    v.clauses = tuple(dict.fromkeys(clauses + ("CS-OUT-1",)))  # shape and dtype are judged from here on
    if act.shape != case.expected.shape:
        # "none": the same rank with other lengths is the axis (CS-AX-1), another rank the reduction (CS-RED-1)
        shape_of = (
            () if case.reduction != "none" else (("CS-AX-1",) if act.ndim == case.expected.ndim else ("CS-RED-1",))
        )
        v.fail(
            ("CS-OUT-1",) + shape_of,
            f"shape {act.shape}, expected {case.expected.shape}",
            "shape",
            f"rank {act.ndim} for rank {case.expected.ndim}"
            if act.ndim != case.expected.ndim
            else "wrong shape, right rank",
        )
        return v
    if act.dtype != case.expected.dtype:
        v.fail(
            ("CS-OUT-1",),
            f"dtype {act.dtype}, expected {case.expected.dtype}",
            "dtype",
            f"{act.dtype} for {case.expected.dtype}",
        )
    if not is_float(act.dtype) and act.dtype.kind not in "iu":  # complex, bool, str, object: never astype
        v.fail(
            clauses,
            f"non-real-numeric dtype {act.dtype}; the contract requires a float array",
            "dtype",
            f"{act.dtype} for {case.expected.dtype}",
        )
        return v
    _compare(v, clauses, act, case.exact, case.expected, tolerance.value_tolerance(case), case.dtype, "")
    _judge_range(v, case, act)
    return v


def judge_grad(case: Case, out: Outcome) -> Verdict:
    """The verdict of a gradient call (`loss.grad(...)`) on `case`: some alternative must match."""
    v, clauses = Verdict(), (GRAD,)
    v.expected = " or ".join(f"({short(gt)}, {short(gp)})" for gt, gp in case.gradients[:2])
    problem = out.problem or (None if out.raised is None else "raised " + out.raised.text())
    if problem is not None:
        v.actual = problem
        v.fail(clauses, "gradient " + v.actual, "gradient", problem.split(":")[0][:40])
        return v
    gt, gp = out.value
    v.actual = f"({short(gt)}, {short(gp)})"
    if gt.shape != case.y_true.shape or gp.shape != case.y_pred.shape:
        v.fail(
            clauses,
            f"gradient shapes {gt.shape}, {gp.shape}; expected {case.y_true.shape}, {case.y_pred.shape}",
            "gradient",
            "wrong shape",
        )
        return v
    wrong = [f"{n} dtype {g.dtype}" for n, g in (("d_y_true", gt), ("d_y_pred", gp)) if g.dtype.name != case.dtype]
    if wrong:  # checked before any conversion: complex parts, strings or objects are never cast away
        v.fail(
            clauses,
            f"gradient {' and '.join(wrong)}, expected {case.dtype}: each gradient is an array "
            f"of the inputs' dtype and shape (as CS-OUT-1 for values)",
            "gradient",
            "wrong dtype",
        )
        return v
    tols = [tolerance.grad_tolerance(case, alt) for alt in case.gradients]
    for side, (got, label) in enumerate(((gt, "d_y_true: "), (gp, "d_y_pred: "))):
        want, tol = _per_vector_choice(case.axis, got, [alt[side] for alt in case.gradients], [t[side] for t in tols])
        _compare(v, clauses, got, want, want, tol, case.dtype, label, "gradient")
    return v


def _per_vector_choice(axis: int, got: np.ndarray, alternatives: list, tols: list) -> tuple[np.ndarray, np.ndarray]:
    """For each vector along `axis`, the first alternative it matches (else the first alternative).

    A vector's gradient depends only on its own clamp branch (CS-GRAD-1), so the alternatives of the
    golden data (no near-boundary branch taken / all taken) are combined vector by vector: a correct
    implementation may take the other branch for some samples and not for others.
    """
    first_want = np.asarray(alternatives[0], dtype=np.float64)
    first_tol = np.broadcast_to(tols[0], first_want.shape)
    if len(alternatives) == 1 or got.ndim == 0:
        return first_want, first_tol
    ax = axis % got.ndim
    g = np.moveaxis(got.astype(np.float64), ax, -1)
    want, tol = np.moveaxis(first_want, ax, -1).copy(), np.moveaxis(first_tol, ax, -1).copy()
    decided = np.zeros(g.shape[:-1], dtype=bool)
    with np.errstate(all="ignore"):
        for alt, t in zip(alternatives, tols, strict=True):
            e = np.moveaxis(np.asarray(alt, dtype=np.float64), ax, -1)
            t = np.moveaxis(np.broadcast_to(t, first_want.shape), ax, -1)
            close = (g == e) | (np.abs(g - e) <= t) | (np.isnan(g) & np.isnan(e))
            take = np.all(close, axis=-1) & ~decided
            want[take], tol[take] = e[take], t[take]
            decided |= take
    return np.moveaxis(want, -1, ax), np.moveaxis(tol, -1, ax)
