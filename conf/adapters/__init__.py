"""Adapters: one small module per target, each turning an implementation into the target contract.

The contract (docs/contracts/target.md) is the `MODULE:ATTR` one: `loss(y_true, y_pred, sample_weight=None, *, axis=-1,
reduction="sum_over_batch_size") -> numpy array`, numpy inputs (bfloat16 via ml_dtypes), reductions "auto",
"none", "sum", "sum_over_batch_size"; optional `loss.grad(...) -> (d_y_true, d_y_pred)` of the reduced loss
(of the sum of the losses for "none").

Adding a target
---------------
1. Write `conf/adapters/<name>.py` with a `load() -> Adapter` (see `base.Adapter`): implement `loss`,
   set `has_grad` and implement `grad` if the framework differentiates, narrow `dtypes` if it lacks one,
   return class-level checks (`ExtraCheck`) from `extra_checks()` for clauses a plain function cannot
   show (constructor, config, distribution strategy, fit), and a one-line `repro(case)`.
   `load()` imports the framework and raises `TargetError` saying how to install it when it is missing.
2. Register the name in `BUILTIN` below.
3. Write `conf/expectations/<name>.toml` with the deviations you measured (format in
   `conf/deviations.py`), each with a reason and an upstream link (or "none known").
4. Add a test in `tests/test_conf_<name>.py` that the target runs conformant with those expectations.
"""

from __future__ import annotations

import importlib

from cosine_spec.conf.adapters.base import Adapter, ExtraCheck
from cosine_spec.conf.errors import TargetError

BUILTIN = {
    "reference": "cosine_spec.conf.adapters.reference",
    "reference-fast": "cosine_spec.conf.adapters.reference_fast",
    "tf-keras": "cosine_spec.conf.adapters.tf_keras",
    "keras": "cosine_spec.conf.adapters.keras",
    "torch": "cosine_spec.conf.adapters.torch",
    "optax": "cosine_spec.conf.adapters.optax",
}
KERAS_NAMES = ("keras-tensorflow", "keras-jax", "keras-torch")  # the keras target on that backend

__all__ = ["Adapter", "ExtraCheck", "resolve", "check_name", "BUILTIN"]


def check_name(target: object) -> None:
    """Raise `TargetError` for a target that names nothing (without importing or starting anything)."""
    if isinstance(target, str) and (target in BUILTIN or target in KERAS_NAMES or ":" in target):
        return
    if not isinstance(target, str) or not target:
        raise TargetError(
            f"Got target {target!r}; give a built-in name ({', '.join(BUILTIN)}), MODULE:ATTR or cmd:COMMAND."
        )
    raise TargetError(
        f"unknown target {target!r}; the built-in targets are {', '.join(BUILTIN)}, or give "
        f"MODULE:ATTR for a Python callable, e.g. `cosine-spec check mypkg.losses:cosine`, or "
        f"cmd:COMMAND for a program in any language (docs/contracts/protocol.md)."
    )


def resolve(target: str | Adapter) -> Adapter:
    """The adapter for a target name (`reference`, `tf-keras`, `MODULE:ATTR`) or an adapter itself."""
    if isinstance(target, Adapter):
        return target
    check_name(target)
    if target in BUILTIN:
        return importlib.import_module(BUILTIN[target]).load()
    if target in KERAS_NAMES:
        return importlib.import_module(BUILTIN["keras"]).load(target.removeprefix("keras-"))
    if target.startswith("cmd:"):
        raise TargetError(
            f"target {target!r} is a program: it runs in a worker process, not in-process (drop --in-process)."
        )
    from cosine_spec.conf.adapters.pycallable import load_callable

    return load_callable(target)
