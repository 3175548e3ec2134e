"""Run a target against the golden cases: `run(target, ...) -> Report`. Free of pytest and of printing."""

from __future__ import annotations

import math
import re
import sys
import time
import warnings
from collections import Counter
from fnmatch import fnmatchcase
from pathlib import Path

import numpy as np
from cosine_spec.conf import judge, models
from cosine_spec.conf.adapters import Adapter
from cosine_spec.conf.deviations import Deviation, load_expectations
from cosine_spec.conf.errors import ExpectationsError, HarnessError
from cosine_spec.conf.executor import Limits, open_executor
from cosine_spec.conf.gate import Gate
from cosine_spec.conf.golden_cases import DTYPES, Case, load_cases, spec_version
from cosine_spec.conf.probes import PLANNERS, Probe
from cosine_spec.conf.report import CaseResult, DeviationResult, Evidence, Report
from cosine_spec.spec.exact import FORMATS

TIERS = ("fast", "full")
FAST_PER_FAMILY = 2  # fast tier: this many cases per (family, dtype) ...
FAST_PER_CLAUSE = 3  # ... plus this many per (clause, dtype)
# families whose every input is one rule of the spec (not a sample): the fast tier keeps each input under the
# first reduction it appears with, and unreduced ("none") where it appears so
EVERY_INPUT = frozenset(
    {"seed", "zero", "empty", "nonfinite", "errors", "regressions", "weight_values", "nonfinite_zero"}
    | {"threshold", "long", "contract"}
)
EVERYWHERE = {"CS-OUT-1", "CS-VAL-2"}  # clauses every value check speaks for


def fast_slice(cases: list[Case]) -> list[Case]:
    """A deterministic representative slice: a few cases per family and dtype, every clause in every dtype
    (the clauses of the case and of every probe planned on it, the call contract's included), the largest
    input of each family and dtype (long vectors are where accuracy bugs show), and the cases holding the
    largest and the smallest nonzero magnitude of each family and dtype, weights included (where overflow,
    underflow and flushing show), a case of each IEEE class in each argument (NaN, infinities, zero,
    negative, subnormal) per family and dtype, and every input of the families in `EVERY_INPUT`."""
    keep: set[str] = set()
    per_family: Counter[tuple[str, str]] = Counter()
    per_clause: Counter[tuple[str, str]] = Counter()
    largest: dict[tuple[str, str], Case] = {}
    extremes: dict[tuple[str, str, str], tuple[float, Case]] = {}
    for c in cases:
        best = largest.get((c.family, c.dtype))
        if best is None or c.y_true.size > best.y_true.size:
            largest[c.family, c.dtype] = c
        for end, score in zip(("big", "small"), _magnitudes(c), strict=True):
            if score is not None and (
                (c.family, c.dtype, end) not in extremes or score > extremes[c.family, c.dtype, end][0]
            ):
                extremes[c.family, c.dtype, end] = (score, c)
    keep.update(c.id for c in largest.values())
    keep.update(c.id for _, c in extremes.values())
    kinds: dict[tuple[str, str, str, str], Case] = {}
    for c in cases:
        for kind in _ieee_kinds(c):
            kinds.setdefault((c.family, c.dtype, *kind), c)
    keep.update(c.id for c in kinds.values())
    inputs: dict[str, Case] = {}
    for c in cases:
        if c.family in EVERY_INPUT:
            stem = _REDUCTION_SUFFIX.sub("", c.id)
            inputs.setdefault(stem, c)
            if c.reduction == "none":  # the loss tensor's shape shows only unreduced
                inputs.setdefault(stem + "/none", c)
    keep.update(c.id for c in inputs.values())
    for c in cases:
        spoken = dict.fromkeys(c.clauses) | dict.fromkeys(cl for p in _probes(c, None) for cl in p.clauses)
        wanted = per_family[c.family, c.dtype] < FAST_PER_FAMILY
        wanted |= any(per_clause[cl, c.dtype] < FAST_PER_CLAUSE for cl in spoken)
        if wanted:
            keep.add(c.id)
            per_family[c.family, c.dtype] += 1
            per_clause.update((cl, c.dtype) for cl in spoken)
    return [c for c in cases if c.id in keep]


_REDUCTION_SUFFIX = re.compile(r"-(auto|none|sum|sum_over_batch_size)$")  # case ids end with their reduction


def _ieee_kinds(c: Case) -> set[tuple[str, str]]:
    """(argument, IEEE class) pairs the case holds: NaN, an infinity of either sign, zero, negative or
    subnormal values in y_true, y_pred or the weights (where special-value rules and their bugs show)."""
    out: set[tuple[str, str]] = set()
    for name in ("y_true", "y_pred", "sample_weight"):
        a = getattr(c, name)
        if a is None:
            continue
        x = np.asarray(a, dtype=np.float64).ravel()
        tiny = math.ldexp(1.0, FORMATS[c.dtype].emin)  # the smallest normal number
        classes = {
            "nan": np.isnan(x),
            "+inf": x == np.inf,
            "-inf": x == -np.inf,
            "zero": x == 0,
            "negative": x < 0,
            "subnormal": (x != 0) & (np.abs(x) < tiny),
        }
        out.update((name, k) for k, hit in classes.items() if hit.any())
    return out


def _magnitudes(c: Case) -> tuple[float | None, float | None]:
    """(largest finite |x|, -(smallest nonzero finite |x|)) over the case's inputs and weights, or None."""
    parts = [
        np.abs(np.asarray(a, dtype=np.float64)).ravel() for a in (c.y_true, c.y_pred, c.sample_weight) if a is not None
    ]
    x = np.concatenate(parts) if parts else np.zeros(0)
    x = x[np.isfinite(x) & (x > 0)]
    return (float(x.max()), -float(x.min())) if x.size else (None, None)


def _spec_levels() -> dict[str, str]:
    """Every clause ID of the spec text with its level, so a clause no case reached shows as not tested."""
    from cosine_spec.spec.clauses import load_clauses

    return {c.id: c.level for c in load_clauses().values()}


def _not_tested(results: list[CaseResult], table: dict[str, str], available: set[str]) -> dict[str, str]:
    """Why each clause of `table` that is not tested was not: in words, for the verdict line and the JSON."""
    why: dict[str, set[str]] = {c: set() for c, s in table.items() if s == "not_tested"}
    for r in results:
        if r.status != "not_tested":
            continue
        reason = (
            "no f.grad"
            if "no gradient" in r.message
            else (f"{r.dtype} not supported" if "does not support" in r.message else r.message)
        )
        for c in r.clauses:
            if c in why:
                why[c].add(reason)

    def fallback(c: str) -> str:
        return "not selected by the filters" if c in available else "no case or check for this target"

    return {c: "; ".join(sorted(reasons)) or fallback(c) for c, reasons in why.items()}


def _filters(tier: str, dtypes, clauses, cases) -> dict[str, object]:
    """What narrowed the run, as given (empty for a full unfiltered run)."""
    given = {"tier": tier if tier != "full" else None, "dtypes": dtypes, "clauses": clauses, "cases": cases}
    return {k: v for k, v in given.items() if v}


def _expectations(path, case_ids) -> list[Deviation]:
    """The declared deviations; a file the loader cannot make sense of is a usage error in words (exit 2)."""
    try:
        return load_expectations(path, case_ids=case_ids)
    except HarnessError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, UnicodeError) as exc:
        raise ExpectationsError(
            f"expectations file {path} does not follow docs/contracts/expectations.md: "
            f"{type(exc).__name__}: {exc}; each [[deviation]] is a table of strings "
            f"(`dtypes` a list of dtype names)"
        ) from exc


def _check_options(dtypes, clauses, cases, require) -> None:
    """Options of the Python API have the types the CLI gives them (a list of names, a glob string)."""
    for name, value in (("dtypes", dtypes), ("clauses", clauses)):
        if value is not None and (not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value)):
            raise HarnessError(f"Got {name}={value!r}; give a list of names, e.g. {name}=['float32'] or None.")
    if cases is not None and not isinstance(cases, str):
        raise HarnessError(f"Got cases={cases!r}; give one fnmatch glob string over case ids, e.g. 'seed-*'.")
    if (
        require is not None
        and require != "all"
        and (not isinstance(require, list | tuple) or not all(isinstance(v, str) for v in require))
    ):
        raise HarnessError(
            f"Got require={require!r}; give 'all' (every normative clause) or a list of clause IDs, e.g. ['CS-GRAD-1']."
        )


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


def _run_case(case: Case, adapter: Adapter, executor, want: set[str] | None, gate: Gate) -> list[CaseResult]:
    out = []
    for probe in _probes(case, want):
        if gate.stopped():
            out.append(gate.not_run(probe.id, probe.kind, case.family, probe.clauses, case.dtype))
            continue
        t0, verdict, outcomes = time.perf_counter(), None, None
        if adapter.has_grad or not probe.needs_grad:
            outcomes = [executor.call(c) for c in probe.calls]
            verdict = probe.verdict(outcomes)
            if probe.kind != "contract":  # the contract's probes judge this themselves
                _unmodified(verdict, probe, outcomes)
        result = _result(case, probe, adapter, verdict, time.perf_counter() - t0)
        if result.failed_clauses and outcomes is not None:  # what a deviation's model is matched against
            result.evidence = Evidence(case, probe.calls, outcomes)
        out.append(gate.record(result))
    return out


def _unmodified(verdict: judge.Verdict, probe: Probe, outcomes) -> None:
    """CS-API-4 on every call: a target that changes its arguments in place fails wherever it does."""
    changed = sorted({name for o in outcomes for name in o.modified})
    if changed:
        verdict.fail(
            ("CS-API-4",),
            f"the target changed {', '.join(changed)} in place; the loss must leave its arguments unmodified",
            "contract",
            "modified in place",
        )


def _run_extra(adapter: Adapter, want: set[str] | None, executor, gate: Gate) -> list[CaseResult]:
    out = []
    for chk in adapter.extra_checks():
        if want is not None and not want & set(chk.clauses):
            continue
        if gate.stopped():
            out.append(gate.not_run(chk.id, "check", adapter.name, chk.clauses, chk.dtype))
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
        out.append(gate.record(r))
    return out


def _empty_selection(all_cases: list[Case], adapter: Adapter, tier, dtypes, clauses, cases) -> HarnessError:
    """The error for filters that leave nothing to run, naming each filter and what it could have been."""
    given = [f"--tier {tier}"] + [
        f"--{n} {','.join(v) if isinstance(v, list) else v!r}"
        for n, v in (("dtypes", dtypes), ("clauses", clauses), ("cases", cases))
        if v
    ]
    examples: dict[str, str] = {}
    for c in all_cases:
        examples.setdefault(c.id.split("-", 1)[0], c.id)
    with_cases = sorted(
        {c for case in all_cases for c in case.clauses}
        | ({c for chk in adapter.extra_checks() for c in chk.clauses} if not cases else set())
    )
    return HarnessError(
        f"Got {' '.join(given)} for target {adapter.name}, which selects no case and no check: nothing would "
        f"be tested. --cases is a glob over whole case ids, e.g. 'seed-*' (one id per family: "
        f"{', '.join(examples.values())}); the clauses with cases or checks for this target "
        f"are {', '.join(with_cases)}. See every case id and its clauses with `cosine-spec check "
        f"{adapter.name} --report-json r.json` (unfiltered)."
    )


def _apply(results: list[CaseResult], devs: list[Deviation]) -> list[DeviationResult]:
    """Declare each failed result whose outputs some deviation's model predicts (conf/models.py `explains`);
    every other failure stays undeclared. Counts per deviation what its scope held and what it explained."""
    out = []
    for d in devs:
        matched = failed = explained = 0
        for r in results:
            if r.status in ("not_tested", "not_run") or not d.covers(r.id, r.dtype):
                continue
            matched += 1
            if r.failed_clauses:
                failed += 1
                ev = r.evidence
                if (ev is not None and models.explains(d.model, ev.case, ev.calls, ev.outcomes)) or (
                    r.kind == "check" and models.explains_check(d.model, r.actual)
                ):
                    explained += 1
                    r.declared_by.append(d.name)
        status = (
            ("held" if explained else "unmatched") if failed else ("unexpected_pass" if matched else "not_exercised")
        )
        out.append(DeviationResult(d, status, matched, failed, explained))
    for r in results:
        if r.failed_clauses:
            r.undeclared = [] if r.declared_by else list(r.failed_clauses)
            r.status = "declared" if r.declared_by else "failed"
    for dr in out:
        dr.still_failed = sum(r.status == "failed" and dr.deviation.covers(r.id, r.dtype) for r in results)
    return out


def _clause_table(results: list[CaseResult], known: set[str]) -> dict[str, str]:
    state = dict.fromkeys(sorted(known), "not_tested")
    rank = {"not_tested": 0, "passed": 1, "declared": 2, "failed": 3}
    for r in results:
        if r.status in ("not_tested", "not_run"):
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
    require: str | list[str] | None = None,
    mode: str = "worker",
    deadline: float | None = None,
    maxfail: int | None = None,
    limits: Limits | None = None,
    progress: bool = False,
) -> Report:
    """Hold `target` against the golden cases and return the report (nothing printed).

    `expectations="default"` loads the target's own file (built-in targets), None loads none. `strict`
    (default: only for an unfiltered full run) makes a declared deviation that passes non-conformant.
    `require` ("all": every normative clause, or a list of clause IDs) makes a run in which one of those
    clauses was not tested non-conformant.
    `mode` "worker" runs the target in a process of its own (`executor.Worker`; always for cmd: targets
    and never for an `Adapter` object), "in-process" in this one (debugging). `deadline` (seconds) and
    `maxfail` stop the run early, and so does a target unresponsive for `limits.abandon_after` calls in a
    row: the probes not run are results of status not_run (`gate.py`). `progress` shows a progress bar on
    stderr once the run has taken two seconds.
    """
    with warnings.catch_warnings():
        # A target's warnings are not the spec's business, and must not turn into errors under pytest's
        # `filterwarnings = error` (warning filters are process-wide, so this covers the worker thread).
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        for name, value in (("timeout", timeout), ("deadline", deadline), ("maxfail", maxfail)):
            if value is not None and not (isinstance(value, int | float) and 0 <= value < float("inf")):
                raise HarnessError(f"Got {name} {value!r}; give a finite number >= 0 (0 or None: none).")
        if tier not in TIERS:
            raise HarnessError(f"Got tier {tier!r}, but the tiers are {', '.join(TIERS)}.")
        _check_options(dtypes, clauses, cases, require)
        _check_names(dtypes, set(DTYPES), "dtypes")
        executor = open_executor(target, mode, timeout, limits)
        try:
            gate = Gate(executor, [], deadline, maxfail)
            return _run(
                executor, gate, tier, dtypes, clauses, cases, expectations, golden, strict, require, t0, progress
            )
        finally:
            executor.close()


def _progress(cases: list[Case], name: str, show: bool):
    if not show:
        return cases
    from tqdm import tqdm

    return tqdm(cases, desc=f"cosine-spec check {name}", unit="case", file=sys.stderr, delay=2, leave=False)


def _run(executor, gate, tier, dtypes, clauses, cases, expectations, golden, strict, require, t0, progress) -> Report:
    all_cases = golden if isinstance(golden, list) else load_cases(golden)
    adapter = executor.adapter  # after the golden data: a worker loads its target meanwhile
    extras_clauses = {c for chk in adapter.extra_checks() for c in chk.clauses}
    levels = _spec_levels()
    known = {c for case in all_cases for c in case.clauses} | extras_clauses | {judge.GRAD} | set(levels)
    _check_names(clauses, known, "clauses")
    _check_names(None if require == "all" else require, known, "required clauses")
    devs = _expectations(
        adapter.expectations if expectations == "default" else expectations,
        None if isinstance(golden, list) else [c.id for c in all_cases],
    )
    selected = fast_slice(all_cases) if tier == "fast" else list(all_cases)
    if dtypes:
        selected = [c for c in selected if c.dtype in dtypes]
    if cases:
        globs = cases.split(",")
        selected = [c for c in selected if any(fnmatchcase(c.id, g) for g in globs)]
    want = set(clauses) if clauses else None
    selected = [c for c in selected if _probes(c, want)]
    if not selected and not (
        not cases and any(want is None or want & set(chk.clauses) for chk in adapter.extra_checks())
    ):
        raise _empty_selection(all_cases, adapter, tier, dtypes, clauses, cases)
    gate.devs, results = devs, []
    for case in _progress(selected, adapter.name, progress):
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
        results.extend(_run_case(case, adapter, executor, want, gate))
    if not cases:
        results.extend(_run_extra(adapter, want, executor, gate))
    dev_results = _apply(results, devs)
    if strict is None:
        strict = tier == "full" and not (dtypes or clauses or cases)
    table, filters = _clause_table(results, known), _filters(tier, dtypes, clauses, cases)
    available = (
        extras_clauses
        | {c for case in all_cases for p in _probes(case, None) for c in set(p.clauses) | set(case.clauses)}
        if filters
        else extras_clauses
    )
    required = (
        [c for c in table if levels.get(c, "normative") == "normative"]
        if require == "all"
        else list(dict.fromkeys(require or ()))
    )
    return Report(
        target=adapter.name,
        spec_version=spec_version(None if isinstance(golden, list) else golden),
        tier=tier,
        strict=strict,
        results=results,
        clauses=table,
        deviations=dev_results,
        seconds=time.perf_counter() - t0,
        mode=executor.mode,
        target_version=str(getattr(adapter, "version", "") or ""),
        levels={c: levels.get(c, "normative") for c in table},
        not_tested=_not_tested(results, table, available),
        filters=filters,
        required=required,
    )
