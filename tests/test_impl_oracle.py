"""cosine_spec.impl differentially against the live oracle (spec/oracle.py) on hypothesis-drawn inputs:
any dtype, rank 1..3, lengths 0..5, magnitudes from subnormal to the largest finite, every reduction and
weight form. The bar is the harness's tolerance (conf/tolerances.toml) for values and gradients, plus
the implementation's own ULP_BOUND for per-sample values that are not cancellation-bound."""

import os

import ml_dtypes
import numpy as np
import pytest
from cosine_spec.impl import loss
from cosine_spec.impl.rounding import round_to
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

oracle = pytest.importorskip("cosine_spec.spec.oracle")
golden_io = pytest.importorskip("cosine_spec.conf.golden_cases")
tolerance = pytest.importorskip("cosine_spec.conf.tolerance")

from test_impl_golden import ULP_BOUND, _not_cancellation_bound  # noqa: E402  (one definition, shared)

# Bounded for CI; raise it for a longer hunt: COSINE_SPEC_IMPL_EXAMPLES=5000 pytest tests/test_impl_oracle.py
MAX_EXAMPLES = int(os.environ.get("COSINE_SPEC_IMPL_EXAMPLES", "200"))
DTYPES = {
    "float16": (np.float16, 16),
    "bfloat16": (ml_dtypes.bfloat16, 32),  # drawn as float32, rounded
    "float32": (np.float32, 32),
    "float64": (np.float64, 64),
}
REDUCTIONS = ["none", "sum", "sum_over_batch_size", "auto"]


@st.composite
def calls(draw):
    name = draw(st.sampled_from(sorted(DTYPES)))
    dtype, width = DTYPES[name]
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
    limit = 2.0**126 if name == "bfloat16" else None  # below the largest bfloat16
    low = -limit if limit else None
    elements = st.floats(allow_nan=False, allow_infinity=False, width=width, min_value=low, max_value=limit)
    if draw(st.booleans()):  # ordinary magnitudes half of the time
        elements = st.floats(-4.0, 4.0, width=width)

    def array():
        a = draw(hnp.arrays(np.float64 if width == 64 else np.float32, shape, elements=elements))
        return round_to(a.astype(np.float64), np.dtype(dtype))

    t = array()
    factor = draw(st.sampled_from([1, -1, 0.5, -0.25]))  # parallel vectors, half of the time
    p = array() if draw(st.booleans()) else round_to(t.astype(np.float64) * factor, np.dtype(dtype))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    loss_shape = shape[: axis % len(shape)] + shape[axis % len(shape) + 1 :]
    weight_shape = draw(st.sampled_from([None, (), loss_shape[:1], loss_shape]))
    w = None
    if weight_shape is not None and (weight_shape != loss_shape[:1] or loss_shape):
        w = round_to(draw(hnp.arrays(np.float64, weight_shape, elements=st.floats(-3, 3))), np.dtype(dtype))
    return name, t, p, w, axis, draw(st.sampled_from(REDUCTIONS))


def _hex(a):
    """A repro-exact spelling of an input array."""
    return [float(x).hex() for x in np.asarray(a, np.float64).ravel()]


def _as_case(name, t, p, w, axis, reduction, res):
    dtype = golden_io.DTYPES[name]
    expected = res.as_array()

    def tensor(values, shape):
        return np.array(values, np.float64).reshape(shape).astype(dtype)

    grads = None if res.gradients is None else tuple((tensor(a, t.shape), tensor(b, p.shape)) for a, b in res.gradients)
    return golden_io.Case(
        id="hypothesis",
        family="hypothesis",
        clauses=(),
        dtype=name,
        axis=axis,
        reduction=reduction,
        y_true=t,
        y_pred=p,
        sample_weight=w,
        expected=expected,
        exact=None,
        error=None,
        gradients=grads,
    )


@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls())
def test_matches_oracle(call):
    name, t, p, w, axis, reduction = call
    res = oracle.evaluate(t, p, w, axis=axis, reduction=reduction, dtype=name, gradients=True)
    case = _as_case(name, t, p, w, axis, reduction, res)
    out = loss(t, p, w, axis=axis, reduction=reduction)
    want = case.expected
    assert out.shape == want.shape and out.dtype == want.dtype
    got64, want64 = out.astype(np.float64), want.astype(np.float64)
    finite = np.isfinite(want64)
    assert np.array_equal(got64[~finite], want64[~finite], equal_nan=True)
    err = np.abs(np.where(finite, got64 - want64, 0.0))
    assert np.all((err <= tolerance.value_tolerance(case)) | ~finite), (_hex(t), _hex(p), got64, want64)
    if reduction == "none":
        tight = _not_cancellation_bound(case) & finite & (want64 != 0)
        assert np.all((err / tolerance.ulp(want64, name))[tight] <= ULP_BOUND), (got64, want64)
    if case.gradients:
        g_t, g_p = loss.grad(t, p, w, axis=axis, reduction=reduction)
        matches = []
        for alt in case.gradients:
            tol_t, tol_p = tolerance.grad_tolerance(case, alt)
            with np.errstate(invalid="ignore"):
                matches.append(
                    all(
                        bool(
                            np.all(
                                (g.astype(np.float64) == a.astype(np.float64))
                                | (np.abs(g.astype(np.float64) - a.astype(np.float64)) <= tl)
                            )
                        )
                        for g, a, tl in ((g_t, alt[0], tol_t), (g_p, alt[1], tol_p))
                    )
                )
        assert any(matches), (_hex(t), _hex(p), g_t, g_p, case.gradients)


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["mean", "SUM", "None"]), st.integers(-4, 4))
def test_rejections_agree_with_oracle(reduction, axis):
    t = np.ones((2, 3), np.float32)
    for kwargs in ({"reduction": reduction}, {"axis": axis}):
        try:
            oracle.evaluate(t, t, **kwargs, dtype="float32")
        except oracle.SpecError:
            with pytest.raises(ValueError):
                loss(t, t, **kwargs)
        else:
            loss(t, t, **kwargs)
