"""Both implementations differentially against the live oracle (spec/oracle.py) on hypothesis-drawn inputs:
any dtype, rank 1..3, lengths 0..5, magnitudes from subnormal to the largest finite, every reduction and
weight form. The bar is the harness's own verdict (cosine_spec.conf.judge) for values and gradients, plus
the fast implementation's promise (conf/accuracy.toml) for per-sample values that are not cancellation-bound.
The fast one is also judged against the readable one, as optimized kernels are tested against plain ones."""

import os

import cosine_spec.impl
import cosine_spec.impl.fast
import ml_dtypes
import numpy as np
import pytest
from cosine_spec.conf import golden_cases as golden_io
from cosine_spec.conf import tolerance
from cosine_spec.conf.bench_impl import accuracy_promises, not_cancellation_bound
from cosine_spec.conf.judge import Outcome, judge_grad, judge_value
from cosine_spec.impl.reference import round_to
from cosine_spec.spec import oracle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

IMPLEMENTATIONS = {"readable": cosine_spec.impl, "fast": cosine_spec.impl.fast}

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


def _as_case(name, t, p, w, axis, reduction, expected, gradients, exact=None):
    """A golden-style case of these inputs with the given expected value (and its exact value, the float64
    nearest to it; by default the expected value itself) and gradient alternatives."""
    return golden_io.Case(
        id="hypothesis",
        family="hypothesis",
        clauses=("CS-VAL-1",),
        dtype=name,
        axis=axis,
        reduction=reduction,
        y_true=t,
        y_pred=p,
        sample_weight=w,
        expected=expected,
        exact=np.asarray(expected, np.float64) if exact is None else exact,
        error=None,
        gradients=gradients,
    )


def _oracle_case(name, t, p, w, axis, reduction):
    res = oracle.evaluate(t, p, w, axis=axis, reduction=reduction, dtype=name, gradients=True, digits=True)
    dtype = golden_io.DTYPES[name]
    grads = None
    if res.gradients is not None:
        grads = tuple(
            tuple(np.array(g, np.float64).reshape(t.shape).astype(dtype) for g in alt) for alt in res.gradients
        )
    exact = np.array([float(x) if x else v for x, v in zip(res.exact, res.values, strict=True)]).reshape(res.shape)
    return _as_case(name, t, p, w, axis, reduction, res.as_array(), grads, exact)


def _verdicts(fn, case):
    args = (case.y_true, case.y_pred, case.sample_weight)
    kw = {"axis": case.axis, "reduction": case.reduction}
    verdicts = [judge_value(case, Outcome(value=fn(*args, **kw)))]
    if case.gradients:
        verdicts.append(judge_grad(case, Outcome(value=fn.grad(*args, **kw))))
    return [v.message for v in verdicts if v.failures]


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=calls())
def test_matches_oracle(impl, call):
    name, t, p, w, axis, reduction = call
    case = _oracle_case(name, t, p, w, axis, reduction)
    fn = IMPLEMENTATIONS[impl].loss
    assert not _verdicts(fn, case), (_verdicts(fn, case), _hex(t), _hex(p))
    if impl == "fast" and reduction == "none":
        bound = accuracy_promises()["reference-fast"]["value_ulps"]
        want = case.expected.astype(np.float64)
        got = fn(t, p, w, axis=axis, reduction=reduction).astype(np.float64)
        tight = not_cancellation_bound(case) & np.isfinite(want) & (want != 0)
        assert np.all((np.abs(got - want) / tolerance.ulp(want, name))[tight] <= bound), (got, want)


@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=calls())
def test_fast_matches_readable(call):
    """The readable implementation's results as the expected ones, the fast one judged by the harness."""
    name, t, p, w, axis, reduction = call
    readable = cosine_spec.impl.loss
    expected = readable(t, p, w, axis=axis, reduction=reduction)
    case = _as_case(name, t, p, w, axis, reduction, expected, (readable.grad(t, p, w, axis=axis, reduction=reduction),))
    assert not _verdicts(cosine_spec.impl.fast.loss, case), (_hex(t), _hex(p))


@settings(max_examples=50, deadline=None)
@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
@given(reduction=st.sampled_from(["mean", "SUM", "None"]), axis=st.integers(-4, 4))
def test_rejections_agree_with_oracle(impl, reduction, axis):
    loss = IMPLEMENTATIONS[impl].loss
    t = np.ones((2, 3), np.float32)
    for kwargs in ({"reduction": reduction}, {"axis": axis}):
        try:
            oracle.evaluate(t, t, **kwargs, dtype="float32")
        except oracle.SpecError:
            with pytest.raises(ValueError):
                loss(t, t, **kwargs)
        else:
            loss(t, t, **kwargs)
