"""``cosine-spec bench oracle``: the oracle's throughput next to a naive mpmath evaluation, same run.

Workload: float32 inputs of shape (8, d) per case (a batch of 8 vector pairs), reduction "none",
for d = 16, 128, 1024. "Elements" are the entries of y_pred (equal to those of y_true). The oracle's
outputs are all proven correctly rounded (Ziv's test on exact enclosures; the 40-digit decimal strings
of the golden files are not asked for, as no caller but golden generation needs them); the naive baseline
evaluates the clause formula in mpmath at 30 digits and proves nothing. Numbers are printed, never
asserted: machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np
from cosine_spec.spec import derivation, oracle
from cosine_spec.spec.catalogue.build import rand_array

BATCH = 8


def _inputs(d: int, count: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = random.Random(seed)
    return [(rand_array(rng, "float32", (BATCH, d)), rand_array(rng, "float32", (BATCH, d))) for _ in range(count)]


def _rate(fn, pairs, min_seconds: float) -> float:
    """Cases per second: runs the list repeatedly until ``min_seconds`` have passed."""
    done, start = 0, time.perf_counter()
    while True:
        for t, p in pairs:
            fn(t, p)
        done += len(pairs)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="cosine-spec bench oracle", description=__doc__.splitlines()[0])
    ap.add_argument("what", nargs="?", default="oracle", choices=["oracle"], help="what to benchmark")
    ap.add_argument("--seconds", type=float, default=1.0, help="minimum time per measurement (default 1)")
    ap.add_argument("--lengths", default="16,128,1024", help="vector lengths (default 16,128,1024)")
    args = ap.parse_args(argv)

    def exact(t, p):
        return oracle.evaluate(t, p, reduction="none", dtype="float32")

    def naive(t, p):
        return derivation.evaluate_mpmath(t, p, reduction="none", dtype="float32", dps=30)

    print(f"oracle throughput, float32, batch of {BATCH} vector pairs per case, reduction none")
    print(
        f"{'length':>7} {'oracle cases/s':>15} {'oracle elem/s':>14} {'naive cases/s':>14} "
        f"{'naive elem/s':>13} {'ratio':>7}"
    )
    for d in (int(x) for x in args.lengths.split(",")):
        pairs = _inputs(d, max(1, 4096 // d), seed=d)
        exact_rate = _rate(exact, pairs, args.seconds)
        naive_rate = _rate(naive, pairs[: max(1, len(pairs) // 8)], args.seconds)
        print(
            f"{d:>7} {exact_rate:>15,.0f} {exact_rate * BATCH * d:>14,.0f} {naive_rate:>14,.0f} "
            f"{naive_rate * BATCH * d:>13,.0f} {exact_rate / naive_rate:>6.1f}x"
        )
    return 0
