"""The case catalogue: named families that cover every clause, plus seeded random ones.

A case is only its inputs and the clauses it exercises; its expected result comes from the oracle
(``spec/golden.py``). Every input value is built exactly (an integer mantissa times a power of two,
from ``random.Random``, whose integer stream Python keeps stable), so the catalogue is the same on
every machine and with every numpy version.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np
from cosine_spec.spec.exact import DTYPES, FORMATS
from cosine_spec.spec.shapes import np_dtype

REDUCTIONS = ("auto", "none", "sum", "sum_over_batch_size")
RED_CLAUSE = {"none": "CS-RED-1", "sum": "CS-RED-2", "sum_over_batch_size": "CS-RED-3", "auto": "CS-RED-4"}


@dataclass
class Case:
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
    extra: dict = field(default_factory=dict)


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


def rand_value(rng: random.Random, dtype: str, emin: int = -2, emax: int = 2) -> float:
    """A random value of ``dtype`` with exponent in [emin, emax]: sign * (1 + m / 2**(p-1)) * 2**e."""
    fmt = FORMATS[dtype]
    p = fmt.p
    m = (1 << (p - 1)) | rng.getrandbits(p - 1)
    e = rng.randint(max(emin, fmt.emin), min(emax, fmt.emax))  # normal numbers of the dtype
    return math.ldexp(m, e - (p - 1)) * (-1 if rng.getrandbits(1) else 1)


def rand_array(rng: random.Random, dtype: str, shape, emin: int = -2, emax: int = 2) -> np.ndarray:
    n = int(np.prod(shape, dtype=np.int64))
    return arr([rand_value(rng, dtype, emin, emax) for _ in range(n)], dtype, shape)


def rand_weights(rng: random.Random, dtype: str, shape) -> np.ndarray:
    """Non-negative weights of a few significant bits, exact in every dtype."""
    n = int(np.prod(shape, dtype=np.int64))
    return arr([rng.randint(0, 63) / 16 for _ in range(n)], dtype, shape)


def tiny_vector(scale2: float, dtype: str, d: int, rng: random.Random) -> np.ndarray:
    """A vector of ``dtype`` whose squared norm is close to ``scale2`` (a random direction)."""
    direction = [rand_value(rng, "float64", 0, 0) for _ in range(d)]
    norm = math.sqrt(sum(x * x for x in direction))
    target = math.sqrt(scale2)
    values = np.array([x / norm * target for x in direction]).astype(np_dtype(dtype)).astype(np.float64)
    return values.astype(np_dtype(dtype))


def squared_norm(x: np.ndarray) -> float:
    return math.fsum(v * v for v in x.astype(np.float64).ravel().tolist())


def catalogue() -> list[Case]:
    """Every case, in a fixed order. Family modules register in ``spec/families``."""
    from cosine_spec.spec import families

    cases = families.all_cases()
    seen: set[str] = set()
    for c in cases:
        if c.id in seen:
            raise ValueError(f"duplicate case id {c.id}")
        seen.add(c.id)
        if c.dtype not in DTYPES:
            raise ValueError(f"case {c.id}: dtype {c.dtype}")
    return cases
