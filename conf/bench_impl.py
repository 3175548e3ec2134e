"""Benchmark of this project's implementations: the readable one (cosine_spec.impl, the `reference` target)
and the fast one (cosine_spec.impl.fast, `reference-fast`): speed, memory and accuracy.

Run ``python -m cosine_spec.conf.bench_impl [--repeats N] [--no-tf] [--no-accuracy]``. It prints
numbers and never fails on them (timings on shared machines are noisy; no test asserts a time).

- speed: float32 and float64 inputs of shapes (4096, 1024) and (65536, 16), "sum_over_batch_size", value
  and value + gradient, median of ``--repeats`` interleaved runs, for both implementations, tf-keras eager
  (if installed), a naive float32 numpy formula and the same formula in float64; ratios against the naive one;
- memory: peak bytes allocated during each implementation's call (tracemalloc sees numpy's allocations),
  over the size of the two inputs; the gradient's outputs count (they are as large as the inputs);
- accuracy: per dtype, max and 99th percentile error in ulps of the per-sample values of the golden
  cases whose dot product is not cancellation-bound (the criterion of conf/accuracy.toml), for both
  implementations and tf-keras.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import tomllib
import tracemalloc
from functools import cache
from importlib import resources

import numpy as np
from cosine_spec import impl
from cosine_spec.impl import fast

SHAPES = [(4096, 1024), (65536, 16)]
OURS = {"readable": impl.loss, "fast": fast.loss}


@cache
def accuracy_promises() -> dict:
    """conf/accuracy.toml: the cancellation criterion and the fast implementation's ulp promises."""
    with (resources.files("cosine_spec.conf") / "accuracy.toml").open("rb") as fh:
        return tomllib.load(fh)


def _naive(dtype):
    def value(a, b):
        a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
        na, nb = np.sqrt((a * a).sum(1)), np.sqrt((b * b).sum(1))
        return np.float32(-((a * b).sum(1) / (na * nb)).mean())

    def both(a, b):
        a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
        na, nb = np.sqrt((a * a).sum(1)), np.sqrt((b * b).sum(1))
        dot = (a * b).sum(1)
        n = a.shape[0]
        c = dot / (na * nb)
        ga = (-(b / (na * nb)[:, None]) + (c / na**2)[:, None] * a) / n
        gb = (-(a / (na * nb)[:, None]) + (c / nb**2)[:, None] * b) / n
        return np.float32(-c.mean()), ga.astype(np.float32), gb.astype(np.float32)

    return value, both


def _ours(fn):
    return (lambda a, b: fn(a, b)), (lambda a, b: fn.value_and_grad(a, b))


def _tf():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError:
        return None
    cs = tf.keras.losses.CosineSimilarity(axis=-1)

    def value(a, b):
        return cs(a, b).numpy()

    def both(a, b):
        with tf.GradientTape() as tape:
            tape.watch([a, b])
            out = cs(a, b)
        ga, gb = tape.gradient(out, [a, b])
        return out.numpy(), ga.numpy(), gb.numpy()

    return value, both, tf.constant


def _time(candidates: dict, repeats: int) -> dict:
    times = {k: [] for k in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {k: 1e3 * statistics.median(v) for k, v in times.items()}


def _peak(fn, nbytes: int) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / nbytes
    finally:
        tracemalloc.stop()


def speed(repeats: int, with_tf: bool) -> None:
    tf_fns = _tf() if with_tf else None
    print(f"speed: median of {repeats} interleaved runs, ms; reduction sum_over_batch_size")
    for dtype in (np.float32, np.float64):
        for shape in SHAPES:
            rng = np.random.default_rng(0)
            a, b = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
            fns = {name: _ours(fn) for name, fn in OURS.items()}
            fns.update({"naive f32": _naive(np.float32), "f64 upcast": _naive(np.float64)})
            for i, what in enumerate(("value", "value+grad")):
                cands = {name: (lambda f=f[i], a=a, b=b: f(a, b)) for name, f in fns.items()}
                if tf_fns is not None:
                    ta, tb = tf_fns[2](a), tf_fns[2](b)
                    cands["tf-keras eager"] = lambda f=tf_fns[i], ta=ta, tb=tb: f(ta, tb)
                ms = _time(cands, repeats)
                line = ", ".join(f"{k} {v:.2f}" for k, v in ms.items())
                ratios = ", ".join(f"{k}/naive {ms[k] / ms['naive f32']:.2f}x" for k in OURS)
                ratios += f", fast/readable {ms['fast'] / ms['readable']:.2f}x"
                if "tf-keras eager" in ms:
                    ratios += f", readable/tf {ms['readable'] / ms['tf-keras eager']:.2f}x"
                peaks = ", ".join(f"{k} {_peak(cands[k], a.nbytes + b.nbytes):.2f}x" for k in OURS)
                print(f"  {np.dtype(dtype).name} {shape} {what:10s}: {line}; {ratios}; peak extra memory {peaks}")


def not_cancellation_bound(case) -> np.ndarray:
    """Per sample: sum |t_i p_i| <= cancellation * |t . p| (the criterion of conf/accuracy.toml), computed on
    vectors scaled by powers of two so nothing overflows."""

    def scaled(x):
        rows = np.moveaxis(np.asarray(x, np.float64), case.axis, -1)
        return np.ldexp(rows, -np.frexp(np.max(np.abs(rows), axis=-1, initial=0.0))[1][..., None])

    with np.errstate(all="ignore"):
        t, p = scaled(case.y_true), scaled(case.y_pred)
        bound = accuracy_promises()["cancellation"]
        return np.sum(np.abs(t * p), axis=-1) <= bound * np.abs(np.sum(t * p, axis=-1))


def _ulps(got, want, dtype):
    from cosine_spec.conf.tolerance import ulp

    return np.abs(got.astype(np.float64) - want.astype(np.float64)) / ulp(want.astype(np.float64), dtype)


def _tf_none(case):
    import tensorflow as tf

    cs = tf.keras.losses.CosineSimilarity(axis=case.axis, reduction="none")
    dtype = tf.bfloat16 if case.dtype == "bfloat16" else case.dtype
    t, p = (tf.cast(tf.constant(np.asarray(x, np.float64)), dtype) for x in (case.y_true, case.y_pred))
    return tf.cast(cs(t, p), tf.float64).numpy()


def accuracy(with_tf: bool) -> None:
    from cosine_spec.conf.golden_cases import load_cases

    tf_ok = with_tf and _tf() is not None
    names = [*OURS, "tf"] if tf_ok else list(OURS)
    rows: dict[str, dict[str, list]] = {}
    for case in load_cases():
        if case.error or case.reduction != "none" or case.sample_weight is not None or not case.expected.size:
            continue
        want = case.expected.astype(np.float64)
        keep = not_cancellation_bound(case) & np.isfinite(want) & (want != 0)
        if not keep.any():
            continue
        row = rows.setdefault(case.dtype, {k: [] for k in names})
        for name, fn in OURS.items():
            got = fn(case.y_true, case.y_pred, axis=case.axis, reduction="none")
            row[name].extend(_ulps(got, case.expected, case.dtype)[keep].tolist())
        if tf_ok:
            with np.errstate(all="ignore"):
                row["tf"].extend(_ulps(_tf_none(case), case.expected, case.dtype)[keep].tolist())
    print("accuracy: per-sample values of golden 'none' cases, not cancellation-bound; error in ulps")
    print("  " + f"{'dtype':9s} {'n':>5s}" + "".join(f"  {k + ' max':>13s} {k + ' p99':>13s}" for k in names))
    for dtype in ("float16", "bfloat16", "float32", "float64"):
        if dtype not in rows:
            continue
        cells, notes = [], ""
        for name in names:  # a NaN or inf result where the spec has a finite one counts as an infinite error
            vals = np.array(rows[dtype][name], dtype=np.float64)
            vals = np.where(np.isnan(vals), np.inf, vals)
            cells.append(f"  {np.max(vals):13.3g} {np.sort(vals)[int(0.99 * (vals.size - 1))]:13.3g}")
            if name == "tf":
                notes = f"  (tf > 1 ulp on {int(np.sum(vals > 1))}, non-finite on {int(np.sum(np.isinf(vals)))})"
        print(f"  {dtype:9s} {len(rows[dtype][names[0]]):5d}" + "".join(cells) + notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cosine_spec.conf.bench_impl", description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--no-tf", action="store_true", help="skip tf-keras even if installed")
    parser.add_argument("--no-accuracy", action="store_true")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args(argv)
    if not args.no_speed:
        speed(args.repeats, not args.no_tf)
    if not args.no_accuracy:
        accuracy(not args.no_tf)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
