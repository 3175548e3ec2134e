"""Family ``seed``: the four examples of the documented page (CS-EX-1..4) and the defaults, in every dtype."""

from __future__ import annotations

from cosine_spec.spec.catalogue.build import Case, arr, rounded
from cosine_spec.spec.exact import DTYPES

SEED_T, SEED_P = [[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]


def cases() -> list[Case]:
    out = []
    for dt in DTYPES:
        t, p = arr(SEED_T, dt), arr(SEED_P, dt)
        sfx = "" if dt == "float32" else f"-{dt}"
        out += [
            Case(
                id=f"seed-ex1-auto{sfx}",
                family="seed",
                clauses=["CS-EX-1", "CS-RED-4", "CS-VAL-1"],
                dtype=dt,
                y_true=t,
                y_pred=p,
                axis=1,
                reduction="auto",
                note="seed example 1: auto reduction gives -0.5",
            ),
            Case(
                id=f"seed-ex2-weights{sfx}",
                family="seed",
                clauses=["CS-EX-2", "CS-SW-3", "CS-SW-6"],
                dtype=dt,
                y_true=t,
                y_pred=p,
                axis=1,
                reduction="auto",
                sample_weight=rounded([0.8, 0.2], dt),
                note="seed example 2: sample_weight [0.8, 0.2] gives -0.1",
            ),
            Case(
                id=f"seed-ex3-sum{sfx}",
                family="seed",
                clauses=["CS-EX-3", "CS-RED-2"],
                dtype=dt,
                y_true=t,
                y_pred=p,
                axis=1,
                reduction="sum",
                note="seed example 3: sum reduction gives -1",
            ),
            Case(
                id=f"seed-ex4-none{sfx}",
                family="seed",
                clauses=["CS-EX-4", "CS-RED-1"],
                dtype=dt,
                y_true=t,
                y_pred=p,
                axis=1,
                reduction="none",
                note="seed example 4: none reduction gives [0, -1]",
            ),
            Case(
                id=f"seed-defaults{sfx}",
                family="seed",
                clauses=["CS-API-1", "CS-API-2", "CS-AX-1", "CS-SHAPE-1"],
                dtype=dt,
                y_true=t,
                y_pred=p,
                note="the defaults axis=-1 and auto: here the same as axis=1",
            ),
        ]
    return out
