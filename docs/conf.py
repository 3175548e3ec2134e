"""Sphinx configuration of the cosine-spec site (MyST Markdown; built with ``sphinx-build -W``)."""

import sys
from pathlib import Path

project = "cosine-spec"
author = "cosine-spec contributors"
copyright = "cosine-spec contributors"

sys.path.insert(0, str(Path(__file__).parent))
import accuracy  # noqa: E402  (docs/accuracy.py: error in ulps per target and dtype, from matrix's runs)
import derivation  # noqa: E402  (docs/derivation.py: sympy typesets the oracle's formulas)
import matrix  # noqa: E402  (docs/matrix.py: the suite runs each installed target, full tier, once a build)

derivation.write(Path(__file__).parent / "_generated")
matrix.write(Path(__file__).parent / "_generated")
accuracy.write(Path(__file__).parent / "_generated")

extensions = ["myst_parser", "sphinx.ext.mathjax"]
myst_enable_extensions = ["dollarmath"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# Headings of the included spec (### CS-VAL-1: ...) get stable anchors, e.g. #cs-val-1-per-sample-value.
myst_heading_anchors = 3

html_theme = "alabaster"
html_title = "cosine-spec"
