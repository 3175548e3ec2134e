"""The adapter interface every target implements (see the package docstring, "Adding a target")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cosine_spec.conf.golden_cases import DTYPES, Case


@dataclass(frozen=True)
class ExtraCheck:
    """A class-level check of a target: `run()` returns normally to pass, raises to fail."""

    id: str
    clauses: tuple[str, ...]
    run: Callable[[], None]
    dtype: str = "float32"


class Adapter:
    """Base adapter: a name, the dtypes it supports, `loss` and optionally `grad`, extra checks, repro."""

    name: str = "?"
    dtypes: frozenset[str] = frozenset(DTYPES)
    has_grad: bool = False
    expectations: Path | None = None

    def loss(self, y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
        """The target contract's `f`: the loss in the inputs' dtype, a 0-d array unless reduction is "none"."""
        raise NotImplementedError

    def grad(self, y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
        """The target contract's `f.grad`: `(d_y_true, d_y_pred)` of the reduced loss."""
        raise NotImplementedError

    def extra_checks(self) -> list[ExtraCheck]:
        return []

    def repro(self, case: Case, grad: bool = False) -> str:
        return f"cosine-spec check {self.name} --cases '{case.id}'"


def literal(a: np.ndarray | None, dtype: str) -> str:
    """A Python expression rebuilding `a` exactly (float64 reprs are exact for every dtype we hold)."""
    if a is None:
        return "None"
    vals = ", ".join(
        {"inf": "np.inf", "-inf": "-np.inf", "nan": "np.nan"}.get(repr(v), repr(v))
        for v in (float(x) for x in np.asarray(a, dtype=np.float64).ravel())
    )
    dt = "ml_dtypes.bfloat16" if dtype == "bfloat16" else repr(dtype)
    return f"np.array([{vals}], {dt}).reshape({tuple(a.shape)})"


def literal_args(case: Case, limit: int = 24) -> str | None:
    """`y_true, y_pred[, sample_weight=..], axis=.., reduction=..` as source, or None when too long."""
    arrays = [case.y_true, case.y_pred] + ([case.sample_weight] if case.sample_weight is not None else [])
    if sum(a.size for a in arrays) > limit:
        return None
    sw = "" if case.sample_weight is None else f", sample_weight={literal(case.sample_weight, case.dtype)}"
    return (
        f"{literal(case.y_true, case.dtype)}, {literal(case.y_pred, case.dtype)}{sw}, "
        f"axis={case.axis}, reduction={case.reduction!r}"
    )
