"""The README's Quick start is what CI runs: two commands, both verbatim in .ci/run."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"^## Quick start\s*\n+```[a-z]*\n(.*?)^```", text, re.S | re.M)
    assert block, "README.md has no fenced block under '## Quick start'"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_quick_start_has_two_commands_and_ci_runs_them_verbatim():
    commands = quick_start_commands()
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    for command in commands:
        assert command in ci, f".ci/run does not run the README command: {command}"
    assert "set -euo pipefail" in (ROOT / ".ci" / "run").read_text()


def test_repository_is_self_contained():
    """Nothing in the repository points at files outside it (the design notes and the seed copy it grew from)."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    outside = re.compile(r"DESIGN\.md|STYLE\.md|semantics\.md|\.\./shared")
    hits = [
        f"{name}:{i}"
        for name in files
        if (ROOT / name).is_file() and not name.endswith(".json")
        for i, line in enumerate((ROOT / name).read_text(errors="replace").splitlines(), 1)
        if outside.search(line) and name != "tests/test_readme.py"
    ]
    assert hits == [], f"references to files outside the repository: {hits}"


def test_readme_links_every_contract_page():
    text = (ROOT / "README.md").read_text()
    for page in (
        "docs/contracts/target.md",
        "docs/contracts/cli.md",
        "docs/contracts/expectations.md",
        "docs/contracts/protocol.md",
        "spec/golden/FORMAT.md",
    ):
        assert page in text, f"README.md does not link {page}"
        assert (ROOT / page).is_file()
