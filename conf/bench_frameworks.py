"""Benchmark: the full tier of each built-in framework target, timed (`python -m cosine_spec.conf.bench_frameworks`).

Each target runs as `cosine-spec check TARGET --tier full` in a process of its own (`matrix.run_target`), one
at a time, with the reference target first as the baseline measured in the same run; printed per target: wall
seconds, results judged, results per second, the ratio to the reference's time and the verdict. JAX targets
(optax, keras-jax) compile one XLA program per golden shape and dtype, kept in the persistent cache of
`adapters.optax.import_jax`: `--cold` points that cache at an empty directory, so the first-run cost is what
is measured. Targets not installed are listed as such.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from cosine_spec.conf.matrix import BUILTINS, run_target


def bench(targets: list[str], tier: str = "full") -> list[tuple[str, float, dict]]:
    out = []
    for t in targets:
        t0 = time.perf_counter()
        got = run_target(t, tier=tier)
        out.append((t, time.perf_counter() - t0, got))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cosine_spec.conf.bench_frameworks", description=__doc__.split("\n")[0])
    p.add_argument("targets", nargs="*", default=[t for t in BUILTINS if t != "reference"])
    p.add_argument("--tier", choices=("fast", "full"), default="full")
    p.add_argument("--cold", action="store_true", help="JAX targets start from an empty compilation cache")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as cache:
        if args.cold:
            os.environ["COSINE_SPEC_JAX_CACHE"] = cache
        rows = bench(["reference", *[t for t in args.targets if t != "reference"]], args.tier)
    base = rows[0][1]
    print(f"{'target':18} {'seconds':>9} {'results':>8} {'per s':>8} {'x ref':>7}  verdict")
    for t, secs, got in rows:
        if "error" in got:
            print(f"{t:18} {secs:9.1f} {'-':>8} {'-':>8} {'-':>7}  not run: {got['error'][:80]}")
            continue
        r = got["report"]
        n = sum(v for k, v in r["summary"].items() if k in ("passed", "failed", "declared"))
        verdict = "conformant" if r["conformant"] else "NOT conformant"
        print(f"{t:18} {secs:9.1f} {n:8d} {n / secs:8.1f} {secs / base:7.1f}  {verdict} ({r['tier']} tier)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
