"""Weighting and reducing the per-sample values (CS-VAL-2, CS-SW-1, CS-RED-1 .. CS-RED-4).

Inputs are the unclipped cosines as double-doubles; the per-sample value is ``-c`` clipped to [-1, 1]
(CS-VAL-2, judged exactly). Weighted values and their sum are formed in double-double with the weights
scaled by powers of two, so the result is rounded to the dtype once.
"""

import numpy as np

from ..reference import Reduction, round_to
from . import double_double as dd


def per_sample(c_hi, c_lo):
    """``-clip(c, -1, 1)`` as a double-double (CS-VAL-1, CS-VAL-2)."""
    above = (c_hi > 1) | ((c_hi == 1) & (c_lo > 0))
    below = (c_hi < -1) | ((c_hi == -1) & (c_lo < 0))
    v_hi = -np.where(above, 1.0, np.where(below, -1.0, c_hi))
    v_lo = -np.where(above | below, 0.0, c_lo)
    return v_hi, v_lo


def _weighted(w, v_hi, v_lo):
    """``w * v`` per element as a double-double, for weights already scaled below 2**995."""
    p, e = dd.two_prod(w, v_hi)
    return p, np.where(np.isfinite(p), e + w * v_lo, 0.0)


def reduce(c_hi, c_lo, w, reduction: Reduction, dtype: np.dtype) -> np.ndarray:
    """The loss of ``reduction`` from cosines ``c`` (flat) and weights ``w`` (float64, same size)."""
    if dtype != np.float64:  # float64 products and numpy's pairwise sum err far below half a narrow ulp
        with np.errstate(all="ignore"):
            weighted = w * -np.clip(c_hi, -1.0, 1.0)
            if reduction is Reduction.NONE:
                return round_to(weighted, dtype)
            total = np.sum(weighted) if reduction is Reduction.SUM else np.sum(weighted) / max(w.size, 1)
            return round_to(total, dtype)
    v_hi, v_lo = per_sample(c_hi, c_lo)
    with np.errstate(all="ignore"):
        if reduction is Reduction.NONE:  # CS-RED-1: elementwise, each weight scaled on its own
            m, k = np.frexp(w)
            m = np.where(np.isfinite(w), m, w)
            p, e = _weighted(m, v_hi, v_lo)
            return round_to(np.ldexp(np.where(e == 0, p, p + e), k), dtype)  # keeps the sign of -0
        if w.size == 0:  # CS-RED-3: an empty batch gives 0 (and so does SUM)
            return round_to(np.float64(0.0), dtype)
        finite = np.abs(w)[np.isfinite(w)]
        scale = np.frexp(finite.max())[1] if finite.size else 0
        p, e = _weighted(np.ldexp(w, -scale), v_hi, v_lo)
        if not np.isfinite(p).all():  # inf or NaN: the plain sum has the right inf or NaN
            return round_to(np.sum(p), dtype)
        hi, lo = dd.sum2(p)
        hi, lo = dd.fast_two_sum(hi, lo + e.sum())
        if reduction is not Reduction.SUM:  # CS-RED-3, CS-RED-4: divide by N while still scaled, so a
            # mean near the float64 range neither overflows early (sum > max) nor breaks the split
            hi, lo = dd.dd_div((hi, lo), (np.float64(w.size), np.float64(0.0)))
        hi, lo = np.ldexp(hi, scale), np.ldexp(lo, scale)
        return round_to(hi + lo, dtype)
