"""The oracle's fast first pass: vectorized enclosures that decide almost every rounding.

Same formulas as the exact path (``spec/oracle.py``), evaluated on whole arrays in double-double
arithmetic with rigorous error bounds (``spec/enclosure.py``). An output is *decided* only when its
whole enclosure rounds to one float of the dtype (Ziv's test on the enclosure); everything else is left
to the exact path, element by element (gradients, "none" values) or as a whole (a reduced value).

Scaling. Each vector is scaled by a power of two so that its largest magnitude lies in [1, 2) (rows of
float64 whose small entries would lose bits are left undecided), a weight likewise; a clamped squared
norm is written 1e-12 = (1e-12 * 2**40) * 2**-40. The powers of two are put back at the end, exactly.
Squared norms are compared with 1e-12 through their enclosures; a row whose clamp is not decided (or,
for gradients, whose squared norm might lie in the band of the alternatives) is left to the exact path.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import numpy as np
from cosine_spec.spec import enclosure as en
from cosine_spec.spec.exact import Format

EPS = Fraction(1, 10**12)
_CLAMP_MARGIN = Fraction(1, 1 << 40)  # clamp decided when the enclosure is this far (relative) from 1e-12
_FLOOR = 2.0**-480  # float64 rows keep their scaled entries at zero or above this (no underflow)


def _const(q: Fraction):
    """A rational as a double-word (h, l) with radius r >= |q - h - l| (scalars)."""
    h = float(q)
    l = float(q - Fraction(h))
    r = 2.0 * abs(float(q - Fraction(h) - Fraction(l))) + 2.0**-1074
    return h, l, r


EPS40 = _const(EPS * (1 << 40))  # 1.0995...: the clamped squared norm of a vector scaled by 2**20


@dataclass
class FirstPass:
    """Decided outputs; ``*_ok`` is False where the exact path must decide."""

    values: np.ndarray
    values_ok: np.ndarray
    gt: np.ndarray | None = None
    gp: np.ndarray | None = None
    gt_ok: np.ndarray | None = None
    gp_ok: np.ndarray | None = None


def _exponent(x):
    """floor(log2 |x|) for x != 0 (any exponent will do for x == 0), as int64."""
    return np.frexp(x)[1].astype(np.int64) - 1


def _rescale(x, k, fmt: Format):
    """x * 2**k per element, and where that is exact. A result below 2**-960 becomes radius only (it
    rounds to zero in the narrow formats; float64 leaves it undecided); one above 2**960 is undecided."""
    h, l, r = x
    hs = np.ldexp(h, k)
    a = np.abs(hs)
    big = a > 2.0**960  # includes an overflow to infinity
    tiny = (a < 2.0**-960) & (h != 0)
    ok = ~big & (~tiny if fmt.p > 24 else True)
    drop = tiny | big
    ls = np.ldexp(l, k)
    rs = np.ldexp(r, k)
    if drop.any():
        hs, ls = np.where(drop, 0.0, hs), np.where(drop, 0.0, ls)
        rs = np.where(tiny, np.ldexp((np.abs(h) + np.abs(l) + r) * en.SLACK, k), rs)
    return (hs, ls, rs * en.SLACK + 2.0**-1074), ok  # ldexp may round a subnormal radius down: one unit more


def _dots(a, b, narrow: bool, splits=None, mag=None):
    """Row sums of a * b as (h, l, r); ``a is b`` means a squared norm, ``mag`` the row sums of |a b|.

    Narrow dtypes: the float64 products are exact (<= 48 bits, no underflow after scaling), so a plain
    float64 sum in any order errs by at most gamma_{d-1} sum |a b| (Higham 4.2), bounded here by
    d u (1 + 2**-16) times the computed sum of |a b| (d u <= 2**-20). float64: Dekker products (exact:
    the caller keeps only rows whose nonzero scaled entries are >= 2**-480, and passes the splits)
    summed by ``extract_sum_rows``.
    """
    d = a.shape[1]
    if narrow:
        h = np.einsum("ij,ij->i", a, b)
        mag = h if a is b else mag
        return h, np.zeros_like(h), (d * en.U * (1.0 + 2.0**-16)) * mag * en.SLACK
    x, e = en.two_prod(a, b, *splits)
    return en.extract_sum_rows(x, e, x.sum(axis=1) if a is b else mag)


@cache
def _thresholds(band: Fraction) -> tuple[float, float]:
    """Squared norms below the first or above the second float are outside 1e-12 * [1 - band, 1 + band]
    by more than the margin (float() rounds by at most u, far less than the margin)."""
    return float(EPS * (1 - band) * (1 - _CLAMP_MARGIN)), float(EPS * (1 + band) * (1 + _CLAMP_MARGIN))


def _clamp(s, et, band: Fraction):
    """(flows, decided) for the squared norms s (scaled by 2**-2et): decided when the enclosure of the
    real squared norm lies entirely outside 1e-12 * [1 - band, 1 + band] (with the margin)."""
    lo_thr, hi_thr = _thresholds(band)
    h, l, r = s
    g = (np.abs(l) + r) * en.SLACK
    k = np.minimum(np.maximum(-2 * et, -900), 900)  # beyond: s (in [1, 4d]) is far from the threshold
    above = (h - g) > np.ldexp(hi_thr, k)
    below = (h + g) < np.ldexp(lo_thr, k)
    return above, above | below


def _norm2(s, flows, et):
    """max(S, 1e-12) as a scaled double-word and the exponent `a` with max(S, 1e-12) = value * 2**(2a)."""
    h, l, r = s
    ch, cl, cr = EPS40
    return (np.where(flows, h, ch), np.where(flows, l, cl), np.where(flows, r, cr)), np.where(flows, et, -20)


CHUNK = 1 << 15  # elements per block of rows: the temporaries of a block stay in the cache


def first_pass(t, p, w, fmt: Format, reduction: str, gradients: bool, band: Fraction) -> FirstPass:
    """Decide what the enclosures can: t, p (M, d) and w (M,) hold exact values of the dtype ``fmt``.

    Rows are processed in blocks of about CHUNK elements; only a reduction combines rows.
    """
    rows, d = t.shape
    fmt_args = (fmt.p, fmt.emin, fmt.emax)
    divisor = float(rows) if reduction in ("auto", "sum_over_batch_size") else 1.0
    step = max(1, CHUNK // d)
    blocks = [
        _block(t[i : i + step], p[i : i + step], w[i : i + step], fmt, gradients, band, divisor)
        for i in range(0, rows, step)
    ]
    v = tuple(np.concatenate([b[0][k] for b in blocks]) for k in range(3))
    kv, good = np.concatenate([b[1] for b in blocks]), np.concatenate([b[2] for b in blocks])
    scaled, ok = _rescale(v, kv, fmt)
    if reduction == "none":
        values, decided = en.decide(scaled, *fmt_args)
        out = FirstPass(values, decided & ok & good)
    else:
        out = FirstPass(np.zeros(1), np.zeros(1, dtype=bool))
        if (ok & good).all():
            h, l, r = scaled
            sh, sl, sr = en.dd_sum_rows(np.concatenate([h, l])[None, :])
            total = (sh, sl, (sr + r.sum() * (1.0 + 2 * rows * en.U)) * en.SLACK)
            if reduction in ("auto", "sum_over_batch_size") and en.in_range(total[0]).all():
                total = en.div(total, en.exact(np.array([float(rows)])))
            if en.in_range(total[0]).all():
                out.values, out.values_ok = en.decide(total, *fmt_args)
    if gradients:
        out.gt, out.gp, out.gt_ok, out.gp_ok = (np.concatenate([b[3][k] for b in blocks]) for k in range(4))
    return out


def _block(t, p, w, fmt: Format, gradients: bool, band: Fraction, divisor: float):
    """One block of rows: the per-sample value v (scaled by 2**-kv), kv, the rows that may be decided,
    and the decided gradients (or None)."""
    narrow = fmt.p <= 24
    abs_t, abs_p = np.abs(t), np.abs(p)
    et, ep, ew = _exponent(abs_t.max(axis=1)), _exponent(abs_p.max(axis=1)), _exponent(w)
    ts, ps, ws = np.ldexp(t, -et[:, None]), np.ldexp(p, -ep[:, None]), np.ldexp(w, -ew)
    abs_t, abs_p = np.ldexp(abs_t, -et[:, None]), np.ldexp(abs_p, -ep[:, None])
    mag_tp = np.einsum("ij,ij->i", abs_t, abs_p)  # NaN or infinite exactly when an input of the row is
    good = np.isfinite(mag_tp) & np.isfinite(w)
    splits = None
    if not narrow:  # rows with entries below 2**-480 of their largest (float64 only) are left undecided:
        # scaling them may lose bits, and their products could underflow (Dekker needs them >= 2**-960)
        for x, x0 in ((abs_t, t), (abs_p, p)):
            small = x < _FLOOR
            if small.any():
                good = good & ~(small & (x0 != 0)).any(axis=1)
        splits = en.split(ts), en.split(ps)
    s_tp = _dots(ts, ps, narrow, splits, mag_tp)
    s_tt = _dots(ts, ts, narrow, None if narrow else (splits[0], splits[0]))
    s_pp = _dots(ps, ps, narrow, None if narrow else (splits[1], splits[1]))
    flows_t, clear_t = _clamp(s_tt, et, Fraction(0))
    flows_p, clear_p = _clamp(s_pp, ep, Fraction(0))
    good = good & clear_t & clear_p & en.in_range(s_tp[0], -800, 900)
    a, at = _norm2(s_tt, flows_t, et)
    b, bp = _norm2(s_pp, flows_p, ep)
    root = en.sqrt(en.mul(a, b))
    n = en.mul(en.exact(ws), s_tp)
    v = en.div((-n[0], -n[1], n[2]), root)
    grads = None
    if gradients:
        grads = _gradients(ts, ps, ws, s_tp, s_tt, s_pp, (et, ep, ew), good, divisor, fmt, band, splits)
    return v, ew + et + ep - at - bp, good, grads


def _gradients(ts, ps, ws, s_tp, s_tt, s_pp, exps, good, divisor, fmt, band, splits):
    """d/dy_pred = 2**kp (alpha_p p' - beta t'), d/dy_true = 2**kt (alpha_t t' - beta p') per row, with
    beta = (w' / divisor) / sqrt(A' B') and alpha = beta S_tp' / B' (or / A'), zero on a clamped branch."""
    et, ep, ew = exps
    flows_t, clear_t = _clamp(s_tt, et, band)
    flows_p, clear_p = _clamp(s_pp, ep, band)
    good = good & clear_t & clear_p
    a, at = _norm2(s_tt, flows_t, et)
    b, bp = _norm2(s_pp, flows_p, ep)
    root = en.sqrt(en.mul(a, b))
    beta = en.div(en.div(en.exact(ws), root), en.exact(np.full(ws.shape, divisor)))
    proj = en.mul(beta, s_tp)
    alpha_p = _where(flows_p, en.div(proj, b))
    alpha_t = _where(flows_t, en.div(proj, a))
    base = ew - at - bp
    for x in (alpha_p, alpha_t, beta):  # keeps every product of the float64 combination above 2**-960
        good = good & ((x[0] == 0) | (np.abs(x[0]) >= 2.0**-400))
    ts_split, ps_split = (None, None) if splits is None else splits
    gp, gp_ok = _combine(alpha_p, (ps, ps_split), beta, (ts, ts_split), base + et, good, fmt)
    gt, gt_ok = _combine(alpha_t, (ts, ts_split), beta, (ps, ps_split), base + ep, good, fmt)
    return gt, gp, gt_ok, gp_ok


def _where(mask, x):
    z = np.zeros_like(x[0])
    return tuple(np.where(mask, part, z) for part in x)


def _combine(alpha, own, beta, other, k, good, fmt):
    """Decide 2**k * (alpha * own - beta * other) elementwise, alpha and beta per row.

    float64: the double-word evaluation (two Dekker products, exact as every product is above 2**-960,
    their low parts, a TwoSum and three additions) errs by at most 8.1u**2 (|alpha own| + |beta other|)
    < 16u**2 (|x1| + |y1|). Narrow dtypes: fl(fl(ah own) - fl(bh other)) errs by at most
    u (|x1| + |y1| + |g|) <= 2.1u (|x1| + |y1|), and dropping the low parts al, bl (|al| <= u |ah|) by
    u (|x1| + |y1|) (1 + u): < 4u (|x1| + |y1|). Besides: the radii of alpha and beta, and roundings in the
    subnormal range, each off by at most half a subnormal (2**-1070 covers them).
    """
    (own, own_split), (other, other_split) = own, other
    ah, al, ar = (x[:, None] for x in alpha)
    bh, bl, br = (x[:, None] for x in beta)
    if fmt.p <= 24:
        x1, y1 = ah * own, bh * other
        h = x1 - y1
        l = np.zeros_like(h)
        r = ar * np.abs(own) + br * np.abs(other) + 4.0 * en.U * (np.abs(x1) + np.abs(y1))
    else:
        x1, e1 = en.two_prod(ah, own, None, own_split)
        y1, f1 = en.two_prod(bh, other, None, other_split)
        s, e = en.two_sum(x1, -y1)
        h, l = en.two_sum(s, e + ((e1 + al * own) - (f1 + bl * other)))
        r = ar * np.abs(own) + br * np.abs(other) + 16.0 * en.U * en.U * (np.abs(x1) + np.abs(y1))
    r = (r + 2.0**-1070) * en.SLACK
    scaled, ok = _rescale((h, l, r), np.broadcast_to(k[:, None], h.shape), fmt)
    values, decided = en.decide(scaled, fmt.p, fmt.emin, fmt.emax)
    return values, decided & ok & good[:, None]
