"""What worker mode costs: `cosine-spec check TARGET` on the full tier in worker mode beside --in-process.

    python -m cosine_spec.conf.bench_worker [--targets reference,tf-keras] [--repeat N] [--tier full]

Each run is a fresh `cosine-spec check` process, timed wall-clock from start to exit (imports, golden
data, worker start-up included), the two modes interleaved and the best of `--repeat` runs kept, so both
see the same machine load. The goal (issue "targets in a process of their own"): worker mode at most 1.5x
in-process on the full tier. Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time


def timed(target: str, tier: str, in_process: bool) -> tuple[float, int]:
    argv = [sys.executable, "-m", "cosine_spec.conf.cli", "check", target, "--tier", tier]
    t0 = time.perf_counter()
    proc = subprocess.run(
        argv + (["--in-process"] if in_process else []), capture_output=True, stdin=subprocess.DEVNULL
    )
    return time.perf_counter() - t0, proc.returncode


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cosine_spec.conf.bench_worker", description=__doc__.split("\n")[0])
    p.add_argument("--targets", default="reference,tf-keras")
    p.add_argument("--tier", default="full", choices=("fast", "full"))
    p.add_argument("--repeat", type=int, default=1)
    args = p.parse_args(argv)
    print(f"{'target':<12} {'in-process s':>13} {'worker s':>10} {'ratio':>7}  exit (in-process, worker)")
    for target in args.targets.split(","):
        best = {True: float("inf"), False: float("inf")}
        codes = {}
        for _ in range(max(args.repeat, 1)):
            for in_process in (True, False):
                seconds, code = timed(target, args.tier, in_process)
                best[in_process] = min(best[in_process], seconds)
                codes[in_process] = code
        print(
            f"{target:<12} {best[True]:>13.2f} {best[False]:>10.2f} {best[False] / best[True]:>7.2f}  "
            f"({codes[True]}, {codes[False]})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
