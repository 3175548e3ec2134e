"""Run a target against the golden cases: `run(target, ...) -> Report`. Free of pytest and of printing."""

from __future__ import annotations

import time
import warnings
from collections import Counter
from fnmatch import fnmatchcase
from pathlib import Path

from cosine_spec.conf import judge
from cosine_spec.conf.adapters import Adapter, resolve
from cosine_spec.conf.calls import InProcess
from cosine_spec.conf.deviations import Deviation, load_expectations
from cosine_spec.conf.errors import HarnessError
from cosine_spec.conf.golden_cases import DTYPES, Case, load_cases, spec_version
from cosine_spec.conf.probes import PLANNERS, Probe
from cosine_spec.conf.report import CaseResult, DeviationResult, Report

TIERS = ("fast", "full")
FAST_PER_FAMILY = 2  # fast tier: this many cases per (family, dtype) ...
FAST_PER_CLAUSE = 3  # ... plus this many per (clause, dtype)
EVERYWHERE = {"CS-OUT-1", "CS-VAL-2"}  # clauses every value check speaks for


def fast_slice(cases: list[Case]) -> list[Case]:
    """A deterministic representative slice: a few cases per family and dtype, every clause in every dtype,
    and the largest input of each family and dtype (long vectors are where accuracy bugs show)."""
    keep, per_family, per_clause = set(), Counter(), Counter()
    largest: dict[tuple[str, str], Case] = {}
    for c in cases:
        best = largest.get((c.family, c.dtype))
        if best is None or c.y_true.size > best.y_true.size:
            largest[c.family, c.dtype] = c
    keep.update(c.id for c in largest.values())
    for c in cases:
        wanted = per_family[c.family, c.dtype] < FAST_PER_FAMILY
        wanted |= any(per_clause[cl, c.dtype] < FAST_PER_CLAUSE for cl in c.clauses)
        if wanted:
            keep.add(c.id)
            per_family[c.family, c.dtype] += 1
            per_clause.update((cl, c.dtype) for cl in c.clauses)
    return [c for c in cases if c.id in keep]


def _spec_clauses() -> set[str]:
    """Every clause ID of the spec text, so a clause no case reached shows as not tested."""
    try:
        from cosine_spec.spec.clauses import clause_ids
    except ImportError:
        return set()
    return set(clause_ids())


def _check_names(given: list[str] | None, known: set[str], what: str) -> None:
    bad = sorted(set(given or ()) - known)
    if bad:
        raise HarnessError(f"Got {what} {', '.join(bad)}, but the known {what} are {', '.join(sorted(known))}.")


def _result(case: Case, probe: Probe, adapter: Adapter, verdict: judge.Verdict | None, seconds: float) -> CaseResult:
    r = CaseResult(
        id=probe.id,
        kind=probe.kind,
        family=case.family,
        clauses=probe.clauses,
        dtype=case.dtype,
        seconds=seconds,
        inputs=f"y_true={judge.short(case.y_true)}, y_pred={judge.short(case.y_pred)}, "
        f"sample_weight={judge.short(case.sample_weight)}, axis={case.axis}, "
        f"reduction={case.reduction!r}",
    )
    if verdict is None:
        r.status, r.message = "not_tested", f"target {adapter.name} has no gradient (f.grad)"
        return r
    r.clauses = tuple(dict.fromkeys(probe.clauses + verdict.clauses))  # e.g. CS-OUT-1, CS-VAL-2 once judged
    r.expected, r.actual, r.message = verdict.expected, verdict.actual, verdict.message
    r.max_err, r.max_ulp, r.tolerance = verdict.max_err, verdict.max_ulp, verdict.tol
    r.failed_clauses, r.cause = verdict.failed_clauses, verdict.cause
    if r.failed_clauses:
        r.status, r.repro = "failed", adapter.repro(case, grad=probe.kind == "grad")
    return r


def _wanted(probe: Probe, want: set[str] | None) -> bool:
    extra = EVERYWHERE if probe.kind == "value" else set()
    return want is None or bool(want & (set(probe.clauses) | extra))


def _probes(case: Case, want: set[str] | None) -> list[Probe]:
    return [p for planner in PLANNERS for p in planner(case) if _wanted(p, want)]


def _run_case(case: Case, adapter: Adapter, executor, want: set[str] | None) -> list[CaseResult]:
    out = []
    for probe in _probes(case, want):
        t0, verdict = time.perf_counter(), None
        if adapter.has_grad or not probe.needs_grad:
            verdict = probe.verdict([executor.call(c) for c in probe.calls])
        out.append(_result(case, probe, adapter, verdict, time.perf_counter() - t0))
    return out


def _run_extra(adapter: Adapter, want: set[str] | None, executor) -> list[CaseResult]:
    out = []
    for chk in adapter.extra_checks():
        if want is not None and not want & set(chk.clauses):
            continue
        t0 = time.perf_counter()
        o = executor.check(chk)
        r = CaseResult(
            id=chk.id,
            kind="check",
            family=adapter.name,
            clauses=chk.clauses,
            dtype=chk.dtype,
            seconds=time.perf_counter() - t0,
            expected="returns normally",
            actual="returned",
        )
        problem = o.problem or (None if o.raised is None else o.raised.text())
        if problem is not None:
            r.actual = problem
            r.status, r.message, r.failed_clauses = "failed", r.actual, list(chk.clauses)
            r.repro = f"cosine-spec check {adapter.name} --clauses {','.join(chk.clauses)}"
        out.append(r)
    return out


def _empty_selection(all_cases: list[Case], adapter: Adapter, tier, dtypes, clauses, cases) -> HarnessError:
    """The error for filters that leave nothing to run, naming each filter and what it could have been."""
    given = [f"--tier {tier}"] + [f"--{n} {','.join(v) if isinstance(v, list) else v!r}"
                                  for n, v in (("dtypes", dtypes), ("clauses", clauses), ("cases", cases)) if v]
    examples: dict[str, str] = {}
    for c in all_cases:
        examples.setdefault(c.id.split("-", 1)[0], c.id)
    with_cases = sorted({c for case in all_cases for c in case.clauses}
                        | ({c for chk in adapter.extra_checks() for c in chk.clauses} if not cases else set()))
    return HarnessError(
        f"Got {' '.join(given)} for target {adapter.name}, which selects no case and no check: nothing would "
        f"be tested. --cases is a glob over whole case ids, e.g. 'seed-*' (one id per family: "
        f"{', '.join(examples.values())}); the clauses with cases or checks for this target "
        f"are {', '.join(with_cases)}. See every case id and its clauses with `cosine-spec check "
        f"{adapter.name} --report-json r.json` (unfiltered).")


def _apply(results: list[CaseResult], devs: list[Deviation]) -> list[DeviationResult]:
    for r in results:
        if r.failed_clauses:
            r.undeclared = [
                c for c in r.failed_clauses if not any(d.matches(r.id, c, r.dtype, r.message) for d in devs)
            ]
            r.status = "failed" if r.undeclared else "declared"
    out = []
    for d in devs:
        matched = failed = 0
        for r in results:
            if r.status == "not_tested":
                continue
            msg = r.message if r.failed_clauses else None
            hits = [c for c in set(r.clauses) | set(r.failed_clauses) if d.matches(r.id, c, r.dtype, msg)]
            matched += bool(hits)
            failed += any(c in r.failed_clauses for c in hits)
        status = "held" if failed else ("unexpected_pass" if matched else "not_exercised")
        out.append(DeviationResult(d, status, matched, failed))
    return out


def _clause_table(results: list[CaseResult], known: set[str]) -> dict[str, str]:
    state = dict.fromkeys(sorted(known), "not_tested")
    rank = {"not_tested": 0, "passed": 1, "declared": 2, "failed": 3}
    for r in results:
        if r.status == "not_tested":
            continue
        for c in set(r.clauses) | set(r.failed_clauses):
            s = "passed" if c not in r.failed_clauses else ("failed" if c in r.undeclared else "declared")
            if rank[s] > rank[state.get(c, "not_tested")]:
                state[c] = s
    return dict(sorted(state.items()))


def run(
    target: str | Adapter,
    *,
    tier: str = "full",
    dtypes: list[str] | None = None,
    clauses: list[str] | None = None,
    cases: str | None = None,
    expectations: Path | str | None = "default",
    golden: Path | str | list[Case] | None = None,
    timeout: float | None = 60.0,
    strict: bool | None = None,
) -> Report:
    """Hold `target` against the golden cases and return the report (nothing printed).

    `expectations="default"` loads the target's own file (built-in targets), None loads none. `strict`
    (default: only for an unfiltered full run) makes a declared deviation that passes non-conformant.
    """
    with warnings.catch_warnings():
        # A target's warnings are not the spec's business, and must not turn into errors under pytest's
        # `filterwarnings = error` (warning filters are process-wide, so this covers the worker thread).
        warnings.simplefilter("ignore")
        return _run(target, tier, dtypes, clauses, cases, expectations, golden, timeout, strict)


def _run(target, tier, dtypes, clauses, cases, expectations, golden, timeout, strict) -> Report:
    t0 = time.perf_counter()
    if timeout is not None and not (isinstance(timeout, int | float) and 0 <= timeout < float("inf")):
        raise HarnessError(f"Got timeout {timeout!r}; give a finite number of seconds >= 0 (0 or None: none).")
    if tier not in TIERS:
        raise HarnessError(f"Got tier {tier!r}, but the tiers are {', '.join(TIERS)}.")
    _check_names(dtypes, set(DTYPES), "dtypes")
    adapter = resolve(target)
    all_cases = golden if isinstance(golden, list) else load_cases(golden)
    extras_clauses = {c for chk in adapter.extra_checks() for c in chk.clauses}
    known = {c for case in all_cases for c in case.clauses} | extras_clauses | {judge.GRAD} | _spec_clauses()
    _check_names(clauses, known, "clauses")
    devs = load_expectations(adapter.expectations if expectations == "default" else expectations)
    selected = fast_slice(all_cases) if tier == "fast" else list(all_cases)
    if dtypes:
        selected = [c for c in selected if c.dtype in dtypes]
    if cases:
        selected = [c for c in selected if fnmatchcase(c.id, cases)]
    want = set(clauses) if clauses else None
    selected = [c for c in selected if _probes(c, want)]
    if not selected and not (not cases and any(want is None or want & set(chk.clauses)
                                               for chk in adapter.extra_checks())):
        raise _empty_selection(all_cases, adapter, tier, dtypes, clauses, cases)
    executor, results = InProcess(adapter, timeout), []
    for case in selected:
        if case.dtype not in adapter.dtypes:
            results.append(
                CaseResult(
                    id=case.id,
                    kind="value",
                    family=case.family,
                    clauses=case.clauses,
                    dtype=case.dtype,
                    status="not_tested",
                    message=f"target {adapter.name} does not support {case.dtype}",
                )
            )
            continue
        results.extend(_run_case(case, adapter, executor, want))
    if not cases:
        results.extend(_run_extra(adapter, want, executor))
    executor.close()
    dev_results = _apply(results, devs)
    if strict is None:
        strict = tier == "full" and not (dtypes or clauses or cases)
    return Report(
        target=adapter.name,
        spec_version=spec_version(None if isinstance(golden, list) else golden),
        tier=tier,
        strict=strict,
        results=results,
        clauses=_clause_table(results, known),
        deviations=dev_results,
        seconds=time.perf_counter() - t0,
    )
