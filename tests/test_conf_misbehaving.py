"""A target that raises, returns garbage or hangs is a failed case, never a crashed harness."""

from __future__ import annotations

import time

import numpy as np
import pytest
from cosine_spec.conf.adapters.pycallable import CallableAdapter
from cosine_spec.conf.golden_cases import load_cases
from cosine_spec.conf.runner import run


def raises(*args, **kwargs):
    raise RuntimeError("boom")


def exits(*args, **kwargs):
    raise SystemExit(3)


def returns_none(*args, **kwargs):
    return None


def returns_list(*args, **kwargs):
    return [0.0]


def wrong_shape(y_true, *args, **kwargs):
    return np.zeros((7, 7), dtype=y_true.dtype)


def sleeps(*args, **kwargs):
    time.sleep(5)


def bad_grad(y_true, y_pred, *args, **kwargs):
    return np.zeros((), y_true.dtype)


bad_grad.grad = lambda *args, **kwargs: "not a pair"


@pytest.fixture(scope="module")
def few_cases():
    return [c for c in load_cases() if c.family == "seed"][:6]


@pytest.mark.parametrize(
    "fn", [raises, exits, returns_none, returns_list, wrong_shape, bad_grad], ids=lambda f: f.__name__
)
def test_misbehaving_target_fails_cases(fn, few_cases):
    report = run(CallableAdapter(fn, fn.__name__), golden=few_cases, timeout=None)
    assert report.exit_code == 1
    assert report.summary["failed"] >= len(few_cases) - 1
    assert all(r.message for r in report.results if r.status == "failed")


def test_hanging_target_times_out(few_cases):
    t0 = time.monotonic()
    report = run(CallableAdapter(sleeps, "sleeps"), golden=few_cases[:2], timeout=0.2)
    assert time.monotonic() - t0 < 4
    assert report.exit_code == 1
    assert all("timed out" in r.message for r in report.results if r.status == "failed")


def test_bad_grad_fails_only_the_gradient_clause(few_cases):
    report = run(CallableAdapter(bad_grad, "bad_grad"), golden=few_cases, timeout=None)
    grads = [r for r in report.results if r.id.endswith("/grad") and r.id.count("/") == 1]  # the golden probe's calls
    assert grads and all(r.failed_clauses == ["CS-GRAD-1"] for r in grads)
