"""The per-sample cosine and its gradient over ``(rows, d)`` arrays (CS-VAL-1, CS-VAL-4, CS-VAL-5,
CS-VAL-6, CS-NAN-1, CS-GRAD-1).

With ``S(x) = sum(x**2)``, ``n(x) = x / sqrt(max(S(x), 1e-12))`` and ``c = n(t) . n(p)`` (the loss is
``-c`` clipped to [-1, 1]):
- float16, bfloat16, float32 rows are widened to float64, where their products are exact and no sum
  overflows or underflows; float64 sums (``np.vecdot``) err far below half an ulp of the target.
- float64 rows are first scaled by ``2**-e`` (``e`` the exponent of the row's largest magnitude), so
  nothing overflows or underflows, and summed with the compensated ``dot2``.
- the clamp compares the UNSCALED squared norm ``S' * 4**e`` with the real 1e-12 (CS-VAL-5, Notation),
  held as the double-double ``EPS_HI + EPS_LO``; rows too close to call from the rounded sums are
  decided in exact rational arithmetic. A clamped row is multiplied by ``1e6`` instead of normalized.
- ``c = D' * m * 2**k / sqrt(Q)`` in double-double, where ``D'`` is the scaled dot product, ``Q`` the
  product of the unclamped scaled squared norms, and ``m * 2**k`` collects ``1e6 * 2**e`` of each
  clamped row. A ``D'`` below ``TINY`` is recomputed with its own power of two (``_tiny_dot``).
- gradient of ``-sum(coef * c)`` (the clip counts as the identity; ``coef = w / N``):
  ``d/dp = coef * r_p * (-n(t) + [S(p) >= 1e-12] * c * n(p))`` with ``r_p = 1 / sqrt(max(S(p), 1e-12))``,
  and symmetrically for ``t``. In float64 every factor is split into a mantissa near 1 and a power of
  two (``frexp``), so a tiny cosine, norm or weight cannot underflow before the others scale it back.
Rows are processed in blocks of about ``BLOCK`` elements, so temporaries stay small.
"""

from fractions import Fraction

import numpy as np

from ..reference import round_to
from . import double_double as dd

EPS = Fraction(1, 10**12)  # the real 1e-12 (Notation) ...
EPS_HI = 1e-12  # ... as a double-double: EPS_HI + EPS_LO is within 2**-106 of it, and not a tie
EPS_LO = float(EPS - Fraction(EPS_HI))
TINY = 2.0**-900  # a scaled dot product below this may have lost bits to underflow
BLOCK = 1 << 16  # elements per block: 512 KiB of float64, about an L2 cache


class _Buffers:
    """Reused float64 blocks (fresh large temporaries per block would cost a page fault each)."""

    def __init__(self, d: int, count: int):
        self.step = max(1, BLOCK // max(d, 1))
        self.d = d
        self.flat = [np.empty(self.step * d) for _ in range(count)]

    def blocks(self, rows: int):
        return [slice(i, min(i + self.step, rows)) for i in range(0, rows, self.step)]

    def get(self, k: int, n: int) -> np.ndarray:
        return self.flat[k][: n * self.d].reshape(n, self.d)


def _scaled(x: np.ndarray, out: np.ndarray, e=None):
    """Rows as float64 in ``out``, divided by ``2**e`` (``e``: the exponent of each row's largest
    magnitude for float64 rows, else 0); returns ``e``."""
    np.copyto(out, x)
    if x.dtype != np.float64:
        return 0
    if e is None:
        big = np.max(np.abs(x), axis=1) if x.shape[1] else np.zeros(x.shape[0])
        e = np.frexp(big)[1].astype(np.int64)
    np.ldexp(out, -e[:, None], out=out)
    return e


def _sums(t, p):
    """Scaled ``S(t)``, ``S(p)``, ``t . p`` per row as double-doubles, and the scale exponents."""
    rows, wide = t.shape[0], t.dtype == np.float64
    hi = np.zeros((3, rows))
    lo = np.zeros((3, rows)) if wide else np.zeros((3, 1))  # narrow dtypes: exact products, no low parts
    ex, ey = (np.zeros(rows if wide else 1, np.int64) for _ in range(2))
    buf = _Buffers(t.shape[1], 2)
    for j in buf.blocks(rows):
        x, y = buf.get(0, j.stop - j.start), buf.get(1, j.stop - j.start)
        ex[j if wide else 0] = _scaled(t[j], x)
        ey[j if wide else 0] = _scaled(p[j], y)
        for k, (a, b) in enumerate(((x, x), (y, y), (x, y))):
            if wide:
                hi[k, j], lo[k, j] = dd.dot2(a, b)
            else:
                np.vecdot(a, b, out=hi[k, j])  # float64 dot per row (BLAS where numpy has it)
    return (hi[0], lo[0]), (hi[1], lo[1]), (hi[2], lo[2]), ex, ey


def _clamped(s, e, x: np.ndarray) -> np.ndarray:
    """Rows with ``S(x) < 1e-12`` exactly (CS-VAL-5), from ``s`` (``(hi, lo)``, about ``S(x) / 4**e``).

    float64: ``s`` errs by at most about ``(d * 2**-53)**2 * S`` (Dot2 of squares); narrow dtypes: ``lo``
    is 0 and the float64 sum of exact squares errs by at most ``d * 2**-53 * S``. ``S'`` lies in
    ``[0.25, d]`` for float64, so clipping the shift to 200 bits changes no decision."""
    d = x.shape[1]
    shift = np.clip(-2 * np.asarray(e, np.int64), -200, 200)
    eh, el = np.ldexp(EPS_HI, shift), np.ldexp(EPS_LO, shift)
    hi, lo = s
    below = (hi < eh) | ((hi == eh) & (lo < el))  # both pairs normalized: compare lexicographically
    bound = (d + 2.0) ** 2 * 2.0**-104 if x.dtype == np.float64 else (d + 2.0) * 2.0**-50
    close = np.abs((hi - eh) + (lo - el)) <= bound * eh
    for i in np.flatnonzero(close & np.isfinite(hi)):  # rare: decide on the exact sum of squares
        below[i] = sum(Fraction(float(v)) ** 2 for v in x[i]) < EPS
    return below


def _tiny_dot(t, p, rows, ex, ey):
    """``t' . p'`` of the given float64 rows as ``(hi, lo, k)``, value ``(hi + lo) * 2**k``, for rows whose
    scaled dot product fell below ``TINY``: each product is formed from the elements' mantissas and
    shifted by the largest product exponent, so a cosine below the float64 range keeps its bits (CS-GRAD-1)."""
    (mt, kt), (mp, kp) = np.frexp(t[rows]), np.frexp(p[rows])
    k = (kt + kp).astype(np.int64)
    k = np.where(mt * mp != 0, k, np.iinfo(np.int32).min)
    top = np.max(k, axis=1, keepdims=True) if k.shape[1] else np.zeros((len(rows), 1), np.int64)
    top = np.where(top == np.iinfo(np.int32).min, 0, top)
    prod, err = dd.two_prod(mt, mp)  # mantissas in [0.5, 1): exact
    hi, lo = dd.sum2(np.ldexp(prod, k - top))
    hi, lo = dd.fast_two_sum(hi, lo + np.ldexp(err, k - top).sum(axis=1))
    return hi, lo, top[:, 0] - ex[rows] - ey[rows]


def _pick(mask, a, b):
    return np.where(mask, a[0], b[0]), np.where(mask, a[1], b[1])


class Rows:
    """Cosines of the rows of ``t`` and ``p`` (2-d, same shape and dtype) and their gradients."""

    def __init__(self, t: np.ndarray, p: np.ndarray):
        self.t, self.p, self.wide = t, p, t.dtype == np.float64
        with np.errstate(all="ignore"):
            self.stt, self.spp, stp, self.ex, self.ey = _sums(t, p)
            self.ct, self.cp = _clamped(self.stt, self.ex, t), _clamped(self.spp, self.ey, p)
            m = np.where(self.ct, 1e6, 1.0) * np.where(self.cp, 1e6, 1.0)  # 1e12 is exact in float64
            if self.wide:  # double-double, then undo the scaling of the clamped rows
                one = (np.ones_like(m), np.zeros_like(m))
                q = dd.dd_mul(_pick(self.ct, one, self.stt), _pick(self.cp, one, self.spp))
                stp, k_dot = (stp[0].copy(), stp[1].copy()), np.zeros(len(m), np.int64)
                tiny = np.flatnonzero((np.abs(stp[0]) < TINY) & np.isfinite(self.stt[0] + self.spp[0]))
                if tiny.size:  # rare: rows nearly orthogonal beyond the float64 range
                    stp[0][tiny], stp[1][tiny], k_dot[tiny] = _tiny_dot(t, p, tiny, self.ex, self.ey)
                num = dd.two_prod(stp[0], m)
                num = dd.fast_two_sum(num[0], num[1] + stp[1] * m)
                c_hi, c_lo = dd.dd_div(num, dd.dd_sqrt(q))
                self.c_scaled = c_hi
                self.c_exp = k_dot + np.where(self.ct, self.ex, 0) + np.where(self.cp, self.ey, 0)
                c_hi, c_lo = np.ldexp(c_hi, self.c_exp), np.ldexp(c_lo, self.c_exp)
            else:  # a few float64 roundings are far below half an ulp of the narrow dtypes
                q = np.where(self.ct, 1.0, self.stt[0]) * np.where(self.cp, 1.0, self.spp[0])
                c_hi, c_lo = stp[0] * m / np.sqrt(q), 0.0
            self.bad = ~(np.isfinite(self.stt[0]) & np.isfinite(self.spp[0]))  # CS-NAN-1
            self.c_hi = np.where(self.bad, np.nan, c_hi)
            self.c_lo = np.where(self.bad, np.nan, c_lo) if self.wide else None

    def _factors(self, coef, j):
        """Narrow dtypes: per-row float64 factors with d/dt = a_t * t + b_t * p, d/dp = a_p * p + b_p * t."""
        ct, cp, c = self.ct[j], self.cp[j], self.c_hi[j]
        rt = np.where(ct, 1e6, 1.0 / np.sqrt(self.stt[0][j]))  # = n(t) / t, and r_t
        rp = np.where(cp, 1e6, 1.0 / np.sqrt(self.spp[0][j]))
        factors = [rt * rt * np.where(ct, 0.0, c), -rt * rp, rp * rp * np.where(cp, 0.0, c), -rp * rt]
        return [np.where(self.bad[j], np.nan, f * coef)[:, None] for f in factors]  # NaN/Inf rows: NaN

    def _factors64(self, w_m, w_k, j):
        """float64: ``(f, k)`` pairs with ``d/dt = f_at * t * 2**k_at + f_b * p * 2**k_bt`` and
        ``d/dp = f_ap * p * 2**k_ap + f_b * t * 2**k_bp``, each ``f`` a product of mantissas (no
        underflow or overflow), each ``k`` an integer (CS-GRAD-1).

        With ``u = 1 / sqrt(S')`` (unclamped) or ``1e6`` (clamped): ``r_t = u_t * 2**-ex`` or ``u_t``,
        ``n(t) = u_t * t'`` or ``u_t * 2**ex * t'``, ``t' = t / 2**ex``; the cosine is ``c_m * 2**c_k``."""
        ct, cp, ex, ey = self.ct[j], self.cp[j], self.ex[j], self.ey[j]
        ut = np.where(ct, 1e6, 1.0 / np.sqrt(self.stt[0][j]))
        up = np.where(cp, 1e6, 1.0 / np.sqrt(self.spp[0][j]))
        c_m, c_k = np.frexp(self.c_scaled[j])
        c_k = c_k + self.c_exp[j]
        k_b = w_k - np.where(ct, 0, ex) - np.where(cp, 0, ey)
        pairs = [
            (w_m * c_m * ut * ut * ~ct, w_k + c_k - 2 * ex),
            (w_m * c_m * up * up * ~cp, w_k + c_k - 2 * ey),
            (-w_m * ut * up, k_b),
        ]
        return [(np.where(self.bad[j], np.nan, f)[:, None], k[:, None]) for f, k in pairs]  # NaN/Inf: NaN

    def gradients(self, w: np.ndarray, divisor: int = 1):
        """Gradients of ``-sum(w * c) / divisor`` with respect to ``t`` and ``p``, in their dtype
        (CS-GRAD-1, CS-RED-3).

        Narrow dtypes: float64 arithmetic on the widened rows. float64: each term is a product of
        mantissas, the element's included, shifted once by the sum of the exponents, so it neither
        overflows early nor loses bits to subnormal intermediates (a few ulps, barring cancellation)."""
        t, p = self.t, self.p
        g_t, g_p = np.empty_like(t), np.empty_like(p)
        buf = _Buffers(t.shape[1], 4)
        w_m, w_k = np.frexp(w)
        w_m = np.where(np.isfinite(w), w_m, w) / max(divisor, 1)
        with np.errstate(all="ignore"):
            for j in buf.blocks(t.shape[0]):
                if self.wide:
                    (f_t, k_t), (f_p, k_p), (f_b, k_b) = self._factors64(w_m[j], w_k[j], j)
                    (mt, kt), (mp, kp) = np.frexp(t[j]), np.frexp(p[j])
                    g_t[j] = np.ldexp(f_t * mt, kt + k_t) + np.ldexp(f_b * mp, kp + k_b)
                    g_p[j] = np.ldexp(f_p * mp, kp + k_p) + np.ldexp(f_b * mt, kt + k_b)
                    continue
                a_t, b_t, a_p, b_p = self._factors(w[j] / max(divisor, 1), j)
                n = j.stop - j.start
                x, y, g, tmp = (buf.get(i, n) for i in range(4))
                np.copyto(x, t[j])
                np.copyto(y, p[j])
                for out, a, b, u, v in ((g_t, a_t, b_t, x, y), (g_p, a_p, b_p, y, x)):
                    np.multiply(a, u, out=g)
                    g += np.multiply(b, v, out=tmp)
                    out[j] = round_to(g, t.dtype)
        return g_t, g_p
