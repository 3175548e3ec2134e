"""``cosine-spec bench oracle``: the oracle's throughput beside two naive baselines measured in the same run.

For every dtype and vector length d in 1, 4, 16, 128, 1024, 8192, 65536, two cases: one vector pair, and a
batch of 1,000 pairs (fewer where 1,000 * d would exceed ``--max-elements``: the row count is printed).
Reduction "none"; inputs are random normal values rounded to the dtype. "Elements" are the entries of
y_true. The oracle's outputs are all proven correctly rounded (its fast pass decides what its enclosures
can, the exact path the rest); the baselines prove nothing:

- numpy: the clause formula in float64 numpy, rounded to the dtype (the unproven floor);
- mpmath: the clause formula in mpmath at 30 digits (``spec/derivation.evaluate_mpmath``), timed on at
  most ``--mpmath-elements`` elements of the case and reported per element (its cases/s is the per-element
  rate over the case's size).

Columns: elements/s and cases/s of the oracle, elements/s of each baseline, and the two ratios: how many
times slower than numpy the oracle is, and how many times faster than mpmath. Numbers are printed, never
asserted: machines are shared and noisy, so each rate is that of the fastest of repeated calls.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from cosine_spec.spec import derivation, oracle
from cosine_spec.spec.exact import DTYPES
from cosine_spec.spec.shapes import np_dtype

LENGTHS = (1, 4, 16, 128, 1024, 8192, 65536)
BATCH = 1000


def _inputs(dtype: str, rows: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    kind = np_dtype(dtype)
    return rng.standard_normal((rows, d)).astype(kind), rng.standard_normal((rows, d)).astype(kind)


def _rate(fn, min_seconds: float) -> float:
    """Calls per second of the fastest call (the least disturbed by other load), after one untimed warm-up
    call; calls are repeated until ``min_seconds`` have passed."""
    fn()
    best, start = float("inf"), time.perf_counter()
    while True:
        t0 = time.perf_counter()
        fn()
        t1 = time.perf_counter()
        best = min(best, t1 - t0)
        if t1 - start >= min_seconds:
            return 1.0 / best


def _naive_numpy(t: np.ndarray, p: np.ndarray, dtype: str) -> np.ndarray:
    a, b = t.astype(np.float64), p.astype(np.float64)
    dot = (a * b).sum(axis=-1)
    na = np.sqrt(np.maximum((a * a).sum(axis=-1), 1e-12))
    nb = np.sqrt(np.maximum((b * b).sum(axis=-1), 1e-12))
    return (-dot / (na * nb)).astype(np_dtype(dtype))


def measure(dtype: str, rows: int, d: int, seconds: float, mp_elements: int) -> dict:
    t, p = _inputs(dtype, rows, d, seed=rows * 100003 + d)
    size = rows * d
    ours = _rate(lambda: oracle.evaluate(t, p, reduction="none", dtype=dtype), seconds)
    numpy_rate = _rate(lambda: _naive_numpy(t, p, dtype), seconds)
    mp_rows = max(1, min(rows, mp_elements // d))
    tm, pm = t[:mp_rows, : max(1, min(d, mp_elements))], p[:mp_rows, : max(1, min(d, mp_elements))]
    mp_rate = _rate(lambda: derivation.evaluate_mpmath(tm, pm, reduction="none", dtype=dtype, dps=30), seconds)
    mp_elem = mp_rate * tm.size
    return {
        "dtype": dtype,
        "d": d,
        "rows": rows,
        "oracle_elem": ours * size,
        "oracle_cases": ours,
        "numpy_elem": numpy_rate * size,
        "mpmath_elem": mp_elem,
        "vs_numpy": numpy_rate / ours,
        "vs_mpmath": ours * size / mp_elem,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="cosine-spec bench oracle", description=__doc__.splitlines()[0])
    ap.add_argument("what", nargs="?", default="oracle", choices=["oracle"], help="what to benchmark")
    ap.add_argument("--seconds", type=float, default=0.2, help="minimum time per measurement (default 0.2)")
    ap.add_argument("--lengths", default=",".join(map(str, LENGTHS)), help="vector lengths")
    ap.add_argument("--dtypes", default=",".join(DTYPES), help="dtypes (default: all four)")
    ap.add_argument("--max-elements", type=int, default=1 << 22, help="cap on rows * d of the batch case")
    ap.add_argument("--mpmath-elements", type=int, default=4096, help="elements the mpmath baseline is timed on")
    args = ap.parse_args(argv)
    print("oracle throughput, reduction none, every output proven; baselines unproven, same run")
    head = (
        f"{'dtype':>8} {'d':>6} {'rows':>5} {'oracle elem/s':>14} {'oracle cases/s':>15} "
        f"{'numpy elem/s':>13} {'mpmath elem/s':>14} {'x slower than numpy':>20} {'x faster than mpmath':>21}"
    )
    print(head)
    for dtype in args.dtypes.split(","):
        for d in (int(x) for x in args.lengths.split(",")):
            for rows in (1, max(1, min(BATCH, args.max_elements // d))):
                m = measure(dtype, rows, d, args.seconds, args.mpmath_elements)
                print(
                    f"{dtype:>8} {d:>6} {rows:>5} {m['oracle_elem']:>14,.0f} {m['oracle_cases']:>15,.1f} "
                    f"{m['numpy_elem']:>13,.0f} {m['mpmath_elem']:>14,.0f} {m['vs_numpy']:>20.1f} "
                    f"{m['vs_mpmath']:>21.1f}",
                    flush=True,
                )
    return 0
