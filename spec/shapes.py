"""The spec's rules on arguments: shapes, axis, reduction, sample_weight alignment, dtypes.

Everything here is exact: values are only moved and, where an input is not yet of the loss dtype,
rounded to it once with the oracle's own rounding (CS-SW-6: weights are taken in the loss dtype).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import ml_dtypes
import numpy as np
from cosine_spec.spec.exact import DTYPES, FORMATS, Rational, round_fraction, round_to_dtype

REDUCTIONS = ("auto", "none", "sum", "sum_over_batch_size")


class SpecError(ValueError):
    """Inputs the spec rejects. ``error_class`` is the exception class the spec requires of targets."""

    error_class = "ValueError"

    def __init__(self, clause: str, message: str):
        super().__init__(f"{message} [{clause}]")
        self.clause = clause


def np_dtype(name: str) -> np.dtype:
    return np.dtype(ml_dtypes.bfloat16) if name == "bfloat16" else np.dtype(name)


@dataclass
class Call:
    """A validated call: rows of (y_true, y_pred) vectors, one weight per row, and how to undo the layout."""

    dtype: str
    reduction: str
    axis: int
    shape: tuple[int, ...]
    loss_shape: tuple[int, ...]
    t: np.ndarray  # (M, d) float64 holding exact dtype values
    p: np.ndarray
    w: np.ndarray  # (M,) float64 holding exact dtype values

    def restore(self, rows: np.ndarray) -> list[float]:
        """Rows (M, d) back to the input layout, flattened row-major."""
        d = self.shape[self.axis]
        full = rows.reshape(self.loss_shape + (d,))
        return np.moveaxis(full, -1, self.axis).ravel().tolist()


def _as_exact(x, dtype: str, what: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiu" and arr.dtype != np_dtype("bfloat16"):
        raise SpecError("CS-OUT-1", f"{what} has dtype {arr.dtype}; the spec covers real numbers only")
    if arr.dtype.kind in "iu" and arr.size and (int(arr.max()) > 2**53 or int(arr.min()) < -(2**53)):
        # float64 would round these integers first; round each one once, straight to the dtype (CS-SW-6)
        fmt = FORMATS[dtype]
        return np.array([round_fraction(Rational(x), fmt) for x in arr.ravel().tolist()]).reshape(arr.shape)
    exact = arr.astype(np.float64)  # exact for every float dtype the spec knows and for |integers| <= 2**53
    if arr.dtype == np_dtype(dtype):
        return exact
    return round_to_dtype(exact, FORMATS[dtype])


def align_weights(sw_shape: tuple[int, ...], loss_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape a sample_weight takes before broadcasting to the loss (CS-SW-1..5), or SpecError."""
    rank, lrank = len(sw_shape), len(loss_shape)
    shape = sw_shape
    if rank == lrank + 1 and sw_shape[-1] == 1:
        shape = sw_shape[:-1]
    elif 1 <= rank < lrank:
        shape = sw_shape + (1,) * (lrank - rank)  # weights align with the leading (batch) axes
    try:
        fits = np.broadcast_shapes(shape, loss_shape) == tuple(loss_shape)
    except ValueError:
        fits = False
    if not fits or len(shape) > lrank:
        raise SpecError(
            "CS-SW-5",
            f"sample_weight of shape {sw_shape} does not fit the loss of shape "
            f"{loss_shape}: use a scalar, [batch], the loss shape, or a shape that "
            "broadcasts to it",
        )
    return shape


def canonical(y_true, y_pred, sample_weight, *, axis, reduction, dtype) -> Call:
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise SpecError("CS-RED-6", f"reduction {reduction!r} is not one of {', '.join(REDUCTIONS)}")
    t, p = _as_exact(y_true, dtype, "y_true"), _as_exact(y_pred, dtype, "y_pred")
    if t.shape != p.shape:
        raise SpecError("CS-ERR-1", f"y_true has shape {t.shape} and y_pred {p.shape}; they must be equal")
    if t.ndim == 0:
        raise SpecError("CS-ERR-1", "y_true and y_pred are 0-d; the loss needs at least one axis")
    try:
        index = None if isinstance(axis, bool | np.bool_) else operator.index(axis)
    except TypeError:
        index = None
    if index is None:
        raise SpecError("CS-ERR-2", f"axis must be an integer, got {axis!r} of type {type(axis).__name__}")
    if not -t.ndim <= index < t.ndim:
        raise SpecError(
            "CS-ERR-2",
            f"axis {index} is out of range for inputs of rank {t.ndim}: use an integer in [{-t.ndim}, {t.ndim - 1}]",
        )
    axis = index % t.ndim
    d = t.shape[axis]
    loss_shape = t.shape[:axis] + t.shape[axis + 1 :]
    rows = int(np.prod(loss_shape, dtype=np.int64))
    t2 = np.moveaxis(t, axis, -1).reshape(rows, d)
    p2 = np.moveaxis(p, axis, -1).reshape(rows, d)
    if sample_weight is None:
        w = np.ones(rows)
    else:
        sw = _as_exact(sample_weight, dtype, "sample_weight")
        w = np.broadcast_to(sw.reshape(align_weights(sw.shape, loss_shape)), loss_shape).reshape(rows)
    return Call(dtype, reduction, axis, t.shape, loss_shape, t2, p2, np.array(w, dtype=np.float64))
