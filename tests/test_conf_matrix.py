"""The conformance matrix's own logic: the worst ulp figure and the cache key (no target is run here; the
docs build runs the matrix of the installed targets)."""

from __future__ import annotations

import json

from cosine_spec.conf import matrix


def _result(dtype, status, max_ulp, max_err, tolerance, kind="value"):
    return {
        "dtype": dtype,
        "kind": kind,
        "status": status,
        "max_ulp": max_ulp,
        "max_err": max_err,
        "tolerance": tolerance,
    }


def test_worst_ulp_counts_passing_values_on_a_relative_scale_only():
    cases = [
        _result("float32", "passed", 3.0, 3 * 2.0**-23, 8 * 2.0**-23),  # near 1: 3 ulp, judged relatively
        _result("float32", "passed", 1e30, 1e30 * 2.0**-149, 1e-12),  # expected 0, an absolute bound: left out
        _result("float32", "failed", 50.0, 50 * 2.0**-23, 8 * 2.0**-23),  # failed results never count
        _result("float64", "passed", 0.0, 0.0, 1e-16),  # exact: 0 ulp
        _result("float16", "passed", None, None, None),  # not judged in ulps
        _result("float64", "passed", 1e12, 1e12 * 2.0**-52, 1e-2, kind="grad"),  # judged norm-wise: left out
    ]
    assert matrix.worst_ulp({"cases": cases}) == {"float16": None, "float32": 3.0, "float64": 0.0}


def test_cache_key_moves_with_the_models_and_reuse_needs_the_same_key(tmp_path):
    key = matrix.cache_key(versions={"numpy": "1"})
    assert set(key) == {"golden_sha256", "models_sha256", "versions"}
    assert len(key["models_sha256"]) == 64
    target = {"conformant": True, "tier": "fast", "summary": {}}
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"key": key, "tier": "fast", "targets": {"reference": target}}), encoding="utf-8")
    assert matrix.cached(str(path), key, "fast") == {"reference": target}
    assert matrix.cached(str(path), key, "full") == {}  # another tier: measured again
    assert matrix.cached(str(path), {**key, "models_sha256": "0" * 64}, "fast") == {}  # models changed
    assert matrix.cached(str(path), {**key, "versions": {"numpy": "2"}}, "fast") == {}
