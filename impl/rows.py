"""The per-sample cosine and its gradient over ``(rows, d)`` arrays (CS-VAL-1, CS-VAL-4, CS-VAL-5,
CS-VAL-6, CS-NAN-1, CS-GRAD-1).

With ``S(x) = sum(x**2)``, ``n(x) = x / sqrt(max(S(x), 1e-12))`` and ``c = n(t) . n(p)`` (the loss is
``-c`` clipped to [-1, 1]):
- float16, bfloat16, float32 rows are widened to float64, where their products are exact and no sum
  overflows or underflows; float64 sums (``np.vecdot``) err far below half an ulp of the target.
- float64 rows are first scaled by ``2**-e`` (``e`` the exponent of the row's largest magnitude), so
  nothing overflows or underflows, and summed with the compensated ``dot2``.
- the clamp compares the UNSCALED squared norm ``S' * 4**e`` with the real 1e-12: a clamped row is
  multiplied by ``1e6`` instead of normalized. ``c = D' * m * 2**k / sqrt(Q)`` in double-double, where
  ``D'`` is the scaled dot product, ``Q`` the product of the unclamped scaled squared norms, and
  ``m * 2**k`` collects ``1e6 * 2**e`` of each clamped row.
- gradient of ``-sum(coef * c)`` (the clip counts as the identity; ``coef = w / N``):
  ``d/dp = coef * r_p * (-n(t) + [S(p) >= 1e-12] * c * n(p))`` with ``r_p = 1 / sqrt(max(S(p), 1e-12))``,
  and symmetrically for ``t``.
Rows are processed in blocks of about ``BLOCK`` elements, so temporaries stay small.
"""

import numpy as np

from . import exact
from .rounding import round_to

EPS = 1e-12
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
                hi[k, j], lo[k, j] = exact.dot2(a, b)
            else:
                np.vecdot(a, b, out=hi[k, j])  # float64 dot per row (BLAS where numpy has it)
    return (hi[0], lo[0]), (hi[1], lo[1]), (hi[2], lo[2]), ex, ey


def _pick(mask, a, b):
    return np.where(mask, a[0], b[0]), np.where(mask, a[1], b[1])


class Rows:
    """Cosines of the rows of ``t`` and ``p`` (2-d, same shape and dtype) and their gradients."""

    def __init__(self, t: np.ndarray, p: np.ndarray):
        self.t, self.p, self.wide = t, p, t.dtype == np.float64
        with np.errstate(all="ignore"):
            self.stt, self.spp, stp, self.ex, self.ey = _sums(t, p)
            # clamp test on the unscaled squared norm; S' lies in [0.25, d], so clipping the shift is harmless
            self.ct = ~(np.ldexp(self.stt[0], np.clip(2 * self.ex, -200, 200)) >= EPS)
            self.cp = ~(np.ldexp(self.spp[0], np.clip(2 * self.ey, -200, 200)) >= EPS)
            m = np.where(self.ct, 1e6, 1.0) * np.where(self.cp, 1e6, 1.0)  # 1e12 is exact in float64
            if self.wide:  # double-double, then undo the scaling of the clamped rows
                one = (np.ones_like(m), np.zeros_like(m))
                q = exact.dd_mul(_pick(self.ct, one, self.stt), _pick(self.cp, one, self.spp))
                num = exact.two_prod(stp[0], m)
                num = exact.fast_two_sum(num[0], num[1] + stp[1] * m)
                c_hi, c_lo = exact.dd_div(num, exact.dd_sqrt(q))
                k = np.where(self.ct, self.ex, 0) + np.where(self.cp, self.ey, 0)
                c_hi, c_lo = np.ldexp(c_hi, k), np.ldexp(c_lo, k)
            else:  # a few float64 roundings are far below half an ulp of the narrow dtypes
                q = np.where(self.ct, 1.0, self.stt[0]) * np.where(self.cp, 1.0, self.spp[0])
                c_hi, c_lo = stp[0] * m / np.sqrt(q), 0.0
            self.bad = ~(np.isfinite(self.stt[0]) & np.isfinite(self.spp[0]))  # CS-NAN-1
            self.c_hi = np.where(self.bad, np.nan, c_hi)
            self.c_lo = np.where(self.bad, np.nan, c_lo) if self.wide else None

    def _factors(self, coef, j):
        """Per-row factors ``a_t, b_t, a_p, b_p`` and exponent ``k`` with
        d/dt = 2**k * (a_t * t / 2**ex + b_t * p / 2**ey), d/dp = 2**k * (a_p * p / 2**ey + b_p * t / 2**ex)."""
        # n(t) = qt * t / 2**ex and r_t = 1 / sqrt(max(S(t), eps)) <= 1e6, likewise for p
        ct, cp = self.ct[j], self.cp[j]
        ex, ey = (self.ex[j], self.ey[j]) if self.wide else (0, 0)
        qt = np.where(ct, np.ldexp(1e6, ex), 1.0 / np.sqrt(self.stt[0][j]))
        qp = np.where(cp, np.ldexp(1e6, ey), 1.0 / np.sqrt(self.spp[0][j]))
        rt = np.where(ct, 1e6, np.ldexp(qt, -ex))
        rp = np.where(cp, 1e6, np.ldexp(qp, -ey))
        c = self.c_hi[j]
        coef, k = np.frexp(coef) if self.wide else (coef, 0)
        factors = [rt * np.where(ct, 0.0, c) * qt, -rt * qp, rp * np.where(cp, 0.0, c) * qp, -rp * qt]
        return [np.where(self.bad[j], np.nan, f * coef)[:, None] for f in factors], k  # NaN/Inf rows: NaN

    def gradients(self, coef: np.ndarray):
        """Gradients of ``-sum(coef * c)`` with respect to ``t`` and ``p``, in their dtype (CS-GRAD-1).

        Narrow dtypes: float64 arithmetic on the widened rows. float64: every factor lies within a few
        powers of ten of 1, so each term is formed from the elements' mantissas and shifted once, which
        neither overflows early nor loses bits to subnormal intermediates."""
        t, p = self.t, self.p
        g_t, g_p = np.empty_like(t), np.empty_like(p)
        buf = _Buffers(t.shape[1], 4)
        with np.errstate(all="ignore"):
            for j in buf.blocks(t.shape[0]):
                (a_t, b_t, a_p, b_p), k = self._factors(coef[j], j)
                n = j.stop - j.start
                x, y, g, tmp = (buf.get(i, n) for i in range(4))
                if self.wide:
                    (mt, kt), (mp, kp) = np.frexp(t[j]), np.frexp(p[j])
                    st, sp = (k - self.ex[j])[:, None], (k - self.ey[j])[:, None]
                    g_t[j] = np.ldexp(a_t * mt, kt + st) + np.ldexp(b_t * mp, kp + sp)
                    g_p[j] = np.ldexp(a_p * mp, kp + sp) + np.ldexp(b_p * mt, kt + st)
                    continue
                np.copyto(x, t[j])
                np.copyto(y, p[j])
                for out, a, b, u, v in ((g_t, a_t, b_t, x, y), (g_p, a_p, b_p, y, x)):
                    np.multiply(a, u, out=g)
                    g += np.multiply(b, v, out=tmp)
                    round_to(g, t.dtype, out=out[j])
        return g_t, g_p
