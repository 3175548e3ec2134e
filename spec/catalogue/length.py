"""Family ``length``: random vectors of lengths 1 to 1024 (CS-VAL-1, CS-VAL-2, CS-NUM-1)."""

from __future__ import annotations

import random

from cosine_spec.spec.catalogue.build import Case, rand_array
from cosine_spec.spec.exact import DTYPES


def cases() -> list[Case]:
    rng, out = random.Random(505), []
    for dt in DTYPES:
        for d in (1, 2, 3, 4, 7, 16, 33, 64, 128, 255, 512, 1024):
            out.append(
                Case(
                    id=f"len-{dt}-d{d}",
                    family="length",
                    clauses=["CS-VAL-1", "CS-VAL-2", "CS-NUM-1"],
                    dtype=dt,
                    y_true=rand_array(rng, dt, (2, d)),
                    y_pred=rand_array(rng, dt, (2, d)),
                    reduction="none",
                    note=f"random vectors of length {d}",
                )
            )
    return out
