"""cosine_spec.impl: the public API (CS-API-1..3, CS-RED-4, CS-RED-6) and the seed's examples (CS-EX-1..4)."""

import doctest

import cosine_spec.impl as impl
import numpy as np
import pytest
from cosine_spec.impl import CosineSimilarity, CosineSimilarityError, Reduction, loss
from cosine_spec.spec import doccheck

# The seed page's printed outputs (TensorFlow r2.4); the spec's doccheck reads each number to the
# precision written (one unit in its last digit).
SEED_PRINTED = {
    "auto": "-0.5",
    "weighted": "-0.0999",
    "sum": "-0.999",
    "none": "array([-0., -0.999], dtype=float32)",
}
Y_TRUE = [[0.0, 1.0], [1.0, 1.0]]
Y_PRED = [[1.0, 0.0], [1.0, 1.0]]


def _seed_results():
    return {
        "auto": CosineSimilarity(axis=1)(Y_TRUE, Y_PRED),
        "weighted": CosineSimilarity(axis=1)(Y_TRUE, Y_PRED, sample_weight=[0.8, 0.2]),
        "sum": CosineSimilarity(axis=1, reduction=Reduction.SUM)(Y_TRUE, Y_PRED),
        "none": CosineSimilarity(axis=1, reduction=Reduction.NONE)(Y_TRUE, Y_PRED),
    }


def test_docstring_examples_run():
    """The package docstring holds the seed's four examples as doctests, printed as we print them."""
    result = doctest.testmod(impl, optionflags=doctest.ELLIPSIS, raise_on_error=False, verbose=False)
    assert result.attempted >= 8
    assert result.failed == 0


@pytest.mark.parametrize("key", SEED_PRINTED)
def test_seed_examples_match_printed_digits(key):
    """CS-EX-1..4: our results agree with the seed's digits to the precision written."""
    got = repr(_seed_results()[key])
    assert doccheck.explain(SEED_PRINTED[key], got) is None, (key, got)


def test_seed_results_are_float32():
    """CS-OUT-1 / CS-TF-1: nested Python lists of floats are read as float32."""
    results = _seed_results()
    assert all(r.dtype == np.float32 for r in results.values())
    assert results["none"].shape == (2,)
    assert results["auto"].shape == ()


def test_constructor_defaults_and_config_round_trip():
    """CS-API-1, CS-API-3."""
    default = CosineSimilarity()
    assert default.get_config() == {"axis": -1, "reduction": "auto", "name": "cosine_similarity"}
    loss_obj = CosineSimilarity(axis=1, reduction="sum", name="cs")
    config = loss_obj.get_config()
    assert config == {"axis": 1, "reduction": "sum", "name": "cs"}
    clone = CosineSimilarity.from_config(config)
    rng = np.random.default_rng(3)
    t, p = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(clone(t, p), loss_obj(t, p))
    assert clone.get_config() == config


def test_reduction_members_are_their_strings():
    assert [r.value for r in Reduction] == ["auto", "none", "sum", "sum_over_batch_size"]
    assert Reduction.SUM == "sum"
    assert str(Reduction.NONE) == "none"


@pytest.mark.parametrize("reduction", ["mean", "SUM", "", None, 1])
def test_unknown_reduction_raises_listing_allowed_values(reduction):
    """CS-RED-6: at construction and in the functional form."""
    with pytest.raises(CosineSimilarityError, match="sum_over_batch_size") as info:
        CosineSimilarity(reduction=reduction)
    assert repr(reduction) in str(info.value)
    with pytest.raises(ValueError, match="reduction"):
        loss([1.0], [1.0], reduction=reduction)


def test_auto_equals_sum_over_batch_size():
    """CS-RED-4."""
    rng = np.random.default_rng(4)
    t, p = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    np.testing.assert_array_equal(loss(t, p, reduction="auto"), loss(t, p, reduction="sum_over_batch_size"))


def test_functional_contract_defaults():
    """The harness's target contract: keyword-only axis and reduction, numpy arrays out, .grad present."""
    t = np.array([[1.0, 0.0]], np.float32)
    out = loss(t, t)
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float32
    assert out == -1
    with pytest.raises(TypeError):
        loss(t, t, None, -1)  # axis is keyword-only
    g_t, g_p = loss.grad(t, t)
    assert g_t.shape == g_p.shape == t.shape and g_t.dtype == np.float32


def test_error_class_is_value_error():
    assert issubclass(CosineSimilarityError, ValueError)


def test_class_grad_matches_functional():
    rng = np.random.default_rng(5)
    t, p = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    ours = CosineSimilarity(axis=0, reduction="sum").grad(t, p)
    ref = loss.grad(t, p, axis=0, reduction="sum")
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_array_equal(a, b)
