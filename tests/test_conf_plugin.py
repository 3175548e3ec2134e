"""The pytest plugin is harmless without its option and gates a target with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pytest(tmp_path, *args):
    (tmp_path / "test_dummy.py").write_text("def test_ok():\n    assert True\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_plugin_harmless_without_option(tmp_path):
    proc = _pytest(tmp_path)
    assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout + proc.stderr


def test_plugin_gates_a_target(tmp_path):
    good = _pytest(tmp_path, "--cosine-spec-target", "tests.catalogue.correct:pow2_scaled")
    assert good.returncode == 0 and "2 passed" in good.stdout, good.stdout + good.stderr
    bad = _pytest(tmp_path, "--cosine-spec-target", "tests.catalogue.wrong:wrong_sign")
    assert bad.returncode == 1 and "NOT CONFORMANT" in bad.stdout, bad.stdout + bad.stderr
