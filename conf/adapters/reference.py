"""The `reference` target: this project's own numpy implementation, `cosine_spec.impl.loss`."""

from __future__ import annotations

from cosine_spec.conf.adapters import class_checks
from cosine_spec.conf.adapters.base import ExtraCheck
from cosine_spec.conf.adapters.pycallable import CallableAdapter, python_repro
from cosine_spec.conf.deviations import builtin_expectations
from cosine_spec.conf.errors import TargetError


class ReferenceAdapter(CallableAdapter):
    """The functional API for the golden cases, plus the class API (`impl.CosineSimilarity`) checks."""

    def extra_checks(self) -> list[ExtraCheck]:
        from cosine_spec.impl import CosineSimilarity

        return [
            ExtraCheck("reference-api-1-constructor-defaults", ("CS-API-1",),
                       lambda: class_checks.api_defaults(CosineSimilarity)),
            ExtraCheck("reference-api-3-config-round-trip", ("CS-API-3",),
                       lambda: class_checks.config_round_trip(CosineSimilarity, lambda loss, t, p: loss(t, p))),
        ]


def repro(case, grad: bool = False) -> str:
    """How to reproduce a failed case without the harness (also for the worker mode's harness side)."""
    return python_repro("cosine_spec.impl", "loss", case, grad) or f"cosine-spec check reference --cases '{case.id}'"


def load() -> CallableAdapter:
    try:
        from cosine_spec.impl import loss
    except ImportError as exc:
        raise TargetError(f"the reference implementation cannot be imported (cosine_spec.impl.loss): {exc}") from exc
    return ReferenceAdapter(loss, name="reference", module="cosine_spec.impl", attr="loss",
                           expectations=builtin_expectations("reference"))
