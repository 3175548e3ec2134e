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
            if r.status == "not_tested":
                counts[c]["not_tested"] += 1
            elif c not in r.failed_clauses:
                counts[c]["passed"] += 1
            else:
                counts[c]["failed" if c in r.undeclared else "declared"] += 1
    lines = [f"{'clause':<11} {'status':<11} {'passed':>7} {'failed':>7} {'declared':>9} {'not tested':>11}"]
    for c, status in report.clauses.items():
        n = counts[c]
        lines.append(f"{c:<11} {status.upper().replace('_', ' '):<11} {n['passed']:>7} {n['failed']:>7} "
                     f"{n['declared']:>9} {n['not_tested']:>11}")
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
        lines += [f"FAILED {clause} [{cause}]: {len(members)} result{'s' * (len(members) > 1)} "
                  f"({', '.join(f'{d} x{n}' for d, n in dtypes.items())}): {ids}",
                  f"  example:   {r.id} [{r.dtype}]  undeclared: {', '.join(r.undeclared)}",
                  f"  clauses:   {', '.join(r.clauses)}",
                  f"  inputs:    {r.inputs}" if r.inputs else "",
                  f"  expected:  {r.expected}",
                  f"  actual:    {r.actual}",
                  f"  error:     {ulp} ulp (worst), tolerance {tol}",
                  f"  why:       {r.message}",
                  f"  reproduce: {r.repro}", ""]
    if len(groups) > limit:
        rest = sum(len(m) for _, m in groups[limit:])
        lines.append(f"... and {len(groups) - limit} more causes ({rest} failed results; all of them are in "
                     f"--report-json).")
    return lines


def deviation_lines(report: Report) -> list[str]:
    lines = []
    for d in report.deviations:
        mark = {"held": "declared", "unexpected_pass": "UNEXPECTED PASS",
                "not_exercised": "not exercised"}[d.status]
        lines.append(f"  [{mark}] {d.deviation.label}: {d.failed}/{d.matched} results failed -- "
                     f"{d.deviation.reason} ({d.deviation.upstream})")
    return lines


def render(report: Report, limit: int = MAX_BLOCKS) -> str:
    s = report.summary
    out = [f"cosine-spec check {report.target}  (spec {report.spec_version}, tier {report.tier}, "
           f"{len(report.results)} results, {report.seconds:.1f} s)", ""]
    out += clause_table(report) + [""]
    out += failure_blocks(report, limit)
    if report.deviations:
        out += ["declared deviations:"] + deviation_lines(report) + [""]
    if s["unexpected_passes"]:
        tail = ("strict run: this makes the run NOT conformant" if report.strict
                else "not strict (partial run): reported only")
        out.append(f"{s['unexpected_passes']} declared deviation(s) passed: update the expectations file ({tail}).")
    verdict = "CONFORMANT" if report.conformant else "NOT CONFORMANT"
    out.append(f"{verdict}: {s['passed']} passed, {s['failed']} failed, {s['declared']} declared, "
               f"{s['not_tested']} not tested, {s['unexpected_passes']} unexpected passes.")
    return "\n".join(out)
