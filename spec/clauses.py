"""The clause catalogue, read from the normative text ``cosine_similarity.md`` (the single source).

A clause is written in the Markdown as a level-3 heading followed, on the next non-blank line, by its level::

    ### CS-VAL-1: per-sample value

    Level: normative

``HEADING_RE`` and ``LEVEL_RE`` below are the exact grammar. Cases, reports and docs refer to the IDs read
here instead of retyping them: the spec text is the single source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

SPEC_FILE = "cosine_similarity.md"
LEVELS = ("normative", "informative", "tf-only")

ID_PATTERN = r"CS-[A-Z]+-[1-9][0-9]*"
ID_RE = re.compile(rf"\b{ID_PATTERN}\b")
HEADING_RE = re.compile(rf"^### (?P<id>{ID_PATTERN}): (?P<title>\S.*?)\s*$")
LEVEL_RE = re.compile(r"^Level: (?P<level>\S+)\s*$")
TRACE_HEADING = "## Traceability to the seed page"


class ClauseError(ValueError):
    """The spec text breaks the clause grammar: a malformed heading, a missing level, a duplicate ID."""


@dataclass(frozen=True)
class Clause:
    """One clause of the spec: its stable ID, its level (one of ``LEVELS``) and its short title."""

    id: str
    level: str
    title: str


def spec_text() -> str:
    """The normative text, read as package data of ``cosine_spec.spec``."""
    return (files("cosine_spec.spec") / SPEC_FILE).read_text(encoding="utf-8")


def parse_clauses(text: str) -> dict[str, Clause]:
    """Parse clauses from Markdown ``text``, in file order; raise ``ClauseError`` on any grammar fault."""
    lines = text.splitlines()
    clauses: dict[str, Clause] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.startswith("### CS-"):
            continue
        m = HEADING_RE.match(line)
        if m is None:
            raise ClauseError(
                f"{SPEC_FILE}:{lineno}: malformed clause heading {line!r}; "
                f"expected '### <ID>: <title>' with an ID matching {ID_PATTERN}"
            )
        cid = m["id"]
        if cid in clauses:
            raise ClauseError(f"{SPEC_FILE}:{lineno}: duplicate clause ID {cid}; each ID must appear once")
        following = next((x for x in lines[lineno:] if x.strip()), "")
        lm = LEVEL_RE.match(following)
        if lm is None:
            raise ClauseError(
                f"{SPEC_FILE}:{lineno}: clause {cid} has no level; the next non-blank line must be "
                f"'Level: <level>' with <level> one of {', '.join(LEVELS)}; got {following!r}"
            )
        if lm["level"] not in LEVELS:
            raise ClauseError(
                f"{SPEC_FILE}:{lineno}: clause {cid} has level {lm['level']!r}; "
                f"the only valid levels are {', '.join(LEVELS)}"
            )
        clauses[cid] = Clause(id=cid, level=lm["level"], title=m["title"])
    if not clauses:
        raise ClauseError(f"{SPEC_FILE}: no clause found; is this the spec text?")
    return clauses


@cache
def load_clauses() -> dict[str, Clause]:
    """All clauses of the spec, keyed by ID, in the order of the file. Treat the result as read-only."""
    return parse_clauses(spec_text())


def clause_ids() -> list[str]:
    """Every clause ID, in file order."""
    return list(load_clauses())


def normative_ids() -> list[str]:
    """The IDs of the normative clauses (each needs a golden case), in file order."""
    return [c.id for c in load_clauses().values() if c.level == "normative"]


def traceability(text: str | None = None) -> list[tuple[str, list[str]]]:
    """Rows of the traceability table: (seed sentence, clause IDs it maps to; empty for page furniture)."""
    text = spec_text() if text is None else text
    _, found, rest = text.partition(TRACE_HEADING)
    if not found:
        raise ClauseError(f"{SPEC_FILE}: section {TRACE_HEADING!r} not found")
    rows = []
    for line in rest.splitlines():
        if line.startswith("## "):
            break
        if not line.startswith("|") or set(line) <= set("|- "):
            continue
        *cells, ids = [c.strip() for c in line.strip().strip("|").rsplit("|", 1)]
        if cells == ["seed sentence"]:
            continue
        rows.append((cells[0], ID_RE.findall(ids)))
    return rows
