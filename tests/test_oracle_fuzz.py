"""Differential test of the oracle against an independent mpmath evaluation, on fresh random cases per run.

The evaluator below is written from the spec's formulas alone (CS-VAL-1, CS-VAL-5, CS-RED-*, CS-SW-*,
CS-GRAD-1), not from the oracle's code: mpmath at 4,400 bits, enough to hold every sum of products of
float64 values exactly, then its own rounding to each format. At that precision a computed value within
2**-3000 (relative) of a rounding midpoint is an exact tie, and a sum within 2**-3000 of its largest term
is an exact zero: the cases are small, so no genuine non-tie comes that close.

Each run draws ``FUZZ_CASES`` new cases (seed printed on failure; set COSINE_SPEC_FUZZ_SEED to replay):
random vectors, exact ties, exact and near cancellations in reductions, subnormals, values near the
overflow threshold, and squared norms in the clamp band; values always, gradients on every fourth case.
"""

from __future__ import annotations

import os
import random

import mpmath
import numpy as np
import pytest
from cosine_spec.spec import oracle
from cosine_spec.spec.exact import FORMATS
from cosine_spec.spec.shapes import np_dtype

FUZZ_CASES = 10_000
PREC = 4400
SNAP = mpmath.mpf(2) ** -3000
DTYPES = ("float16", "bfloat16", "float32", "float64")


def round_to(x, dtype: str) -> float:
    """The independent rounding: x to the nearest value of the format, ties to even, overflow to inf."""
    with mpmath.workprec(PREC):
        return _round_to(x, FORMATS[dtype])


def _round_to(x, fmt) -> float:
    if x == 0:
        return 0.0
    sign = -1 if x < 0 else 1
    a = abs(x)
    e = max(int(mpmath.floor(mpmath.log(a, 2))), fmt.emin)
    while mpmath.mpf(2) ** e > a and e > fmt.emin:  # log may be off by one at powers of two
        e -= 1
    while mpmath.mpf(2) ** (e + 1) <= a:
        e += 1
    quantum = mpmath.mpf(2) ** (max(e, fmt.emin) - fmt.p + 1)
    n = a / quantum
    k = int(mpmath.floor(n))
    frac = n - k
    if abs(frac - mpmath.mpf(0.5)) < SNAP * n:
        k += k & 1  # an exact tie: to even
    elif frac > 0.5:
        k += 1
    value = k * quantum
    if value > (2 - mpmath.mpf(2) ** (1 - fmt.p)) * mpmath.mpf(2) ** fmt.emax:
        return sign * float("inf")
    return sign * float(value)


def independent(t, p, w, reduction: str, gradients: bool):
    """Exact-enough values (and gradients of the reduced loss) of the clause formula, in mpmath."""
    with mpmath.workprec(PREC):
        eps = mpmath.mpf(1) / 10**12
        rows = []
        for tr, pr in zip(t.tolist(), p.tolist(), strict=True):
            tm, pm = [mpmath.mpf(x) for x in tr], [mpmath.mpf(y) for y in pr]
            s_tp = mpmath.fsum(x * y for x, y in zip(tm, pm, strict=True))
            s_tt, s_pp = mpmath.fsum(x * x for x in tm), mpmath.fsum(y * y for y in pm)
            rows.append((tm, pm, s_tp, s_tt, s_pp))
        n = len(rows) if reduction in ("auto", "sum_over_batch_size") else 1
        terms = []
        for (_, _, s_tp, s_tt, s_pp), wi in zip(rows, w.tolist(), strict=True):
            a, b = max(s_tt, eps), max(s_pp, eps)
            terms.append(mpmath.mpf(wi) * (-s_tp / (mpmath.sqrt(a) * mpmath.sqrt(b))))
        if reduction == "none":
            values = terms
        else:
            total = mpmath.fsum(terms)
            biggest = max((abs(x) for x in terms), default=mpmath.mpf(0))
            values = [mpmath.mpf(0) if abs(total) <= SNAP * biggest else total / n]
        grads = None
        if gradients:
            gt, gp = [], []
            for (tm, pm, s_tp, s_tt, s_pp), wi in zip(rows, w.tolist(), strict=True):
                ft, fp = s_tt >= eps, s_pp >= eps
                a, b = (s_tt if ft else eps), (s_pp if fp else eps)
                c = mpmath.mpf(wi) / n / mpmath.sqrt(a * b)
                for out, own, other, flows, norm2 in ((gp, pm, tm, fp, b), (gt, tm, pm, ft, a)):
                    for x, y in zip(own, other, strict=True):
                        g = c * ((s_tp * x / norm2 if flows else 0) - y)
                        scale = abs(c) * (abs(y) + (abs(s_tp * x / norm2) if flows else 0))
                        out.append(mpmath.mpf(0) if abs(g) <= SNAP * scale else g)
            grads = (gt, gp)
    return values, grads


def _value(rng: random.Random, dtype: str, kind: str) -> float:
    fmt = FORMATS[dtype]
    sign = -1 if rng.random() < 0.5 else 1
    m = (1 << (fmt.p - 1)) | rng.getrandbits(fmt.p - 1)
    if kind == "subnormal":
        return sign * rng.randint(1, (1 << (fmt.p - 1)) - 1) * 2.0 ** (fmt.emin - fmt.p + 1)
    if kind == "huge":
        return sign * m * 2.0 ** (rng.randint(fmt.emax - 3, fmt.emax) - fmt.p + 1)
    if kind == "int":
        return float(rng.randint(-4, 4))
    return sign * m * 2.0 ** (rng.randint(-3, 3) - fmt.p + 1)


def _vector(rng: random.Random, dtype: str, d: int) -> list[float]:
    kind = rng.choices(["normal", "int", "mixed", "subnormal", "huge", "band"], [4, 2, 2, 1, 1, 2])[0]
    if kind == "band":  # squared norm within a few ulps of 1e-12: either side of the clamp
        direction = [_value(rng, "float64", "normal") for _ in range(d)]
        norm = sum(x * x for x in direction) ** 0.5
        wiggle = 1 + rng.choice([-1, 1]) * rng.random() * 2.0 ** -rng.randint(2, FORMATS[dtype].p)
        return [x / norm * 1e-6 * wiggle for x in direction]
    if kind == "mixed":
        return [_value(rng, dtype, rng.choice(["normal", "int", "subnormal", "huge"])) for _ in range(d)]
    return [_value(rng, dtype, kind) for _ in range(d)]


def _case(rng: random.Random):
    dtype = rng.choice(DTYPES)
    reduction = rng.choice(["none", "sum", "sum_over_batch_size", "auto"])
    d = rng.randint(1, 6)
    kind = rng.choices(["random", "cancel", "tie"], [6, 3, 1])[0]
    if kind == "random":
        rows = rng.randint(1, 4)
        t = [_vector(rng, dtype, d) for _ in range(rows)]
        p = [_vector(rng, dtype, d) for _ in range(rows)]
        w = [rng.choice([1.0, 0.0, -0.5, 0.75, 3.0, 2.0**-10, 6e4]) for _ in range(rows)]
    elif kind == "cancel":  # (t, p) and (k t, -p): the values cancel exactly, or nearly after one nudge
        t0, p0 = [_vector(rng, dtype, d)], [_vector(rng, dtype, d)]
        k = float(rng.choice([1, 2, 3, 4]))
        t, p = t0 + [[k * x for x in t0[0]]], p0 + [[-y for y in p0[0]]]
        if rng.random() < 0.5:
            j = rng.randrange(d)
            p[1][j] = float(np.nextafter(np.array(p[1][j], np_dtype(dtype)), np.array(np.inf, np_dtype(dtype))))
        w = [1.0, 1.0]
    else:  # parallel rows give -w exactly: -(1 + 2**-p) is a midpoint, plus an irrational pair that cancels
        p_bits = FORMATS[dtype].p
        t = [[1.0] + [0.0] * (d - 1), [1.0] + [0.0] * (d - 1)]
        p = [[2.0] + [0.0] * (d - 1), [1.0] + [0.0] * (d - 1)]
        w = [1.0, rng.choice([2.0**-p_bits, 3 * 2.0**-p_bits, 2.0 ** (1 - p_bits)])]
        if d >= 2:
            t += [[1.0, 1.0] + [0.0] * (d - 2), [3.0, 3.0] + [0.0] * (d - 2)]
            p += [[1.0, 2.0] + [0.0] * (d - 2), [-1.0, -2.0] + [0.0] * (d - 2)]
            w += [1.0, 1.0]
        reduction = rng.choice(["sum", "sum_over_batch_size"]) if d >= 2 else reduction
    kind_np = np_dtype(dtype)
    with np.errstate(over="ignore"):
        arrays = [np.array(x, dtype=np.float64).astype(kind_np) for x in (t, p)]
    if not (np.isfinite(arrays[0]).all() and np.isfinite(arrays[1]).all()):  # k t overflowed: keep inputs finite
        arrays = [np.where(np.isfinite(a), a, np.array(1.0, kind_np)) for a in arrays]
    return dtype, reduction, arrays[0], arrays[1], np.array(w, dtype=np.float64).astype(kind_np)


def _seed() -> int:
    return int(os.environ.get("COSINE_SPEC_FUZZ_SEED") or random.SystemRandom().getrandbits(32))


def test_oracle_agrees_with_an_independent_mpmath_evaluation(monkeypatch):
    """Every other case with the fast pass forced on (it is skipped for small value-only calls)."""
    seed = _seed()
    rng = random.Random(seed)
    for number in range(FUZZ_CASES):
        dtype, reduction, t, p, w = _case(rng)
        with_grads = number % 4 == 0
        monkeypatch.setattr(oracle, "FAST_MIN_ROWS", 0 if number % 2 else 16)
        res = oracle.evaluate(t, p, w, reduction=reduction, dtype=dtype, gradients=with_grads)
        want, grads = independent(
            t.astype(np.float64),
            p.astype(np.float64),
            w.astype(np.float64),
            reduction,
            with_grads and bool(np.isfinite(t).all() and np.isfinite(p).all()),
        )
        where = f"seed {seed}, case {number}: {dtype} {reduction} t={t.tolist()} p={p.tolist()} w={w.tolist()}"
        assert res.values == [round_to(x, dtype) for x in want], where
        if grads is not None and np.isfinite(w).all():
            gt, gp = res.gradients[0]
            assert gt == [round_to(x, dtype) for x in grads[0]], where
            assert gp == [round_to(x, dtype) for x in grads[1]], where


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_independent_rounding_rounds_ties_to_even_and_overflows(dtype):
    fmt = FORMATS[dtype]
    with mpmath.workprec(PREC):
        one_and_half_ulp = 1 + mpmath.mpf(2) ** -fmt.p
        assert round_to(one_and_half_ulp, dtype) == 1.0
        assert round_to(1 + 3 * mpmath.mpf(2) ** -fmt.p, dtype) == 1 + 2.0 ** (2 - fmt.p)
        assert round_to(-(mpmath.mpf(2) ** (fmt.emax + 1)), dtype) == -float("inf")
        assert round_to(mpmath.mpf(2) ** (fmt.emin - fmt.p), dtype) == 0.0  # half the smallest subnormal
