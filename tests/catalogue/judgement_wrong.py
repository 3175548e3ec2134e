"""Wrong implementations that the judgement of issue 8 must reject (each named for its bug), with the clause the
harness must name first. Written from the spec, as plain functions around one textbook per-sample value."""

from __future__ import annotations

import ml_dtypes
import numpy as np

from tests.catalogue import engine
from tests.catalogue.correct import pow2_scaled

EPS = 1e-12


def _rows(y_true, y_pred, axis):
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape or t.ndim == 0 or t.dtype != p.dtype:
        raise ValueError(f"y_true {t.shape} {t.dtype} and y_pred {p.shape} {p.dtype} do not fit")
    ax = np.lib.array_utils.normalize_axis_index(axis, t.ndim)
    return np.moveaxis(t, ax, -1), np.moveaxis(p, ax, -1), p.dtype


def _reduce(v, sample_weight, reduction, dtype, clip=True):
    """Weights (the spec's alignment) and the reduction, as the engine does them."""
    red = engine._check_reduction(reduction, engine.Knobs())
    v = np.clip(v, -1, 1) if clip else v
    w = engine._weights(sample_weight, v.shape, engine.Knobs(), dtype)
    wl = v if w is None else v * w.astype(dtype).astype(np.float64)
    if red == "none":
        return np.asarray(wl).astype(dtype)
    n = engine._divisor(red, wl.shape, engine.Knobs())
    return np.asarray(np.sum(wl) / n if n else 0.0).astype(dtype)


def _scaled(x):
    """x / 2**e with max |x / 2**e| in [1, 2), its squared norm (scaled) and the unscaled squared norm."""
    _, e = np.frexp(np.max(np.abs(x), axis=-1, keepdims=True, initial=0.0))
    xs = np.ldexp(x, -(e - 1))
    s = np.sum(xs * xs, axis=-1, keepdims=True)
    with np.errstate(all="ignore"):
        return xs, s, np.ldexp(s, 2 * (e - 1))


def _normalized(x, work):
    x = x.astype(work)
    xs, s, full = _scaled(x)
    clamped = full < EPS
    with np.errstate(all="ignore"):
        return np.where(clamped, x * work(1e6), xs / np.sqrt(np.where(clamped, 1, s)))


def _work(dtype):
    return np.float64 if dtype == np.float64 else np.float32


def tiny_vectors_unscaled(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
    """sklearn's rule: a row whose norm is below 10 eps is left as it is, instead of being scaled by 1e6."""
    t, p, dtype = _rows(y_true, y_pred, axis)
    work = _work(dtype)

    def n(x):
        x = x.astype(work)
        xs, s, full = _scaled(x)
        small = np.sqrt(full) < 10 * np.finfo(work).eps
        with np.errstate(all="ignore"):
            return np.where(small, x, xs / np.sqrt(np.where(s == 0, 1, s)))

    return _reduce(-np.sum(n(t) * n(p), axis=-1).astype(np.float64), sample_weight, reduction, dtype)


def one_minus_distance(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
    """scipy's route: the distance 1 - c clipped to [0, 2], then the loss -(1 - distance): small c loses digits."""
    t, p, dtype = _rows(y_true, y_pred, axis)
    work = _work(dtype)
    c = np.sum(_normalized(t, work) * _normalized(p, work), axis=-1)
    dist = np.clip(work(1) - c, 0, 2)
    return _reduce(-(work(1) - dist).astype(np.float64), sample_weight, reduction, dtype)


def _flush(a):
    a = np.asarray(a)
    tiny = ml_dtypes.finfo(a.dtype).smallest_normal
    return np.where(np.abs(a) < tiny, a.dtype.type(0) * a, a).astype(a.dtype)


def flushes_subnormals(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
    """FTZ/DAZ: subnormal inputs read as zero and subnormal results written as zero (values and gradients)."""
    return _flush(pow2_scaled(_flush(y_true), _flush(y_pred), sample_weight, axis=axis, reduction=reduction))


def _flushed_grad(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
    gt, gp = pow2_scaled.grad(_flush(y_true), _flush(y_pred), sample_weight, axis=axis, reduction=reduction)
    return _flush(gt), _flush(gp)


flushes_subnormals.grad = _flushed_grad

_overshooting = engine.make("overshooting", engine.Knobs(clip=False, overshoot=True))


def clips_only_unweighted_none(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
    """The clip is applied where a range check is easy to see, an unweighted "none" result, and nowhere else."""
    if reduction == "none" and sample_weight is None:
        return pow2_scaled(y_true, y_pred, axis=axis, reduction=reduction)
    return _overshooting(y_true, y_pred, sample_weight, axis=axis, reduction=reduction)


JUDGEMENT_WRONG = [  # (implementation, the clause the harness must name first)
    (tiny_vectors_unscaled, "CS-VAL-5"),
    (one_minus_distance, "CS-VAL-1"),
    (flushes_subnormals, "CS-VAL-5"),
    (clips_only_unweighted_none, "CS-VAL-2"),
]
