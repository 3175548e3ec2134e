"""The built-in framework targets run through the harness; each test skips, saying why, when its framework is
not installed (CI installs TensorFlow, so Keras 3 on its TensorFlow backend runs there). Each target runs in a
process of its own (`matrix.run_target`), as Keras needs its backend chosen before it is imported."""

from __future__ import annotations

import importlib.util

import pytest
from cosine_spec.conf.matrix import run_target


def _needs(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (pip install 'cosine-spec[torch]' / '[jax]' / '[tf]')")


def _run(target: str, monkeypatch, cases: str | None = None, clauses: str | None = None) -> dict:
    import cosine_spec.conf.matrix as m

    extra = [a for flag, v in (("--cases", cases), ("--clauses", clauses)) if v for a in (flag, v)]
    real = m.subprocess.run
    monkeypatch.setattr(m.subprocess, "run", lambda cmd, **kw: real([*cmd, "--expectations", "none", *extra], **kw))
    got = run_target(target, tier="full")
    assert "report" in got, got
    return got["report"]


def test_keras_tensorflow_seed_examples_pass_and_config_round_trip_fails(monkeypatch):
    """Keras 3.15's get_config drops axis (CS-API-3), found by running; the seed examples hold in every dtype."""
    _needs("tensorflow", "keras")
    r = _run("keras-tensorflow", monkeypatch, clauses="CS-EX-1,CS-EX-3,CS-API-3")
    assert r["clauses"]["CS-EX-1"] == "passed" and r["clauses"]["CS-EX-3"] == "passed", r["clauses"]
    api3 = [c for c in r["cases"] if c["kind"] == "check" and "CS-API-3" in c["clauses"]]
    assert api3 and api3[0]["status"] == "failed" and "axis" in api3[0]["message"], api3


def test_torch_shape_errors_are_not_value_errors(monkeypatch):
    _needs("torch")
    r = _run("torch", monkeypatch, cases="error-float32-*")
    failed = {c["id"]: c["message"] for c in r["cases"] if c["status"] == "failed"}
    assert (
        "RuntimeError" in failed["error-float32-shape-length"] and "IndexError" in failed["error-float32-axis-too-big"]
    ), failed
    assert r["clauses"]["CS-SW-5"] == "passed" and r["clauses"]["CS-RED-6"] == "passed"


def test_optax_zero_vectors_pass_with_the_spec_epsilon(monkeypatch):
    _needs("jax", "optax")
    r = _run("optax", monkeypatch, cases="zero-float64-*")
    assert r["summary"]["failed"] == 0 and r["summary"]["passed"] > 0, r["summary"]
