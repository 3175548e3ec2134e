"""The `reference` target: this project's readable implementation, `cosine_spec.impl.loss`
(`cosine_spec.impl.reference`). `load_implementation` serves `reference-fast` too."""

from __future__ import annotations

import importlib

from cosine_spec.conf.adapters import class_checks
from cosine_spec.conf.adapters.base import ExtraCheck
from cosine_spec.conf.adapters.pycallable import CallableAdapter, python_repro
from cosine_spec.conf.deviations import builtin_expectations
from cosine_spec.conf.errors import TargetError


class ReferenceAdapter(CallableAdapter):
    """The functional API for the golden cases, plus the checks of the module's class API (`CosineSimilarity`)."""

    def extra_checks(self) -> list[ExtraCheck]:
        cls = importlib.import_module(self.module).CosineSimilarity
        return [
            ExtraCheck(
                f"{self.name}-api-1-constructor-defaults", ("CS-API-1",), lambda: class_checks.api_defaults(cls)
            ),
            ExtraCheck(
                f"{self.name}-api-3-config-round-trip",
                ("CS-API-3",),
                lambda: class_checks.config_round_trip(cls, lambda loss, t, p: loss(t, p)),
            ),
        ]


def repro(case, grad: bool = False) -> str:
    """How to reproduce a failed case without the harness (also for the worker mode's harness side)."""
    return python_repro("cosine_spec.impl", "loss", case, grad) or f"cosine-spec check reference --cases '{case.id}'"


def load_implementation(module: str, name: str) -> CallableAdapter:
    """The adapter of one of this project's implementations: `module.loss` and `module.CosineSimilarity`."""
    try:
        loss = importlib.import_module(module).loss
    except (ImportError, AttributeError) as exc:
        raise TargetError(f"the {name} implementation cannot be imported ({module}.loss): {exc}") from exc
    return ReferenceAdapter(loss, name=name, module=module, attr="loss", expectations=builtin_expectations(name))


def load() -> CallableAdapter:
    return load_implementation("cosine_spec.impl", "reference")
