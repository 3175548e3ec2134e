"""What the runner does with a golden case: a list of `Probe`s, each a few calls of the target and a judge.

The golden comparisons are two probes per case (the value, and the gradient when the case has one). Other
kinds of check (relations between calls, the call contract) are planners too: a planner maps a case to its
probes, and `PLANNERS` lists them all, so the runner, the executors and the reports treat every kind alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cosine_spec.conf import judge
from cosine_spec.conf.calls import Call, Outcome
from cosine_spec.conf.golden_cases import Case


@dataclass(frozen=True, eq=False)
class Probe:
    """One judged result: `calls` are made in order, then `verdict(outcomes)` judges them together."""

    id: str  # the result id (the case id, with "/grad" or another suffix for derived checks)
    kind: str  # "value", "grad", ... : the kind of result in the report
    clauses: tuple[str, ...]  # the clauses the probe speaks for
    calls: tuple[Call, ...]
    verdict: Callable[[list[Outcome]], judge.Verdict]
    needs_grad: bool = False  # not tested (never passed) on a target without f.grad


def plain_call(case: Case, fn: str = "loss", **changes) -> Call:
    """The call the golden case describes (`changes` override its arguments)."""
    args = dict(
        y_true=case.y_true,
        y_pred=case.y_pred,
        sample_weight=case.sample_weight,
        axis=case.axis,
        reduction=case.reduction,
    )
    args.update(changes)
    if fn == "grad":
        size = max(getattr(args["y_true"], "size", 0), getattr(args["y_pred"], "size", 0))
    else:
        size = 0 if case.expected is None else case.expected.size
    return Call(fn, **args, expect_size=size)


def golden(case: Case) -> list[Probe]:
    """The value against the oracle's, and the gradient against the oracle's alternatives."""
    probes = [
        Probe(
            case.id,
            "value",
            judge.value_clauses(case),
            (plain_call(case),),
            lambda outs: judge.judge_value(case, outs[0]),
        )
    ]
    if case.gradients and not case.error:
        probes.append(
            Probe(
                case.id + "/grad",
                "grad",
                (judge.GRAD,),
                (plain_call(case, "grad"),),
                lambda outs: judge.judge_grad(case, outs[0]),
                needs_grad=True,
            )
        )
    return probes


def contract(case: Case) -> list[Probe]:
    """The call contract's probes (`conf/contract.py`, which builds on this module: imported when called)."""
    from cosine_spec.conf.contract import contract as planner

    return planner(case)


# The planners every case goes through: blame.golden is `golden` with the calls behind a reduced or weighted
# result, contract the call contract, relations.plan the metamorphic relations (imported last: both build on
# this module).
from cosine_spec.conf import blame, relations  # noqa: E402

PLANNERS: list[Callable[[Case], list[Probe]]] = [blame.golden, contract, relations.plan]
