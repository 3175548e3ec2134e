"""Family ``errors``: inputs the spec rejects; each must raise ValueError (CS-ERR-1, CS-ERR-2, CS-RED-6, CS-SW-5)."""

from __future__ import annotations

import random

from cosine_spec.spec.catalogue.build import Case, arr, rand_array, rand_weights


def cases() -> list[Case]:
    rng, out = random.Random(909), []
    for dt in ("float32", "float64", "float16", "bfloat16"):  # this order, not DTYPES': it fixes the draws

        def r(*shape, dt=dt):
            return rand_array(rng, dt, shape)

        def w(*shape, dt=dt):
            return rand_weights(rng, dt, shape)

        # (name, clauses, y_true, y_pred, the arguments that differ from the defaults); drawn in this order
        specs = [
            ("shape-transposed", ["CS-ERR-1", "CS-SHAPE-1"], r(2, 3), r(3, 2), {}),
            ("shape-length", ["CS-ERR-1", "CS-SHAPE-1"], r(2, 3), r(2, 4), {}),
            ("rank-mismatch", ["CS-ERR-1", "CS-SHAPE-1"], r(2), r(2, 1), {"note": "TF broadcasts this silently"}),
            ("rank-mismatch-rev", ["CS-ERR-1", "CS-SHAPE-1"], r(2, 1), r(2), {}),
            ("zero-d", ["CS-ERR-1", "CS-SHAPE-1"], arr(1.0, dt), arr(1.0, dt), {}),
            ("axis-too-big", ["CS-ERR-2"], r(2, 3), r(2, 3), {"axis": 2}),
            ("axis-too-small", ["CS-ERR-2"], r(2, 3), r(2, 3), {"axis": -3}),
            ("reduction-mean", ["CS-RED-6"], r(2, 3), r(2, 3), {"reduction": "mean"}),
            ("reduction-upper", ["CS-RED-6"], r(2, 3), r(2, 3), {"reduction": "SUM"}),
            ("reduction-empty", ["CS-RED-6"], r(2, 3), r(2, 3), {"reduction": ""}),
            ("sw-batch-wrong", ["CS-SW-5"], r(2, 3), r(2, 3), {"sw": w(3)}),
            ("sw-trailing-not-1", ["CS-SW-5"], r(2, 3), r(2, 3), {"sw": w(2, 3)}),
            ("sw-too-many-dims", ["CS-SW-5"], r(2, 3), r(2, 3), {"sw": w(2, 1, 1)}),
            ("sw-rank3-mismatch", ["CS-SW-5"], r(2, 3, 4), r(2, 3, 4), {"sw": w(2, 4)}),
        ]
        for name, clauses, t, p, kw in specs:
            out.append(
                Case(
                    id=f"error-{dt}-{name}",
                    family="errors",
                    clauses=clauses,
                    dtype=dt,
                    y_true=t,
                    y_pred=p,
                    axis=kw.get("axis", -1),
                    reduction=kw.get("reduction", "sum_over_batch_size"),
                    sample_weight=kw.get("sw"),
                    note=kw.get("note", f"{name}: must raise ValueError"),
                    error="ValueError",
                )
            )
    return out
