"""The fast implementation (cosine_spec.impl.fast) at the edges of float64 and at the clamp, against the oracle
(CS-RED-3, CS-GRAD-1, CS-VAL-5, Notation: 1e-12 is the real 10**-12), bit-exact or within its promise of
conf/accuracy.toml. The readable implementation is judged at these edges by the harness's tolerance (the
golden tier, tests/test_impl_golden.py and tests/test_impl_oracle.py)."""

from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
from cosine_spec.conf.bench_impl import accuracy_promises
from cosine_spec.impl.fast import loss
from cosine_spec.spec import oracle

PROMISE = accuracy_promises()["reference-fast"]
GRAD_ULPS = PROMISE["gradient_ulps"]
NARROW_GRAD_ULPS = PROMISE["narrow_gradient_ulps"]


def _ulps(got, want):
    got, want = np.asarray(got, np.float64).ravel(), np.asarray(want, np.float64).ravel()
    with np.errstate(all="ignore"):
        return np.where(got == want, 0.0, np.abs(got - want) / np.spacing(np.abs(want)))


def _grad_ulps(t, p, w, reduction, dtype="float64", row_scale=False):
    """Fewest ulps (of the dtype) between ``loss.grad`` and any of the oracle's alternatives; with
    ``row_scale``, ulps of each row's largest element (cancellation between the two terms of one element
    is not the point there; a wrong clamp decision errs by O(1) of the row)."""
    g_t, g_p = loss.grad(t, p, w, reduction=reduction)
    res = oracle.evaluate(t, p, w, reduction=reduction, dtype=dtype, gradients=True)
    spacing = np.spacing if dtype == "float64" else (lambda x: np.spacing(x.astype(t.dtype)).astype(np.float64))
    best = np.inf
    for a, b in res.gradients:
        err = 0.0
        for g, ref in ((g_t, a), (g_p, b)):
            g, ref = g.astype(np.float64), np.array(ref, np.float64).reshape(g.shape)
            scale = np.max(np.abs(ref), axis=-1, keepdims=True) if row_scale else np.abs(ref)
            with np.errstate(all="ignore"):
                err = max(err, np.max(np.where(g == ref, 0.0, np.abs(g - ref) / spacing(scale)), initial=0.0))
        best = min(best, err)
    return best


@pytest.mark.parametrize("reduction", ["sum", "sum_over_batch_size", "auto", "none"])
@pytest.mark.parametrize("w", [[1e305], [1.5e308, 1.5e308], [1.7e308, -1.7e308 / 3], [-8e307, 1e308, 1e308]])
def test_mean_near_the_float64_range(reduction, w):
    """Dividing by N must not overflow the Dekker split nor an intermediate sum (CS-RED-3)."""
    w = np.array(w)
    t = np.tile([[1.0, 0.0]], (w.size, 1))
    p = np.tile([[1.0, 1e-3]], (w.size, 1))
    got = np.asarray(loss(t, p, w, reduction=reduction)).ravel().tolist()
    assert got == oracle.evaluate(t, p, w, reduction=reduction, dtype="float64").values


GRAD_CASES = [
    ([[1e300, 1.0]], [[0.0, 1.0]], [1e300]),  # tiny cosine times a huge weight (the reported repro)
    ([[1e-200, 1e200]], [[1e200, 1e-200]], [1e300]),  # cosine 2e-400: below the float64 range
    ([[1.1e-6, 1e-320]], [[0.0, 1.0]], [1e300]),  # subnormal cosine
    ([[5e-324, 0.0]], [[1.0, 3.0]], [1e10]),  # clamped subnormal row: 1e6 * 2**ex underflowed
    ([[1.0, 2.0], [2.0, 1.0]], [[3.0, -1.0], [1.0, 1.0]], [1e-310, 3e-308]),  # subnormal weights
    ([[1e-150, 3e-150, -2e-150]], [[2e150, -1e150, 5e149]], [1e-5]),
]


@pytest.mark.parametrize("reduction", ["sum", "sum_over_batch_size", "none"])
@pytest.mark.parametrize(("t", "p", "w"), GRAD_CASES)
def test_gradient_without_premature_underflow(t, p, w, reduction):
    """Each gradient term is formed from mantissas and shifted once (CS-GRAD-1)."""
    t, p, w = np.array(t), np.array(p), np.array(w)
    assert _grad_ulps(t, p, w, reduction) <= GRAD_ULPS


def _rows_at_the_clamp(dtype, n, seed=1):
    """Rows of three elements whose exact squared norm lies very near 10**-12, either side."""
    rng = np.random.default_rng(seed)
    ang = rng.uniform(0.0, np.pi / 2, n)
    t = (1e-6 * np.stack([np.cos(ang), np.sin(ang)], 1)).astype(dtype)
    rest = [float(Fraction(1, 10**12) - sum(Fraction(float(v)) ** 2 for v in r)) for r in t]
    return np.concatenate([t, np.sqrt(np.abs(rest)).astype(dtype)[:, None]], 1)


def _between(n):
    """float64 rows ``[a, b]`` with ``fl(1e-12) <= S < 10**-12``: clamped, though their sum rounds to fl(1e-12)."""
    lo, hi, out, a = Fraction(1e-12), Fraction(1, 10**12), [], 0.8e-6
    while len(out) < n:
        a = np.nextafter(a, 1.0)
        b = np.sqrt(float(lo - Fraction(a) ** 2))
        out += [
            [a, c]
            for c in (b, np.nextafter(b, 0.0), np.nextafter(b, 1.0))
            if lo <= Fraction(a) ** 2 + Fraction(c) ** 2 < hi
        ]
    return np.array(out[:n])


def test_clamp_compares_with_the_real_1e_12_float64():
    """CS-VAL-5: S in [fl(1e-12), 1e-12) is clamped; values bit-exact, gradients (no c-term) close."""
    t = _between(6)
    for p in (t.copy(), np.tile([0.3, -0.2], (len(t), 1))):
        got = loss(t, p, reduction="none").tolist()
        assert got == oracle.evaluate(t, p, None, reduction="none", dtype="float64").values
        assert _grad_ulps(t, p, None, "sum") <= GRAD_ULPS


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16, np.float32, np.float64])
def test_clamp_near_the_threshold_matches_the_oracle(dtype):
    """Rows within rounding of 1e-12 are decided exactly (the float64 row sums are not exact enough)."""
    name = np.dtype(dtype).name
    t = _rows_at_the_clamp(dtype, 60)
    p = np.tile(np.array([0.5, -1.0, 2.0]), (len(t), 1)).astype(dtype)
    assert (
        loss(t, p, reduction="none").astype(np.float64).tolist()
        == oracle.evaluate(t, p, None, reduction="none", dtype=name).values
    )
    assert _grad_ulps(t, p, None, "sum", name, row_scale=True) <= (GRAD_ULPS if name == "float64" else NARROW_GRAD_ULPS)
