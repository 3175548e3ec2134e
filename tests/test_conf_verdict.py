"""Verdicts say what was tested (issue 8, item 5): untested normative clauses are named with their reason in
the verdict line and the JSON, `--require` makes them fail, filtered runs are partial, the summary counts
clauses as well as results."""

from __future__ import annotations

import json

import pytest
from cosine_spec.conf.adapters.pycallable import CallableAdapter
from cosine_spec.conf.check_cli import cli_main
from cosine_spec.conf.errors import HarnessError
from cosine_spec.conf.golden_cases import load_cases
from cosine_spec.conf.runner import run
from cosine_spec.conf.terminal import render
from cosine_spec.spec.clauses import normative_ids

from tests.catalogue.correct import pow2_scaled


def value_only(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
    return pow2_scaled(y_true, y_pred, sample_weight, axis=axis, reduction=reduction)


@pytest.fixture(scope="module")
def cases():
    return load_cases()


@pytest.fixture(scope="module")
def no_grad_fast(cases):
    return run(CallableAdapter(value_only, "value_only"), golden=cases, tier="fast", timeout=None)


def test_value_only_target_names_the_gradient_clause_as_not_tested(no_grad_fast):
    report = no_grad_fast
    assert report.exit_code == 0 and report.clauses["CS-GRAD-1"] == "not_tested"
    last = render(report).splitlines()[-1]
    assert last.startswith("CONFORMANT (PARTIAL RUN: --tier fast) on ")
    assert "not tested: " in last and "CS-GRAD-1 (no f.grad)" in last
    doc = report.to_json()
    assert doc["not_tested"]["CS-GRAD-1"] == {"level": "normative", "reason": "no f.grad", "required": False}
    assert doc["not_tested"]["CS-API-3"]["reason"] == "no case or check for this target"


def test_summary_counts_clauses_as_well_as_results(no_grad_fast):
    s, table = no_grad_fast.summary, no_grad_fast.clauses
    assert s["normative_clauses"] == len(normative_ids())
    assert s["normative_tested"] == sum(table[c] != "not_tested" for c in normative_ids())
    assert s["normative_tested"] < s["normative_clauses"]
    assert s["clauses_not_tested"] == sum(v == "not_tested" for v in table.values())
    assert s["clauses_passed"] + s["clauses_not_tested"] == len(table)
    assert f"on {s['normative_tested']} of {s['normative_clauses']} normative clauses" in render(no_grad_fast)


@pytest.mark.parametrize("require", ["all", ["CS-GRAD-1"]])
def test_require_makes_untested_normative_clauses_fail(require, cases):
    report = run(CallableAdapter(value_only, "value_only"), golden=cases, tier="fast", timeout=None, require=require)
    assert report.exit_code == 1 and "CS-GRAD-1" in report.required_not_tested
    assert render(report).splitlines()[-1].startswith("NOT CONFORMANT")
    assert report.to_json()["not_tested"]["CS-GRAD-1"]["required"] is True


def test_require_is_met_by_a_target_that_tests_the_clause(cases):
    report = run("reference", golden=cases, tier="fast", require="all")
    assert report.exit_code == 0 and report.required_not_tested == []


def test_filtered_runs_are_partial_with_their_filters(cases):
    report = run("reference", golden=cases, dtypes=["float64"], clauses=["CS-SW-2"], cases="sw-*")
    doc = report.to_json()
    assert doc["partial"] is True
    assert doc["filters"] == {"dtypes": ["float64"], "clauses": ["CS-SW-2"], "cases": "sw-*"}
    assert "PARTIAL RUN: --dtypes float64 --clauses CS-SW-2 --cases sw-*" in render(report)
    assert doc["not_tested"]["CS-GRAD-1"]["reason"] == "not selected by the filters"


def test_full_unfiltered_run_is_not_partial():
    report = run("reference", golden=load_cases())
    assert not report.partial and report.to_json()["filters"] == {}
    assert "PARTIAL" not in render(report) and report.exit_code == 0


def test_cli_require(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert cli_main(["reference", "--tier", "fast", "--require", "all", "--report-json", str(out)]) == 0
    assert sorted(json.loads(out.read_text())["required"]) == sorted(normative_ids())
    assert cli_main(["reference", "--tier", "fast", "--require", "CS-FIT-1"]) == 1  # tf-only: no case here
    assert "required but not tested (--require): CS-FIT-1" in capsys.readouterr().out
    assert cli_main(["reference", "--tier", "fast", "--require", "CS-NOPE-9"]) == 2
    assert "CS-NOPE-9" in capsys.readouterr().err


@pytest.mark.parametrize(
    "options",
    [dict(dtypes="float32"), dict(clauses="CS-VAL-1"), dict(cases=["seed-*"]), dict(require="some"), dict(require=[1])],
)
def test_api_options_of_the_wrong_type_are_usage_errors(options, cases):
    with pytest.raises(HarnessError, match="Got"):
        run("reference", golden=cases, **options)
