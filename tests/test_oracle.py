"""The oracle against exact known values, its own derivation and an independent mpmath evaluation."""

from fractions import Fraction

import mpmath
import numpy as np
import pytest
from cosine_spec.spec import derivation, oracle
from cosine_spec.spec.exact import FORMATS, round_fraction
from cosine_spec.spec.golden_format import decode, load_cases

F64 = "float64"


def values(*args, **kw):
    return oracle.evaluate(*args, **kw).values


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_exact_known_values(dtype):
    assert values([3.0, 4.0], [4.0, 3.0], reduction="none", dtype="float64") == [-24 / 25]
    assert values([[1.0, 2.0]], [[2.0, 4.0]], reduction="none", dtype=dtype) == [-1.0]  # parallel: exactly -1
    assert values([[1.0, 2.0]], [[-2.0, 1.0]], reduction="none", dtype=dtype) == [0.0]  # orthogonal
    assert values([[0.0, 0.0]], [[1.0, 2.0]], reduction="none", dtype=dtype) == [0.0]  # CS-VAL-4
    seed_t, seed_p = [[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]
    assert values(seed_t, seed_p, axis=1, dtype=dtype) == [-0.5]
    assert values(seed_t, seed_p, axis=1, reduction="sum", dtype=dtype) == [-1.0]
    assert values(seed_t, seed_p, axis=1, reduction="none", dtype=dtype) == [0.0, -1.0]
    w = [round_fraction(Fraction(0.8), FORMATS[dtype]), round_fraction(Fraction(0.2), FORMATS[dtype])]
    want = round_fraction(-Fraction(w[1]) / 2, FORMATS[dtype])  # -w2 * 1 / 2, one rounding
    assert values(seed_t, seed_p, w, axis=1, dtype=dtype) == [want]


def test_seed_weighted_example_is_minus_a_tenth():
    assert values([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]], [0.8, 0.2], axis=1, dtype=F64) == [-0.1]


def test_clamp_below_epsilon_scales_by_a_million():
    """CS-VAL-5: [1e-7, 0] vs [1, 0] is -1e-7 / 1e-6, not -1; the exact input 1e-7 is a float64."""
    got = values([1e-7, 0.0], [1.0, 0.0], reduction="none", dtype=F64)[0]
    assert got == round_fraction(-Fraction(1e-7) * 10**6, FORMATS[F64])
    assert values([5e-7, 0.0], [1.0, 0.0], reduction="none", dtype=F64) == [-0.5]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_huge_and_subnormal_vectors_keep_their_direction(dtype):
    info = FORMATS[dtype]
    big = float(2.0**info.emax)
    assert values([[big, big]], [[big, big]], reduction="none", dtype=dtype) == [-1.0]
    sub = float(2.0 ** (info.emin - info.p + 1))  # the smallest subnormal: clamped (CS-VAL-5)
    got = values([[sub, 0.0]], [[1.0, 0.0]], reduction="none", dtype=dtype)[0]
    assert got == round_fraction(-Fraction(sub) * 10**6, info)


def test_gradient_at_zero_prediction():
    """CS-GRAD-1: at a zero y_pred, d/dy_pred = -w * n(y_true) * 1e6 / N."""
    res = oracle.evaluate([[3.0, 4.0], [1.0, 0.0]], [[0.0, 0.0], [1.0, 1.0]], [2.0, 1.0], dtype=F64, gradients=True)
    ((gt, gp),) = res.gradients
    assert gp[:2] == [-2.0 * 0.6 * 1e6 / 2, -2.0 * 0.8 * 1e6 / 2]
    assert gt[:2] == [0.0, 0.0]


def test_parallel_vectors_have_exactly_zero_gradient():
    """The factored form keeps the cancellation exact; a float evaluation would leave noise."""
    res = oracle.evaluate([[1.0, 2.0, 3.0]], [[2.0, 4.0, 6.0]], dtype=F64, gradients=True)
    assert res.gradients == [([0.0, 0.0, 0.0], [0.0, 0.0, 0.0])]


def test_sympy_derivative_equals_the_factored_form():
    assert derivation.factored_form_holds()


def test_sympy_gradient_matches_numerical_differentiation():
    """The lambdified sympy gradient against mpmath.diff of the clause formula, at 50 digits."""
    t = [[0.3, -1.25, 2.0], [1e-7, 2e-7, 0.0]]
    p = [[1.5, 0.5, -0.75], [0.5, 1.0, 3.0]]
    w = [1.5, 0.5]
    mpmath.mp.dps = 50
    _, _, (gt, gp) = derivation.evaluate_mpmath(t, p, w, dtype=F64, dps=50, gradients=True)

    for i in range(2):
        for j in range(3):
            for grad, which in ((gt, 0), (gp, 1)):

                def f(x, i=i, j=j, which=which):
                    args = [np.array(t, dtype=object), np.array(p, dtype=object)]
                    args[which][i][j] = x
                    return _loss_mp(args[0], args[1], w)

                base = (t, p)[which][i][j]
                num = mpmath.diff(f, mpmath.mpf(base))
                assert abs(num - grad[i][j]) <= mpmath.mpf(10) ** -35 * max(1, abs(num)), (i, j, which)


def _loss_mp(t, p, w):
    """CS-VAL-1 written out directly in mpmath (sum_over_batch_size), for differentiation."""
    eps = mpmath.mpf(10) ** -12
    total = 0
    for tr, pr, wi in zip(t, p, w, strict=True):
        tr, pr = [mpmath.mpf(a) for a in tr], [mpmath.mpf(b) for b in pr]  # no float64 products
        st = mpmath.fsum(a * b for a, b in zip(tr, pr, strict=True))
        tt = mpmath.fsum(a * a for a in tr)
        pp = mpmath.fsum(b * b for b in pr)
        total += -wi * st / (mpmath.sqrt(max(tt, eps)) * mpmath.sqrt(max(pp, eps)))
    return total / len(w)


def test_oracle_agrees_with_naive_mpmath_on_golden_cases():
    """Every finite golden case: the 40 exact digits against an independent mpmath evaluation at 80 digits."""
    checked = 0
    for case in load_cases():
        if case["error"] or "nan" in case["expected"]["exact"] or "inf" in str(case["expected"]["exact"]):
            continue
        dt = case["dtype"]
        sw = None if case["sample_weight"] is None else decode(case["sample_weight"], dt)
        got, _, _ = derivation.evaluate_mpmath(
            decode(case["y_true"], dt),
            decode(case["y_pred"], dt),
            sw,
            axis=case["axis"],
            reduction=case["reduction"],
            dtype=dt,
            dps=80,
        )
        for exact, mp_value in zip(case["expected"]["exact"], got, strict=True):
            mpmath.mp.dps = 80
            ref = mpmath.mpf(exact)
            assert abs(ref - mp_value) <= mpmath.mpf(10) ** -38 * max(abs(mp_value), mpmath.mpf(10) ** -30), case["id"]
        checked += 1
    assert checked > 1500


def test_verify_repeats_every_rounding():
    res = oracle.evaluate(
        np.ones((3, 5)), np.arange(15.0).reshape(3, 5), dtype="float32", verify=True, gradients=True, reduction="none"
    )
    assert len(res.values) == 3 and res.gradients is not None


@pytest.mark.parametrize(
    ("kwargs", "clause"),
    [
        ({"y_true": [[1.0, 2.0]], "y_pred": [[1.0, 2.0, 3.0]]}, "CS-ERR-1"),
        ({"y_true": [1.0, 2.0], "y_pred": [[1.0], [2.0]]}, "CS-ERR-1"),
        ({"y_true": [1.0, 2.0], "y_pred": [1.0, 2.0], "axis": 1}, "CS-ERR-2"),
        ({"y_true": [1.0, 2.0], "y_pred": [1.0, 2.0], "reduction": "mean"}, "CS-RED-6"),
        ({"y_true": [[1.0], [2.0]], "y_pred": [[1.0], [2.0]], "sample_weight": [1.0, 2.0, 3.0]}, "CS-SW-5"),
    ],
)
def test_rejected_inputs_name_their_clause(kwargs, clause):
    t, p = kwargs.pop("y_true"), kwargs.pop("y_pred")
    with pytest.raises(oracle.SpecError) as info:
        oracle.evaluate(t, p, **kwargs)
    assert info.value.clause == clause and isinstance(info.value, ValueError)


def test_weights_align_with_leading_axes():
    """CS-SW-3: a [batch] weight scales each sample of a rank-3 loss."""
    t = np.ones((2, 3, 2, 4))
    res = oracle.evaluate(t, t, [1.0, 2.0], reduction="none", dtype=F64)
    assert res.values == [-1.0] * 6 + [-2.0] * 6


def test_exact_ties_round_half_to_even():
    """sqrt(1e-12) is rational but not dyadic: the tie -50000 in float16 must resolve to -49984 (even)."""
    res = oracle.evaluate(np.zeros((1, 5)), np.ones((1, 5)), 0.25, axis=0, dtype="float16", gradients=True)
    assert res.gradients[0][0] == [-49984.0] * 5
    assert oracle.evaluate([[3.0]], [[1.0]], [[1.0]], dtype="float16", reduction="sum").values == [-1.0]


@pytest.mark.parametrize("axis", [True, 1.0, "1", None])
def test_a_non_integer_axis_is_named_as_such(axis):
    with pytest.raises(oracle.SpecError, match="axis must be an integer"):
        oracle.evaluate([[1.0, 2.0]], [[1.0, 2.0]], axis=axis)


def test_an_integer_like_axis_is_accepted():
    assert oracle.evaluate([[1.0, 2.0]], [[1.0, 2.0]], axis=np.array(1)).values == [-1.0]


# Regressions of the oracle's four defects (issue "The oracle: exact on every input").


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_exact_string_of_a_sum_that_cancels_to_zero(dtype):
    """-3/sqrt(10) + 9/sqrt(90) is exactly 0: its 40-digit string is "0", not enclosure noise."""
    res = oracle.evaluate([[1, 1], [3, 3]], [[1, 2], [-1, -2]], reduction="sum", dtype=dtype, digits=True)
    assert res.values == [0.0] and res.exact == ["0"]


def test_exact_string_of_a_sum_that_nearly_cancels():
    """With the last element -nextafter(2, 3) the sum is about -2.8e-17: all 40 digits against mpmath."""
    last = float(np.nextafter(2.0, 3.0))
    res = oracle.evaluate([[1, 1], [3, 3]], [[1, 2], [-1, -last]], reduction="sum", dtype=F64, digits=True)
    mpmath.mp.dps = 120
    l3 = mpmath.mpf(last)
    want = -3 / mpmath.sqrt(10) + (3 + 3 * l3) / mpmath.sqrt(18 * (1 + l3 * l3))
    unit = mpmath.mpf(10) ** (mpmath.floor(mpmath.log10(abs(want))) - 39)  # one unit in the 40th digit
    assert abs(mpmath.mpf(res.exact[0]) - want) <= unit / 2
    assert res.values == [float(want)]  # mpmath's conversion to float rounds to nearest


def test_exact_tie_whose_irrational_parts_cancel():
    """-1 - 2**-11 - 3/sqrt(10) + 9/sqrt(90) = -(1 + 2**-11): a float16 tie, rounded half to even to -1."""
    t = [[1, 0, 0], [1, 0, 0], [1, 1, 0], [3, 3, 0]]
    p = [[1, 0, 0], [1, 0, 0], [1, 2, 0], [-1, -2, 0]]
    res = oracle.evaluate(t, p, [1, 2**-11, 1, 1], reduction="sum", dtype="float16", digits=True)
    assert res.values == [-1.0]
    assert res.exact == ["-1.000488281250000000000000000000000000000e+00"]


@pytest.mark.parametrize("kind", [np.int64, np.uint64])
def test_integer_weights_above_2_53_are_rounded_once(kind):
    """CS-SW-6: 2**60 + 2**36 + 1 rounds to 2**60 + 2**37 in float32, not to 2**60 via float64."""
    w = np.array([2**60 + 2**36 + 1], dtype=kind)
    got = oracle.evaluate([[1.0]], [[1.0]], w, reduction="sum", dtype="float32").values
    assert got == [-(2.0**60 + 2.0**37)]
    assert oracle.evaluate([[2**60 + 2**36 + 1]], [[1.0]], reduction="none", dtype="float64").values == [-1.0]


def test_second_gradient_alternative_is_the_other_branch():
    """t = [x] with x**2 just below 1e-12: clamped, d/dt = -p / (1e-6 |p|) = -1e6; flowing, exactly 0."""
    x = float(np.sqrt(1e-12))
    while Fraction(x) ** 2 >= Fraction(1, 10**12):
        x = float(np.nextafter(x, 0.0))
    res = oracle.evaluate([[x]], [[0.75]], reduction="sum", dtype=F64, gradients=True)
    assert res.gradients == [([-1e6], [0.0]), ([0.0], [0.0])]
    # just above: flowing is the exact branch, clamped the alternative
    y = float(np.nextafter(x, 1.0))
    while Fraction(y) ** 2 < Fraction(1, 10**12):
        y = float(np.nextafter(y, 1.0))
    res = oracle.evaluate([[y]], [[0.75]], reduction="sum", dtype=F64, gradients=True)
    clamped = round_fraction(-Fraction(3, 4) / (Fraction(1, 10**6) * Fraction(3, 4)), FORMATS[F64])
    assert res.gradients[0][0] == [0.0] and res.gradients[1][0] == [clamped]
