"""cosine_spec.impl: per-sample values at the edges (CS-VAL-*, CS-AX-1, CS-RED-1..3, CS-OUT-1, CS-NAN-*).

Expected values here are exact by construction (parallel, orthogonal, zero or scaled vectors), so the
comparisons are exact; accuracy on general inputs is judged against the oracle in test_impl_golden.py
and test_impl_oracle.py.
"""

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


BF16 = np.dtype(ml_dtypes.bfloat16)
DTYPES = [np.dtype(np.float16), BF16, np.dtype(np.float32), np.dtype(np.float64)]
# The largest power of ten below each dtype's maximum: squares of these overflow the dtype itself.
HUGE = {np.dtype(np.float16): 6e4, BF16: 1e38, np.dtype(np.float32): 1e38, np.dtype(np.float64): 1e300}


def arr(values, dtype):
    return np.asarray(values, dtype=np.float64).astype(dtype)


def none(loss, t, p, **kw):
    return loss(t, p, reduction="none", **kw)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_orientation_and_dtype(loss, dtype):
    """CS-VAL-3, CS-OUT-1: same direction -1, opposite +1, orthogonal 0, in the inputs' dtype."""
    t = arr([[1, 2, 3], [1, 2, 3], [1, 0, 0]], dtype)
    p = arr([[2, 4, 6], [-1, -2, -3], [0, 5, 0]], dtype)
    out = none(loss, t, p)
    assert out.dtype == dtype and out.shape == (3,)
    np.testing.assert_array_equal(out.astype(np.float64), [-1, 1, 0])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_zero_vector_gives_zero(loss, dtype):
    """CS-VAL-4 in every dtype (TensorFlow gives NaN in float16, where its epsilon underflows)."""
    t = arr([[0, 0], [1, 2], [0, 0]], dtype)
    p = arr([[1, 2], [0, 0], [0, 0]], dtype)
    np.testing.assert_array_equal(none(loss, t, p).astype(np.float64), [0, 0, 0])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_identical_vectors_stay_in_range(loss, dtype):
    """CS-VAL-2, judged exactly: identical vectors give exactly -1, never -1.0000001."""
    rng = np.random.default_rng(0)
    t = rng.standard_normal((200, 37)).astype(dtype)
    out = none(loss, t, t).astype(np.float64)
    assert np.all(out >= -1) and np.all(out <= 1)
    assert np.all(np.abs(out + 1) <= 2.0 ** -ml_dtypes.finfo(dtype).nmant)


def test_range_on_random_inputs(loss):
    """CS-VAL-2: all values lie in [-1, 1], parallel or not."""
    rng = np.random.default_rng(1)
    t = rng.standard_normal((500, 7)).astype(np.float32)
    for p in (t * np.float32(3), -t, rng.standard_normal((500, 7)).astype(np.float32)):
        out = none(loss, t, p)
        assert np.all(np.abs(out) <= 1)


@pytest.mark.parametrize(
    ("small", "expected"), [(1e-7, -0.1), (5e-7, -0.5), (2e-6, -1.0)], ids=["1e-7", "5e-7", "2e-6"]
)
def test_tiny_vectors_are_scaled_not_normalized(loss, small, expected):
    """CS-VAL-5 (the seed's epsilon floors the squared norm): [s, 0] vs [1, 0] gives -min(s * 1e6, 1)."""
    out = loss(np.array([small, 0.0]), np.array([1.0, 0.0]))
    assert out == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tiny_vector_in_float32_and_float64(loss, dtype):
    """CS-VAL-5: the epsilon is the real 1e-12, not its image in the dtype."""
    out = loss(np.array([5e-7, 0], dtype), np.array([1, 0], dtype))
    assert out == pytest.approx(-(float(np.asarray(5e-7, dtype)) * 1e6), rel=2.0**-20)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_huge_parallel_vectors(loss, dtype):
    """CS-VAL-6: nothing overflows; TensorFlow's squared norm overflows and gives 0 instead."""
    h = HUGE[dtype]
    t = arr([[h, h / 2], [h, 0]], dtype)
    out = none(loss, t, t).astype(np.float64)
    np.testing.assert_array_equal(out, [-1, -1])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_subnormal_parallel_vectors(loss, dtype):
    """CS-VAL-5 with subnormals: a subnormal vector is clamped (scaled by 1e6), so against a unit vector
    the value is -1e6 * x, and the value of it with itself is -1e12 * x**2 (0 after rounding)."""
    tiny = float(ml_dtypes.finfo(dtype).smallest_subnormal)
    t, unit = arr([tiny * 3, 0], dtype), arr([1, 0], dtype)
    out = loss(t, unit).astype(np.float64)
    expected = float(np.asarray(-3e6 * tiny).astype(dtype))
    assert out == expected


def test_scale_invariance_across_magnitudes(loss):
    """CS-VAL-6: positive scaling by powers of two leaves the value unchanged in float64."""
    rng = np.random.default_rng(2)
    t, p = rng.standard_normal((50, 9)), rng.standard_normal((50, 9))
    ref = none(loss, t, p)
    for k in (-15, 30, 900, 1000):  # 2**-15 keeps the squared norms above 1e-12
        np.testing.assert_array_equal(none(loss, np.ldexp(t, k), p), ref)
        np.testing.assert_array_equal(none(loss, t, np.ldexp(p, k)), ref)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_nan_and_inf_poison_only_their_sample(loss, bad, dtype):
    """CS-NAN-1 and CS-NAN-2: the sample is NaN; others stay; sums are NaN, even with weight 0."""
    t = arr([[bad, 1.0], [1.0, 2.0], [0.0, 0.0]], dtype)
    p = arr([[1.0, 1.0], [1.0, 2.0], [bad, 0.0]], dtype)
    out = none(loss, t, p).astype(np.float64)
    assert np.isnan(out[0]) and out[1] == -1 and np.isnan(out[2])
    for red in ("sum", "sum_over_batch_size"):
        assert np.isnan(loss(t, p, reduction=red, sample_weight=np.array([0.0, 1.0, 0.0])))
    assert np.isnan(none(loss, t, p, sample_weight=np.zeros(3)).astype(np.float64)[0])


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
def test_axis_drops_that_dimension(loss, axis):
    """CS-AX-1: values along `axis`; the loss shape is the input shape without it."""
    rng = np.random.default_rng(3)
    t, p = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    out = none(loss, t, p, axis=axis)
    moved_t, moved_p = np.moveaxis(t, axis, -1), np.moveaxis(p, axis, -1)
    np.testing.assert_array_equal(out, none(loss, moved_t, moved_p))
    assert out.shape == moved_t.shape[:-1]


def test_rank_one_input_is_one_vector(loss):
    out = loss(np.array([1.0, 0.0]), np.array([1.0, 1.0]), reduction="none")
    assert out.shape == () and out == pytest.approx(-np.sqrt(0.5), rel=1e-16)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("shape", "axis"), [((0, 3), -1), ((3, 0), -1), ((0,), 0), ((2, 0, 4), 2)])
def test_empty_inputs(loss, dtype, shape, axis):
    """CS-RED-1, CS-RED-3, CS-VAL-4: empty batches and length-0 vectors."""
    t = np.zeros(shape, dtype)
    loss_shape = shape[: axis % len(shape)] + shape[axis % len(shape) + 1 :]
    out = none(loss, t, t, axis=axis)
    assert out.shape == loss_shape and out.dtype == dtype
    np.testing.assert_array_equal(out.astype(np.float64), np.zeros(loss_shape))
    for red in ("sum", "sum_over_batch_size", "auto"):
        total = loss(t, t, axis=axis, reduction=red)
        assert total.shape == () and total.dtype == dtype and total == 0


def test_reductions_relate(loss):
    """CS-RED-1..3: sum is the sum of the "none" losses; sum_over_batch_size divides by their count."""
    t = np.array([[[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]])  # loss shape (1, 3)
    p = np.array([[[1.0, 0.0], [-1.0, -1.0], [1.0, 0.0]]])
    np.testing.assert_array_equal(none(loss, t, p), [[-1.0, 1.0, 0.0]])
    assert loss(t, p, reduction="sum") == 0.0
    t[0, 2] = [1.0, 0.0]
    assert loss(t, p, reduction="sum") == -1.0
    assert loss(t, p, reduction="sum_over_batch_size") == -1.0 / 3.0


def test_result_is_rounded_once_in_float32(loss):
    """CS-NUM-1: sum over batch of values -1, 0, 0 is -1/3 rounded once."""
    t = np.array([[1, 0], [1, 0], [1, 0]], np.float32)
    p = np.array([[1, 0], [0, 1], [0, 1]], np.float32)
    assert loss(t, p) == np.float32(-1.0 / 3.0)


def test_bfloat16_rounds_once(loss):
    """Rounding float64 to bfloat16 directly, not through float32 (which would round twice)."""
    from cosine_spec.impl.reference import round_to

    x = np.array([1 + 2.0**-8 + 2.0**-30, -(1 + 2.0**-8 + 2.0**-30), 1 + 2.0**-8, 3.4e38, 1e-40])
    got = round_to(x, BF16).astype(np.float64)
    np.testing.assert_array_equal(got[:3], [1 + 2.0**-7, -(1 + 2.0**-7), 1.0])
    assert got[3] == np.inf  # beyond the largest bfloat16 plus half an ulp
    assert got[4] == pytest.approx(1e-40, rel=2.0**-6)


def test_python_data_take_the_other_arguments_dtype(loss):
    p = np.array([[1.0, 2.0]], np.float16)
    assert loss([[1, 2]], p).dtype == np.float16
    assert loss(p, [[1.0, 2.0]]).dtype == np.float16
    assert loss([[1.0, 2.0]], [[2.0, 4.0]]).dtype == np.float32


def test_inputs_are_not_modified(loss):
    t = np.array([[1e300, 3.0]])
    p = np.array([[1.0, -2.0]])
    t0, p0 = t.copy(), p.copy()
    loss(t, p)
    loss.grad(t, p)
    np.testing.assert_array_equal(t, t0)
    np.testing.assert_array_equal(p, p0)
