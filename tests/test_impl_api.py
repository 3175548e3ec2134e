"""cosine_spec.impl and cosine_spec.impl.fast: the public API (CS-API-1..3, CS-RED-4, CS-RED-6) and the seed's
examples (CS-EX-1..4)."""

import doctest

import cosine_spec.impl
import cosine_spec.impl.fast
import numpy as np
import pytest
from cosine_spec.impl import CosineSimilarityError, Reduction
from cosine_spec.spec import doccheck

# Both implementations: the readable one (cosine_spec.impl, target `reference`) and the fast one.
IMPLEMENTATIONS = {"readable": cosine_spec.impl, "fast": cosine_spec.impl.fast}
API = ["CosineSimilarity", "CosineSimilarityError", "Reduction", "grad", "loss", "value_and_grad"]


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def impl(request):
    return IMPLEMENTATIONS[request.param]


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


def _seed_results(impl):
    cls = impl.CosineSimilarity
    return {
        "auto": cls(axis=1)(Y_TRUE, Y_PRED),
        "weighted": cls(axis=1)(Y_TRUE, Y_PRED, sample_weight=[0.8, 0.2]),
        "sum": cls(axis=1, reduction=Reduction.SUM)(Y_TRUE, Y_PRED),
        "none": cls(axis=1, reduction=Reduction.NONE)(Y_TRUE, Y_PRED),
    }


@pytest.mark.parametrize(("module", "examples"), [(cosine_spec.impl, 8), (cosine_spec.impl.fast, 1)])
def test_docstring_examples_run(module, examples):
    """The package docstring of cosine_spec.impl (the readable loss) holds the seed's four examples as doctests,
    printed as we print them; cosine_spec.impl.fast shows one."""
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, raise_on_error=False, verbose=False)
    assert result.attempted >= examples
    assert result.failed == 0


def test_same_public_api(impl):
    """Both implementations export the same names; the argument checks and the error class are shared."""
    assert set(API) <= set(impl.__all__)
    assert impl.CosineSimilarityError is CosineSimilarityError and impl.Reduction is Reduction


def test_package_loss_is_the_readable_one():
    assert cosine_spec.impl.loss is cosine_spec.impl.reference.loss


@pytest.mark.parametrize("key", SEED_PRINTED)
def test_seed_examples_match_printed_digits(impl, key):
    """CS-EX-1..4: our results agree with the seed's digits to the precision written."""
    got = repr(_seed_results(impl)[key])
    assert doccheck.explain(SEED_PRINTED[key], got) is None, (key, got)


def test_seed_results_are_float32(impl):
    """CS-OUT-1 / CS-TF-1: nested Python lists of floats are read as float32."""
    results = _seed_results(impl)
    assert all(r.dtype == np.float32 for r in results.values())
    assert results["none"].shape == (2,)
    assert results["auto"].shape == ()


def test_constructor_defaults_and_config_round_trip(impl):
    """CS-API-1, CS-API-3."""
    default = impl.CosineSimilarity()
    assert default.get_config() == {"axis": -1, "reduction": "auto", "name": "cosine_similarity"}
    loss_obj = impl.CosineSimilarity(axis=1, reduction="sum", name="cs")
    config = loss_obj.get_config()
    assert config == {"axis": 1, "reduction": "sum", "name": "cs"}
    clone = impl.CosineSimilarity.from_config(config)
    assert type(clone) is impl.CosineSimilarity
    rng = np.random.default_rng(3)
    t, p = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(clone(t, p), loss_obj(t, p))
    assert clone.get_config() == config


def test_reduction_members_are_their_strings():
    assert [r.value for r in Reduction] == ["auto", "none", "sum", "sum_over_batch_size"]
    assert Reduction.SUM == "sum"
    assert str(Reduction.NONE) == "none"


@pytest.mark.parametrize("reduction", ["mean", "SUM", "", None, 1])
def test_unknown_reduction_raises_listing_allowed_values(impl, reduction):
    """CS-RED-6: at construction and in the functional form."""
    with pytest.raises(CosineSimilarityError, match="sum_over_batch_size") as info:
        impl.CosineSimilarity(reduction=reduction)
    assert repr(reduction) in str(info.value)
    with pytest.raises(ValueError, match="reduction"):
        impl.loss([1.0], [1.0], reduction=reduction)


def test_auto_equals_sum_over_batch_size(impl):
    """CS-RED-4."""
    rng = np.random.default_rng(4)
    t, p = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    np.testing.assert_array_equal(impl.loss(t, p, reduction="auto"), impl.loss(t, p, reduction="sum_over_batch_size"))


def test_functional_contract_defaults(impl):
    """The harness's target contract: keyword-only axis and reduction, numpy arrays out, .grad present."""
    t = np.array([[1.0, 0.0]], np.float32)
    out = impl.loss(t, t)
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float32
    assert out == -1
    with pytest.raises(TypeError):
        impl.loss(t, t, None, -1)  # axis is keyword-only
    g_t, g_p = impl.loss.grad(t, t)
    assert g_t.shape == g_p.shape == t.shape and g_t.dtype == np.float32


def test_error_class_is_value_error():
    assert issubclass(CosineSimilarityError, ValueError)
