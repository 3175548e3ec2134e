"""Family ``huge``: magnitudes near overflow and in the subnormal range (CS-VAL-6: scaling does not matter)."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
from cosine_spec.spec.catalogue.build import Case, arr, rand_array, rounded
from cosine_spec.spec.exact import DTYPES, FORMATS, round_fraction


def _scaled(x: np.ndarray, e: int, dt: str) -> np.ndarray:
    """x * 2**e rounded to ``dt`` exactly (the subnormal range loses bits: rounded once, here)."""
    fmt = FORMATS[dt]
    return arr([round_fraction(Fraction(v) * Fraction(2) ** e, fmt) for v in x.astype(np.float64).tolist()], dt)


def cases() -> list[Case]:
    rng, out = random.Random(303), []
    for dt in DTYPES:
        fmt = FORMATS[dt]
        big = math.ldexp(1.0, fmt.emax) * (2 - math.ldexp(1.0, 1 - fmt.p))  # the largest finite
        scales = [
            ("max", fmt.emax),
            ("half", fmt.emax - 1),
            ("sqrtmax", fmt.emax // 2 + 1),
            ("minnormal", fmt.emin),
            ("subnormal", fmt.emin - fmt.p + 3),
        ]
        for name, e in scales:
            base = rand_array(rng, dt, (3,), 0, 0)
            dirn = rand_array(rng, dt, (3,), 0, 0)
            for kind, t0, p0 in (("parallel", base, base), ("antiparallel", base, -base), ("random", base, dirn)):
                t = _scaled(t0, e - 1, dt)
                p = _scaled(p0, e - 1 - (1 if kind == "random" else 0), dt)
                out.append(
                    Case(
                        id=f"huge-{dt}-{name}-{kind}",
                        family="huge",
                        clauses=["CS-VAL-6", "CS-NUM-1"] + (["CS-VAL-3"] if kind != "random" else []),
                        dtype=dt,
                        y_true=t[None],
                        y_pred=p[None],
                        reduction="none",
                        note=f"magnitudes about 2**{e}: {kind}",
                    )
                )
        out.append(
            Case(
                id=f"huge-{dt}-largest",
                family="huge",
                clauses=["CS-VAL-6", "CS-VAL-3"],
                dtype=dt,
                y_true=arr([[big, big]], dt),
                y_pred=arr([[big, -big]], dt),
                reduction="none",
                note="the largest finite values: orthogonal",
            )
        )
    out += _mixed_rows()
    out.append(
        Case(
            id="huge-float32-1e20",
            family="huge",
            clauses=["CS-VAL-6", "CS-VAL-3"],
            dtype="float32",
            y_true=rounded([[1e20, 0.0]], "float32"),
            y_pred=rounded([[1e20, 0.0]], "float32"),
            reduction="none",
            note="squared norm beyond float32's range; the exact value is -1",
        )
    )
    return out


def _mixed_rows() -> list[Case]:
    """One batch whose rows lie at every scale of the dtype, largest to subnormal: each row is scaled on its
    own (one scale for the whole batch flushes the small rows to zero, CS-VAL-6)."""
    rng, out = random.Random(304), []
    for dt in DTYPES:
        fmt = FORMATS[dt]
        scales = (fmt.emax, fmt.emax // 2 + 1, 0, fmt.emin, fmt.emin - fmt.p + 3)
        rows = [(rand_array(rng, dt, (3,), 0, 0), rand_array(rng, dt, (3,), 0, 0)) for _ in scales]
        t = np.stack([_scaled(a, e - 1, dt) for (a, _), e in zip(rows, scales, strict=True)])
        p = np.stack([_scaled(b, e - 2, dt) for (_, b), e in zip(rows, scales, strict=True)])
        out.append(
            Case(
                id=f"huge-{dt}-mixed-rows",
                family="huge",
                clauses=["CS-VAL-6", "CS-NUM-1"],
                dtype=dt,
                y_true=t,
                y_pred=p,
                reduction="none",
                note="rows from the largest magnitudes to the subnormal range in one batch",
            )
        )
    return out
