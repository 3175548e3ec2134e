"""Run the harness on every fresh catalogue entry and print a table (not part of the pytest suite).

    PYTHONPATH=. .venv/bin/python -m tests.catalogue.sweep [--only NAME,...] [--tiers full,fast]

For each wrong entry of `fresh_wrong.FRESH_WRONG` it runs `cosine-spec check tests.catalogue.fresh_wrong:NAME`
in the full and the fast tier from the repository root and reports the exit codes, whether the claimed clause is
among the failed clauses of the report (its `clauses` field) and the first failed clauses; then the same for the
correct entries of `fresh_correct.FRESH_CORRECT` (which must exit 0). A wrong entry SURVIVES a tier when that
tier exits 0 or does not fail its claimed clause; a correct entry is REJECTED when a tier exits non-zero.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / ".venv" / "bin" / "cosine-spec"


def run(target, tier):
    """Exit code and report of one check run (report None when the run wrote none)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.json"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.run(
            [str(CLI), "check", target, "--tier", tier, "--report-json", str(path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        report = json.loads(path.read_text()) if path.exists() else None
        return proc.returncode, report, proc.stderr.strip().splitlines()[-1:] if proc.returncode == 2 else []


def failed_clauses(report):
    if not report:
        return []
    return [c for c, status in report["clauses"].items() if status == "failed"]


def first_failures(report, n=3):
    """Ids and messages of the first failing cases (what a correct entry's rejection rests on)."""
    if not report:
        return []
    return [(c["id"], c["message"][:160]) for c in report["cases"] if c["status"] == "failed"][:n]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated entry names")
    parser.add_argument("--tiers", default="full,fast")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.catalogue import fresh_correct, fresh_wrong

    only = set(filter(None, args.only.split(",")))
    tiers = args.tiers.split(",")
    wrong = [(fresh_wrong.snake(type(f).__name__), clause) for f, clause in fresh_wrong.FRESH_WRONG]
    correct = [n for n, v in vars(fresh_correct).items() if any(v is f for f in fresh_correct.FRESH_CORRECT)]
    survivors, rejected = [], []
    head = " ".join(f"{t:>5}" for t in tiers)
    print(f"{'name':36} {'claimed':10} {head}  claimed-failed  first failed clauses")
    for name, clause in wrong:
        if only and name not in only:
            continue
        codes, hits, first = [], [], []
        for tier in tiers:
            code, report, err = run(f"tests.catalogue.fresh_wrong:{name}", tier)
            failed = failed_clauses(report)
            codes.append(code)
            hits.append(clause in failed)
            first = first or failed[:4] or err
        mark = "/".join("yes" if h else "NO" for h in hits)
        print(
            f"{name:36} {clause:10} " + " ".join(f"{c:>5}" for c in codes) + f"  {mark:14}  {', '.join(first)}",
            flush=True,
        )
        if any(c == 0 or not h for c, h in zip(codes, hits, strict=True)):
            survivors.append(name)
    print()
    for name in correct:
        if only and name not in only:
            continue
        if name == "torch_autodiff" and importlib.util.find_spec("torch") is None:
            print(f"{name:36} SKIPPED (torch not installed)")
            continue
        codes, fails = [], []
        for tier in tiers:
            code, report, err = run(f"tests.catalogue.fresh_correct:{name}", tier)
            codes.append(code)
            fails += first_failures(report) + [("setup", e) for e in err]
        print(
            f"{name:36} {'correct':10} "
            + " ".join(f"{c:>5}" for c in codes)
            + "  "
            + "; ".join(f"{i}: {m}" for i, m in fails[:3]),
            flush=True,
        )
        if any(codes):
            rejected.append(name)
    print(f"\nwrong entries surviving some tier: {len(survivors)} of {len(wrong)}: {', '.join(survivors) or '-'}")
    print(f"correct entries rejected: {len(rejected)}: {', '.join(rejected) or '-'}")


if __name__ == "__main__":
    main()
