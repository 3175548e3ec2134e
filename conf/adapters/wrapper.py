"""The wrapper every user writes around a framework's per-sample cosine: the spec's weights and reductions.

torch and optax offer the per-sample similarity only. Their built-in targets add what the Keras class does
around it, and nothing more: the reduction names (CS-RED-1 .. CS-RED-4, CS-RED-6), the weight alignment of
CS-SW-3 and CS-SW-4 (decided on shapes alone, so a weight that does not fit is a ValueError, CS-SW-5), the weight
rounded to the input dtype (CS-SW-6) and the reduction itself. The products and sums are the framework's own
operators (`*`, `.sum()`), so its arithmetic and its autograd are what the gate measures; everything about the
per-sample value (CS-VAL-*, CS-AX-1, CS-ERR-*, CS-NAN-*) is the framework's, unwrapped.
"""

from __future__ import annotations

import numpy as np

REDUCTIONS = ("auto", "none", "sum", "sum_over_batch_size")


def check_reduction(reduction: object) -> str:
    """The reduction to apply ("auto" is "sum_over_batch_size", CS-RED-4), or ValueError (CS-RED-6)."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"Got reduction={reduction!r}; the reductions are {', '.join(map(repr, REDUCTIONS))}.")
    return "sum_over_batch_size" if reduction == "auto" else reduction


def weight_shape(w_shape: tuple[int, ...], loss_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape a weight takes before it broadcasts against the loss (CS-SW-3, CS-SW-4), or ValueError (CS-SW-5)."""
    w, r = tuple(w_shape), len(loss_shape)
    if len(w) == r + 1 and w[-1] == 1:
        w = w[:-1]
    elif 1 <= len(w) < r:
        w = w + (1,) * (r - len(w))
    try:
        fits = np.broadcast_shapes(w, tuple(loss_shape)) == tuple(loss_shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"sample_weight of shape {tuple(w_shape)} does not fit the loss of shape "
            f"{tuple(loss_shape)}: give a scalar, one weight per sample (leading axes) or the loss "
            f"shape (a trailing axis of 1 allowed)."
        )
    return w


def weight_array(sample_weight: object) -> np.ndarray:
    """The weight as float64 values (every dtype we hold converts exactly), for the framework to round; C-ordered,
    as frameworks refuse numpy's negative strides."""
    return np.ascontiguousarray(sample_weight, dtype=np.float64)


def weigh_and_reduce(values, weight, reduction: str):
    """`values` (the framework's per-sample losses) times the aligned `weight` (or None), reduced."""
    if weight is not None:
        values = values * weight
    if reduction == "none":
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    n = int(np.prod(values.shape, dtype=np.int64))
    return total / max(n, 1)  # CS-RED-3: an empty loss tensor sums to 0, and 0 / 1 is 0
