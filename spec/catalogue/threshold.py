"""Family ``threshold``: squared norms in the bands between 1e-12 and its image in each floating type.

The epsilon is the real 1e-12 (CS-NUM-1). An implementation that takes it as ``np.float32(1e-12)`` (below the
real number) or ``bfloat16`` clamps a different set of vectors. For float32 and float64 inputs, each case puts
a squared norm ``S`` between ``r = dtype(1e-12)`` and 1e-12 ("between": the spec and the rounded threshold
disagree) or just beyond ``r`` on its other side ("beyond": they agree again), for each rounding ``dtype``.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
from cosine_spec.spec.catalogue.build import Case, arr, rand_array
from cosine_spec.spec.exact import FORMATS, round_fraction
from cosine_spec.spec.shapes import np_dtype

EPS = Fraction(1, 10**12)


def _below_root(q: Fraction, dt: str) -> float:
    """The largest value x of ``dt`` with x**2 <= q (q > 0)."""
    t = np_dtype(dt).type
    x = t(math.sqrt(float(q)))
    while Fraction(float(x)) ** 2 > q:
        x = np.nextafter(x, t(0))
    while Fraction(float(np.nextafter(x, t(1)))) ** 2 <= q:
        x = np.nextafter(x, t(1))
    return float(x)


def vector_with_norm2_in(lo: Fraction, hi: Fraction, dt: str) -> list[float]:
    """Three values of ``dt`` whose exact sum of squares lies in [lo, hi) (near its middle)."""
    rest, out = (lo + hi) / 2, []
    for _ in range(3):
        x = _below_root(rest, dt) if rest > 0 else 0.0
        out.append(x)
        rest -= Fraction(x) ** 2
    s = sum(Fraction(x) ** 2 for x in out)
    if not lo <= s < hi:
        raise ValueError(f"no {dt} vector with squared norm in [{float(lo)!r}, {float(hi)!r})")
    return out


def cases() -> list[Case]:
    rng, out = random.Random(1202), []
    for dt in ("float32", "float64"):
        for k, r_dt in enumerate(("bfloat16", "float32", "float64")):
            r = Fraction(round_fraction(EPS, FORMATS[r_dt]))
            for band in ("between", "beyond"):
                lo, hi = sorted((r, EPS)) if band == "between" else sorted((r, r + (r - EPS)))
                tiny = arr([vector_with_norm2_in(lo, hi, dt)], dt)
                other = rand_array(rng, dt, (1, 3))
                side = ("true", "pred")[k % 2]
                t, p = (tiny, other) if side == "true" else (other, tiny)
                out.append(
                    Case(
                        id=f"threshold-{dt}-{r_dt}-{band}",
                        family="threshold",
                        clauses=["CS-VAL-5", "CS-NUM-1"],
                        dtype=dt,
                        y_true=t,
                        y_pred=p,
                        reduction="none",
                        note=f"y_{side} has a squared norm {band} {r_dt}(1e-12) = {float(r)!r} and the real 1e-12",
                    )
                )
    return out
