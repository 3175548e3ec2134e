"""Family ``weights``: every reduction with every sample_weight form (CS-RED-1..4, CS-SW-1..4)."""

from __future__ import annotations

import random

from cosine_spec.spec.catalogue.build import RED_CLAUSE, Case, rand_array, weight, weight_forms
from cosine_spec.spec.exact import DTYPES
from cosine_spec.spec.shapes import REDUCTIONS

# input layouts: label -> (input shape, axis)
INPUT_SHAPES = {"b4": ((4, 3), -1), "b3x2": ((3, 2, 5), -1), "b2x2x2": ((2, 2, 2, 3), -1), "b3x2-axis1": ((3, 4, 2), 1)}


def cases() -> list[Case]:
    rng, out = random.Random(707), []
    for dt in DTYPES:
        reds = REDUCTIONS if dt in ("float32", "float64") else ("none", "sum_over_batch_size")
        for label, (shape, axis) in INPUT_SHAPES.items():
            loss_shape = shape[: axis % len(shape)] + shape[axis % len(shape) + 1 :]
            for wname, clause, wshape in weight_forms(loss_shape):
                for red in reds:
                    sw = weight(rng, dt, wshape)
                    out.append(
                        Case(
                            id=f"sw-{dt}-{label}-{wname}-{red}",
                            family="weights",
                            clauses=[clause, RED_CLAUSE[red]],
                            dtype=dt,
                            y_true=rand_array(rng, dt, shape),
                            y_pred=rand_array(rng, dt, shape),
                            axis=axis,
                            reduction=red,
                            sample_weight=sw,
                            note=f"{wname} weights on a loss of shape {loss_shape}, {red}",
                        )
                    )
    return out
