"""Error-free transformations in float64 (Knuth's TwoSum, Dekker's split and TwoProduct) and the few
double-double operations the loss needs. A double-double is a pair ``(hi, lo)`` of float64 arrays whose
exact sum is the value; it carries about 106 bits. Used so float64 results round once (CS-VAL-1).

Operands of ``two_prod`` must stay below 2**995 in magnitude (the split multiplies by 2**27 + 1), and
its error term is exact only while it does not underflow; callers (and ``dd_div``) scale by powers of
two first.
"""

import numpy as np

_SPLITTER = 134217729.0  # 2**27 + 1


def two_sum(a, b):
    """``s + e == a + b`` exactly, ``s = fl(a + b)``."""
    s = a + b
    bv = s - a
    return s, (a - (s - bv)) + (b - bv)


def fast_two_sum(a, b):
    """As ``two_sum``, valid when ``|a| >= |b|`` (or a == 0)."""
    s = a + b
    return s, b - (s - a)


def two_prod(a, b):
    """``p + e == a * b`` exactly, ``p = fl(a * b)`` (no underflow assumed)."""
    p = a * b
    c = _SPLITTER * a
    ah = c - (c - a)
    al = a - ah
    c = _SPLITTER * b
    bh = c - (c - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def sum2(x):
    """Compensated pairwise sum over the last axis: ``(hi, lo)`` with error about u**2 * sum|x|."""
    lo = np.zeros(x.shape[:-1])
    while x.shape[-1] > 1:
        half = x.shape[-1] // 2
        s, e = two_sum(x[..., :half], x[..., half : 2 * half])
        lo += e.sum(axis=-1)
        x = np.concatenate([s, x[..., 2 * half :]], axis=-1) if x.shape[-1] % 2 else s
    hi = x[..., 0] if x.shape[-1] else np.zeros(x.shape[:-1])
    return fast_two_sum(hi, lo)


def dot2(x, y):
    """Row dot products of float64 arrays, as double-doubles (Ogita, Rump and Oishi's Dot2, pairwise)."""
    p, e = two_prod(x, y)
    hi, lo = sum2(p)
    return fast_two_sum(hi, lo + e.sum(axis=-1))


def dd_mul(a, b):
    """Product of two double-doubles."""
    p, e = two_prod(a[0], b[0])
    return fast_two_sum(p, e + (a[0] * b[1] + a[1] * b[0]))


def dd_sqrt(a):
    """Square root of a positive double-double (one Newton step from the float64 root)."""
    s = np.sqrt(a[0])
    p, e = two_prod(s, s)
    return fast_two_sum(s, ((a[0] - p) - e + a[1]) / (2.0 * s))


def dd_div(a, b):
    """Quotient of two double-doubles (``b`` nonzero). Both are scaled to [0.5, 1) by powers of two first,
    so ``two_prod`` neither overflows in its split nor underflows in its error term at any magnitude;
    the scaling is undone once at the end (CS-RED-3 at |sum| near the float64 range)."""
    ea, eb = np.frexp(a[0])[1], np.frexp(b[0])[1]
    a0, a1, b0, b1 = np.ldexp(a[0], -ea), np.ldexp(a[1], -ea), np.ldexp(b[0], -eb), np.ldexp(b[1], -eb)
    q = a0 / b0
    p, e = two_prod(q, b0)
    hi, lo = fast_two_sum(q, ((a0 - p) - e + a1 - q * b1) / b0)
    return np.ldexp(hi, ea - eb), np.ldexp(lo, ea - eb)
