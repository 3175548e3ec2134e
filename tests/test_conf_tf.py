"""The tf-keras target is conformant with its declared deviations (measured, not assumed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.tf
def test_tf_keras_conformant_with_declared_deviations(tmp_path):
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf_keras")
    report = tmp_path / "tf.json"
    # A fresh process: tf.keras must be imported with TF_USE_LEGACY_KERAS=1 before anything else.
    proc = subprocess.run([sys.executable, "-m", "cosine_spec.conf.cli", "check", "tf-keras",
                           "--report-json", str(report)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    doc = json.loads(report.read_text())
    assert doc["summary"]["failed"] == 0 and doc["summary"]["unexpected_passes"] == 0
    declared = {c["id"] for c in doc["cases"] if c["status"] == "declared"}
    assert any(i.startswith("zero-float16") for i in declared)    # float16 zero vector gives NaN
    assert any(i.startswith("huge-float32") for i in declared)    # float32 squared norm overflow
    assert {"CS-API-3", "CS-RED-5", "CS-FIT-1"} <= {k for k, v in doc["clauses"].items() if v == "passed"}
