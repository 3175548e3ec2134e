"""The tolerance policy (conf/tolerance.py, derivation in conf/TOLERANCES.md) on the corners it must get right:
tight enough to judge long 16-bit vectors, finite for huge weights, loose enough for subnormal gradients."""

import numpy as np
import pytest
from cosine_spec.conf.golden_cases import decode_case
from cosine_spec.conf.tolerance import grad_tolerance, value_tolerance
from cosine_spec.impl import loss
from cosine_spec.spec import golden_format
from cosine_spec.spec.catalogue.build import Case as SpecCase
from cosine_spec.spec.catalogue.build import arr, rand_array


def case(dtype, t, p, sw=None, reduction="none", axis=-1):
    spec_case = SpecCase(
        id="probe",
        family="probe",
        clauses=["CS-VAL-1"],
        dtype=dtype,
        y_true=arr(t, dtype),
        y_pred=arr(p, dtype),
        axis=axis,
        reduction=reduction,
        sample_weight=None if sw is None else arr(sw, dtype),
    )
    return decode_case(golden_format.record(spec_case, verify=False))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_long_half_precision_vectors_are_still_judged(dtype):
    """With the dtype's own u the bound exceeds 1 at d ~ 128 and passes a wrong sign; with float32
    accumulation it stays far below the distance between a value and its negation."""
    import random

    rng = random.Random(5)
    t, p = rand_array(rng, dtype, (2, 1024)), rand_array(rng, dtype, (2, 1024))
    c = case(dtype, t.astype(np.float64), p.astype(np.float64))
    tol = value_tolerance(c)
    assert np.all(tol < 0.05), tol
    wrong = -c.expected.astype(np.float64)  # a flipped sign must fail wherever the value is not tiny
    big = np.abs(c.expected.astype(np.float64)) > 0.05
    assert np.all(np.abs(wrong - c.expected.astype(np.float64))[big] > tol[big])


def test_huge_weights_do_not_overflow_the_bound():
    c = case("float64", [[1.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [1.0, 0.0]], [1.7e308, -1.7e308], reduction="sum")
    tol = value_tolerance(c)
    assert np.isfinite(tol).all() and tol.max() < 1e300  # the exact sum is 0: 12345.0 must not pass


def test_subnormal_gradient_corner_accepts_the_reference():
    """float64, p subnormal (clamped, scaled by 1e6): underflow errors are amplified by 1 / norm."""
    t, p = [[3e-6, 1e-6]], [[1e-320, 3e-321]]
    c = case("float64", t, p, reduction="sum")
    gt, gp = loss.grad(np.array(t), np.array(p), reduction="sum")
    for alt in c.gradients:
        tol_t, tol_p = grad_tolerance(c, alt)
        ok_t = np.abs(gt - np.asarray(alt[0], np.float64)) <= tol_t
        ok_p = np.abs(gp - np.asarray(alt[1], np.float64)) <= tol_p
        if ok_t.all() and ok_p.all():
            return
    pytest.fail(f"the reference gradient {gt}, {gp} is outside every alternative's tolerance: {c.gradients}")


def test_clamp_branch_is_chosen_per_sample():
    """Two samples just below 1e-12: a correct implementation may take the other branch for one only."""
    from cosine_spec.conf.judge import Outcome, judge_grad
    from cosine_spec.spec.catalogue.tiny import boundary_scalars

    below = dict(boundary_scalars("float64"))["just-below"]
    c = case("float64", [[below, 0.0], [below, 0.0]], [[0.75, 0.5], [0.75, 0.5]], reduction="sum")
    assert len(c.gradients) == 2
    (t0, p0), (t1, p1) = c.gradients
    assert not np.array_equal(np.asarray(t0[1]), np.asarray(t1[1]))  # the branches really differ
    mixed_t = np.stack([np.asarray(t0[0]), np.asarray(t1[1])])
    mixed_p = np.stack([np.asarray(p0[0]), np.asarray(p1[1])])
    assert judge_grad(c, Outcome(value=(mixed_t, mixed_p))).failures == []
    broken = mixed_t.copy()
    broken[1] *= 1.5  # no branch gives this
    assert judge_grad(c, Outcome(value=(broken, mixed_p))).failures != []


def _judge(c, got):
    from cosine_spec.conf.judge import Outcome, judge_value

    return judge_value(c, Outcome(value=np.asarray(got, dtype=c.expected.dtype).reshape(c.expected.shape)))


def test_small_results_are_judged_relatively():
    """No absolute floor (TOLERANCES.md): 10^6 too small fails, 1 - (1 - c) at c = 1e-9 fails, 1 ulp passes."""
    from cosine_spec.conf.golden_cases import load_cases

    sub = next(c for c in load_cases() if c.id == "tiny-float64-subnormal-input")
    assert float(sub.expected[0]) == pytest.approx(-5.56268465e-303)
    assert _judge(sub, [-5.56268465e-309]).failed_clauses[0] == "CS-VAL-5"
    assert _judge(sub, [np.nextafter(sub.expected[0], 0)]).failures == []
    c = case("float64", [[1.0, 0.0]], [[1e-9, 1.0]])  # no cancellation: the bound is relative to 1e-9
    exact = float(c.expected[0])
    assert _judge(c, [-(1 - (1 - 1e-9))]).failed_clauses == ["CS-VAL-1"]
    assert _judge(c, [exact + 2.0**-53 * abs(exact)]).failures == []


def test_cancellation_keeps_an_absolute_term_from_the_inputs():
    """Near orthogonality the dot product cancels: the bound follows sum|t_i p_i|, not the tiny result."""
    c = case("float64", [[1.0, 1.0]], [[1.0, -1.0 + 2.0**-40]])
    tol = float(value_tolerance(c)[0])
    v = abs(float(c.expected[0]))
    assert 1e3 * 2.0**-53 * v < 1e-16 < tol < 1e-14  # the terms' scale (rho ~ 1), not the result's
