"""What the verdict rests on is checked (issue 8, item 8): golden data is verified against MANIFEST.json when
it is loaded, and malformed golden data, expectations and options are exit-2 messages in words naming what
is wrong, never an internal traceback. Each scenario runs the real `cosine-spec check` entry point."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from cosine_spec.conf.check_cli import cli_main
from cosine_spec.conf.golden_cases import golden_dir

SEED = "seed.json"


@pytest.fixture
def golden(tmp_path):
    root = tmp_path / "golden"
    shutil.copytree(golden_dir(), root)
    return root


def _check(root, capsys, *extra) -> tuple[int, str]:
    code = cli_main(["reference", "--golden", str(root), "--cases", "seed-ex1-auto", *extra])
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err, err
    return code, err


def _rehash(root) -> None:
    """Make MANIFEST.json agree with the files again (the tampering below is then caught by the reader)."""
    manifest = json.loads((root / "MANIFEST.json").read_text())
    for name, entry in manifest["files"].items():
        data = (root / name).read_bytes()
        entry["sha256"] = hashlib.sha256(data).hexdigest()
        try:
            entry["cases"] = len(json.loads(data)["cases"])
        except (ValueError, KeyError, TypeError):
            pass
    (root / "MANIFEST.json").write_text(json.dumps(manifest))


def _lines(root, name=SEED) -> list[str]:
    return (root / name).read_text().split("\n")


def _edit_first_case(root, edit, name=SEED) -> None:
    lines = _lines(root, name)
    case = json.loads(lines[1].rstrip(","))
    edit(case)
    lines[1] = json.dumps(case) + ","
    (root / name).write_text("\n".join(lines))


def test_the_shipped_golden_data_verifies(golden, capsys):
    assert _check(golden, capsys)[0] == 0


def test_a_missing_file_is_exit_2_naming_it(golden, capsys):
    (golden / "random.json").unlink()
    code, err = _check(golden, capsys)
    assert code == 2 and "random.json" in err and "missing" in err


def test_a_file_cut_to_11_cases_is_exit_2_naming_it(golden, capsys):
    lines = _lines(golden, "random.json")
    (golden / "random.json").write_text("\n".join(lines[:11] + [lines[11].rstrip(",")] + lines[-2:]))
    code, err = _check(golden, capsys)
    assert code == 2 and "random.json" in err and "altered" in err
    _rehash(golden)
    manifest = json.loads((golden / "MANIFEST.json").read_text())
    manifest["files"]["random.json"]["cases"] = 720  # the count as shipped, the sha256 of the cut file
    (golden / "MANIFEST.json").write_text(json.dumps(manifest))
    code, err = _check(golden, capsys)
    assert code == 2 and "random.json holds 11 cases" in err and "records 720" in err


def test_an_altered_byte_is_exit_2(golden, capsys):
    data = (golden / "weights.json").read_bytes()
    (golden / "weights.json").write_bytes(data.replace(b"0x1.", b"0x1.1", 1))
    code, err = _check(golden, capsys)
    assert code == 2 and "weights.json" in err and "sha256" in err


def test_an_extra_file_is_exit_2_naming_it(golden, capsys):
    shutil.copy(golden / SEED, golden / "extra.json")
    code, err = _check(golden, capsys)
    assert code == 2 and "extra.json" in err and "not listed" in err


@pytest.mark.parametrize("content", [None, '{"files": ', "[]", '{"files": {"seed.json": {"sha256": 1}}}'])
def test_a_missing_or_malformed_manifest_is_exit_2(golden, capsys, content):
    if content is None:
        (golden / "MANIFEST.json").unlink()
    else:
        (golden / "MANIFEST.json").write_text(content)
    code, err = _check(golden, capsys)
    assert code == 2 and "MANIFEST.json" in err


def _set(key, value):
    return lambda case: case.__setitem__(key, value)


def _drop(key):
    return lambda case: case.pop(key)


MALFORMED_CASES = {  # scenario -> (edit of the first seed case, words the message must hold)
    "missing key": (_drop("y_pred"), "lacks the key(s) y_pred"),
    "axis a string": (_set("axis", "1"), "`axis` is '1', not an integer"),
    "axis a float": (_set("axis", 1.5), "not an integer"),
    "clauses a string": (_set("clauses", "CS-VAL-1"), "`clauses` is not a list"),
    "reduction a number": (_set("reduction", 3), "`reduction` is int"),
    "unknown dtype": (_set("dtype", "float8"), "dtype 'float8'"),
    "bad hex": (lambda c: c["y_true"]["data"].__setitem__(0, "0xZZ"), "ValueError"),
    "numbers not strings": (lambda c: c["y_true"].__setitem__("data", [1.0, 2.0, 3.0, 4.0]), "hex float string"),
    "shape and data disagree": (lambda c: c["y_true"].__setitem__("shape", [3, 2]), "ValueError"),
    "negative shape": (lambda c: c["y_true"].__setitem__("shape", [-1]), "integers >= 0"),
    "tensor a list": (_set("y_true", [[0.0, 1.0]]), "is not a TENSOR"),
    "neither expected nor error": (_set("expected", None), "exactly one of `expected` and `error`"),
    "expected of the wrong shape": (
        lambda c: c["expected"].update(shape=[1], data=c["expected"]["data"], exact=c["expected"]["exact"]),
        "shape",
    ),
    "exact not strings": (lambda c: c["expected"].__setitem__("exact", [0.5]), "decimal strings"),
    "gradients malformed": (_set("gradients", [1]), "gradients"),
    "gradient of the wrong size": (lambda c: c["gradients"][0].__setitem__("y_true", ["0x0p+0"]), "gradient"),
}


@pytest.mark.parametrize("scenario", list(MALFORMED_CASES))
def test_a_malformed_case_is_exit_2_in_words(golden, capsys, scenario):
    edit, words = MALFORMED_CASES[scenario]
    _edit_first_case(golden, edit)
    _rehash(golden)
    code, err = _check(golden, capsys)
    assert code == 2 and words in err and "seed-ex1-auto" in err, err


@pytest.mark.parametrize(
    ("scenario", "content", "words"),
    [
        ("truncated JSON", lambda text: text[: len(text) // 2], "not valid JSON"),
        ("not UTF-8", lambda text: "\udcff", "not valid JSON"),
        ("cases not a list", lambda text: '{"cases": 3, "family": "seed", "format": 1}', "is not {"),
        ("a case is a number", lambda text: '{"cases": [3], "family": "seed", "format": 1}', "a case is a JSON object"),
        ("a newer format", lambda text: text.replace('"format": 2}', '"format": 99}'), "format 99"),
        ("a duplicate id", lambda text: text.replace('seed-ex2-weights"', 'seed-ex1-auto"', 1), "appears twice"),
    ],
)
def test_a_malformed_file_is_exit_2_naming_it(golden, capsys, scenario, content, words):
    text = (golden / SEED).read_text()
    new = content(text)
    (golden / SEED).write_bytes(new.encode("utf-8", "surrogateescape"))
    _rehash(golden)
    code, err = _check(golden, capsys)
    assert code == 2 and words in err, err
    assert "seed.json" in err or "seed-ex1-auto" in err


@pytest.mark.parametrize("body", ["deviation = 3", "deviation = [1]", "[[deviation]\n", "\udcff\udcfe"])
def test_malformed_expectations_are_exit_2_in_words(tmp_path, capsys, body):
    path = tmp_path / "bad.toml"
    path.write_bytes(body.encode("utf-8", "surrogateescape"))
    code = cli_main(["reference", "--cases", "seed-ex1-auto", "--expectations", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "bad.toml" in err and "internal error" not in err, err


@pytest.mark.parametrize(
    "options",
    [
        ["--tier", "slow"],
        ["--dtypes", "float8"],
        ["--clauses", "CS-NOPE-1"],
        ["--timeout", "-1"],
        ["--timeout", "nan"],
        ["--max-failures-shown", "x"],
        ["--require", "CS-NOPE-2"],
        ["--cases", "no-such-*"],
    ],
)
def test_bad_options_are_exit_2_in_words(capsys, options):
    code = cli_main(["reference", *options])
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err and err.strip(), err
