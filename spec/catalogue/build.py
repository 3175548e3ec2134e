"""What every family module builds with: the case record and exact, seeded input values.

A case is only its inputs and the clauses it exercises; its expected result comes from the oracle
(``spec/golden_format.py`` records it). Every input value is built exactly (an integer mantissa times a
power of two, from ``random.Random``, whose integer stream Python keeps stable), so the catalogue is the
same on every machine and with every numpy version.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
from cosine_spec.spec.exact import FORMATS, round_to_dtype
from cosine_spec.spec.shapes import np_dtype

# The clause each reduction exercises (CS-RED-1..4).
RED_CLAUSE = {"none": "CS-RED-1", "sum": "CS-RED-2", "sum_over_batch_size": "CS-RED-3", "auto": "CS-RED-4"}


@dataclass(frozen=True, kw_only=True)
class Case:
    """One case of the catalogue; ``family`` names its module and its golden file."""

    id: str
    family: str
    clauses: list[str]
    dtype: str
    y_true: np.ndarray
    y_pred: np.ndarray
    axis: int = -1
    reduction: str = "sum_over_batch_size"
    sample_weight: np.ndarray | None = None
    note: str = ""
    error: str | None = None  # set by the catalogue only to document intent; the oracle decides


def arr(values, dtype: str, shape=None) -> np.ndarray:
    """An array of ``dtype`` from values that must already be exact in it (checked)."""
    a = np.array(values, dtype=np.float64)
    if shape is not None:
        a = a.reshape(shape)
    out = a.astype(np_dtype(dtype))
    back = out.astype(np.float64)
    if not np.array_equal(back, a, equal_nan=True):
        raise ValueError(f"catalogue value not exact in {dtype}: {a[back != a][:3]}")
    return out


def rounded(values, dtype: str, shape=None) -> np.ndarray:
    """Values rounded to ``dtype`` with the oracle's own exact rounding (no library rounding)."""
    a = round_to_dtype(np.array(values, dtype=np.float64), FORMATS[dtype])
    return arr(a, dtype, shape)


def rand_value(rng: random.Random, dtype: str, emin: int = -2, emax: int = 2) -> float:
    """A random value of ``dtype`` with exponent in [emin, emax]: sign * (1 + m / 2**(p-1)) * 2**e."""
    fmt = FORMATS[dtype]
    p = fmt.p
    m = (1 << (p - 1)) | rng.getrandbits(p - 1)
    e = rng.randint(max(emin, fmt.emin), min(emax, fmt.emax))  # normal numbers of the dtype
    return math.ldexp(m, e - (p - 1)) * (-1 if rng.getrandbits(1) else 1)


def rand_array(rng: random.Random, dtype: str, shape, emin: int = -2, emax: int = 2) -> np.ndarray:
    """An array of ``shape`` filled with :func:`rand_value`, in row-major order."""
    n = int(np.prod(shape, dtype=np.int64))
    return arr([rand_value(rng, dtype, emin, emax) for _ in range(n)], dtype, shape)


def rand_weights(rng: random.Random, dtype: str, shape) -> np.ndarray:
    """Non-negative weights of a few significant bits, exact in every dtype."""
    n = int(np.prod(shape, dtype=np.int64))
    return arr([rng.randint(0, 63) / 16 for _ in range(n)], dtype, shape)


def weight_forms(loss_shape: tuple[int, ...]) -> list[tuple[str, str, tuple[int, ...] | str | None]]:
    """The sample_weight forms a loss of ``loss_shape`` accepts (CS-SW-1..4), as (name, clause, form).

    ``form`` is the weight's shape, ``"zero"`` for the scalar 0, or None for no sample_weight.
    """
    if not loss_shape:
        return [("none", "CS-SW-1", None), ("scalar", "CS-SW-2", ())]
    b = loss_shape[0]
    forms: list[tuple[str, str, tuple[int, ...] | str | None]] = [
        ("none", "CS-SW-1", None),
        ("scalar", "CS-SW-2", ()),
        ("zero", "CS-SW-2", "zero"),
        ("batch", "CS-SW-3", (b,)),
        ("full", "CS-SW-4", loss_shape),
        ("trailing1", "CS-SW-4", loss_shape + (1,)),
    ]
    if len(loss_shape) >= 2:
        forms.append(("broadcast", "CS-SW-4", (1,) + loss_shape[1:]))
        forms.append(("leading", "CS-SW-4", loss_shape[:-1]))
    return forms


def weight(rng: random.Random, dtype: str, wshape: tuple[int, ...] | str | None) -> np.ndarray | None:
    """The sample_weight of a weight form: None, the scalar 0, or random weights of that shape."""
    if wshape is None:
        return None
    return arr(0.0, dtype) if wshape == "zero" else rand_weights(rng, dtype, wshape)
