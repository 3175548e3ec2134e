"""Blame on the cause: a wrong reduced or weighted result is re-judged through what lies behind it.

A golden case whose result is reduced or weighted gets up to three more calls of the target: its per-sample values
(reduction "none", no sample_weight) and, when it is both weighted and reduced, its weighted per-sample values
(reduction "none", the case's weights); when its weights come in a wider dtype, also the same call with the
weights rounded once to the loss dtype beforehand (right there: the target's rounding of them is wrong,
CS-SW-6). When the result itself fails on its value or NaN pattern, those are judged against the oracle's
own per-sample values, computed live (`cosine_spec.spec.oracle.evaluate`), and the failure is laid where it
belongs:

- wrong per-sample values: the per-sample clauses of the case (CS-VAL-*, CS-AX-1, CS-NAN-1, ...), or CS-VAL-2
  when they leave [-1, 1];
- right per-sample values, wrong weighted ones: the weight clauses (CS-SW-*, CS-NAN-2);
- both right: the reduction's clause alone (CS-RED-2 sum, CS-RED-3 sum_over_batch_size, CS-RED-4 auto).

So one wrong divisor of sum_over_batch_size fails CS-RED-3 only, and the per-sample clauses it was tagged with
count as passed for that case (they were judged, behind it, and held). When what lies behind cannot be judged
(the extra call raised, or returned a result of another shape), the verdict stays on every clause of the case.
A seed example (CS-EX-*) is violated whatever the cause and stays named, after the cause.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from cosine_spec.conf import judge
from cosine_spec.conf.calls import Outcome
from cosine_spec.conf.golden_cases import Case
from cosine_spec.spec import oracle

REDUCTION_CLAUSE = {"sum": "CS-RED-2", "sum_over_batch_size": "CS-RED-3", "auto": "CS-RED-4"}
WEIGHT_CLAUSES = ("CS-SW-", "CS-NAN-2")
STAGE_CHECKS = ("value", "nan", "range", "error")  # the failures of a result that blame replaces


def _decomposable(case: Case) -> bool:
    return (
        case.error is None
        and case.expected is not None
        and case.reduction in ("none", *REDUCTION_CLAUSE)
        and (case.reduction != "none" or case.sample_weight is not None)
    )


def _examples(case: Case) -> tuple[str, ...]:
    return tuple(c for c in case.clauses if c.startswith("CS-EX-"))


def per_sample_clauses(case: Case) -> tuple[str, ...]:
    """The case's clauses about per-sample values: without reduction, weight and own-check clauses."""
    out = tuple(
        c for c in case.clauses if not c.startswith(("CS-RED-", "CS-EX-", *WEIGHT_CLAUSES)) and c not in judge.OWN_CHECK
    )
    return judge.ordered(out or ("CS-VAL-1",))


def weight_clauses(case: Case) -> tuple[str, ...]:
    return judge.ordered(tuple(c for c in case.clauses if c.startswith(WEIGHT_CLAUSES)) or ("CS-SW-1",))


def golden(case: Case) -> list:
    """The golden probes of `case`; its value probe judged by `judge_behind`, with the calls behind a reduced
    or weighted result."""
    from cosine_spec.conf.probes import Probe  # probes imports this module
    from cosine_spec.conf.probes import golden as golden_probes

    out = golden_probes(case)
    if case.error is not None or case.expected is None:
        return out
    calls = list(out[0].calls)
    if _decomposable(case):
        m = int(np.prod(_loss_shape(case)))
        calls.append(dataclasses.replace(calls[0], reduction="none", sample_weight=None, expect_size=m))
        if case.reduction != "none":
            calls.append(dataclasses.replace(calls[0], reduction="none", expect_size=m))
        if _wide(case):  # last: the same call with the weights already rounded once to the loss dtype
            taken = judge.weights_as_taken(case).astype(case.y_true.dtype)
            calls.append(dataclasses.replace(calls[0], sample_weight=taken))
    out[0] = Probe(
        out[0].id, out[0].kind, out[0].clauses, tuple(calls), lambda outs: judge_behind(case, outs), out[0].needs_grad
    )
    return out


def _wide(case: Case) -> bool:
    """Weights given in another dtype than the inputs', which the target must round once (CS-SW-6)."""
    return case.sample_weight is not None and case.sample_weight.dtype != case.y_true.dtype


def _loss_shape(case: Case) -> tuple[int, ...]:
    if case.reduction == "none":
        return case.expected.shape
    from cosine_spec.conf.tolerance import loss_shape

    return loss_shape(case)


def _stage(case: Case, out: Outcome, weights, clauses: tuple[str, ...], label: str) -> judge.Verdict | None:
    """The verdict of per-sample values `out` against the oracle's, or None when the oracle cannot say."""
    try:
        kw = dict(axis=case.axis, reduction="none")
        res = oracle.evaluate(case.y_true, case.y_pred, weights, dtype=case.dtype, **kw)
        wide = None if weights is None else np.asarray(weights, np.float64)
        exact = oracle.evaluate(
            case.y_true.astype(np.float64), case.y_pred.astype(np.float64), wide, dtype="float64", **kw
        )
    except (oracle.SpecError, oracle.OracleError):
        return None
    derived = dataclasses.replace(
        case,
        id=f"{case.id} ({label})",
        clauses=clauses,
        reduction="none",
        sample_weight=weights,
        expected=res.as_array(),
        exact=np.array(exact.values, dtype=np.float64).reshape(exact.shape),
        gradients=None,
    )
    return judge.judge_value(derived, out)


def judge_behind(case: Case, outs: list[Outcome]) -> judge.Verdict:
    """`judge.judge_value` of the result, its failure laid on the cause found behind it (module docstring)."""
    v = judge.judge_value(case, outs[0])
    if not v.failures or v.failures[0].check not in ("value", "nan", "error"):
        return v
    first = v.failures[0]
    if not _decomposable(case):  # an unweighted "none" result: its elements are the per-sample values
        if first.check == "error":
            return v
        return _blamed(v, per_sample_clauses(case) + _examples(case), "", first.check, first.signature)
    if _wide(case) and not judge.judge_value(case, outs[-1]).failures:
        # The same call with the weights rounded once to the loss dtype beforehand is right: the only
        # difference is the weights' dtype, so the target's own rounding of them is the cause (CS-SW-6).
        why = "; given the weights rounded to the loss dtype it is right, so its rounding of them is wrong"
        return _blamed(v, ("CS-SW-6",) + _examples(case), why, first.check, first.signature)
    stages = [(outs[1], None, per_sample_clauses(case), "its per-sample values (reduction 'none', no weights)")]
    if case.sample_weight is not None and case.reduction != "none":
        stages.append(
            (outs[2], case.sample_weight, weight_clauses(case), "its weighted per-sample values (reduction 'none')")
        )
    for i, (out, weights, clauses, label) in enumerate(stages):
        sv = _stage(case, out, weights, clauses, label)
        if sv is None:
            return v
        if not sv.failures:
            continue
        cause = sv.failures[0]
        if i == 0 and cause.check in ("error", "problem"):
            return v  # the per-sample values cannot be had: nothing conclusive behind the result
        # Behind a weighted result whose unweighted values are right, a failure is the weights', except a
        # range failure alone: values within tolerance of w * v but beyond |w| are an unclipped v (CS-VAL-2;
        # misaligned weights would fail the values too).
        blamed = tuple(c for f in sv.failures for c in f.clauses) if i == 0 else clauses
        if i > 0 and all(f.check == "range" for f in sv.failures):
            blamed = ("CS-VAL-2", *clauses)
        return _blamed(
            v,
            judge.ordered(blamed) + _examples(case),
            f"; behind it, {label} are wrong: {sv.message}",
            cause.check,
            cause.signature,
        )
    if case.sample_weight is not None and case.reduction == "none":
        blame_if_right, what = weight_clauses(case), "the weighting"
    else:
        nan2 = ("CS-NAN-2",) if first.check == "nan" and "CS-NAN-2" in case.clauses else ()
        blame_if_right = nan2 + (REDUCTION_CLAUSE[case.reduction],)  # a NaN lost by the reduction: CS-NAN-2
        what = f"the reduction {case.reduction!r}"
    behind = "its per-sample values" + (" and weighted values" if len(stages) > 1 else "")
    return _blamed(
        v,
        judge.ordered(blame_if_right) + _examples(case),
        f"; {behind} are right, so {what} is wrong",
        first.check,
        first.signature,
    )


def _blamed(v: judge.Verdict, clauses: tuple[str, ...], why: str, check: str, signature: str) -> judge.Verdict:
    """`v` with its value, NaN and range failures replaced by one failure on `clauses` (dtype stays); a flush
    to zero stays named CS-NUM-1 first, wherever it shows."""
    if signature == judge.FLUSHED:
        clauses = (judge.NUM_1, *(c for c in clauses if c != judge.NUM_1))
    message = "; ".join(f.message for f in v.failures if f.check in STAGE_CHECKS)
    v.failures = [f for f in v.failures if f.check not in STAGE_CHECKS]
    v.failures.insert(0, judge.Failure(tuple(dict.fromkeys(clauses)), message + why, check, signature))
    return v
