"""cosine_spec.impl: sample weights (CS-SW-1..CS-SW-6)."""

import cosine_spec.impl
import cosine_spec.impl.fast
import ml_dtypes
import numpy as np
import pytest

# Both implementations: the readable one (cosine_spec.impl, target `reference`) and the fast one.
IMPLEMENTATIONS = {"readable": cosine_spec.impl, "fast": cosine_spec.impl.fast}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def loss(request):
    return IMPLEMENTATIONS[request.param].loss


RNG = np.random.default_rng(7)
T3 = RNG.standard_normal((2, 3, 4))  # loss shape (2, 3)
P3 = RNG.standard_normal((2, 3, 4))


def per_sample(loss, **kw):
    return loss(T3, P3, reduction="none", **kw)


def test_none_means_ones(loss):
    """CS-SW-1."""
    np.testing.assert_array_equal(per_sample(loss, sample_weight=None), per_sample(loss, sample_weight=np.ones((2, 3))))


@pytest.mark.parametrize("scalar", [0.25, np.float64(2.0), np.array(0.5), 4])
def test_scalar_scales(loss, scalar):
    """CS-SW-2 (powers of two, so both sides round alike)."""
    np.testing.assert_array_equal(
        per_sample(loss, sample_weight=scalar),
        per_sample(
            loss,
        )
        * float(scalar),
    )


@pytest.mark.parametrize("shape", [(2,), (2, 1), (2, 3), (2, 3, 1), (1, 3)])
def test_weight_shapes_that_fit(loss, shape):
    """CS-SW-3, CS-SW-4: [batch] scales each sample for any rank (it aligns with the LEADING axes);
    a trailing 1 beyond the loss rank is dropped; anything broadcasting to the loss shape is elementwise."""
    w = np.arange(1, 1 + np.prod(shape), dtype=np.float64).reshape(shape)
    got = per_sample(loss, sample_weight=w)
    aligned = w.reshape(w.shape[:-1]) if w.ndim == 3 else w
    if aligned.ndim == 1:
        aligned = aligned[:, None]
    np.testing.assert_allclose(
        got,
        per_sample(
            loss,
        )
        * aligned,
        rtol=2.0**-51,
    )  # one rounding apart


def test_batch_weight_scales_each_sample_of_rank_3_inputs(loss):
    """CS-SW-3 for rank > 2: a [batch] weight multiplies all losses of that sample."""
    w = np.array([2.0, -1.0])
    got = loss(T3, P3, sample_weight=w, reduction="sum")
    ref = loss(T3, P3, reduction="none")
    assert got == pytest.approx(2 * ref[0].sum() - ref[1].sum(), rel=1e-15)


def test_weights_are_rounded_to_the_loss_dtype(loss):
    """CS-SW-6: float32 weight 0.2 is 0.20000000298023224; -0.2 * 1 / 2 rounds to float32 -0.1."""
    t = np.array([[0, 1], [1, 1]], np.float32)
    p = np.array([[1, 0], [1, 1]], np.float32)
    got = loss(t, p, sample_weight=[0.8, 0.2])
    assert got.dtype == np.float32 and got == np.float32(-float(np.float32(0.2)) / 2)
    half = loss(t.astype(np.float16), p.astype(np.float16), sample_weight=[0.8, 0.2], reduction="none")
    assert half[1] == -np.float16(0.2)


def test_weight_overflowing_the_dtype_is_infinite(loss):
    """CS-SW-6: a weight beyond float16 rounds to inf; inf * 0 is NaN (IEEE 754)."""
    t = np.array([[1, 0], [1, 0]], np.float16)
    p = np.array([[1, 0], [0, 1]], np.float16)
    out = loss(t, p, sample_weight=[1e6, 1e6], reduction="none").astype(np.float64)
    assert out[0] == -np.inf and np.isnan(out[1])


def test_huge_weights_in_float64_do_not_overflow_early(loss):
    t = np.array([[1.0, 0.0], [1.0, 0.0]])
    p = np.array([[1.0, 0.0], [-1.0, 0.0]])
    w = np.array([1e308, 1e308])
    assert loss(t, p, sample_weight=w, reduction="sum") == 0.0
    np.testing.assert_array_equal(loss(t, p, sample_weight=w, reduction="none"), [-1e308, 1e308])
    assert loss(t, t, sample_weight=w, reduction="sum") == -np.inf


def test_weight_aligns_with_leading_axes(loss):
    """CS-SW-3: a rank-1 weight of length 3 against losses (2, 3) aligns with the batch axis: no fit."""
    with pytest.raises(ValueError, match=r"\(3,\)"):
        per_sample(loss, sample_weight=np.ones(3))


def test_negative_and_zero_weights(loss):
    w = np.array([[0.0, -1.0, 2.0], [1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(
        per_sample(loss, sample_weight=w),
        per_sample(
            loss,
        )
        * w,
    )


def _round_int(v: int, bits: int) -> int:
    """The integer ``v`` rounded to ``bits`` significant bits, half to even, in exact integer arithmetic."""
    shift = max(abs(v).bit_length() - bits, 0)
    if shift == 0:
        return v
    q, r = divmod(abs(v), 1 << shift)
    half = 1 << (shift - 1)
    q += r > half or (r == half and q % 2 == 1)
    return (q << shift) * (1 if v >= 0 else -1)


@pytest.mark.parametrize("dtype", [np.float32, ml_dtypes.bfloat16, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("w", [2**60 + 2**36 + 1, -(2**60 + 2**36 + 1), 2**62 + 2**38 + 2**37 + 1, 2**53 + 1])
def test_integer_weights_beyond_2_53_round_once(loss, dtype, w):
    """CS-SW-6: an int64 weight is rounded ONCE to the loss dtype, not through float64 (where 2**60 + 2**36 + 1
    becomes the float32 tie 2**60 + 2**36, which rounds to 2**60 instead of 2**60 + 2**37).

    The per-sample value is exactly -1, so the expected result is -(the weight rounded once). It is computed
    here in exact integer arithmetic: the oracle (spec.oracle.evaluate) rounded such weights through float64
    too when this test was written; once it rounds them once, both agree."""
    t = np.array([[1.0, 0.0]], dtype)
    bits = ml_dtypes.finfo(dtype).nmant + 1
    got = loss(t, t, np.array([w], np.int64), reduction="none").astype(np.float64)
    assert got.tolist() == [float(-_round_int(w, bits))]
