"""The judgement of issue 8: correct implementations stay within every bound at their worst (the worst ratio per
bound is printed), relations reject what breaks them, blame names the cause, the terminal groups by cause."""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict

import numpy as np
import pytest
from cosine_spec.conf import judge, relations, terminal
from cosine_spec.conf.adapters.pycallable import CallableAdapter
from cosine_spec.conf.calls import Outcome, perform
from cosine_spec.conf.golden_cases import load_cases
from cosine_spec.conf.probes import plain_call
from cosine_spec.conf.runner import run
from cosine_spec.impl import loss

from tests.catalogue.correct import CORRECT
from tests.catalogue.wrong import divides_by_batch_size


@pytest.fixture(scope="module")
def cases():
    return load_cases()


def _bound_name(r) -> str:
    return r.id.rsplit("/", 1)[1] if r.kind == "relation" else r.kind


def test_correct_implementations_stay_within_every_bound(cases, capsys):
    """Worst err / bound per bound (value, gradient, each relation, the range rule) over the correct catalogue."""
    worst: dict[str, tuple[float, str]] = defaultdict(lambda: (0.0, ""))
    for impl in CORRECT:
        report = run(CallableAdapter(impl, impl.__name__), golden=cases, timeout=None)
        assert report.exit_code == 0, [f"{r.id}: {r.message}" for r in report.results if r.status == "failed"][:5]
        for r in report.results:
            if r.max_err is not None and r.tolerance:
                ratio = r.max_err / r.tolerance
                if ratio > worst[_bound_name(r)][0]:
                    worst[_bound_name(r)] = (ratio, f"{impl.__name__} on {r.id}")
        for case in cases:  # the range rule: |result| against its bound
            bound = judge.range_bound(case)
            if bound is None or case.error:
                continue
            got = np.abs(perform(impl, plain_call(case)).value.astype(np.float64))
            with np.errstate(all="ignore"):
                ratio = np.where(np.isfinite(got) & (bound > 0), got / bound, 0.0)
            if ratio.size and np.max(ratio) > worst["range"][0]:
                worst["range"] = (float(np.max(ratio)), f"{impl.__name__} on {case.id}")
    with capsys.disabled():
        print("\nworst error / bound of the correct catalogue, per bound:")
        for name, (ratio, where) in sorted(worst.items()):
            print(f"  {name:<14} {ratio:.3g}  ({where})")
    assert {"value", "grad", "identity", "permutation", "swap", "scaling", "sums", "range"} <= set(worst)
    assert all(ratio <= 1.0 for ratio, _ in worst.values())


def test_relation_subset_is_bounded_and_deterministic(cases):
    chosen = [c.id for c in cases if relations.selected(c)]
    assert chosen == [c.id for c in cases if relations.selected(c)]
    assert 0.05 * len(cases) < len(chosen) < 0.2 * len(cases)
    kinds = Counter(p.id.rsplit("/", 1)[1] for c in cases for p in relations.plan(c))
    assert set(kinds) == {"identity", "permutation", "swap", "scaling", "sums"}, kinds


def _probe(cases, name: str):
    for c in cases:
        for p in relations.plan(c):
            if p.id.endswith("/" + name) and c.dtype == "float32":
                return c, p
    raise AssertionError(f"no float32 case with a {name} relation")


def _outs(probe) -> list[Outcome]:
    return [perform(loss, call) for call in probe.calls]


@pytest.mark.parametrize(
    ("name", "clause", "break_it"),
    [
        ("identity", "CS-VAL-3", lambda outs: [Outcome(value=o.value * np.float32(0.999)) for o in outs]),
        ("identity", "CS-VAL-2", lambda outs: [Outcome(value=np.nextafter(o.value, 2 * o.value)) for o in outs]),
        ("permutation", "CS-VAL-1", lambda outs: [outs[0], Outcome(value=np.roll(outs[1].value, 1, 0))]),
        ("swap", "CS-VAL-1", lambda outs: [outs[0], Outcome(value=outs[1].value * np.float32(1.01))]),
        ("scaling", "CS-VAL-6", lambda outs: [outs[0], Outcome(value=outs[1].value * np.float32(1.01))]),
        ("sums", "CS-RED-2", lambda outs: [outs[0], Outcome(value=outs[1].value * 2), outs[2], outs[3]]),
        ("sums", "CS-RED-4", lambda outs: [outs[0], outs[1], outs[2], Outcome(value=outs[3].value + 1)]),
    ],
)
def test_each_relation_holds_for_the_reference_and_rejects_a_break(cases, name, clause, break_it):
    case, probe = _probe(cases, name)
    outs = _outs(probe)
    assert probe.verdict(outs).failures == [], probe.verdict(outs).message
    broken = probe.verdict(break_it(outs))
    assert broken.failed_clauses and broken.failed_clauses[0] == clause, (broken.failed_clauses, broken.message)
    assert broken.cause


def test_a_raising_target_fails_the_relation(cases):
    _case, probe = _probe(cases, "swap")
    raising = [perform(lambda *a, **k: (_ for _ in ()).throw(ZeroDivisionError("x")), c) for c in probe.calls]
    assert probe.verdict(raising).failed_clauses == ["CS-VAL-1"]


def test_one_wrong_divisor_is_blamed_on_the_reduction_alone(cases):
    report = run(CallableAdapter(divides_by_batch_size, "divides_by_batch_size"), golden=cases, timeout=None)
    values = [r for r in report.results if r.status == "failed" and r.kind == "value"]
    assert values
    for r in values:
        assert r.failed_clauses[0] in ("CS-RED-3", "CS-RED-4"), (r.id, r.failed_clauses)
        assert not set(r.failed_clauses) & {"CS-AX-1", "CS-SW-1", "CS-SW-2", "CS-SW-3", "CS-SW-4", "CS-VAL-1"}
    assert report.clauses["CS-VAL-1"] == report.clauses["CS-SW-3"] == report.clauses["CS-AX-1"] == "passed"
    groups = terminal.failure_groups(report)
    assert [len(m) for _, m in groups] == sorted((len(m) for _, m in groups), reverse=True)
    blocks = "\n".join(terminal.failure_blocks(report, limit=3))
    assert blocks.startswith("FAILED ") and "example:" in blocks and "more causes" in blocks
    assert "[value: off by a factor" in blocks


def test_range_rule_exact_for_a_weighted_value():
    """|fl(w v)| <= |w| exactly: w itself passes, the next float above it fails CS-VAL-2."""
    case = next(
        c
        for c in load_cases()
        if c.reduction == "none"
        and c.sample_weight is not None
        and c.dtype == "float32"
        and c.sample_weight.ndim >= 1
        and np.all(np.isfinite(c.expected))
    )
    w = np.broadcast_to(
        np.abs(judge.tolerance.align_weights(case.sample_weight, case.expected.shape)), case.expected.shape
    ).astype(np.float32)
    assert judge.range_bound(case) is not None
    at = dataclasses.replace(case, expected=w.copy(), exact=w.astype(np.float64))
    assert not [f for f in judge.judge_value(at, Outcome(value=w.copy())).failures if f.check == "range"]
    over = np.nextafter(w, np.float32(np.inf))
    v = judge.judge_value(at, Outcome(value=over))
    assert [f.clauses for f in v.failures if f.check == "range"] == [("CS-VAL-2",)]
