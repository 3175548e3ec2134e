"""The call contract as checks: what a caller relies on beyond the values of the golden calls.

A planner (registered in `probes.PLANNERS`) that derives, from a bounded selection of golden cases, calls
the golden data does not make, each judged against the same golden expectation:

- defaults (CS-API-1, CS-API-2): `f` and `f.grad` called without `axis` and `reduction` (and without
  `sample_weight` when the case has none), on cases where the defaults mean what the case gives;
- layouts (CS-API-4): the same arrays as Fortran-ordered, transposed, reversed, strided and read-only
  views, and `sample_weight` as a Python list; a 0-d result as an array or a numpy scalar (CS-OUT-2);
- arguments left unmodified (CS-API-4): every call of these probes is also judged on `Outcome.modified`;
- errors (CS-ERR-1, CS-SHAPE-1, CS-ERR-2, CS-RED-6): integer, bool and mixed-dtype inputs, same-rank
  shapes that numpy would broadcast, a float `axis` and `reduction=None` must raise ValueError.

Blame is differential: each probe makes the plain golden call first. When the plain call already fails,
the probe reports that failure under the case's own clauses (the golden probe names it too); only a
variant that fails where the plain call passed is blamed on the contract clause.
"""

from __future__ import annotations

import numpy as np
from cosine_spec.conf import judge
from cosine_spec.conf.calls import OMIT, Outcome
from cosine_spec.conf.golden_cases import Case
from cosine_spec.conf.probes import Probe, plain_call

API_DEFAULTS, API_CALL, API_ARGS, OUT_0D = "CS-API-1", "CS-API-2", "CS-API-4", "CS-OUT-2"
VALUE_LAYOUTS = ("fortran", "transposed", "negative_stride", "strided", "readonly")
GRAD_LAYOUTS = ("fortran", "transposed", "negative_stride", "readonly")
DEFAULT_REDUCTIONS = ("auto", "sum_over_batch_size")  # what an omitted reduction must mean (CS-RED-4)
OTHER_FLOAT = {"float16": "float32", "bfloat16": "float32", "float32": "float64", "float64": "float32"}


def _judge(case: Case, fn: str, out: Outcome) -> judge.Verdict:
    return judge.judge_value(case, out) if fn == "loss" else judge.judge_grad(case, out)


def _differs(case: Case, fn: str, a: Outcome, b: Outcome) -> str | None:
    """How outcome `b` differs from `a` beyond the case's tolerance, or None when they agree."""
    if (a.problem or a.raised) or (b.problem or b.raised):
        ka = a.problem or (a.raised.kinds if a.raised else None)
        kb = b.problem or (b.raised.kinds if b.raised else None)
        return (
            None if ka == kb else f"{b.problem or (b.raised.text() if b.raised else 'returned')}, unlike the plain call"
        )
    pairs = list(zip(a.value, b.value, strict=True)) if fn == "grad" else [(a.value, b.value)]
    for x, y in pairs:
        if x.shape != y.shape or x.dtype != y.dtype:
            return f"shape/dtype {y.shape} {y.dtype}, the plain call {x.shape} {x.dtype}"
        if not _real(x):  # strings, objects, complex: the plain call's wrong kind is judged already
            if _listed(x) != _listed(y):
                return "a result different from the plain call's"
            continue
        x64, y64 = x.astype(np.float64), y.astype(np.float64)
        with np.errstate(all="ignore"):
            tol = judge.tolerance.ulp(x64, case.dtype) * 4  # a few roundings: another summation order
            same = (x64 == y64) | (np.isnan(x64) & np.isnan(y64)) | (np.abs(x64 - y64) <= tol)
        if not np.all(same):
            return "a result different from the plain call's"
    return None


def _real(a: np.ndarray) -> bool:
    """Whether `a` holds real floats or integers, the kinds that compare as float64 without loss of meaning."""
    return a.dtype.kind in "biuf" or a.dtype in judge.DTYPES.values()


def _listed(a: np.ndarray) -> object:
    """`a` as nested Python values for an equality test; a value that cannot be listed compares by its repr."""
    try:
        return a.tolist()
    except Exception:  # a target's object array may hold anything
        return repr(a)


def _modified(v: judge.Verdict, labels: list[str], outs: list[Outcome]) -> None:
    for label, out in zip(labels, outs, strict=True):
        if out.modified:
            v.fail(
                (API_ARGS,),
                f"{label}: the target changed {', '.join(out.modified)} in place; the loss "
                f"must leave its arguments unmodified",
            )


def _not_an_array(case: Case, fn: str, out: Outcome) -> tuple[str, ...]:
    """CS-OUT-2 when a 0-d result came back as something that is neither a numpy array nor a numpy scalar."""
    zero_d = fn == "loss" and case.expected is not None and case.expected.ndim == 0
    return (OUT_0D,) if zero_d and out.invalid else ()


def differential(case: Case, fn: str, clause: str, labels: list[str]):
    """The verdict over `[plain outcome, variant outcomes...]` (see the module docstring for the blame)."""

    def verdict(outs: list[Outcome]) -> judge.Verdict:
        base = _judge(case, fn, outs[0])
        v = judge.Verdict(expected=base.expected, actual=base.actual, clauses=(clause,))
        if base.failures:
            # The plain call is already judged (and blamed) by the golden probe; here only whether each
            # variant gives what the plain call gave, as a layout must not change the result (CS-API-4).
            if _not_an_array(case, fn, outs[0]):  # CS-OUT-2 is this probe's own clause: judged here
                v.fail(_not_an_array(case, fn, outs[0]), f"plain call: {base.message}", "contract", "not an array")
            for label, out in zip(labels, outs[1:], strict=True):
                why = _differs(case, fn, outs[0], out)
                if why:
                    v.fail((clause,), f"{label}: {why} (the plain call fails too: see {case.id})", "contract", label)
        else:
            for label, out in zip(labels, outs[1:], strict=True):
                got = _judge(case, fn, out)
                if got.failures:
                    first = got.failures[0]
                    v.fail(
                        _not_an_array(case, fn, out) + (clause,),
                        f"{label}: {got.message} (the plain call passes)",
                        "contract",
                        f"{label}: {first.check}",
                    )
                    v.actual = f"{label}: {got.actual}"
                for name in ("max_err", "max_ulp", "tol"):
                    if getattr(got, name) is not None and (getattr(v, name) or 0) <= getattr(got, name):
                        setattr(v, name, getattr(got, name))
        _modified(v, ["plain call"] + labels, outs)
        return v

    return verdict


def _is_default_case(case: Case) -> bool:
    nd = case.y_true.ndim
    return (
        case.error is None
        and case.reduction in DEFAULT_REDUCTIONS
        and nd >= 1
        and case.axis % nd == nd - 1
        and (
            case.family == "seed"
            or (case.family == "weights" and (case.sample_weight is None or case.sample_weight.ndim == 1))
        )
    )


def _is_layout_case(case: Case) -> bool:
    if case.error is not None or case.sample_weight is None:
        return False
    if case.family == "weights":  # a 0-d weight as a list is a Python number (CS-API-4 allows both)
        loss_shape = case.expected.shape if case.reduction == "none" else None
        return loss_shape is not None and (case.sample_weight.ndim <= 1 or case.sample_weight.shape == loss_shape)
    if case.sample_weight.ndim == 0:
        return False
    return case.family in ("seed", "contract")  # the seed's list weights; weights of a wider dtype


def defaults(case: Case) -> list[Probe]:
    """`f` and `f.grad` without the arguments whose defaults the case spells out (CS-API-1, CS-API-2)."""
    omit = {"axis": OMIT, "reduction": OMIT}
    clauses = (API_DEFAULTS,)
    if case.sample_weight is None:
        omit["sample_weight"] = OMIT
        clauses += (API_CALL,)
    probes = []
    for fn, suffix in (("loss", ""), ("grad", "/grad")):
        if fn == "grad" and not case.gradients:
            continue
        variant = plain_call(case, fn, **omit)
        probes.append(
            Probe(
                f"{case.id}/defaults{suffix}",
                "grad" if fn == "grad" else "contract",
                clauses + ((OUT_0D,) if fn == "loss" and case.expected.ndim == 0 else ()),
                (plain_call(case, fn), variant),
                differential(case, fn, API_DEFAULTS, [f"called with {variant.describe()}"]),
                needs_grad=fn == "grad",
            )
        )
    return probes


def layouts(case: Case) -> list[Probe]:
    """The same values in other memory layouts, the weights also as a Python list (CS-API-4)."""
    probes = []
    for fn, suffix, names in (("loss", "", VALUE_LAYOUTS), ("grad", "/grad", GRAD_LAYOUTS)):
        if fn == "grad" and not case.gradients:
            continue
        variants = [
            plain_call(case, fn, layouts=dict.fromkeys(("y_true", "y_pred", "sample_weight"), n)) for n in names
        ]
        variants.append(plain_call(case, fn, layouts={"sample_weight": "list"}))
        labels = [f"arguments as {v.describe()}" for v in variants]
        probes.append(
            Probe(
                f"{case.id}/layouts{suffix}",
                "grad" if fn == "grad" else "contract",
                (API_ARGS,),
                (plain_call(case, fn), *variants),
                differential(case, fn, API_ARGS, labels),
                needs_grad=fn == "grad",
            )
        )
    return probes


def _raises_value_error(clauses: tuple[str, ...], what: str):
    def verdict(outs: list[Outcome]) -> judge.Verdict:
        out = outs[0]
        v = judge.Verdict(expected="raises ValueError", clauses=clauses)
        if out.problem is not None:
            v.actual = out.problem
        elif out.raised is not None:
            v.actual = "raised " + out.raised.text()
            if "ValueError" in out.raised.kinds:
                return v
        else:
            v.actual = "returned " + judge.short(out.value)
        v.fail(clauses, f"{what}: expected ValueError, {v.actual}")
        _modified(v, [what], outs)
        return v

    return verdict


def _error_variants(case: Case) -> list[tuple[str, tuple[str, ...], str, dict]]:
    """(suffix, clauses, description, changed arguments) of each input the spec rejects."""
    t, p = case.y_true, case.y_pred
    other = np.dtype(OTHER_FLOAT[case.dtype])
    shape_clauses = ("CS-ERR-1", "CS-SHAPE-1")
    return [
        (
            "int-inputs",
            shape_clauses,
            "int64 y_true and y_pred",
            dict(y_true=t.astype(np.int64), y_pred=p.astype(np.int64)),
        ),
        ("bool-inputs", shape_clauses, "bool y_true and y_pred", dict(y_true=t != 0, y_pred=p != 0)),
        ("int-y-true", shape_clauses, f"int64 y_true, {case.dtype} y_pred", dict(y_true=t.astype(np.int64))),
        (
            "mixed-dtypes",
            shape_clauses,
            f"{case.dtype} y_true, {other.name} y_pred",
            dict(y_pred=p.astype(np.float64).astype(other)),
        ),
        ("broadcastable-pred", shape_clauses, f"y_true {t.shape} against y_pred {p[:1].shape}", dict(y_pred=p[:1])),
        ("broadcastable-true", shape_clauses, f"y_true {t[:1].shape} against y_pred {p.shape}", dict(y_true=t[:1])),
        ("axis-float", ("CS-ERR-2",), f"axis={float(case.axis % t.ndim)!r}", dict(axis=float(case.axis % t.ndim))),
        ("reduction-none", ("CS-RED-6",), "reduction=None", dict(reduction=None)),
    ]


def errors(case: Case) -> list[Probe]:
    """Inputs the spec rejects with ValueError, derived from a valid case of two or more samples."""
    return [
        Probe(
            f"{case.id}/error-{suffix}",
            "contract",
            clauses,
            (plain_call(case, **changes),),
            _raises_value_error(clauses, what),
        )
        for suffix, clauses, what, changes in _error_variants(case)
    ]


def contract(case: Case) -> list[Probe]:
    """Every contract probe of `case` (none for most cases: the selection is bounded, see the predicates)."""
    probes = []
    if _is_default_case(case):
        probes += defaults(case)
    if _is_layout_case(case):
        probes += layouts(case)
    if case.family == "seed" and case.id.startswith("seed-defaults"):
        probes += errors(case)
    return probes
