"""Family ``regressions``: inputs on which an earlier oracle printed wrong digits or gave up.

Each case pins one proven behaviour of ``spec/oracle.py`` in the golden data: a weighted sum whose
irrational parts cancel exactly (its 40-digit string is "0"), one that nearly cancels (the digits must
come from an enclosure narrow relative to the result, not to the terms), and an exact tie whose
irrational parts cancel (it must round half to even instead of refining forever).
"""

from __future__ import annotations

import numpy as np
from cosine_spec.spec.catalogue.build import Case, arr
from cosine_spec.spec.exact import DTYPES

T_CANCEL, P_CANCEL = [[1.0, 1.0], [3.0, 3.0]], [[1.0, 2.0], [-1.0, -2.0]]  # -3/sqrt(10) + 9/sqrt(90) = 0


def cases() -> list[Case]:
    out = []
    for dt in DTYPES:
        out.append(
            Case(
                id=f"regress-cancel-to-zero-{dt}",
                family="regressions",
                clauses=["CS-RED-2", "CS-VAL-1"],
                dtype=dt,
                y_true=arr(T_CANCEL, dt),
                y_pred=arr(P_CANCEL, dt),
                reduction="sum",
                note="-3/sqrt(10) + 9/sqrt(90) is exactly 0: the exact string is 0, not enclosure noise",
            )
        )
    last = float(np.nextafter(2.0, 3.0))
    out.append(
        Case(
            id="regress-near-cancel-float64",
            family="regressions",
            clauses=["CS-RED-2", "CS-VAL-1"],
            dtype="float64",
            y_true=arr(T_CANCEL, "float64"),
            y_pred=arr([[1.0, 2.0], [-1.0, -last]], "float64"),
            reduction="sum",
            note="a sum that cancels to about -2.8e-17: all 40 digits are digits of the result",
        )
    )
    out.append(
        Case(
            id="regress-tie-irrational-cancel-float16",
            family="regressions",
            clauses=["CS-RED-2", "CS-SW-3", "CS-VAL-1"],
            dtype="float16",
            y_true=arr([[1, 0, 0], [1, 0, 0], [1, 1, 0], [3, 3, 0]], "float16"),
            y_pred=arr([[1, 0, 0], [1, 0, 0], [1, 2, 0], [-1, -2, 0]], "float16"),
            sample_weight=arr([1.0, 2.0**-11, 1.0, 1.0], "float16"),
            reduction="sum",
            note="exactly -(1 + 2**-11) once the irrational parts cancel: a float16 tie, rounds to -1",
        )
    )
    return out
