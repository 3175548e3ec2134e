"""Family ``zero``: zero (and -0) vectors on either or both sides give 0 (CS-VAL-4, CS-VAL-5, CS-NUM-2)."""

from __future__ import annotations

import random

import numpy as np
from cosine_spec.spec.catalogue.build import RED_CLAUSE, Case, arr, rand_array
from cosine_spec.spec.exact import DTYPES


def cases() -> list[Case]:
    rng, out = random.Random(101), []
    for dt in DTYPES:
        for d in (1, 2, 5, 64):
            for red in ("none", "sum", "sum_over_batch_size"):
                r = rand_array(rng, dt, (2, d))
                z = np.zeros(d)
                negz = -np.zeros(d)
                out.append(
                    Case(
                        id=f"zero-{dt}-d{d}-{red}",
                        family="zero",
                        clauses=["CS-VAL-4", "CS-VAL-5", "CS-NUM-2", RED_CLAUSE[red]],
                        dtype=dt,
                        y_true=arr(np.stack([z, r[0], z, negz, r[1]]), dt),
                        y_pred=arr(np.stack([r[1], z, z, r[0], r[0]]), dt),
                        reduction=red,
                        note="zero (and -0) vectors on either or both sides give 0",
                    )
                )
    return out
