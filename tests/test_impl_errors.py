"""cosine_spec.impl and cosine_spec.impl.fast: rejected arguments raise ValueError saying what was received,
what is allowed and how to fix it (CS-ERR-1, CS-ERR-2, CS-SHAPE-1, CS-SW-5)."""

import cosine_spec.impl
import cosine_spec.impl.fast
import ml_dtypes
import numpy as np
import pytest
from cosine_spec.impl import CosineSimilarityError

# Both implementations: the readable one (cosine_spec.impl, target `reference`) and the fast one.
IMPLEMENTATIONS = {"readable": cosine_spec.impl, "fast": cosine_spec.impl.fast}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def impl(request):
    return IMPLEMENTATIONS[request.param]


F32 = np.ones((2, 3), np.float32)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "names"),
    [
        (np.ones((2, 3)), np.ones((3, 2)), ["(2, 3)", "(3, 2)"]),
        (np.ones(2), np.ones((2, 1)), ["(2,)", "(2, 1)"]),  # TensorFlow broadcasts this silently
        (np.ones((2, 1)), np.ones(2), ["(2, 1)", "(2,)"]),
        (np.ones((4, 3)), np.ones((1, 3)), ["(4, 3)", "(1, 3)"]),  # no broadcasting either
    ],
)
def test_shape_mismatch_names_both_shapes(impl, y_true, y_pred, names):
    with pytest.raises(CosineSimilarityError) as info:
        impl.loss(y_true, y_pred)
    for name in names:
        assert name in str(info.value)


def test_scalars_are_rejected(impl):
    with pytest.raises(ValueError, match=r"shape \(\)"):
        impl.loss(np.float32(1), np.float32(1))
    with pytest.raises(ValueError, match="rank >= 1"):
        impl.loss(1.0, 2.0)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.bool_, np.complex64, np.longdouble, object])
def test_non_float_arrays_are_rejected_with_a_fix(impl, dtype):
    """CS-ERR-1: integer targets included (TensorFlow fails with 'Cannot convert 1e-12 to EagerTensor')."""
    if np.dtype(dtype) == np.dtype(np.float64):  # longdouble is float64 on some platforms
        pytest.skip("longdouble is float64 here")
    bad = np.ones((2, 3), dtype)
    for args in ((bad, F32), (F32, bad)):
        with pytest.raises(CosineSimilarityError) as info:
            impl.loss(*args)
        message = str(info.value)
        assert str(np.dtype(dtype)) in message and "astype(np.float32)" in message


def test_mixed_dtypes_are_rejected(impl):
    with pytest.raises(CosineSimilarityError, match="float32.*float64|float64.*float32"):
        impl.loss(F32, F32.astype(np.float64))
    with pytest.raises(CosineSimilarityError, match="bfloat16"):
        impl.loss(F32.astype(ml_dtypes.bfloat16), F32)


@pytest.mark.parametrize("data", [[["a", "b"]], [[1j, 2]], [[True, False]], [[1.0], [1.0, 2.0]]])
def test_bad_python_data(impl, data):
    with pytest.raises(CosineSimilarityError, match="y_true"):
        impl.loss(data, np.ones((1, 2)) if len(data) == 1 else np.ones((2, 2)))


@pytest.mark.parametrize("axis", [2, -3, 10])
def test_axis_out_of_range(impl, axis):
    """CS-ERR-2: names the axis, the rank and the allowed interval."""
    with pytest.raises(CosineSimilarityError) as info:
        impl.loss(F32, F32, axis=axis)
    assert f"axis={axis}" in str(info.value) and "[-2, 1]" in str(info.value)
    with pytest.raises(ValueError):
        impl.CosineSimilarity(axis=axis)(F32, F32)


@pytest.mark.parametrize("axis", [1.0, "1", None, True])
def test_axis_must_be_an_integer(impl, axis):
    with pytest.raises(CosineSimilarityError, match="integer"):
        impl.CosineSimilarity(axis=axis)
    with pytest.raises(CosineSimilarityError, match="integer"):
        impl.loss(F32, F32, axis=axis)


def test_numpy_integer_axis_is_accepted(impl):
    assert impl.loss(F32, F32, axis=np.int64(0)) == -1


@pytest.mark.parametrize("shape", [(3,), (2, 2), (2, 3), (1, 2, 1, 1)])
def test_weights_that_do_not_fit(impl, shape):
    """CS-SW-5: names the weight shape and the loss shape."""
    with pytest.raises(CosineSimilarityError) as info:
        impl.loss(F32, F32, sample_weight=np.ones(shape, np.float32))
    assert str(shape) in str(info.value) and "(2,)" in str(info.value)


@pytest.mark.parametrize("weight", [["a", "b"], np.array([1 + 1j, 2]), [True, False]])
def test_weights_must_be_real_numbers(impl, weight):
    with pytest.raises(CosineSimilarityError, match="sample_weight"):
        impl.loss(F32, F32, sample_weight=weight)
