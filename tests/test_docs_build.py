"""The Sphinx site builds with warnings as errors and shows every clause, the
conformance matrix of every installed target and the accuracy plots."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from cosine_spec.spec.clauses import clause_ids

DOCS = Path(__file__).resolve().parents[1] / "docs"
# The build runs the full tier of every installed target for the conformance matrix: about 3 s for the
# reference and 10 s for tf-keras (with the TensorFlow import). This only guards a hang.
BUILD_TIMEOUT_S = 300


class _Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts (header row included)."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _matrix(html: str) -> list[list[str]]:
    """The clause-by-clause table of the conformance page: the one whose header starts with "clause"."""
    parser = _Tables()
    parser.feed(html)
    found = [t for t in parser.tables if t and t[0] and t[0][0] == "clause"]
    assert len(found) == 1, f"expected one clause table on the conformance page, found {len(found)}"
    return found[0]


def test_docs_build_with_warnings_as_errors(tmp_path):
    pytest.importorskip("sphinx", reason="building the docs needs the [docs] extra (sphinx, myst-parser)")
    pytest.importorskip("myst_parser", reason="building the docs needs the [docs] extra (sphinx, myst-parser)")
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-b", "html", str(DOCS), str(out)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"sphinx-build -W failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    spec_html = (out / "spec.html").read_text(encoding="utf-8")
    missing = [cid for cid in clause_ids() if f"{cid}:" not in spec_html]
    assert not missing, f"clauses absent from the published spec page: {missing}"
    for page in ["index", "seed-examples", "golden-format", "ci", "_generated/conformance", "_generated/accuracy"]:
        assert (out / f"{page}.html").is_file(), page

    table = _matrix((out / "_generated" / "conformance.html").read_text(encoding="utf-8"))
    header, rows = table[0], table[1:]
    assert "reference" in header, f"no reference column in the conformance matrix: {header}"
    listed = [row[0].split()[0] for row in rows]
    assert listed == clause_ids(), f"the matrix rows are not the spec's clauses, in order: {listed}"
    ref = header.index("reference")
    failed = [row[0] for row in rows if "failed" in row[ref]]
    assert not failed, f"the reference implementation fails clauses in the published matrix: {failed}"
    assert all(row[ref] for row in rows), "empty reference cells in the conformance matrix"

    accuracy_html = (out / "_generated" / "accuracy.html").read_text(encoding="utf-8")
    assert "accuracy-reference.png" in accuracy_html, "the accuracy page does not show the reference's plot"
    assert (DOCS / "_generated" / "accuracy-reference.png").is_file()
    assert (out / "_images" / "accuracy-reference.png").is_file(), "the reference's plot was not published"
