"""Reading and checking the arguments: dtypes (CS-OUT-1), shapes (CS-API-2, CS-ERR-1), axis (CS-AX-1,
CS-ERR-2) and sample weights (CS-SW-1 .. CS-SW-5).

Decisions of this implementation (the spec leaves them to it):
- y_true and y_pred that are arrays (anything with a ``dtype``) must have the same dtype, one of
  float16, bfloat16 (ml_dtypes), float32, float64. Integer, bool, complex and other arrays are rejected:
  cast them first, e.g. ``y.astype(np.float32)``.
- Python data (numbers, nested lists, tuples) are read as real numbers and rounded to the dtype of the
  other argument when that one is an array, else to float32 (as TensorFlow does).
- sample_weight may be Python data or any real array (integer or floating); its values are rounded to
  the loss dtype before use.
"""

import operator

import ml_dtypes
import numpy as np

from .errors import CosineSimilarityError
from .rounding import round_to

FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16), np.dtype(np.float32), np.dtype(np.float64))
_ALLOWED = "float16, bfloat16 (ml_dtypes.bfloat16), float32 or float64"


def _python_data(x, name: str, dtype: np.dtype) -> np.ndarray:
    try:
        a = np.asarray(x)
    except ValueError as exc:  # ragged nested lists
        raise CosineSimilarityError(f"Got {name} that is not a rectangular array of numbers ({exc}).") from None
    if a.dtype.kind not in "iuf":
        raise CosineSimilarityError(
            f"Got {name} holding {a.dtype} data ({_short(x)}), but it must hold real numbers; "
            f"pass a float array of dtype {_ALLOWED}."
        )
    return round_to(a.astype(np.float64), dtype)


def _short(x) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_dtype(a: np.ndarray, name: str) -> None:
    if a.dtype not in FLOAT_DTYPES:
        raise CosineSimilarityError(
            f"Got {name} of dtype {a.dtype}, but the dtype must be {_ALLOWED}; "
            f"cast it to a float dtype first, e.g. {name}.astype(np.float32)."
        )


def read_inputs(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs as arrays of one float dtype and one shape of rank >= 1 (CS-API-2, CS-ERR-1, CS-OUT-1)."""
    t_arr, p_arr = hasattr(y_true, "dtype"), hasattr(y_pred, "dtype")
    t = np.asarray(y_true) if t_arr else None
    p = np.asarray(y_pred) if p_arr else None
    if t is not None:
        _check_dtype(t, "y_true")
    if p is not None:
        _check_dtype(p, "y_pred")
    if t is not None and p is not None and t.dtype != p.dtype:
        raise CosineSimilarityError(
            f"Got y_true of dtype {t.dtype} and y_pred of dtype {p.dtype}, but both must have the same dtype; "
            f"cast one of them, e.g. y_true.astype(y_pred.dtype)."
        )
    dtype = t.dtype if t is not None else p.dtype if p is not None else np.dtype(np.float32)
    if t is None:
        t = _python_data(y_true, "y_true", dtype)
    if p is None:
        p = _python_data(y_pred, "y_pred", dtype)
    if t.shape != p.shape:
        raise CosineSimilarityError(
            f"Got y_true of shape {t.shape} and y_pred of shape {p.shape}, but both must have the same shape "
            "[batch, d0, .., dN]; they are not broadcast. Reshape one of them (e.g. y.reshape(other.shape))."
        )
    if t.ndim == 0:
        raise CosineSimilarityError(
            "Got y_true and y_pred of shape () (scalars), but they must have rank >= 1: the loss is taken "
            "along an axis. Pass vectors, e.g. np.atleast_1d(y)."
        )
    return t, p


def integer_axis(axis) -> int:
    """``axis`` as a Python int; anything but an integer (bool included) raises."""
    try:
        if isinstance(axis, (bool, np.bool_)):
            raise TypeError
        return operator.index(axis)
    except TypeError:
        raise CosineSimilarityError(f"Got axis={axis!r}, but axis must be an integer, e.g. axis=-1.") from None


def read_axis(axis, ndim: int) -> int:
    """The axis as a non-negative index into a shape of rank ``ndim`` (CS-AX-1, CS-ERR-2)."""
    a = integer_axis(axis)
    if not -ndim <= a < ndim:
        raise CosineSimilarityError(
            f"Got axis={a} for inputs of rank {ndim}, but axis must lie in [{-ndim}, {ndim - 1}] "
            "(negative values count from the end)."
        )
    return a % ndim


def read_sample_weight(sample_weight, loss_shape: tuple, dtype: np.dtype) -> np.ndarray:
    """Weights rounded to ``dtype`` and broadcast to ``loss_shape`` (CS-SW-1 .. CS-SW-5).

    None means 1; a scalar scales every loss; a trailing size-1 dim beyond the loss rank is dropped; a
    lower rank is aligned with the LEADING axes (``[batch]`` scales each sample); then the weights must
    broadcast to the loss shape without changing it.
    """
    if sample_weight is None:
        return np.ones(loss_shape, dtype)
    try:
        w = np.asarray(sample_weight)
    except ValueError as exc:
        raise CosineSimilarityError(f"Got sample_weight that is not a rectangular array ({exc}).") from None
    if w.dtype.kind not in "iuf" and w.dtype not in FLOAT_DTYPES:
        raise CosineSimilarityError(
            f"Got sample_weight of dtype {w.dtype}, but it must hold real numbers (integer or float)."
        )
    w = round_to(w.astype(np.float64), dtype)  # CS-SW-6; integers up to 2**53 are exact in float64
    shape, rank = w.shape, len(loss_shape)
    if w.ndim == rank + 1 and shape[-1] == 1:
        w = w.reshape(shape[:-1])
    elif 1 <= w.ndim < rank:
        w = w.reshape(shape + (1,) * (rank - w.ndim))
    try:
        fits = np.broadcast_shapes(w.shape, loss_shape) == tuple(loss_shape)
    except ValueError:
        fits = False
    if not fits:
        raise CosineSimilarityError(
            f"Got sample_weight of shape {shape} for losses of shape {tuple(loss_shape)}; allowed: a scalar, "
            "[batch], the loss shape, or a shape that broadcasts to it (optionally with a trailing 1)."
        )
    return np.broadcast_to(w, loss_shape)
