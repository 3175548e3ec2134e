"""Rounding float64 results once to the output dtype (CS-OUT-1), round-half-even, overflow to inf."""

import ml_dtypes
import numpy as np

_BF16 = np.dtype(ml_dtypes.bfloat16)


def round_to(x, dtype: np.dtype, out: np.ndarray | None = None) -> np.ndarray:
    """``x`` (float64) rounded to ``dtype`` (into ``out`` if given).

    numpy rounds float64 to float16/float32 directly. ml_dtypes rounds float64 to bfloat16 through
    float32, which can round twice; so go to float32 with round-to-odd first (truncate, set the last bit
    when inexact), after which the rounding to bfloat16 is exact-once.
    """
    x = np.asarray(x, np.float64)
    if out is None:
        out = np.empty(x.shape, dtype)
    with np.errstate(over="ignore"):
        if dtype != _BF16:
            np.copyto(out, x, casting="same_kind")
            return out
        near = x.astype(np.float32)
    wide = near.astype(np.float64)
    inexact = (wide != x) & np.isfinite(x)
    toward_zero = np.where(np.abs(wide) > np.abs(x), np.nextafter(near, np.float32(0)), near)
    odd = (toward_zero.view(np.uint32) | np.uint32(1)).view(np.float32)
    np.copyto(out, np.where(inexact, odd, near), casting="same_kind")
    return out
