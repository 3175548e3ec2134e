"""Family ``random``: seeded random cases; dtype, rank, shape, axis, reduction and weight form all drawn."""

from __future__ import annotations

import random

from cosine_spec.spec.catalogue.build import RED_CLAUSE, Case, rand_array, weight, weight_forms
from cosine_spec.spec.exact import DTYPES
from cosine_spec.spec.shapes import REDUCTIONS

COUNT = 720


def cases() -> list[Case]:
    rng, out = random.Random(1010), []
    for k in range(COUNT):
        dt = DTYPES[k % 4]
        rank = rng.randint(1, 3)
        shape = tuple(rng.randint(1, 6) for _ in range(rank - 1)) + (rng.randint(1, 24),)
        axis = rng.randrange(-rank, rank) if rng.random() < 0.3 else -1
        red = REDUCTIONS[rng.randrange(4)]
        ax = axis % rank
        loss_shape = shape[:ax] + shape[ax + 1 :]
        wname, clause, wshape = rng.choice(weight_forms(loss_shape))
        sw = weight(rng, dt, wshape)
        emin, emax = rng.choice(((-2, 2), (-20, 20), (-1, 1)))
        out.append(
            Case(
                id=f"random-{k:04d}" + ("-wide" if emax == 20 else ""),
                family="random",
                clauses=["CS-VAL-1", RED_CLAUSE[red], clause],
                dtype=dt,
                y_true=rand_array(rng, dt, shape, emin, emax),
                y_pred=rand_array(rng, dt, shape, emin, emax),
                axis=axis,
                reduction=red,
                sample_weight=sw,
                note=f"seeded random: shape {shape}, axis {axis}, {red}, {wname} weights",
            )
        )
    return out
