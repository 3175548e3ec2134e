"""The built-in framework targets run through the harness with their declared deviation models, on the fast tier
(the full tier's timings are a benchmark: `python -m cosine_spec.conf.bench_frameworks`). Each test skips,
saying why, when its framework is not installed (CI installs TensorFlow and torch, so torch and Keras 3 on those
two backends run there; the JAX targets need the `jax` extra). Targets run in a worker process, or in a fresh
interpreter of their own (Keras picks its backend when first imported)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cosine_spec.conf.runner import run

ROOT = Path(__file__).resolve().parents[1]
NEEDS = {
    "torch": ("torch",),
    "optax": ("jax", "optax"),
    "keras-tensorflow": ("tensorflow", "keras"),
    "keras-torch": ("torch", "keras"),
    "keras-jax": ("jax", "keras"),
}
SLOW = {"optax", "keras-jax"}  # JAX compiles every golden shape: minutes on a cold cache


def _needs(target: str) -> None:
    missing = [m for m in NEEDS[target] if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (pip install 'cosine-spec[frameworks]')")


def _targets():
    return [pytest.param(t, marks=[pytest.mark.slow] if t in SLOW else []) for t in NEEDS]


@pytest.mark.parametrize("target", _targets())
def test_fast_tier_conformant_with_every_model_held(target):
    _needs(target)
    rep = run(target, tier="fast")
    undeclared = [(r.id, r.message[:200]) for r in rep.results if r.status == "failed"]
    assert rep.exit_code == 0 and not undeclared, undeclared[:5]
    for d in rep.deviations:  # a fast run is partial: an entry may have nothing in the slice, never be wrong
        assert d.status in ("held", "not_exercised"), (d.deviation.name, d.status)
    assert any(d.status == "held" for d in rep.deviations)


def test_keras_config_round_trip_drops_axis_and_is_declared():
    """Keras 3.15's get_config drops axis (CS-API-3): found by running, declared by its failure message."""
    _needs("keras-tensorflow")
    rep = run("keras-tensorflow", tier="fast", clauses=["CS-API-3"])
    (check,) = [r for r in rep.results if r.kind == "check" and "CS-API-3" in r.clauses]
    assert check.status == "declared" and "'axis': '<missing>'" in check.actual, check
    assert check.declared_by == ["config-drops-axis"]


# Each declared deviation is real: without it, the run fails. One fresh interpreter per target (Keras picks its
# backend at import) runs the target in-process once per entry, on the fast slice's cases that entry scopes,
# with the file minus that entry (every case in its scope when the fast slice holds none of its failures).
_WITHOUT_EACH = """
import json, sys, tomllib
from pathlib import Path
from cosine_spec.conf.deviations import builtin_expectations, load_expectations
from cosine_spec.conf.golden_cases import load_cases
from cosine_spec.conf.runner import _probes, fast_slice, run

target, tmp = sys.argv[1], Path(sys.argv[2])
src = builtin_expectations(target)
raw = tomllib.loads(src.read_text(encoding="utf-8"))
everything = load_cases()
cases, out = fast_slice(everything), {}
def toml(v):
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {json.dumps(x)}" for k, x in v.items()) + " }"
    return json.dumps(v)
def scope(dev, among):
    return [c for c in among if any(dev.covers(p.id, c.dtype) for p in _probes(c, None))]
for dev in load_expectations(src):
    rest = [e for e in raw["deviation"] if e["name"] != dev.name]
    path = tmp / f"without-{dev.name}.toml"
    path.write_text("format = 2\\n" + "".join(
        "[[deviation]]\\n" + "".join(f"{k} = {toml(v)}\\n" for k, v in e.items()) for e in rest), encoding="utf-8")
    for among in (cases, everything):  # an entry the fast slice does not exercise: every case in its scope
        scoped = scope(dev, among)
        if not scoped and among is cases:
            continue  # nothing of it in the fast slice
        rep = run(target, golden=scoped, expectations=path, strict=False, mode="in-process")
        if rep.exit_code:
            break
    out[dev.name] = {"cases": len(scoped), "exit": rep.exit_code, "failed": rep.summary["failed"]}
print(json.dumps(out))
"""


@pytest.mark.parametrize("target", _targets())
def test_each_deviation_is_real(target, tmp_path):
    _needs(target)
    proc = subprocess.run(
        [sys.executable, "-c", _WITHOUT_EACH, target, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    print(out)
    assert len(out) >= 4
    for name, r in out.items():
        assert r["exit"] == 1 and r["failed"] > 0, (name, r)  # removing it makes the run fail
