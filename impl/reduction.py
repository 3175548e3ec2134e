"""Reduction kinds of the loss (CS-RED-1 .. CS-RED-4, CS-RED-6)."""

import enum

from .errors import CosineSimilarityError


class Reduction(enum.StrEnum):
    """How per-sample losses are combined. The members are strings, so ``Reduction.SUM == "sum"``."""

    AUTO = "auto"  # CS-RED-4: SUM_OVER_BATCH_SIZE (there is no distribution strategy here)
    NONE = "none"  # CS-RED-1: the weighted per-sample losses
    SUM = "sum"  # CS-RED-2: their scalar sum
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"  # CS-RED-3: the sum over the number of loss elements


def as_reduction(value) -> Reduction:
    """Return the ``Reduction`` named by ``value`` (a member or its exact lowercase string); CS-RED-6."""
    if isinstance(value, str):
        try:
            return Reduction(value)
        except ValueError:
            pass
    allowed = ", ".join(repr(r.value) for r in Reduction)
    raise CosineSimilarityError(
        f"Got reduction={value!r}, but the only valid values are {allowed} "
        "(or the matching members of Reduction, e.g. Reduction.SUM)."
    )
