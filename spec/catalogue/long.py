"""Family ``long``: long (d >= 1000) vectors that are nearly, not exactly, parallel or opposite (CS-VAL-1).

Exactly parallel vectors hide accumulation error: the dot product and the squared norms are then the same
sums, rounded alike, and their errors cancel in the quotient. Here ``p_i = t_i * (1 + delta_i)`` with random
signs of ``delta``, so |cos| is near 1 but the sums differ: an implementation that accumulates 1000 terms in a
16-bit type (or with a 16-bit accumulator) is off by far more than the rounding of the result.
"""

from __future__ import annotations

import random

from cosine_spec.spec.catalogue.build import RED_CLAUSE, Case, rand_array, rounded
from cosine_spec.spec.exact import DTYPES


def cases() -> list[Case]:
    rng, out = random.Random(1303), []
    for dt in DTYPES:
        for d in (1000,):
            for k, delta in enumerate((2.0**-3, 2.0**-7)):
                red = ("none", "sum")[k]
                t = rand_array(rng, dt, (2, d))
                factors = [[1 + delta * rng.choice((-1, 1)) for _ in range(d)] for _ in range(2)]
                p = rounded(
                    [
                        [s * x * f for x, f in zip(row, fs, strict=True)]
                        for s, row, fs in zip((1, -1), t.astype(float).tolist(), factors, strict=True)
                    ],
                    dt,
                )
                out.append(
                    Case(
                        id=f"long-{dt}-d{d}-delta{k}",
                        family="long",
                        clauses=["CS-VAL-1", "CS-VAL-3", "CS-NUM-1", RED_CLAUSE[red]],
                        dtype=dt,
                        y_true=t,
                        y_pred=p,
                        reduction=red,
                        note=f"length {d}: sample 0 nearly parallel, sample 1 nearly opposite (relative spread "
                        f"{delta:g})",
                    )
                )
    return out
