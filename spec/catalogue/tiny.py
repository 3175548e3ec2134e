"""Family ``tiny``: squared norms around the 1e-12 clamp (CS-VAL-5), subnormal inputs and a float16 tie."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
from cosine_spec.spec.catalogue.build import RED_CLAUSE, Case, arr, rand_array, rand_value, rounded
from cosine_spec.spec.exact import DTYPES, FORMATS, round_fraction

RATIOS = [1e-4, 0.1, 0.5, 0.9, 0.99, 0.999, 1.001, 1.01, 1.1, 2.0, 10.0, 1e4]  # squared norm / 1e-12


def boundary_scalars(dt: str) -> list[tuple[str, float]]:
    """One-element vectors whose square lies just below and just above 1e-12 in ``dt``."""
    fmt, eps = FORMATS[dt], Fraction(1, 10**12)
    x = round_fraction(Fraction(1, 10**6), fmt)
    step = math.ldexp(1.0, max(math.frexp(x)[1] - fmt.p, fmt.emin - fmt.p + 1))  # ulp, subnormals too
    while Fraction(x) ** 2 >= eps:
        x -= step
    return [("just-below", x), ("just-above", x + step)]


def _tiny(scale2: float, dt: str, d: int, rng: random.Random) -> np.ndarray:
    """A vector of ``dt`` in a random direction whose squared norm is about ``scale2``."""
    direction = [rand_value(rng, "float64", 0, 0) for _ in range(d)]
    norm = math.sqrt(math.fsum(x * x for x in direction))
    return rounded([x / norm * math.sqrt(scale2) for x in direction], dt)


def cases() -> list[Case]:
    rng, out = random.Random(202), []
    for dt in DTYPES:
        for k, ratio in enumerate(RATIOS):
            for side in ("true", "pred", "both"):
                d = 1 + k % 4
                small = _tiny(ratio * 1e-12, dt, d, rng)
                big = rand_array(rng, dt, (d,))
                t = small if side in ("true", "both") else big
                p = small if side == "pred" else (_tiny(ratio * 1e-12, dt, d, rng) if side == "both" else big)
                red = ("none", "sum")[k % 2]
                out.append(
                    Case(
                        id=f"tiny-{dt}-r{k}-{side}",
                        family="tiny",
                        clauses=["CS-VAL-5", "CS-VAL-1", RED_CLAUSE[red]],
                        dtype=dt,
                        y_true=t[None],
                        y_pred=p[None],
                        reduction=red,
                        note=f"squared norm about {ratio:g} * 1e-12 on the {side} side",
                    )
                )
        for label, x in boundary_scalars(dt):
            for side in ("true", "pred"):
                one = arr([[x]], dt)
                other = rounded([[0.75]], dt)
                t, p = (one, other) if side == "true" else (other, one)
                out.append(
                    Case(
                        id=f"tiny-{dt}-{label}-{side}",
                        family="tiny",
                        clauses=["CS-VAL-5", "CS-GRAD-1"],
                        dtype=dt,
                        y_true=t,
                        y_pred=p,
                        reduction="sum",
                        note=f"x**2 {label.replace('-', ' ')} 1e-12: the clamp boundary",
                    )
                )
        sub = math.ldexp(1.0, FORMATS[dt].emin - 2)  # a subnormal of the dtype
        out.append(
            Case(
                id=f"tiny-{dt}-subnormal-input",
                family="tiny",
                clauses=["CS-VAL-5", "CS-NUM-1"],
                dtype=dt,
                y_true=arr([[sub, 0.0]], dt),
                y_pred=arr([[1.0, 0.0]], dt),
                reduction="none",
                note="a subnormal input is scaled by 1e6, not flushed to 0",
            )
        )
        for x, want in ((1e-7, "-0.1"), (5e-7, "-0.5")):
            out.append(
                Case(
                    id=f"tiny-{dt}-doc-{x:g}",
                    family="tiny",
                    clauses=["CS-VAL-5"],
                    dtype=dt,
                    y_true=rounded([[x, 0.0]], dt),
                    y_pred=arr([[1.0, 0.0]], dt),
                    reduction="none",
                    note=f"[{x:g}, 0] vs [1, 0] gives about {want}",
                )
            )
    out.append(_exact_tie())
    return out


def _exact_tie() -> Case:
    """A gradient that is an exact tie between two float16 values: it must round half to even (CS-NUM-1)."""
    return Case(
        id="tiny-float16-exact-tie",
        family="tiny",
        clauses=["CS-NUM-1", "CS-VAL-4", "CS-GRAD-1"],
        dtype="float16",
        y_true=arr(np.zeros((1, 5)), "float16"),
        y_pred=arr(np.ones((1, 5)), "float16"),
        axis=0,
        sample_weight=arr(0.25, "float16"),
        note="d/dy_true = -0.25 / 1e-6 / 5 = -50000 exactly, a float16 tie: rounds to -49984",
    )
