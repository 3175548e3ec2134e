"""Every example of the spec runs: the seed's examples against TensorFlow, the spec's own without it.

The seed examples (spec/seed_examples.md, CS-EX-1..CS-EX-4, CS-FIT-1, CS-API-3) run in a fresh interpreter
so that TF_USE_LEGACY_KERAS=1 is set before TensorFlow is first imported (tf.keras is then Keras 2).
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.resources import files

import pytest
from cosine_spec.spec.doccheck import run_file

SPEC_DIR = files("cosine_spec.spec")
TF_RUN_TIMEOUT_S = 300  # importing TensorFlow and one fit() take seconds; this only guards a hang


@pytest.mark.tf
def test_seed_examples_run_against_tensorflow():
    pytest.importorskip("tensorflow", reason="the seed's examples need the [tf] extra (tensorflow + tf-keras)")
    pytest.importorskip("tf_keras", reason="the seed's examples need tf-keras (Keras 2) for tf.keras")
    path = SPEC_DIR / "seed_examples.md"
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, "-m", "cosine_spec.spec.doccheck", str(path)],
        capture_output=True, text=True, env=env, timeout=TF_RUN_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"seed doctests failed:\n{proc.stdout}\n{proc.stderr[-3000:]}"
    assert "0 failed" in proc.stdout and " 0 examples" not in proc.stdout, proc.stdout


def test_spec_text_examples_run():
    result = run_file(SPEC_DIR / "cosine_similarity.md")
    assert result.attempted >= 1 and result.failed == 0, result


def test_seed_examples_cover_every_printed_output():
    text = (SPEC_DIR / "seed_examples.md").read_text(encoding="utf-8")
    for printed in ["-0.5", "-0.0999", "-0.999", "array([-0., -0.999], dtype=float32)"]:
        assert f"\n{printed}\n" in text, f"seed output {printed!r} is not a doctest output"
