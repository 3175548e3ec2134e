"""Sphinx configuration of the cosine-spec site (MyST Markdown; built with ``sphinx-build -W``)."""

project = "cosine-spec"
author = "cosine-spec contributors"
copyright = "cosine-spec contributors"

extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# Headings of the included spec (### CS-VAL-1: ...) get stable anchors, e.g. #cs-val-1-per-sample-value.
myst_heading_anchors = 3

html_theme = "alabaster"
html_title = "cosine-spec"
