"""The pytest plugin: harmless without its option; with it, one item per result, run once per target."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOOD = "tests.catalogue.correct:pow2_scaled"
BAD = "tests.catalogue.wrong:divides_by_batch_size"  # fails CS-RED-3 only


def _pytest(tmp_path, *args):
    (tmp_path / "test_dummy.py").write_text("def test_ok():\n    assert True\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(tmp_path), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _counts(proc) -> dict[str, int]:
    last = proc.stdout.strip().splitlines()[-1]
    return {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|xfailed|xpassed|skipped|deselected|error)", last)}


def test_plugin_harmless_without_option(tmp_path):
    proc = _pytest(tmp_path)
    assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout + proc.stderr


def test_one_item_per_result_with_target_clause_case_and_kind(tmp_path):
    proc = _pytest(
        tmp_path,
        "--cosine-spec-target",
        GOOD,
        "--cosine-spec-target",
        BAD,
        "--cosine-spec-tier",
        "fast",
        "--collect-only",
    )
    ids = [line for line in proc.stdout.splitlines() if line.startswith("cosine-spec/")]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for target in (GOOD, BAD):  # the option repeats: both targets are there, neither replaces the other
        t = re.escape(target)
        assert any(
            re.fullmatch(rf"cosine-spec/{t}/CS-RED-3/sw-float\d+-\S+-sum_over_batch_size\[value\]", i) for i in ids
        ), ids[:20]
        assert any(re.fullmatch(rf"cosine-spec/{t}/CS-GRAD-1/sw-float\d+-\S+\[grad\]", i) for i in ids)
    assert any(
        re.fullmatch(rf"cosine-spec/{re.escape(GOOD)}/CS-[A-Z]+-\d+/random-\d+\[float\d+-value\]", i) for i in ids
    )
    assert len(ids) == len(set(ids))


def test_verdicts_per_item_and_keyword_selection(tmp_path):
    bad = _pytest(tmp_path, "--cosine-spec-target", BAD, "--cosine-spec-tier", "fast")
    assert bad.returncode == 1 and _counts(bad)["failed"] > 0, bad.stdout[-3000:]
    failed = re.findall(r"^FAILED cosine-spec/[^/]+/([^/]+)/", bad.stdout, re.M)
    assert failed and set(failed) <= {
        "CS-RED-2",
        "CS-RED-3",
        "CS-RED-4",
        "CS-VAL-3",
        "CS-GRAD-1",
        "CS-EX-1",
        "CS-EX-2",
    }, failed
    only = _pytest(
        tmp_path, "--cosine-spec-target", BAD, "--cosine-spec-tier", "fast", "-k", "CS-RED-3", "--collect-only"
    )
    ids = [line for line in only.stdout.splitlines() if line.startswith("cosine-spec/")]
    assert ids and any(f"/{BAD}/CS-RED-3/" in i for i in ids)  # the clause in the id, or among the markers
    assert not any(re.search(r"/CS-(SW-5|ERR-\d)/", i) for i in ids), ids


_ENTRY = (
    'format = 2\n[[deviation]]\nname = "{name}"\nmodel = "{model}"\n{params}cases = {cases}\n'
    'reason = "r"\nupstream = "none known"\n'
)


def test_declared_deviations_are_strict_xfails(tmp_path):
    exp = tmp_path / "exp.toml"
    exp.write_text(
        _ENTRY.format(
            name="no-eps",
            model="epsilon-on-norm",
            params="params = { epsilon = 0 }\n",
            cases='["zero-*", "tiny-*", "threshold-*"]',
        )
    )
    # no_epsilon's failures on zero and tiny vectors are what the model predicts; near the smallest normal (huge-*)
    # they are not (the model divides by the norm, no_epsilon multiplies by its inverse): deselected by keyword
    target, args = "tests.catalogue.wrong:no_epsilon", ("-k", "not huge-")
    proc = _pytest(
        tmp_path,
        "--cosine-spec-target",
        target,
        "--cosine-spec-tier",
        "fast",
        "--cosine-spec-expectations",
        str(exp),
        *args,
    )
    counts = _counts(proc)
    assert proc.returncode == 0 and counts["xfailed"] > 0 and not counts.get("failed"), proc.stdout[-3000:]


def test_unexpected_pass_fails_under_the_cli_default_strict_run(tmp_path):
    exp = tmp_path / "exp.toml"
    exp.write_text(_ENTRY.format(name="stale", model="no-clip", params="", cases='["seed-ex1-*"]'))
    proc = _pytest(tmp_path, "--cosine-spec-target", GOOD, "--cosine-spec-expectations", str(exp))
    failed = re.findall(r"^FAILED (\S+)", proc.stdout, re.M)
    assert proc.returncode == 1 and failed and all("seed-ex1-" in f for f in failed), proc.stdout[-3000:]
    assert "XPASS(strict)" in proc.stdout


def test_setup_error_is_a_collection_error(tmp_path):
    proc = _pytest(tmp_path, "--cosine-spec-target", "no_such_module_here:f")
    assert proc.returncode == 2 and "error during collection" in proc.stdout, proc.stdout + proc.stderr
    assert "no_such_module_here" in proc.stdout


def test_same_verdicts_under_xdist(tmp_path):
    args = ("--cosine-spec-target", BAD, "--cosine-spec-target", GOOD, "--cosine-spec-tier", "fast")
    one, two = _pytest(tmp_path, *args), _pytest(tmp_path, *args, "-n", "2")
    assert one.returncode == two.returncode == 1
    assert _counts(one) == _counts(two), (one.stdout[-500:], two.stdout[-500:])
