"""Family ``weight_values``: weights of every IEEE kind (CS-SW-6, CS-NAN-2, CS-NUM-1, CS-SW-5).

Negative, zero, NaN, infinite, subnormal and large weights, where the golden weights elsewhere are small
non-negative multiples of 1/16. Large weights make the weighted sum overflow the dtype while the exact
"sum_over_batch_size" result stays finite (with mixed signs chosen so that every product is <= 0, the sum
overflows whatever the order of summation) (CS-NUM-1: one rounding of the exact value). An infinite weight
times an exactly zero value (orthogonal vectors) is NaN, times any other value an infinity (CS-SW-6), even a
value that rounds to 0 in the dtype (the smallest subnormal against 4: |cos| about a quarter of it). That
case is built for float16 and bfloat16 only, where float32 holds the value: an implementation computing in
the input dtype has no wider hardware format for float32 and float64 inputs, so the golden data leaves that
corner of CS-SW-6 untested there rather than demand an exact fallback.
Last, weights that broadcast only by stretching the loss shape must raise ValueError (CS-SW-5).
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
from cosine_spec.spec.catalogue.build import RED_CLAUSE, Case, arr, rand_array
from cosine_spec.spec.exact import DTYPES, FORMATS


def _kinds(dt: str) -> dict[str, list[float]]:
    fmt = FORMATS[dt]
    tiny = math.ldexp(1.0, fmt.emin - fmt.p + 1)  # the smallest subnormal
    big = math.ldexp(1.0, fmt.emax)  # half of the overflow threshold, about
    return {  # the overflowing sums first: the fast tier keeps the first cases of each family and dtype
        "large-mixed-sign": [big, -big, big, big],
        "large": [big, big, big, big],
        "negative": [-1.5, 0.5, -0.25, 2.0],
        "zero": [0.0, 0.0, 0.0, 0.0],
        "nan": [math.nan, 1.0, 1.0, 1.0],
        "posinf": [math.inf, 1.0, 1.0, 1.0],
        "neginf": [1.0, -math.inf, 1.0, 1.0],
        "inf-on-zero-value": [1.0, 1.0, math.inf, 1.0],
        "inf-on-underflowing-value": [1.0, 1.0, 1.0, math.inf],
        "subnormal": [tiny, 3 * tiny, -tiny, math.ldexp(1.0, fmt.emin - 1)],
    }


def _inputs(rng: random.Random, dt: str) -> tuple[np.ndarray, np.ndarray]:
    """Four samples: identical (value -1), opposite (+1), orthogonal (exactly 0), random."""
    t = rand_array(rng, dt, (4, 3))
    p = t.copy()
    p[1] = -t[1]
    t[2], p[2] = arr([1.0, 0.0, 0.0], dt), arr([0.0, 2.0, 0.0], dt)
    p[3] = rand_array(rng, dt, (3,))
    return t, p


def cases() -> list[Case]:
    rng, out = random.Random(1101), []
    for dt in DTYPES:
        for kind, values in _kinds(dt).items():
            if kind == "inf-on-underflowing-value" and dt in ("float32", "float64"):  # see the module docstring
                continue
            for red in ("sum", "sum_over_batch_size", "none"):
                t, p = _inputs(rng, dt)
                if kind == "large-mixed-sign":  # every product w * v <= 0: the sum overflows in any order
                    dot = sum(Fraction(float(a)) * Fraction(float(b)) for a, b in zip(t[3], p[3], strict=True))
                    values = [*values[:3], values[3] * (1 if dot > 0 else -1)]  # v = -cos has the sign of -dot
                if kind == "inf-on-underflowing-value":  # |value| below half the smallest subnormal, not 0
                    t[3], p[3] = (
                        arr([1.0, 0.0, 0.0], dt),
                        arr([math.ldexp(1.0, FORMATS[dt].emin - FORMATS[dt].p + 1), 4.0, 0.0], dt),
                    )
                nan = any(math.isnan(v) for v in values) or kind == "inf-on-zero-value"
                out.append(
                    Case(
                        id=f"wval-{dt}-{kind}-{red}",
                        family="weight_values",
                        clauses=["CS-SW-6", "CS-SW-3", RED_CLAUSE[red]]
                        + (["CS-NAN-2"] if nan else [])
                        + (
                            ["CS-NUM-1"]
                            if kind.startswith("large") or kind in ("subnormal", "inf-on-underflowing-value")
                            else []
                        ),
                        dtype=dt,
                        y_true=t,
                        y_pred=p,
                        reduction=red,
                        sample_weight=arr(values, dt),
                        note=f"{kind} weights on values -1, +1, 0 and a random one, {red}",
                    )
                )
        out += _more(dt)
        for name, shape, wshape in (("stretch-batch", (1, 3), (2,)), ("stretch-inner", (1, 1, 3), (2, 1))):
            out.append(
                Case(
                    id=f"wval-{dt}-{name}",
                    family="weight_values",
                    clauses=["CS-SW-5", "CS-SW-4"],
                    dtype=dt,
                    y_true=rand_array(rng, dt, shape),
                    y_pred=rand_array(rng, dt, shape),
                    sample_weight=arr(np.ones(wshape), dt),
                    error="ValueError",
                    note=f"a weight of shape {wshape} would stretch the loss shape {shape[:-1]}: ValueError",
                )
            )
    return out


def _more(dt: str) -> list[Case]:
    """An infinite weight on a zero vector's exact 0 (NaN, CS-SW-6 with CS-VAL-4); a weight of shape (1,) on a
    rank-1 input, whose loss is 0-d (CS-SW-4: the trailing 1 is dropped); weights on an empty batch (CS-RED-3)."""
    rng, out = random.Random(1102 + DTYPES.index(dt)), []
    t, p = _inputs(rng, dt)
    t[2] = arr([0.0, 0.0, 0.0], dt)
    one = rand_array(rng, dt, (2, 3))
    specs = [
        ("inf-on-zero-vector", t, p, [1.0, 1.0, math.inf, 1.0], ["CS-SW-6", "CS-SW-3", "CS-VAL-4", "CS-NAN-2"]),
        ("rank1-weight1", one[0], one[1], [0.5], ["CS-SW-4", "CS-OUT-1"]),
        ("empty-weighted", np.zeros((0, 3), t.dtype), np.zeros((0, 3), t.dtype), [], ["CS-SW-3"]),
    ]
    for kind, yt, yp, w, clauses in specs:
        for red in ("sum", "sum_over_batch_size", "none"):
            out.append(
                Case(
                    id=f"wval-{dt}-{kind}-{red}",
                    family="weight_values",
                    clauses=[*clauses, RED_CLAUSE[red]],
                    dtype=dt,
                    y_true=yt,
                    y_pred=yp,
                    reduction=red,
                    sample_weight=arr(w, dt),
                    note=f"{kind} weights {w}, {red}",
                )
            )
    return out
