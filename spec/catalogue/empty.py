"""Family ``empty``: empty batches and vectors of length 0: every reduction gives 0 (CS-RED-3)."""

from __future__ import annotations

import numpy as np
from cosine_spec.spec.catalogue.build import RED_CLAUSE, Case, arr
from cosine_spec.spec.exact import DTYPES
from cosine_spec.spec.shapes import REDUCTIONS


def cases() -> list[Case]:
    out = []
    for dt in DTYPES:
        for shape, axis, what in (
            ((0, 3), -1, "empty batch"),
            ((3, 0), -1, "vectors of length 0"),
            ((2, 0, 3), -1, "empty loss of rank 2"),
            ((0,), 0, "one empty vector"),
        ):
            for red in REDUCTIONS:
                z = arr(np.zeros(shape), dt)
                tag = "x".join(map(str, shape))
                out.append(
                    Case(
                        id=f"empty-{dt}-{tag}-{red}",
                        family="empty",
                        clauses=["CS-RED-3", RED_CLAUSE[red]],
                        dtype=dt,
                        y_true=z,
                        y_pred=z.copy(),
                        axis=axis,
                        reduction=red,
                        note=f"{what}: sum and mean are 0",
                    )
                )
    return out
