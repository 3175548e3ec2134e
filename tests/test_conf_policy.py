"""Tolerance policy as data, ulps, expectations files, strictness about unexpected passes."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from cosine_spec.conf import tolerance
from cosine_spec.conf.adapters.pycallable import CallableAdapter
from cosine_spec.conf.deviations import load_expectations
from cosine_spec.conf.errors import ExpectationsError
from cosine_spec.conf.golden_cases import load_cases
from cosine_spec.conf.runner import run

from tests.catalogue.correct import pow2_scaled


def test_policy_is_read_from_toml():
    pol = tolerance.policy()
    assert pol.safety >= 1 and pol.epsilon == 1e-12
    assert pol.unit_roundoff == {"float16": 2.0**-11, "bfloat16": 2.0**-8, "float32": 2.0**-24, "float64": 2.0**-53}


def test_gamma_is_highams_below_the_cap_and_linear_beyond():
    pol = tolerance.policy()
    u = pol.unit_roundoff["float32"]
    assert pol.gamma(10, "float32") == pytest.approx(10 * u / (1 - 10 * u))
    assert pol.gamma(2**24, "float32") == pytest.approx(2 * 2**24 * u)  # beyond the cap: 2 n u


def test_half_precision_sums_are_judged_in_float32_accumulation():
    """16-bit inputs: gamma uses float32's u (TOLERANCES.md); with bfloat16's own u, d = 1000 gives ~8."""
    pol = tolerance.policy()
    u32 = pol.unit_roundoff["float32"]
    for dtype in ("float16", "bfloat16"):
        assert pol.accumulation[dtype] == "float32"
        assert pol.gamma(1000, dtype) == pytest.approx(1000 * u32 / (1 - 1000 * u32))


@pytest.mark.parametrize(
    ("x", "dtype", "want"),
    [
        (1.0, "float32", 2.0**-23),
        (1.5, "float64", 2.0**-52),
        (0.0, "float32", 2.0**-149),
        (0.0, "float16", 2.0**-24),
        (65504.0, "float16", 32.0),
        (1.0, "bfloat16", 2.0**-7),
    ],
)
def test_ulp(x, dtype, want):
    assert tolerance.ulp(np.array(x), dtype) == want


def test_ulp_of_zero_is_ulp_of_smallest_normal():
    for dtype in ("float16", "bfloat16", "float32", "float64"):
        tiny = float(ml_dtypes.finfo(tolerance.DTYPES[dtype]).smallest_normal)
        assert tolerance.ulp(np.array(0.0), dtype) == tolerance.ulp(np.array(tiny), dtype)


def test_value_tolerance_scales_with_length_and_dtype():
    cases = [c for c in load_cases() if c.family == "length" and c.expected is not None]
    tols = {(c.dtype, c.y_true.shape[c.axis]): float(np.max(tolerance.value_tolerance(c))) for c in cases}
    for (dtype, _d), tol in tols.items():
        assert np.isfinite(tol) and tol >= tolerance.policy().unit_roundoff[dtype]
        if dtype in ("float32", "float64"):
            assert tol < 1e-3
    for dtype in ("float32", "float64"):
        lengths = sorted(d for dt, d in tols if dt == dtype)
        assert tols[dtype, lengths[0]] <= tols[dtype, lengths[-1]]


@pytest.mark.parametrize(
    "text",
    [
        '[[deviation]]\nreason = "r"\nupstream = "u"\n',
        '[[deviation]]\nclause = "CS-VAL-1"\nupstream = "u"\n',
        '[[deviation]]\nclause = "CS-VAL-1"\nreason = "r"\nupstream = "u"\nbogus = 1\n',
        '[[deviation]]\ncases = "x"\nreason = "r"\nupstream = "u"\ndtypes = ["f8"]\n',
        "deviation = 3\nother = 1\n",
        "not toml [",
    ],
)
def test_malformed_expectations_rejected(text, tmp_path):
    path = tmp_path / "e.toml"
    path.write_text("format = 2\n" + text)
    with pytest.raises(ExpectationsError):
        load_expectations(path)


def _write(tmp_path, body: str):
    path = tmp_path / "e.toml"
    path.write_text('format = 2\n[[deviation]]\nname = "test"\n' + body + 'reason = "test"\nupstream = "none known"\n')
    return path


def test_declared_deviation_that_passes_is_an_unexpected_pass(tmp_path):
    cases = [c for c in load_cases() if c.family == "seed"]
    path = _write(tmp_path, 'model = "no-clip"\ncases = "seed-*"\n')
    target = CallableAdapter(pow2_scaled, "pow2_scaled")
    strict = run(target, golden=cases, expectations=path, timeout=None)
    assert strict.strict and strict.summary["unexpected_passes"] == 1 and strict.exit_code == 1
    lenient = run(target, golden=cases, expectations=path, timeout=None, strict=False)
    assert lenient.summary["unexpected_passes"] == 1 and lenient.exit_code == 0
    partial = run(target, golden=cases, expectations=path, timeout=None, dtypes=["float32"])
    assert not partial.strict and partial.exit_code == 0


def test_declared_failure_is_conformant(tmp_path):
    from tests.catalogue.wrong import no_epsilon  # no clamp at all: the model epsilon-on-norm with epsilon 0

    cases = [c for c in load_cases() if c.family == "zero"]
    path = _write(tmp_path, 'model = "epsilon-on-norm"\nparams = { epsilon = 0 }\ncases = "zero-*"\n')
    report = run(CallableAdapter(no_epsilon, "no_epsilon"), golden=cases, expectations=path, timeout=None)
    assert report.exit_code == 0 and report.summary["declared"] > 0 and report.summary["failed"] == 0
    assert report.deviations[0].status == "held"
