"""The number-aware doctest checker (cosine_spec.spec.doccheck) accepts what it must and rejects the rest."""

from __future__ import annotations

import doctest

import pytest
from cosine_spec.spec.doccheck import NumberChecker, explain, split_numbers, tolerance

CHECKER = NumberChecker()

# (seed's printed output, TensorFlow 2.21's output): the seed's examples, CS-EX-1..CS-EX-4.
TF_OUTPUTS = [
    ("-0.5\n", "np.float32(-0.49999997)\n"),
    ("-0.0999\n", "np.float32(-0.099999994)\n"),
    ("-0.999\n", "np.float32(-0.99999994)\n"),
    ("array([-0., -0.999], dtype=float32)\n", "array([-0.        , -0.99999994], dtype=float32)\n"),
]
# The correctly rounded results, as the spec's oracle gives them (CS-EX-1..CS-EX-4).
EXACT_OUTPUTS = [
    ("-0.5\n", "np.float32(-0.5)\n"),
    ("-0.0999\n", "np.float32(-0.1)\n"),
    ("-0.999\n", "np.float32(-1.0)\n"),
    ("array([-0., -0.999], dtype=float32)\n", "array([ 0., -1.], dtype=float32)\n"),
]
MUST_FAIL = [
    pytest.param("-0.999\n", "np.float32(-0.99799997)\n", id="wrong-number"),
    pytest.param("-0.0999\n", "np.float32(-0.09979)\n", id="off-by-more-than-a-unit"),
    pytest.param("-0.5\n", "np.float32(0.5)\n", id="wrong-sign"),
    pytest.param("array([-0., -0.999], dtype=float32)\n", "array([-0., -0.999], dtype=float64)\n", id="dtype"),
    pytest.param(
        "array([-0., -0.999], dtype=float32)\n",
        "array([-0., -0.999, 1.], dtype=float32)\n",
        id="more-elements",
    ),
    pytest.param("array([-0., -0.999], dtype=float32)\n", "array([-0.999], dtype=float32)\n", id="fewer"),
    pytest.param("array([-0., -0.999], dtype=float32)\n", "[-0., -0.999]\n", id="not-an-array"),
    pytest.param("-0.\n", "np.float32(-1e-08)\n", id="zero-is-exact"),
    pytest.param("(1, 'auto')\n", "(2, 'auto')\n", id="integers-are-text"),
    pytest.param("-0.5\n", "nan\n", id="nan"),
]


def check(want: str, got: str, flags: int = 0) -> bool:
    return CHECKER.check_output(want, got, flags)


@pytest.mark.parametrize(("want", "got"), TF_OUTPUTS + EXACT_OUTPUTS)
def test_accepts_tf_and_exact_outputs(want, got):
    assert check(want, got), explain(want, got)


@pytest.mark.parametrize(("want", "got"), MUST_FAIL)
def test_rejects(want, got):
    assert not check(want, got)


def test_signed_zero_and_nan_text():
    assert check("-0.\n", "0.\n") and check("0.\n", "np.float64(-0.0)\n")
    assert check("nan\n", "np.float32(nan)\n")


@pytest.mark.parametrize(
    ("written", "unit"),
    [
        ("-0.999", "0.001"),
        ("-0.0999", "0.0001"),
        ("-0.5", "0.1"),
        ("1.5e-07", "1e-08"),
        ("-0.", "0"),
        ("2e3", "0"),
    ],
)
def test_tolerance_is_one_unit_in_the_last_digit(written, unit):
    assert tolerance(written) == type(tolerance(written))(unit)


def test_tolerance_boundary_is_exact_decimal():
    # |-1.0 - (-0.999)| is exactly one unit: accepted (binary floats would say 0.0010000000000000009).
    assert check("-0.999\n", "-1.0\n")
    assert not check("-0.999\n", "-1.0000001\n")


def test_masking_keeps_text_and_numbers_in_order():
    text, numbers = split_numbers("array([-0.        , -0.99999994], dtype=float32)")
    assert text == "array([<number>,<number>], dtype=float32)"
    assert numbers == ["-0.", "-0.99999994"]


def test_failure_message_names_the_number():
    example = doctest.Example("x", "-0.999\n")
    message = CHECKER.output_difference(example, "np.float32(-0.5)\n", 0)
    assert "number 0: got -0.5, expected -0.999 within 0.001" in message


def test_option_flags_still_apply():
    assert check("array([-0.5, ...])\n", "array([-0.5, 1.25])\n", doctest.ELLIPSIS) is False  # counts differ
    assert check("a   -0.5\n", "a -0.5\n", doctest.NORMALIZE_WHITESPACE)
