"""Family ``contract``: sample weights of a wider dtype than the inputs (CS-SW-6, CS-API-4).

A weight is rounded once to the loss dtype (CS-SW-6). The golden files give these weights their own dtype
(FORMAT.md, format 2). The seed passes ``sample_weight=[0.8, 0.2]``: Python floats, so float64 values. A
weight beyond the dtype's range rounds to infinity (an implementation that multiplies in the weight's dtype
stays finite); a weight just below the overflow threshold of float16 rounds to the largest finite value,
but to infinity when it is rounded twice, through float32.
"""

from __future__ import annotations

import math

import numpy as np
from cosine_spec.spec.catalogue.build import RED_CLAUSE, Case, arr
from cosine_spec.spec.catalogue.seed import SEED_P, SEED_T
from cosine_spec.spec.exact import FORMATS

WIDE = {"float16": 1e5, "bfloat16": 5e38, "float32": 5e38}  # rounds to +inf in the dtype, finite in float64


def _threshold_minus(dt: str) -> float:
    """Just below the dtype's overflow threshold (max + half an ulp), closer than float32 can tell."""
    fmt = FORMATS[dt]
    threshold = math.ldexp(2.0 - 2.0**-fmt.p, fmt.emax)
    return threshold * (1 - 2.0**-40)


def cases() -> list[Case]:
    out = []
    for dt in ("float16", "bfloat16", "float32"):
        t, p = arr(SEED_T, dt), arr(SEED_P, dt)
        weights = {"seed-list": [0.8, 0.2], "beyond-range": [1.0, WIDE[dt]]}
        if dt != "float32":  # a cast through float32 rounds twice (TF's float16, torch's bfloat16, ml_dtypes < 0.7)
            weights["double-rounding"] = [1.0, _threshold_minus(dt)]
        for name, values in weights.items():
            for red in ("auto", "sum", "none"):
                out.append(
                    Case(
                        id=f"contract-{dt}-float64-weights-{name}-{red}",
                        family="contract",
                        clauses=["CS-SW-6", "CS-API-4", "CS-SW-3", RED_CLAUSE[red]],
                        dtype=dt,
                        y_true=t,
                        y_pred=p,
                        axis=1,
                        reduction=red,
                        sample_weight=np.array(values, np.float64),
                        note=f"float64 sample_weight {values} on the seed's {dt} inputs: rounded once to {dt}",
                    )
                )
        if dt == "float16":
            out.append(
                Case(
                    id="contract-float16-float32-weights",
                    family="contract",
                    clauses=["CS-SW-6", "CS-API-4"],
                    dtype=dt,
                    y_true=t,
                    y_pred=p,
                    axis=1,
                    reduction="sum",
                    sample_weight=np.array([0.8, 65519.0], np.float32),
                    note="float32 sample_weight on float16 inputs: 65519 rounds to 65504, not to infinity",
                )
            )
    return out
