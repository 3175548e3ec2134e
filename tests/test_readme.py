"""The README's Quick start is what CI runs: two commands, both verbatim in .ci/run."""

import re
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
