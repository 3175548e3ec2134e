"""Terminal rendering of a `Report`: the per-clause table, failures grouped by cause, deviations, summary."""

from __future__ import annotations

from collections import Counter

from cosine_spec.conf.report import Report

MAX_BLOCKS = 20


def clause_table(report: Report) -> list[str]:
    counts: dict[str, Counter] = {c: Counter() for c in report.clauses}
    for r in report.results:
        for c in set(r.clauses) | set(r.failed_clauses):
            if c not in counts:
                continue
            if r.status in ("not_tested", "not_run"):
                counts[c]["not_tested"] += 1
            elif c not in r.failed_clauses:
                counts[c]["passed"] += 1
            else:
                counts[c]["failed" if c in r.undeclared else "declared"] += 1
    lines = [f"{'clause':<11} {'status':<11} {'passed':>7} {'failed':>7} {'declared':>9} {'not tested':>11}"]
    for c, status in report.clauses.items():
        n = counts[c]
        lines.append(
            f"{c:<11} {status.upper().replace('_', ' '):<11} {n['passed']:>7} {n['failed']:>7} "
            f"{n['declared']:>9} {n['not_tested']:>11}"
        )
    return lines


def failure_groups(report: Report) -> list[tuple[tuple[str, str], list]]:
    """Undeclared failures grouped by cause, (first undeclared clause, "check: signature"), largest first."""
    groups: dict[tuple[str, str], list] = {}
    for r in report.results:
        if r.status == "failed":
            groups.setdefault((r.undeclared[0] if r.undeclared else "?", r.cause or r.kind), []).append(r)
    return sorted(groups.items(), key=lambda kv: -len(kv[1]))  # stable: first seen first among equals


def failure_blocks(report: Report, limit: int = MAX_BLOCKS) -> list[str]:
    """One block per cause (failure_groups): its size, the dtypes and ids it spans, one worked example."""
    groups = failure_groups(report)
    lines: list[str] = []
    for (clause, cause), members in groups[:limit]:
        r = members[0]
        dtypes = Counter(m.dtype for m in members)
        ids = ", ".join(m.id for m in members[:4]) + (", ..." if len(members) > 4 else "")
        ulp = "n/a" if r.max_ulp is None else f"{r.max_ulp:.3g}"
        tol = "n/a" if r.tolerance is None else f"{r.tolerance:.3g}"
        lines += [
            f"FAILED {clause} [{cause}]: {len(members)} result{'s' * (len(members) > 1)} "
            f"({', '.join(f'{d} x{n}' for d, n in dtypes.items())}): {ids}",
            f"  example:   {r.id} [{r.dtype}]  undeclared: {', '.join(r.undeclared)}",
            f"  clauses:   {', '.join(r.clauses)}",
            f"  inputs:    {r.inputs}" if r.inputs else "",
            f"  expected:  {r.expected}",
            f"  actual:    {r.actual}",
            f"  error:     {ulp} ulp (worst), tolerance {tol}",
            f"  why:       {r.message}",
            f"  reproduce: {r.repro}",
            "",
        ]
    if len(groups) > limit:
        rest = sum(len(m) for _, m in groups[limit:])
        lines.append(
            f"... and {len(groups) - limit} more causes ({rest} failed results; all of them are in --report-json)."
        )
    return lines


def deviation_lines(report: Report) -> list[str]:
    """One line per declared deviation: its model, what it explained, what in its scope it could not."""
    lines = []
    for d in report.deviations:
        mark = {
            "held": "declared",
            "unmatched": "UNMATCHED",
            "unexpected_pass": "UNEXPECTED PASS",
            "not_exercised": "not exercised",
        }[d.status]
        others = d.unexplained - d.still_failed
        left = (f", {d.still_failed} unexplained (they stay failures)" if d.still_failed else "") + (
            f", {others} explained by another deviation" if others else ""
        )
        lines.append(
            f"  [{mark}] {d.deviation.label}: its model explained {d.explained} of {d.failed} failed "
            f"results in scope ({d.matched} ran){left} -- {d.deviation.reason} ({d.deviation.upstream})"
        )
    return lines


def _first_not_run(report: Report) -> str:
    return next(r.message for r in report.results if r.status == "not_run")


def render(report: Report, limit: int = MAX_BLOCKS) -> str:
    s = report.summary
    out = [
        f"cosine-spec check {report.target}  (spec {report.spec_version}, tier {report.tier}, "
        f"{len(report.results)} results, {report.seconds:.1f} s, {report.mode})",
        "",
    ]
    out += clause_table(report) + [""]
    out += failure_blocks(report, limit)
    if report.deviations:
        out += ["declared deviations:"] + deviation_lines(report) + [""]
    tail = (
        "strict run: this makes the run NOT conformant" if report.strict else "not strict (partial run): reported only"
    )
    if s["unexpected_passes"]:
        out.append(f"{s['unexpected_passes']} declared deviation(s) passed: update the expectations file ({tail}).")
    if s.get("unmatched"):
        out.append(
            f"{s['unmatched']} declared deviation(s) explained none of the failures in their scope: "
            f"their models are out of date ({tail})."
        )
    out.append(verdict_line(report))
    return "\n".join(out)


def _named(clauses: list[str], limit: int = 8) -> str:
    more = f" and {len(clauses) - limit} more" if len(clauses) > limit else ""
    return ", ".join(clauses[:limit]) + more


def _with_reasons(clauses: list[str], report: Report) -> str:
    """`CS-GRAD-1 (no f.grad), CS-API-3 (...)`: the clauses grouped by why they were not tested."""
    groups: dict[str, list[str]] = {}
    for c in clauses:
        groups.setdefault(report.not_tested.get(c, "not tested"), []).append(c)
    return ", ".join(f"{_named(cs)} ({why})" for why, cs in groups.items())


def filter_text(report: Report) -> str:
    """The filters of a partial run as options: `--tier fast --dtypes float32`."""
    return " ".join(f"--{k} {','.join(v) if isinstance(v, list | tuple) else v}" for k, v in report.filters.items())


def verdict_line(report: Report) -> str:
    """The last line: the verdict, on how many normative clauses, which were not tested and why, the counts."""
    s, normative = report.summary, report.normative()
    head = "CONFORMANT" if report.conformant else "NOT CONFORMANT"
    if report.partial:
        head += f" (PARTIAL RUN: {filter_text(report)})"
    parts = [f"{head} on {s['normative_tested']} of {s['normative_clauses']} normative clauses"]
    failed = [c for c in normative if report.clauses[c] == "failed"]
    if failed:
        parts.append(f"failed: {_named(failed)}")
    untested = [c for c in normative if report.clauses[c] == "not_tested"]
    if untested:
        parts.append(f"not tested: {_with_reasons(untested, report)}")
    missing = report.required_not_tested
    if missing:
        parts.append(
            "all of them required (--require)"
            if missing == untested
            else f"required but not tested (--require): {_with_reasons(missing, report)}"
        )
    return (
        "; ".join(parts) + f". Results: {s['passed']} passed, {s['failed']} failed, {s['declared']} declared, "
        f"{s['not_tested']} not tested, {s['unexpected_passes']} unexpected passes"
        + (f", {s['not_run']} not run ({_first_not_run(report)})." if s["not_run"] else ".")
    )
