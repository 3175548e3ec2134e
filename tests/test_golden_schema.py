"""spec/golden.schema.json describes every golden data file, and rejects what FORMAT.md forbids."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "spec" / "golden.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
FILES = sorted(p for p in (ROOT / "spec" / "golden").glob("*.json") if p.name != "MANIFEST.json")


def test_the_schema_is_a_valid_json_schema_and_ships_in_the_package():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert json.loads((resources.files("cosine_spec.spec") / "golden.schema.json").read_text()) == SCHEMA


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_golden_file_follows_the_schema(path):
    errors = list(VALIDATOR.iter_errors(json.loads(path.read_text(encoding="utf-8"))))
    assert not errors, f"{path.name}: {errors[0].message[:300]} at {list(errors[0].absolute_path)}"


def _seed() -> dict:
    return json.loads((ROOT / "spec" / "golden" / "seed.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("decimal element", lambda c: c["y_true"]["data"].__setitem__(0, "0.5")),
        ("unknown dtype", lambda c: c.__setitem__("dtype", "float8")),
        ("missing key", lambda c: c.pop("note")),
        ("extra key", lambda c: c.__setitem__("tolerance", 1.0)),
        ("error with a value", lambda c: c.__setitem__("error", "ValueError")),
        ("bad clause id", lambda c: c["clauses"].append("VAL-1")),
    ],
)
def test_the_schema_rejects_a_broken_case(what, change):
    doc = copy.deepcopy(_seed())
    change(doc["cases"][0])
    assert not VALIDATOR.is_valid(doc), what
