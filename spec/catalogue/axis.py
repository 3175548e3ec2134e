"""Family ``axis``: every axis of inputs of rank 1 to 4, negative and positive (CS-AX-1)."""

from __future__ import annotations

import random

from cosine_spec.spec.catalogue.build import RED_CLAUSE, Case, rand_array

SHAPES = {1: (5,), 2: (3, 4), 3: (2, 3, 4), 4: (2, 3, 2, 3)}


def cases() -> list[Case]:
    rng, out = random.Random(606), []
    for dt in ("float32", "float64", "float16", "bfloat16"):  # this order, not DTYPES': it fixes the draws
        for rank, shape in SHAPES.items():
            for axis in range(-rank, rank):
                for red in ("none", "sum_over_batch_size") if dt in ("float32", "float64") else ("none",):
                    out.append(
                        Case(
                            id=f"axis-{dt}-r{rank}-a{axis}-{red}",
                            family="axis",
                            clauses=["CS-AX-1", RED_CLAUSE[red]],
                            dtype=dt,
                            y_true=rand_array(rng, dt, shape),
                            y_pred=rand_array(rng, dt, shape),
                            axis=axis,
                            reduction=red,
                            note=f"rank {rank}, axis {axis}",
                        )
                    )
    return out
