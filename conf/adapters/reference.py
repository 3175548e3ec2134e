"""The `reference` target: this project's own numpy implementation, `cosine_spec.impl.loss`."""

from __future__ import annotations

from cosine_spec.conf.adapters.pycallable import CallableAdapter
from cosine_spec.conf.errors import TargetError
from cosine_spec.conf.expectations import builtin_expectations


def load() -> CallableAdapter:
    try:
        from cosine_spec.impl import loss
    except ImportError as exc:
        raise TargetError(f"the reference implementation cannot be imported (cosine_spec.impl.loss): {exc}") from exc
    return CallableAdapter(loss, name="reference", module="cosine_spec.impl", attr="loss",
                           expectations=builtin_expectations("reference"))
