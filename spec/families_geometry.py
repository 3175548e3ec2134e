"""Families of directions and layouts: geometry (CS-VAL-2, CS-VAL-3), vector lengths, every axis (CS-AX-1)."""

from __future__ import annotations

import random

import numpy as np
from cosine_spec.spec.cases import RED_CLAUSE, Case, arr, rand_array
from cosine_spec.spec.exact import DTYPES
from cosine_spec.spec.families import rounded


def geometry() -> list[Case]:
    """Parallel, antiparallel, orthogonal, near-orthogonal and identical pairs (CS-VAL-2, CS-VAL-3)."""
    rng, out = random.Random(404), []
    for dt in DTYPES:
        for d in (2, 3, 16, 100):
            t = rand_array(rng, dt, (4, d))
            scaled = arr(np.ldexp(t.astype(np.float64), 3), dt)
            out.append(
                Case(
                    f"geom-{dt}-d{d}-parallel",
                    "geometry",
                    ["CS-VAL-3", "CS-VAL-2"],
                    dt,
                    t,
                    scaled,
                    -1,
                    "none",
                    note="y_pred = 8 * y_true gives -1",
                )
            )
            out.append(
                Case(
                    f"geom-{dt}-d{d}-antiparallel",
                    "geometry",
                    ["CS-VAL-3", "CS-VAL-2"],
                    dt,
                    t,
                    arr(-t.astype(np.float64), dt),
                    -1,
                    "none",
                    note="y_pred = -y_true gives 1",
                )
            )
            a, b = t[:, : d // 2 * 2 : 2], t[:, 1 : d // 2 * 2 : 2]
            orth_t = np.zeros((4, d))
            orth_p = np.zeros((4, d))
            orth_t[:, : d // 2 * 2 : 2], orth_t[:, 1 : d // 2 * 2 : 2] = a, b
            orth_p[:, : d // 2 * 2 : 2], orth_p[:, 1 : d // 2 * 2 : 2] = -b.astype(np.float64), a
            out.append(
                Case(
                    f"geom-{dt}-d{d}-orthogonal",
                    "geometry",
                    ["CS-VAL-3", "CS-NUM-2"],
                    dt,
                    arr(orth_t, dt),
                    arr(orth_p, dt),
                    -1,
                    "none",
                    note="pairs (a, b), (-b, a): exactly orthogonal",
                )
            )
            nudge = orth_p.copy()
            nudge[:, -1] += np.where(nudge[:, -1] == 0, 2.0**-6, nudge[:, -1] * 2.0**-6)
            out.append(
                Case(
                    f"geom-{dt}-d{d}-near-orthogonal",
                    "geometry",
                    ["CS-VAL-3", "CS-VAL-1"],
                    dt,
                    arr(orth_t, dt),
                    rounded(nudge, dt),
                    -1,
                    "none",
                    note="orthogonal, one entry nudged",
                )
            )
        for k in range(8):
            d = (3, 7, 16, 64, 128, 256, 512, 1000)[k]
            t = rand_array(rng, dt, (4, d))
            out.append(
                Case(
                    f"geom-{dt}-identical-{k}",
                    "geometry",
                    ["CS-VAL-2", "CS-VAL-3"],
                    dt,
                    t,
                    t.copy(),
                    -1,
                    "none",
                    note="identical vectors: exactly -1, never below",
                )
            )
    return out


def lengths() -> list[Case]:
    rng, out = random.Random(505), []
    for dt in DTYPES:
        for d in (1, 2, 3, 4, 7, 16, 33, 64, 128, 255, 512, 1024):
            out.append(
                Case(
                    f"len-{dt}-d{d}",
                    "length",
                    ["CS-VAL-1", "CS-VAL-2", "CS-NUM-1"],
                    dt,
                    rand_array(rng, dt, (2, d)),
                    rand_array(rng, dt, (2, d)),
                    -1,
                    "none",
                    note=f"random vectors of length {d}",
                )
            )
    return out


def axes() -> list[Case]:
    rng, out = random.Random(606), []
    shapes = {1: (5,), 2: (3, 4), 3: (2, 3, 4), 4: (2, 3, 2, 3)}
    for dt in ("float32", "float64", "float16", "bfloat16"):
        for rank, shape in shapes.items():
            for axis in range(-rank, rank):
                for red in ("none", "sum_over_batch_size") if dt in ("float32", "float64") else ("none",):
                    out.append(
                        Case(
                            f"axis-{dt}-r{rank}-a{axis}-{red}",
                            "axis",
                            ["CS-AX-1", RED_CLAUSE[red]],
                            dt,
                            rand_array(rng, dt, shape),
                            rand_array(rng, dt, shape),
                            axis,
                            red,
                            note=f"rank {rank}, axis {axis}",
                        )
                    )
    return out
