"""Rigorous float64 / double-double arithmetic for the oracle's fast first pass (``spec/fastpass.py``).

A quantity is carried as ``(h, l, r)``: numpy float64 arrays such that the exact real value lies in
``[h + l - r, h + l + r]`` (``h + l`` taken as a real number), with ``|l| <= u |h|`` after every operation
(u = 2**-53, round to nearest; a ``two_sum`` normalises). Every rounding error is bounded either exactly
(error-free transformations: ``two_sum``, Dekker's ``two_prod``) or by an a-priori bound derived in the
docstring of the operation, and every bound is inflated by ``SLACK`` to cover the roundings made while
computing it (a handful of operations on non-negative numbers, each off by at most a factor 1 + u).

Assumptions, checked by the caller (``spec/fastpass.py``): the operands of ``mul``, ``sqrt`` and ``div``
are zero or of magnitude in [2**-900, 2**900], so no product or quotient underflows or overflows; the
divisor and the radicand are positive with radius at most half their value. Sums may hold any finite
values: additions never round in the subnormal range, and products that might are bounded separately.
"""

from __future__ import annotations

import numpy as np

U = 2.0**-53
SLACK = 1.0 + 2.0**-50  # (1 - u)**8 * SLACK > 1: covers the roundings of a bound's own computation
_SPLIT = 2.0**27 + 1.0
TINY = 2.0**-960  # products below this may have an inexact Dekker error term (underflow)
TINY_BOUND = 2.0**-958  # bound on |a * b| when fl(a * b) < TINY


def two_sum(a, b):
    """Knuth's TwoSum: s + e == a + b exactly, s = fl(a + b) (no overflow)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def split(a):
    """Veltkamp's split: a == h + l exactly, h and l of at most 26 and 27 significant bits (|a| < 2**995;
    exact with underflow too, Boldo 2006)."""
    c = _SPLIT * a
    h = c - (c - a)
    return h, a - h


def two_prod(a, b, a_split=None, b_split=None):
    """Dekker's product: p + e == a * b exactly when the exponents of a and b sum to >= -969 (the error
    term is then above the subnormal range), |a|, |b| < 2**995. Splits may be passed in to be shared."""
    p = a * b
    ah, al = split(a) if a_split is None else a_split
    bh, bl = split(b) if b_split is None else b_split
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def exact(x):
    """A float64 array as an exact quantity."""
    z = np.zeros_like(x)
    return x, z, z


def dd_sum_rows(x, extra=None):
    """Row sums of ``x`` (M, n) as (h, l, r); ``extra`` (M, k) are further exact terms (Dekker errors).

    A pairwise tree of TwoSums keeps every partial sum exact as a float plus its error; the errors are
    added in plain float64, which any summation order does with error at most gamma_{m-1} * sum |e|
    (Higham, Accuracy and Stability, 4.2), m the number of error terms: bounded by m u (1 + 2**-18) times
    the computed sum of |e| (m u <= 2**-20), inflated by SLACK.
    """
    rows = x.shape[0]
    lo = np.zeros(rows)
    mag = np.zeros(rows)
    m = 0
    if extra is not None and extra.shape[1]:
        lo += extra.sum(axis=1)
        mag += np.abs(extra).sum(axis=1)
        m += extra.shape[1]
    s = x
    while s.shape[1] > 1:
        half = s.shape[1] // 2
        top, err = two_sum(s[:, :half], s[:, half : 2 * half])
        lo += err.sum(axis=1)
        mag += np.abs(err).sum(axis=1)
        m += half
        if s.shape[1] % 2:
            top = np.concatenate([top, s[:, 2 * half :]], axis=1)
        s = top
    hi = s[:, 0] if s.shape[1] else np.zeros(rows)
    rad = (m * U * (1.0 + 2.0**-17)) * mag * SLACK
    h, l = two_sum(hi, lo)
    return h, l, rad


def extract_sum_rows(x, e, mag):
    """Row sums of x + e as (h, l, r), for |e| <= u |x| (Dekker errors) and ``mag`` >= the computed
    sum |x| of each row (within a factor 1 + d u of the exact one).

    With sigma = 2**k >= 4 mag, Rump, Ogita and Oishi's ExtractScalar (Accurate floating-point summation I,
    2008, Lemma 3.2) splits x exactly into q = fl(fl(sigma + x) - sigma), a multiple of u sigma, and
    x - q with |x - q| <= u sigma. Every partial sum of the q is a multiple of u sigma below sigma / 2 in
    magnitude, hence a float: the sum of the q is exact in any order. The rest z = fl((x - q) + e) is
    summed in plain float64: error <= u sum |z| + gamma_{d-1} sum |z| <= d u (1 + 2**-18) sum |z| with
    sum |z| <= (1 + u) (d u sigma + u (1 + 2**-18) mag) (d u <= 2**-20), an a-priori bound.
    """
    d = x.shape[1]
    sigma = np.ldexp(1.0, np.frexp(mag)[1].astype(np.int64) + 2)[:, None]  # >= 4 mag
    q = (sigma + x) - sigma
    exact_part = q.sum(axis=1)
    rest = ((x - q) + e).sum(axis=1)
    bound = d * U * (1.0 + 2.0**-17) * (d * U * sigma[:, 0] + U * (1.0 + 2.0**-17) * mag) * SLACK
    h, l = two_sum(exact_part, rest)
    return h, l, bound


def mul(x, y):
    """x * y. Error of the product of the double-words: with (ph, pe) = two_prod(xh, yh) exact and
    pl = fl(pe + fl(fl(xh yl) + fl(xl yh))), dropping xl yl costs <= u**2 |xh yh|, the two products
    <= u**2 |xh yh| each, their sum <= 2u**2 (1 + u) |xh yh|, adding pe <= 3u**2 (1 + 2u) |xh yh|:
    together <= 7u**2 (1 + 3u) |xh yh| < 8u**2 |xh yh|. The radius adds |xh| ry + |yh| rx (times 1 + u for
    |x~| <= |xh| (1 + u)) and rx ry."""
    xh, xl, rx = x
    yh, yl, ry = y
    ph, pe = two_prod(xh, yh)
    pl = pe + (xh * yl + xl * yh)
    h, l = two_sum(ph, pl)
    axh, ayh = np.abs(xh), np.abs(yh)
    r = ((axh * ry + ayh * rx) * (1.0 + U) + rx * ry + 8.0 * U * U * axh * ayh) * SLACK
    return h, l, r


def sqrt(x):
    """sqrt(x) for x > 0 with rx <= xh / 2. With r0 = fl(sqrt(xh)), xh - fl(r0**2) is exact (Sterbenz),
    so delta = fl(fl(fl(xh - q) - qe) + xl) equals x~ - r0**2 within 5.1u**2 xh; r1 = fl(delta / 2r0) adds
    1.6u**2 r0 and the dropped Taylor term delta**2 / 8r0**3 at most 1.2u**2 r0: the double-word root is
    within 6u**2 r0 < 8u**2 r0 of sqrt(x~). The radius: |sqrt(x) - sqrt(x~)| <= rx / (2 sqrt(x~ - rx))
    <= rx / (2 r0) (1 + 2 rx / xh) (1 + 4u) for rx <= xh / 2 (1 / sqrt(1 - t) <= 1 + t for t <= 1/2)."""
    xh, xl, rx = x
    r0 = np.sqrt(xh)
    q, qe = two_prod(r0, r0)
    delta = ((xh - q) - qe) + xl
    h, l = two_sum(r0, delta / (2.0 * r0))
    r = (rx / (2.0 * r0) * (1.0 + 2.0 * rx / xh) * (1.0 + 4.0 * U) + 8.0 * U * U * r0) * SLACK
    return h, l, r


def div(n, d):
    """n / d for d > 0 with rd <= dh / 2. With q0 = fl(nh / dh) and (m, me) = two_prod(q0, dh), nh - m is
    exact (Sterbenz); the remainder fl(fl(fl(nh - m) - me) + fl(nl - fl(q0 dl))) is within 9.2u**2 |nh| of
    n~ - q0 d~, dividing it by dh instead of d~ and rounding adds 8.2u**2 |nh / d~|: the double-word quotient
    is within 18u**2 |n~ / d~| < 32u**2 |q0| of n~ / d~. The radius: |n / d - n~ / d~| <= (rn + |n~ / d~| rd)
    / (d~ - rd) <= (rn / dh + |q0| rd / dh) (1 + 2 rd / dh) (1 + 4u) for rd <= dh / 2."""
    nh, nl, rn = n
    dh, dl, rd = d
    q0 = nh / dh
    m, me = two_prod(q0, dh)
    rem = ((nh - m) - me) + (nl - q0 * dl)
    h, l = two_sum(q0, rem / dh)
    aq = np.abs(q0)
    r = ((rn / dh + aq * rd / dh) * (1.0 + 2.0 * rd / dh) * (1.0 + 4.0 * U) + 32.0 * U * U * aq) * SLACK
    return h, l, r


def scale(x, k):
    """x * 2**k, exact while h * 2**k stays within [2**-960, 2**960] (callers check with ``in_range``)."""
    h, l, r = x
    return np.ldexp(h, k), np.ldexp(l, k), np.ldexp(r, k)


def in_range(h, lo=-900, hi=900):
    """True where h is zero or its magnitude lies in [2**lo, 2**hi]."""
    a = np.abs(h)
    return (a == 0) | ((a >= 2.0**lo) & (a <= 2.0**hi))


def round_to_format(x, p: int, emin: int, emax: int):
    """Round finite float64 ``x`` to the binary format (p bits, exponents emin..emax), half to even, exactly.

    Scaling by a power of two and ``np.rint`` (half to even, exact below 2**53) are the only operations,
    so this is the single IEEE rounding. Overflow gives infinity.
    """
    x = np.asarray(x, dtype=np.float64)
    _, e2 = np.frexp(x)
    e = np.maximum(e2.astype(np.int64) - 1, emin)
    shift = (p - 1) - e
    n = np.rint(np.ldexp(x, shift))
    out = np.ldexp(n, -shift)
    top = np.ldexp(2.0 - 2.0 ** (1 - p), emax)
    return np.where(np.abs(out) > top, np.copysign(np.inf, x), out)


def decide(x, p: int, emin: int, emax: int):
    """The rounding of every real of the enclosure ``x`` to the format if they all round the same way.

    Returns (values, ok). With c = round(h) and g >= |l| + r (rounded up by SLACK), the enclosure lies in
    [h - g, h + g]; it rounds to c when h - c + g < gu and c - h + g < gd, gu and gd the half-gaps from c
    to its neighbours (strict: a real on a midpoint is left undecided). h - c is exact (Sterbenz, or c = 0),
    and fl(a) < gu implies a < gu for a power of two gu, so the test is rigorous. Values in the top binade
    (possible overflow) are left undecided.
    """
    h, l, r = x
    g = (np.abs(l) + r) * SLACK
    c = round_to_format(h, p, emin, emax)
    _, e2 = np.frexp(c)
    e = np.where(c == 0, emin, np.maximum(e2.astype(np.int64) - 1, emin))
    half = np.ldexp(np.ones_like(h), e - p)  # half an ulp of c (of the subnormals for c = 0)
    power = (c != 0) & (np.abs(c) == np.ldexp(np.ones_like(h), e)) & (e > emin)
    gu = np.where(power & (c < 0), half / 2, half)
    gd = np.where(power & (c > 0), half / 2, half)
    c = c + 0.0  # -0.0 -> +0.0: the spec does not distinguish signed zeros, round_fraction returns +0.0
    diff = h - c
    ok = ((diff + g) < gu) & ((g - diff) < gd) & np.isfinite(c) & (np.abs(h) < 2.0**emax)
    return c, ok
