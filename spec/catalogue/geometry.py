"""Family ``geometry``: parallel, antiparallel, orthogonal, near-orthogonal and identical pairs (CS-VAL-2, CS-VAL-3)."""

from __future__ import annotations

import random

import numpy as np
from cosine_spec.spec.catalogue.build import Case, arr, rand_array, rounded
from cosine_spec.spec.exact import DTYPES


def cases() -> list[Case]:
    rng, out = random.Random(404), []
    for dt in DTYPES:
        for d in (2, 3, 16, 100):
            out += _pairs(rng, dt, d)
        for k, d in enumerate((3, 7, 16, 64, 128, 256, 512, 1000)):
            t = rand_array(rng, dt, (4, d))
            out.append(
                Case(
                    id=f"geom-{dt}-identical-{k}",
                    family="geometry",
                    clauses=["CS-VAL-2", "CS-VAL-3"],
                    dtype=dt,
                    y_true=t,
                    y_pred=t.copy(),
                    reduction="none",
                    note="identical vectors: exactly -1, never below",
                )
            )
    return out


def _pairs(rng: random.Random, dt: str, d: int) -> list[Case]:
    """Four batches of vectors of length ``d``: scaled, negated, rotated pairwise, and rotated then nudged."""
    t = rand_array(rng, dt, (4, d))
    half = d // 2 * 2  # the rotation pairs entries (0, 1), (2, 3), ...; an odd last entry stays 0
    a, b = t[:, :half:2], t[:, 1:half:2]
    orth_t = np.zeros((4, d))
    orth_p = np.zeros((4, d))
    orth_t[:, :half:2], orth_t[:, 1:half:2] = a, b
    orth_p[:, :half:2], orth_p[:, 1:half:2] = -b.astype(np.float64), a
    nudge = orth_p.copy()
    nudge[:, -1] += np.where(nudge[:, -1] == 0, 2.0**-6, nudge[:, -1] * 2.0**-6)
    kinds = [
        (
            "parallel",
            ["CS-VAL-3", "CS-VAL-2"],
            t,
            arr(np.ldexp(t.astype(np.float64), 3), dt),
            "y_pred = 8 * y_true gives -1",
        ),
        ("antiparallel", ["CS-VAL-3", "CS-VAL-2"], t, arr(-t.astype(np.float64), dt), "y_pred = -y_true gives 1"),
        (
            "orthogonal",
            ["CS-VAL-3", "CS-NUM-2"],
            arr(orth_t, dt),
            arr(orth_p, dt),
            "pairs (a, b), (-b, a): exactly orthogonal",
        ),
        (
            "near-orthogonal",
            ["CS-VAL-3", "CS-VAL-1"],
            arr(orth_t, dt),
            rounded(nudge, dt),
            "orthogonal, one entry nudged",
        ),
    ]
    return [
        Case(
            id=f"geom-{dt}-d{d}-{name}",
            family="geometry",
            clauses=clauses,
            dtype=dt,
            y_true=yt,
            y_pred=yp,
            reduction="none",
            note=note,
        )
        for name, clauses, yt, yp, note in kinds
    ]
