"""`cosine-spec check`: exit codes, the JSON report, JUnit XML, NOT TESTED gradients."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from cosine_spec.conf.check_cli import cli_main
from cosine_spec.conf.errors import HarnessError
from cosine_spec.conf.runner import run


def test_reference_is_conformant(capsys):
    assert cli_main(["reference"]) == 0
    out = capsys.readouterr().out
    assert "CONFORMANT" in out and "CS-VAL-1" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["no-such-target"],
        ["reference", "--backend", "jax"],
        ["cmd:./prog"],
        ["no_such_module_xyz:f"],
        ["json:no_such_attr"],
        ["json:__doc__"],
        ["reference", "--dtypes", "float8"],
        ["reference", "--clauses", "CS-NOPE-1"],
        ["reference", "--tier", "slow"],
        ["reference", "--expectations", "/nonexistent.toml"],
        [],
    ],
)
def test_usage_and_setup_errors_exit_2(argv, capsys):
    assert cli_main(argv) == 2
    assert capsys.readouterr().err.strip()


def test_missing_attribute_names_it(capsys):
    assert cli_main(["json:no_such_attr"]) == 2
    assert "no attribute 'no_such_attr'" in capsys.readouterr().err


def test_harness_error_is_the_root():
    with pytest.raises(HarnessError, match="unknown target"):
        run("nope")


def test_json_report_fields(tmp_path, capsys):
    path = tmp_path / "r.json"
    assert cli_main(["reference", "--tier", "fast", "--report-json", str(path)]) == 0
    doc = json.loads(path.read_text())
    assert {"target", "spec_version", "summary", "clauses", "cases"} <= set(doc)
    assert {
        "passed",
        "failed",
        "declared",
        "unexpected_passes",
        "unmatched",
        "not_tested",
        "not_run",
        "clauses_not_tested",
        "normative_clauses",
        "normative_tested",
    } <= set(doc["summary"])
    assert doc["target"] == "reference" and doc["spec_version"] != "unknown"
    case = doc["cases"][0]
    assert {"id", "clauses", "dtype", "status", "message", "max_ulp"} <= set(case)
    assert doc["summary"]["passed"] == len(doc["cases"])
    assert doc["clauses"]["CS-FIT-1"] == "not_tested"  # a TF-only clause: no case for a plain function


def test_junit_xml_one_testcase_per_case(tmp_path, capsys):
    xml_path, json_path = tmp_path / "r.xml", tmp_path / "r.json"
    code = cli_main(
        [
            "tests.catalogue.wrong:wrong_sign",
            "--tier",
            "fast",
            "--junit-xml",
            str(xml_path),
            "--report-json",
            str(json_path),
        ]
    )
    assert code == 1
    suite = ET.parse(xml_path).getroot()
    cases = json.loads(json_path.read_text())["cases"]
    testcases = suite.findall("testcase")
    assert len(testcases) == len(cases) == int(suite.get("tests"))
    failures = [tc for tc in testcases if tc.find("failure") is not None]
    assert len(failures) == int(suite.get("failures")) > 0
    assert failures[0].find("failure").get("message")


def no_grad(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
    from tests.catalogue.correct import pow2_scaled

    return pow2_scaled(y_true, y_pred, sample_weight, axis=axis, reduction=reduction)


def test_callable_without_grad_reports_gradients_not_tested(capsys):
    report = run("tests.test_conf_cli:no_grad", tier="fast")
    assert report.exit_code == 0
    assert report.clauses["CS-GRAD-1"] == "not_tested"
    grads = [r for r in report.results if r.kind == "grad"]
    assert grads and all(r.status == "not_tested" for r in grads)


def test_filters_select_dtypes_and_clauses():
    report = run("reference", dtypes=["float64"], clauses=["CS-SW-2"])
    assert report.results and {r.dtype for r in report.results} == {"float64"}
    assert all("CS-SW-2" in r.clauses for r in report.results if r.kind == "value")
    assert not report.strict  # a filtered run never fails on unexpected passes
