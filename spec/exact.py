"""Exact arithmetic for the oracle: float formats, correct rounding of rationals, exact dot products.

Every float of the four dtypes is a dyadic rational ``m * 2**e``. Sums of products of such numbers are
computed exactly with integers (numpy int64 limbs that cannot overflow, then Python ints); the only
real-number approximation the oracle makes is a square root, enclosed between two rationals
(``spec/oracle.py``). Nothing here rounds a value except :func:`round_fraction`, which rounds once,
half to even, as IEEE 754 does. Decomposing a float into its integer mantissa and exponent
(``np.frexp``) and converting between float widths are exact operations, so results do not depend on
the machine or the numpy version.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

# The rational type. gmpy2's mpq (GMP in C) is the fast path; fractions.Fraction is the exact fallback
# (set COSINE_SPEC_PURE_PYTHON=1, or run without gmpy2). Both are exact, so results are identical
# bit for bit; tests/test_golden.py checks that on a slice of the catalogue.
Rational: type = Fraction
isqrt = math.isqrt
if os.environ.get("COSINE_SPEC_PURE_PYTHON") != "1":
    try:
        from gmpy2 import isqrt  # noqa: F401, F811 - re-exported for the oracle
        from gmpy2 import mpq as Rational
    except ImportError:  # pragma: no cover - gmpy2 is a declared dependency; this is the fallback
        pass
BACKEND = "fractions" if Rational is Fraction else "gmpy2"


@dataclass(frozen=True)
class Format:
    """An IEEE-style binary format: ``p`` significand bits (with the hidden bit), exponent range."""

    name: str
    p: int
    emin: int
    emax: int


FORMATS = {
    "float16": Format("float16", 11, -14, 15),
    "bfloat16": Format("bfloat16", 8, -126, 127),
    "float32": Format("float32", 24, -126, 127),
    "float64": Format("float64", 53, -1022, 1023),
}
DTYPES = tuple(FORMATS)


def floor_log2(q: Fraction) -> int:
    """The integer e with 2**e <= q < 2**(e+1), for q > 0."""
    n, d = q.numerator, q.denominator
    e = n.bit_length() - d.bit_length()
    if (n << max(0, -e)) < (d << max(0, e)):
        e -= 1
    return e


def round_fraction(q: Fraction, fmt: Format) -> float:
    """Round the exact rational ``q`` to ``fmt`` (half to even, overflow to infinity), as a Python float.

    The result is exactly representable in ``fmt`` and hence in float64, so returning a Python float
    loses nothing. Zero is returned as +0.0 (the spec does not distinguish signed zeros).
    """
    if q == 0:
        return 0.0
    negative = q < 0
    a = -q if negative else q
    e = max(floor_log2(a), fmt.emin)  # below emin the spacing stays that of the subnormals
    if e > fmt.emax:
        return -math.inf if negative else math.inf
    shift = fmt.p - 1 - e  # a * 2**shift has p integer bits when a is normal
    n, d = a.numerator, a.denominator
    if shift >= 0:
        n <<= shift
    else:
        d <<= -shift
    m, r = divmod(n, d)
    if 2 * r > d or (2 * r == d and m & 1):
        m += 1
    if m >> fmt.p and e == fmt.emax:  # rounded up past the largest finite value
        return -math.inf if negative else math.inf
    value = math.ldexp(m, -shift)
    return -value if negative else value


def round_enclosure(lo: Fraction, hi: Fraction, fmt: Format) -> float | None:
    """The rounding of every real in [lo, hi] if they all round the same way, else None (Ziv's test)."""
    a, b = round_fraction(lo, fmt), round_fraction(hi, fmt)
    return a if a == b else None


def round_to_dtype(values: np.ndarray, fmt: Format) -> np.ndarray:
    """Round float64 ``values`` to ``fmt`` element by element with :func:`round_fraction` (exact)."""
    flat = [x if not math.isfinite(x) else round_fraction(Rational(x), fmt) for x in values.ravel().tolist()]
    return np.array(flat, dtype=np.float64).reshape(values.shape)


def _mantissas(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``x == mant * 2**exp`` with int64 ``mant``, |mant| < 2**53, for finite float64 ``x``."""
    m, e = np.frexp(x)
    return (m * 2.0**53).astype(np.int64), e.astype(np.int64) - 53


_LIMB = 18  # float64 mantissas are cut into three limbs of at most 18 bits: limb products < 2**36


def _limbs(mant: np.ndarray) -> list[tuple[np.ndarray, int]]:
    mask = (1 << _LIMB) - 1
    return [(mant & mask, 0), ((mant >> _LIMB) & mask, _LIMB), (mant >> (2 * _LIMB), 2 * _LIMB)]


def _product_terms(a: np.ndarray, b: np.ndarray, narrow: bool) -> tuple[np.ndarray, np.ndarray]:
    """Integer mantissas and exponents of the exact terms whose sum is ``(a * b).sum(-1)``.

    For float32 and narrower the mantissas have at most 24 significant bits and their product fits in
    int64 directly; float64 mantissas are multiplied limb by limb.
    """
    ma, ea = _mantissas(a)
    mb, eb = _mantissas(b)
    if narrow:  # 53-bit field, <= 24 significant bits: drop the 29 trailing zeros first
        return (ma >> 29) * (mb >> 29), ea + eb + 58
    mants, exps = [], []
    for la, sa in _limbs(ma):
        for lb, sb in _limbs(mb):
            mants.append(la * lb)
            exps.append(ea + eb + (sa + sb))
    return np.concatenate(mants, axis=-1), np.concatenate(exps, axis=-1)


_BUCKET = 20  # exponent offsets are split into buckets of 20: (2**27 * 2**20) * 2**15 terms < 2**63
_MAX_TERMS = 1 << 15


def _exact_row_sums(mant: np.ndarray, exp: np.ndarray) -> list[Fraction]:
    """Exact sums of ``mant * 2**exp`` along the last axis, for |mant| < 2**53."""
    rows = mant.shape[0]
    if mant.shape[1] > _MAX_TERMS:
        parts = [
            _exact_row_sums(mant[:, i : i + _MAX_TERMS], exp[:, i : i + _MAX_TERMS])
            for i in range(0, mant.shape[1], _MAX_TERMS)
        ]
        return [sum(col, Rational(0)) for col in zip(*parts, strict=True)]
    if mant.shape[1] == 0:
        return [Rational(0)] * rows
    nonzero = mant != 0
    big = np.iinfo(np.int64).max
    base = np.where(nonzero, exp, big).min(axis=1)
    base = np.where(base == big, 0, base)
    shift = np.where(nonzero, exp - base[:, None], 0)
    bucket, offset = np.divmod(shift, _BUCKET)
    hi = mant >> 27
    lo = mant - (hi << 27)
    totals = [0] * rows
    single = int(bucket.max()) == 0  # the common case: all exponents of a row within 20 of each other
    for k in [0] if single else np.unique(bucket).tolist():
        sel = True if single else bucket == k
        h = np.where(sel, hi << offset, 0).sum(axis=1).tolist()
        low = np.where(sel, lo << offset, 0).sum(axis=1).tolist()
        scale = _BUCKET * k
        totals = [t + (((hh << 27) + ll) << scale) for t, hh, ll in zip(totals, h, low, strict=True)]
    out = []
    for t, b in zip(totals, base.tolist(), strict=True):
        out.append(Rational(t * (1 << b)) if b >= 0 else Rational(t, 1 << -b))
    return out


def exact_row_dots(a: np.ndarray, b: np.ndarray, dtype: str) -> list[Fraction]:
    """Exact ``sum(a * b, axis=-1)`` for 2-D float64 arrays holding finite values of ``dtype``."""
    if a.shape[0] == 0:
        return []
    mant, exp = _product_terms(a, b, narrow=dtype != "float64")
    return _exact_row_sums(mant, exp)
