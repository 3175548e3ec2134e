"""Family ``nonfinite_zero``: NaN and infinities against a zero vector give NaN (CS-NAN-1 over CS-VAL-4).

CS-VAL-4 gives 0 for a zero vector "as long as the other side is finite"; a NaN or an infinity on the other
side makes the value NaN. An implementation that tests for the zero vector first returns 0 and fails.
"""

from __future__ import annotations

import math

from cosine_spec.spec.catalogue.build import RED_CLAUSE, Case, arr
from cosine_spec.spec.exact import DTYPES

OTHERS = {
    "nan": [math.nan, 1.0, 0.0],
    "posinf": [math.inf, 0.0, 0.0],
    "neginf": [0.0, -math.inf, 2.0],
    "inf-nan": [math.inf, math.nan, 1.0],
}


def cases() -> list[Case]:
    out = []
    for dt in DTYPES:
        zero = arr([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]], dt)
        for name, values in OTHERS.items():
            other = arr([values, [0.0, 1.0, 0.0]], dt)
            for side in ("true", "pred"):
                t, p = (zero, other) if side == "true" else (other, zero)
                for red in ("none", "sum"):
                    out.append(
                        Case(
                            id=f"nfzero-{dt}-{name}-zero-{side}-{red}",
                            family="nonfinite_zero",
                            clauses=["CS-NAN-1", "CS-VAL-4", RED_CLAUSE[red]] + (["CS-NAN-2"] if red != "none" else []),
                            dtype=dt,
                            y_true=t,
                            y_pred=p,
                            reduction=red,
                            note=f"{name} against a zero y_{side} in sample 0: NaN, not 0",
                        )
                    )
    return out
