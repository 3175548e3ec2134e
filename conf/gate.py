"""When a run stops early: the overall deadline, `--maxfail N`, or a target abandoned as unresponsive.

Every probe the run did not get to is a result of status `not_run` naming why: never passed, and a run
with any such result is not conformant (`report.Report.conformant`).
"""

from __future__ import annotations

import time

from cosine_spec.conf import models
from cosine_spec.conf.report import CaseResult


class Gate:
    """Asked before each probe whether the run goes on; told every result (to count failures)."""

    def __init__(self, executor, devs, deadline: float | None = None, maxfail: int | None = None):
        self.executor, self.devs, self.maxfail, self.seconds = executor, devs, maxfail or None, deadline or None
        self.end = None if self.seconds is None else time.monotonic() + self.seconds
        if hasattr(executor, "deadline"):
            executor.deadline = self.end  # a call in flight is cut at the deadline too
        self.failures = 0
        self.reason: str | None = None

    def stopped(self) -> str | None:
        """Why the run stops here (the not_run message), or None to go on. Once stopped, stays stopped."""
        if self.reason is None:
            if self.end is not None and time.monotonic() >= self.end:
                self.reason = f"not run: the overall deadline of {self.seconds:g} s was reached (--deadline)"
            elif getattr(self.executor, "unresponsive", False):
                k = self.executor.limits.abandon_after
                self.reason = (
                    f"not run: target unresponsive ({k} consecutive timeouts, crashes or broken "
                    f"replies; see the failed results before this one)"
                )
            elif self.maxfail is not None and self.failures >= self.maxfail:
                self.reason = f"not run: the run stopped after {self.failures} failed result(s) (--maxfail)"
        return self.reason

    def record(self, r: CaseResult) -> CaseResult:
        """Count `r` when it failed and no declared deviation's model explains it (as `runner._apply` judges)."""
        if r.failed_clauses:
            ev = r.evidence
            if not any(
                d.covers(r.id, r.dtype) and ev is not None and models.explains(d.model, ev.case, ev.calls, ev.outcomes)
                for d in self.devs
            ):
                self.failures += 1
        return r

    def not_run(self, rid: str, kind: str, family: str, clauses, dtype: str) -> CaseResult:
        return CaseResult(
            id=rid,
            kind=kind,
            family=family,
            clauses=tuple(clauses),
            dtype=dtype,
            status="not_run",
            message=self.reason or "not run",
        )
