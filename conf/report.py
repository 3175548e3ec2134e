"""The result of a conformance run: per case, per clause, per declared deviation; JSON and JUnit XML.

Case statuses: passed, failed (some failed clause is not declared), declared (every failed clause is a
declared deviation), not_tested (the target lacks the dtype or a gradient), not_run (the run stopped
before it: deadline, --maxfail, or a target abandoned as unresponsive; a run with one is not conformant).
Clause statuses: failed if any case failed it undeclared, else declared if any declared failure, else
passed if any case ran, else not_tested. Deviation statuses (docs/contracts/expectations.md): held (its model
explained some failure), unmatched (failures in its scope, none of them what its model predicts),
unexpected_pass (results in its scope ran and none failed), not_exercised (none ran).
`summary` counts results (passed, failed, declared, not_tested, not_run), deviations (unexpected_passes,
unmatched) and clauses (`clauses_<status>`, and of the normative ones: how many, how many tested, how many
required but untested). A clause not tested is never counted as passed: `not_tested` says why; a filtered
run is `partial`.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, fields
from pathlib import Path

from cosine_spec.conf.deviations import Deviation
from cosine_spec.conf.golden_cases import Case

CASE_STATUSES = ("passed", "failed", "declared", "not_tested", "not_run")


# Characters XML 1.0 forbids (C0 controls but tab, LF, CR; surrogates; U+FFFE, U+FFFF) and, for JSON, lone
# surrogates (not Unicode scalar values: strict parsers and UTF-8 encoders reject them).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(m: re.Match) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def xml_text(text: object) -> str:
    """`text` with every character XML 1.0 cannot hold written as a visible escape (\\x1b, \\ud800)."""
    return _NOT_XML.sub(_escape, str(text))


def _json_safe(v):
    """JSON has no inf or NaN (written as "inf", "nan"); lone surrogates are written as visible escapes."""
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, str):
        return _SURROGATE.sub(_escape, v)
    if isinstance(v, dict):
        return {_json_safe(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_safe(x) for x in v]
    return v


@dataclass
class CaseResult:
    id: str
    kind: str  # "value", "grad" or "check"
    family: str
    clauses: tuple[str, ...]
    dtype: str
    status: str = "passed"
    message: str = ""
    failed_clauses: list[str] = field(default_factory=list)
    undeclared: list[str] = field(default_factory=list)
    cause: str = ""  # "check: signature" of the first failure (conf/judge.py), what the terminal groups by
    max_err: float | None = None
    max_ulp: float | None = None
    tolerance: float | None = None
    expected: str = ""
    actual: str = ""
    inputs: str = ""
    repro: str = ""
    seconds: float = 0.0
    declared_by: list[str] = field(default_factory=list)  # the deviations whose model explained this failure
    evidence: Evidence | None = field(default=None, repr=False, compare=False)  # not serialized


@dataclass(frozen=True, eq=False)
class Evidence:
    """What a failed result rests on, for the deviations' models: the case, the calls made and their outcomes."""

    case: Case
    calls: tuple
    outcomes: list


_NOT_SERIALIZED = {"seconds", "evidence"}


@dataclass
class DeviationResult:
    """One declared deviation in a run: `matched` results in its scope ran, `failed` of them failed,
    `explained` of those are what its model predicts; the `unexplained` ones stay failures (unless another
    deviation's model explains them)."""

    deviation: Deviation
    status: str
    matched: int
    failed: int
    explained: int = 0
    still_failed: int = 0  # of the unexplained: those no other deviation explained either

    @property
    def unexplained(self) -> int:
        return self.failed - self.explained


@dataclass
class Report:
    target: str
    spec_version: str
    tier: str
    strict: bool
    results: list[CaseResult]
    clauses: dict[str, str]
    deviations: list[DeviationResult]
    seconds: float = 0.0
    mode: str = "in-process"  # "worker": the target ran in a process of its own; "in-process": in the harness's
    target_version: str = ""  # as the target's hello line declared it (worker mode)
    levels: dict[str, str] = field(default_factory=dict)  # clause -> normative, informative or tf-only
    not_tested: dict[str, str] = field(default_factory=dict)  # clause not tested -> why, in words
    filters: dict[str, object] = field(default_factory=dict)  # what narrowed the run (tier fast, --dtypes, ...)
    required: list[str] = field(default_factory=list)  # clauses that must be tested (--require)

    @property
    def partial(self) -> bool:
        """A filtered run (fast tier, --dtypes, --clauses, --cases): its verdict covers only what it ran."""
        return bool(self.filters)

    def normative(self) -> list[str]:
        return [c for c in self.clauses if self.levels.get(c, "normative") == "normative"]

    @property
    def required_not_tested(self) -> list[str]:
        return [c for c in self.required if self.clauses.get(c, "not_tested") == "not_tested"]

    @property
    def summary(self) -> dict[str, int]:
        counts = {s: sum(r.status == s for r in self.results) for s in CASE_STATUSES}
        counts["unexpected_passes"] = sum(d.status == "unexpected_pass" for d in self.deviations)
        counts["unmatched"] = sum(d.status == "unmatched" for d in self.deviations)
        for s in CASE_STATUSES:
            counts[f"clauses_{s}"] = sum(v == s for v in self.clauses.values())
        normative = self.normative()
        counts["normative_clauses"] = len(normative)
        counts["normative_tested"] = sum(self.clauses[c] != "not_tested" for c in normative)
        counts["required_not_tested"] = len(self.required_not_tested)
        return counts

    @property
    def conformant(self) -> bool:
        """No undeclared failure, nothing left not run and no required clause untested; under strict mode
        also no declared deviation that is out of date (it passed, or its model explains none of the
        failures in its scope)."""
        s = self.summary
        return (
            s["failed"] == 0
            and s["not_run"] == 0
            and not s["required_not_tested"]
            and not (self.strict and (s["unexpected_passes"] or s["unmatched"]))
        )

    @property
    def exit_code(self) -> int:
        return 0 if self.conformant else 1

    def to_json(self) -> dict:
        return _json_safe(
            {
                "target": self.target,
                "spec_version": self.spec_version,
                "tier": self.tier,
                "strict": self.strict,
                "mode": self.mode,
                "target_version": self.target_version,
                "conformant": self.conformant,
                "partial": self.partial,
                "filters": dict(self.filters),
                "required": list(self.required),
                "seconds": round(self.seconds, 3),
                "summary": self.summary,
                "clauses": dict(self.clauses),
                "clause_levels": {c: self.levels.get(c, "normative") for c in self.clauses},
                "not_tested": {
                    c: {"level": self.levels.get(c, "normative"), "reason": why, "required": c in self.required}
                    for c, why in self.not_tested.items()
                },
                "deviations": [
                    {
                        **d.deviation.as_json(),
                        "status": d.status,
                        "matched": d.matched,
                        "failed": d.failed,
                        "explained": d.explained,
                        "unexplained": d.unexplained,
                        "still_failed": d.still_failed,
                    }
                    for d in self.deviations
                ],
                "cases": [
                    {f.name: getattr(r, f.name) for f in fields(r) if f.name not in _NOT_SERIALIZED}
                    for r in self.results
                ],
            }
        )

    def write_json(self, path: Path | str) -> None:
        Path(path).write_text(
            json.dumps(self.to_json(), indent=2, allow_nan=False, default=str) + "\n", encoding="utf-8"
        )

    def junit(self) -> ET.Element:
        """JUnit XML: one testcase per result; failed -> <failure>, declared/not_tested -> <skipped>.

        Every text and attribute goes through `xml_text`: a target's message may hold ANSI colour codes, NUL
        or lone surrogates, which XML 1.0 cannot represent at all (not even as character references).
        """

        def sub(parent, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
            el = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
            if text is not None:
                el.text = xml_text(text)
            return el

        s = self.summary
        suite = ET.Element(
            "testsuite",
            name=xml_text(f"cosine-spec[{self.target}]"),
            tests=str(len(self.results)),
            failures=str(s["failed"]),
            errors="0",
            skipped=str(s["declared"] + s["not_tested"]),
            time=f"{self.seconds:.3f}",
        )
        for r in self.results:
            tc = sub(
                suite,
                "testcase",
                classname=f"cosine_spec.{r.kind}.{r.family}",
                name=f"{r.id}[{r.dtype}]",
                time=f"{r.seconds:.6f}",
            )
            if r.status == "failed":
                sub(
                    tc,
                    "failure",
                    "\n".join(
                        [
                            f"clauses: {', '.join(r.clauses)}",
                            f"inputs: {r.inputs}",
                            f"expected: {r.expected}",
                            f"actual: {r.actual}",
                            f"repro: {r.repro}",
                        ]
                    ),
                    message=f"{','.join(r.undeclared)}: {r.message}"[:1000],
                )
            elif r.status != "passed":
                sub(tc, "skipped", message=f"{r.status}: {r.message}"[:1000])
        return suite

    def write_junit(self, path: Path | str) -> None:
        tree = ET.ElementTree(self.junit())
        ET.indent(tree)
        tree.write(path, encoding="utf-8", xml_declaration=True)
