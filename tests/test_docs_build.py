"""The Sphinx site builds with warnings as errors (DESIGN.md, Documentation) and shows every clause."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cosine_spec.spec.clauses import clause_ids

DOCS = Path(__file__).resolve().parents[1] / "docs"
BUILD_TIMEOUT_S = 300  # the build takes about a second; this only guards a hang


def test_docs_build_with_warnings_as_errors(tmp_path):
    pytest.importorskip("sphinx", reason="building the docs needs the [docs] extra (sphinx, myst-parser)")
    pytest.importorskip(
        "myst_parser", reason="building the docs needs the [docs] extra (sphinx, myst-parser)"
    )
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-b", "html", str(DOCS), str(out)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"sphinx-build -W failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    spec_html = (out / "spec.html").read_text(encoding="utf-8")
    missing = [cid for cid in clause_ids() if f"{cid}:" not in spec_html]
    assert not missing, f"clauses absent from the published spec page: {missing}"
    for page in ["index", "seed-examples", "golden-format", "ci"]:
        assert (out / f"{page}.html").is_file(), page
