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
    proc = subprocess.run(
        [sys.executable, "-m", "cosine_spec.conf.cli", "check", "tf-keras", "--report-json", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    doc = json.loads(report.read_text())
    assert doc["summary"]["failed"] == 0 and doc["summary"]["unexpected_passes"] == 0
    assert doc["summary"]["unmatched"] == 0
    for dev in doc["deviations"]:  # every entry is a model that explained failures (what one entry leaves
        assert dev["status"] == "held" and dev["explained"] > 0, dev  # unexplained, another explains: failed == 0)
    declared = {c["id"] for c in doc["cases"] if c["status"] == "declared"}
    assert any(i.startswith("zero-float16") for i in declared)  # float16 zero vector gives NaN
    assert any(i.startswith("huge-float32") for i in declared)  # float32 squared norm overflow
    assert {"CS-API-3", "CS-RED-5", "CS-FIT-1"} <= {k for k, v in doc["clauses"].items() if v == "passed"}


# Each declared deviation of tf-keras is real: without it, the cases it scopes fail. One fresh process (tf.keras
# must be imported with TF_USE_LEGACY_KERAS=1 first) runs tf-keras once per entry, on only the cases that entry
# scopes (a case is scoped when one of its results is), with the file minus that entry.
_WITHOUT_EACH = """
import json, sys, tomllib
from pathlib import Path
from cosine_spec.conf.deviations import builtin_expectations, load_expectations
from cosine_spec.conf.golden_cases import load_cases
from cosine_spec.conf.runner import _probes, run

src = builtin_expectations("tf-keras")
raw = tomllib.loads(src.read_text(encoding="utf-8"))
cases, out = load_cases(), {}
for dev in load_expectations(src):
    scoped = [c for c in cases if any(dev.covers(p.id, c.dtype) for p in _probes(c, None))]
    rest = [e for e in raw["deviation"] if e["name"] != dev.name]
    path = Path(sys.argv[1]) / f"without-{dev.name}.toml"
    path.write_text("format = 2\\n" + "".join(
        "[[deviation]]\\n" + "".join(f"{k} = {json.dumps(v)}\\n" for k, v in e.items() if k != "params")
        + ("params = { " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in e["params"].items()) + " }\\n"
           if "params" in e else "") for e in rest), encoding="utf-8")
    rep = run("tf-keras", golden=scoped, expectations=path, strict=False)
    out[dev.name] = {"cases": len(scoped), "exit": rep.exit_code, "failed": rep.summary["failed"]}
print(json.dumps(out))
"""


@pytest.mark.tf
def test_each_tf_keras_deviation_is_real(tmp_path):
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf_keras")
    proc = subprocess.run(
        [sys.executable, "-c", _WITHOUT_EACH, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    print(out)
    assert len(out) >= 6
    for name, r in out.items():
        assert r["exit"] == 1 and r["failed"] > 0, (name, r)  # removing it makes the run fail
