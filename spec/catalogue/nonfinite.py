"""Family ``nonfinite``: a NaN or an infinity in one sample gives NaN, weighted 0 or not (CS-NAN-1, CS-NAN-2)."""

from __future__ import annotations

import math
import random

from cosine_spec.spec.catalogue.build import RED_CLAUSE, Case, arr, rand_array
from cosine_spec.spec.exact import DTYPES

# name -> (the side that holds the value, the value)
BAD = {
    "nan-true": ("t", math.nan),
    "nan-pred": ("p", math.nan),
    "inf-true": ("t", math.inf),
    "neginf-pred": ("p", -math.inf),
}


def cases() -> list[Case]:
    rng, out = random.Random(808), []
    for dt in DTYPES:
        for name, (side, value) in BAD.items():
            for red in ("none", "sum", "sum_over_batch_size"):
                t, p = rand_array(rng, dt, (3, 4)), rand_array(rng, dt, (3, 4))
                (t if side == "t" else p)[1, 2] = value
                out.append(
                    Case(
                        id=f"nonfinite-{dt}-{name}-{red}",
                        family="nonfinite",
                        clauses=["CS-NAN-1", RED_CLAUSE[red]] + (["CS-NAN-2"] if red != "none" else []),
                        dtype=dt,
                        y_true=t,
                        y_pred=p,
                        reduction=red,
                        sample_weight=arr([1.0, 0.0, 1.0], dt) if red != "none" else None,
                        note=f"{name} in sample 1 (weight 0 when reduced): NaN",
                    )
                )
    return out
