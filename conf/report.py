"""The result of a conformance run: per case, per clause, per declared deviation; JSON and JUnit XML.

Case statuses: passed, failed (some failed clause is not declared), declared (every failed clause is a
declared deviation), not_tested (the target lacks the dtype or a gradient). Clause statuses: failed if any
case failed it undeclared, else declared if any declared failure, else passed if any case ran, else
not_tested. Deviation statuses: held, unexpected_pass, not_exercised (see `expectations.py`).
`summary` counts cases (passed, failed, declared, not_tested) and deviations (unexpected_passes).
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cosine_spec.conf.expectations import Deviation

CASE_STATUSES = ("passed", "failed", "declared", "not_tested")


def _finite(v):
    """JSON has no inf or NaN: such floats are written as strings ("inf", "nan")."""
    return str(v) if isinstance(v, float) and not math.isfinite(v) else v


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
    max_err: float | None = None
    max_ulp: float | None = None
    tolerance: float | None = None
    expected: str = ""
    actual: str = ""
    inputs: str = ""
    repro: str = ""
    seconds: float = 0.0


@dataclass
class DeviationResult:
    deviation: Deviation
    status: str
    matched: int
    failed: int


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

    @property
    def summary(self) -> dict[str, int]:
        counts = {s: sum(r.status == s for r in self.results) for s in CASE_STATUSES}
        counts["unexpected_passes"] = sum(d.status == "unexpected_pass" for d in self.deviations)
        return counts

    @property
    def conformant(self) -> bool:
        """No undeclared failure; under strict mode also no declared deviation that passed."""
        s = self.summary
        return s["failed"] == 0 and not (self.strict and s["unexpected_passes"])

    @property
    def exit_code(self) -> int:
        return 0 if self.conformant else 1

    def to_json(self) -> dict:
        return {
            "target": self.target,
            "spec_version": self.spec_version,
            "tier": self.tier,
            "strict": self.strict,
            "conformant": self.conformant,
            "seconds": round(self.seconds, 3),
            "summary": self.summary,
            "clauses": dict(self.clauses),
            "deviations": [{**asdict(d.deviation), "status": d.status, "matched": d.matched,
                            "failed": d.failed} for d in self.deviations],
            "cases": [{k: _finite(v) for k, v in asdict(r).items() if k != "seconds"} for r in self.results],
        }

    def write_json(self, path: Path | str) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2, allow_nan=False,
                                         default=str) + "\n", encoding="utf-8")

    def junit(self) -> ET.Element:
        """JUnit XML: one testcase per result; failed -> <failure>, declared/not_tested -> <skipped>."""
        s = self.summary
        suite = ET.Element("testsuite", name=f"cosine-spec[{self.target}]", tests=str(len(self.results)),
                           failures=str(s["failed"]), errors="0",
                           skipped=str(s["declared"] + s["not_tested"]), time=f"{self.seconds:.3f}")
        for r in self.results:
            tc = ET.SubElement(suite, "testcase", classname=f"cosine_spec.{r.kind}.{r.family}",
                               name=f"{r.id}[{r.dtype}]", time=f"{r.seconds:.6f}")
            if r.status == "failed":
                fail = ET.SubElement(tc, "failure", message=f"{','.join(r.undeclared)}: {r.message}"[:1000])
                fail.text = "\n".join([f"clauses: {', '.join(r.clauses)}", f"inputs: {r.inputs}",
                                       f"expected: {r.expected}", f"actual: {r.actual}", f"repro: {r.repro}"])
            elif r.status != "passed":
                ET.SubElement(tc, "skipped", message=f"{r.status}: {r.message}"[:1000])
        return suite

    def write_junit(self, path: Path | str) -> None:
        tree = ET.ElementTree(self.junit())
        ET.indent(tree)
        tree.write(path, encoding="utf-8", xml_declaration=True)
