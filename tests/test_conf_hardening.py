"""Regression tests of the review findings: a misbehaving target (at import, in what it returns or raises, in
its gradients or its messages) never crashes the harness, and the verdicts stay honest."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from cosine_spec.conf import check_cli as check
from cosine_spec.conf.adapters.pycallable import CallableAdapter, load_callable
from cosine_spec.conf.check_cli import cli_main
from cosine_spec.conf.errors import HarnessError, TargetError
from cosine_spec.conf.golden_cases import load_cases
from cosine_spec.conf.runner import run
from cosine_spec.impl import loss as ref


@pytest.fixture(scope="module")
def seed_cases():
    return [c for c in load_cases() if c.family == "seed"]


@pytest.fixture
def target_dir(tmp_path, monkeypatch):
    """A fresh current directory for target modules; sys.path and sys.argv restored afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "argv", ["cosine-spec", "check", "x:f"])
    return tmp_path


def _module(directory, name: str, source: str) -> str:
    (directory / f"{name}.py").write_text(textwrap.dedent(source))
    return name


# 1. a module that exits or raises while being imported is a setup error (exit 2), never a verdict
@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("import sys\nsys.exit(0)\n", "exited while being imported (SystemExit(0))"),
        ("import argparse\nargparse.ArgumentParser().parse_args()\n", "exited while being imported (SystemExit(2))"),
        ("raise SystemExit\n", "exited while being imported"),
        ("raise RuntimeError('broken at import')\n", "raised while being imported: RuntimeError: broken at import"),
        ("import no_such_dependency_xyz\n", "raised while being imported: ModuleNotFoundError"),
    ],
)
def test_module_exiting_or_raising_at_import_is_a_target_error(target_dir, body, said, capsys):
    name = _module(target_dir, f"imp_{abs(hash(body))}", body + "def f(*a, **k):\n    return 0\n")
    with pytest.raises(TargetError, match=r"(?s)" + said.replace("(", r"\(").replace(")", r"\)")):
        load_callable(f"{name}:f")
    assert cli_main([f"{name}:f"]) == 2
    assert "while being imported" in capsys.readouterr().err


# 2. gradients: the case's dtype and shape, real floats only; never cast a complex or string array
def _with_grad(grad):
    def f(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
        return ref(y_true, y_pred, sample_weight, axis=axis, reduction=reduction)

    f.grad = grad
    return f


def _grad_f64(t, p, sw=None, **k):
    f64 = [None if a is None else np.asarray(a, np.float64) for a in (t, p, sw)]
    return ref.grad(*f64, **k)


def _grad_complex(*a, **k):
    return tuple(g.astype(np.complex128) + 5j for g in ref.grad(*a, **k))


def _grad_strings(t, p, *a, **k):
    return np.full(t.shape, "x"), np.full(p.shape, "y")


def _grad_objects(*a, **k):
    return tuple(g.astype(object) for g in ref.grad(*a, **k))


@pytest.mark.parametrize(
    ("grad", "said"),
    [(_grad_f64, "float64"), (_grad_complex, "complex128"), (_grad_strings, "<U1"), (_grad_objects, "object")],
)
def test_gradient_of_another_dtype_fails_the_gradient_clause(grad, said, seed_cases):
    cases = [c for c in seed_cases if c.dtype != "float64"] if said == "float64" else seed_cases
    report = run(CallableAdapter(_with_grad(grad), grad.__name__), golden=cases, timeout=None)
    grads = [r for r in report.results if r.id.endswith("/grad") and r.id.count("/") == 1]  # the golden probe's calls
    assert grads and all(r.status == "failed" and r.failed_clauses == ["CS-GRAD-1"] for r in grads)
    assert all(f"dtype {said}, expected {r.dtype}" in r.message for r in grads)
    assert all(r.status == "passed" for r in report.results if r.kind == "value")
    assert report.exit_code == 1


def test_correct_gradients_still_pass(seed_cases):
    report = run(CallableAdapter(_with_grad(ref.grad), "ref"), golden=seed_cases, timeout=None)
    assert report.exit_code == 0 and report.clauses["CS-GRAD-1"] == "passed"


# 3. unprintable exceptions and results, odd characters, bad options, internal errors
class BadStr(ValueError):
    def __str__(self):
        raise RuntimeError("no str")


class BadRepr:
    def __repr__(self):
        raise RuntimeError("no repr")


def raises_bad_str(*a, **k):
    raise BadStr()


def returns_bad_repr(*a, **k):
    return BadRepr()


@pytest.mark.parametrize(
    ("fn", "said"),
    [(raises_bad_str, "BadStr: <unprintable message>"), (returns_bad_repr, "is a BadRepr; the contract requires")],
)
def test_unprintable_objects_are_failed_cases(fn, said, seed_cases):
    report = run(CallableAdapter(fn, fn.__name__), golden=seed_cases, timeout=None)
    assert report.exit_code == 1
    assert all(said in r.message for r in report.results if r.kind == "value")


def test_emit_survives_lone_surrogates_and_control_characters():
    import io

    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    check._emit("bad \x00\x1b[31m char \ud800", stream)
    stream.flush()
    assert stream.buffer.getvalue() == b"bad \\x00\\x1b[31m char \\ud800\n"


def test_cli_prints_a_lone_surrogate_in_a_real_process(tmp_path):
    _module(tmp_path, "ctrl_target", 'def f(*a, **k):\n    raise ValueError("bad \\x1b[31m \\ud800")\n')
    proc = subprocess.run(
        [sys.executable, "-m", "cosine_spec.conf.cli", "check", "ctrl_target:f", "--cases", "seed-ex1-*"],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr.decode(errors="replace")
    assert b"raised ValueError: bad \\x1b[31m \\ud800" in proc.stdout and b"Traceback" not in proc.stderr


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "soon"])
def test_bad_timeout_is_a_usage_error(value, capsys):
    assert cli_main(["reference", "--timeout", value]) == 2
    assert "--timeout" in capsys.readouterr().err
    with pytest.raises(HarnessError, match="timeout"):
        run("reference", timeout=-1)


@pytest.mark.parametrize("exc", [RuntimeError("a harness bug"), SystemExit(0), SystemExit(1)])
def test_internal_error_exits_2_with_a_traceback(exc, monkeypatch, capsys):
    def broken(*a, **k):
        raise exc

    monkeypatch.setattr(check, "run", broken)
    assert cli_main(["reference"]) == 2
    err = capsys.readouterr().err
    assert "internal error" in err and "Traceback" in err


# 4. JUnit XML and JSON hold any message a target produces
def test_reports_hold_control_characters_and_surrogates(tmp_path, seed_cases):
    def f(*a, **k):
        raise ValueError("\x1b[31mred\x1b[0m \x00 nul \ud800 \ufffe")

    report = run(CallableAdapter(f, "ctrl\x07"), golden=seed_cases, timeout=None)
    report.write_junit(tmp_path / "r.xml")
    report.write_json(tmp_path / "r.json")
    suite = ET.parse(tmp_path / "r.xml").getroot()
    message = suite.find("testcase/failure").get("message")
    assert "\\x1b[31mred\\x1b[0m \\x00 nul \\ud800 \\ufffe" in message
    assert suite.get("name") == "cosine-spec[ctrl\\x07]"
    text = (tmp_path / "r.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    assert "\\ud800" in doc["cases"][0]["message"]
    json.dumps(doc, ensure_ascii=False).encode("utf-8")  # no lone surrogate left


# 5. CS-OUT-1 and CS-VAL-2 pass when judged, and a stale deviation on them is an unexpected pass
def test_own_check_clauses_pass_and_can_be_unexpected_passes(tmp_path, seed_cases):
    report = run("reference", golden=seed_cases)
    assert report.clauses["CS-OUT-1"] == "passed" and report.clauses["CS-VAL-2"] == "passed"
    for clause in ("CS-OUT-1", "CS-VAL-2"):
        path = tmp_path / f"{clause}.toml"
        path.write_text(
            'format = 2\n[[deviation]]\nname = "stale"\nmodel = "no-clip"\ncases = "seed-*"\n'
            'reason = "stale"\nupstream = "none known"\n'
        )
        strict = run("reference", golden=seed_cases, expectations=path, strict=True)
        assert strict.deviations[0].status == "unexpected_pass" and strict.exit_code == 1


def test_value_outside_tolerance_fails_neither_out_1_nor_val_2(seed_cases):
    def halved(*a, **k):
        return (ref(*a, **k) / 2).astype(a[0].dtype)

    def wrong_shape(y_true, *a, **k):
        return np.zeros((7, 7), y_true.dtype)

    report = run(CallableAdapter(halved, "halved"), golden=seed_cases, timeout=None)
    values = [r for r in report.results if r.kind == "value"]
    assert any(r.status == "failed" for r in values)
    assert not any({"CS-OUT-1", "CS-VAL-2"} & set(r.failed_clauses) for r in values)
    assert report.clauses["CS-OUT-1"] == "passed" and report.clauses["CS-VAL-2"] == "passed"
    shaped = run(CallableAdapter(wrong_shape, "wrong_shape"), golden=seed_cases, timeout=None)
    assert shaped.clauses["CS-OUT-1"] == "failed"


# 6. filters that select nothing are a usage error, not a vacuous CONFORMANT
@pytest.mark.parametrize(
    "kwargs",
    [
        {"cases": "nonexistent*"},
        {"clauses": ["CS-FIT-1"]},
        {"cases": "seed-*", "dtypes": ["float64"], "clauses": ["CS-SW-5"]},
    ],
)
def test_empty_selection_is_a_harness_error(kwargs):
    target = CallableAdapter(ref, "ref")
    with pytest.raises(HarnessError, match="selects no case and no check") as err:
        run(target, timeout=None, **kwargs)
    assert "seed-ex1-auto-float16" in str(err.value) and "CS-VAL-1" in str(err.value)


def test_empty_selection_exits_2(capsys):
    assert cli_main(["reference", "--cases", "nonexistent*"]) == 2
    assert "--cases 'nonexistent*'" in capsys.readouterr().err
