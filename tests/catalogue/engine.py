"""A textbook cosine similarity loss with knobs, each knob one way to get it wrong (tests only).

With the default `Knobs()` it is a correct implementation of the target contract: float64 arithmetic,
inputs scaled by powers of two so nothing overflows, the clamp decided on the unscaled squared norm,
the per-sample value clipped to [-1, 1], weights aligned by the spec's rule, result in the input dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import ml_dtypes
import numpy as np

from tests.catalogue.fresh_correct import round_to

REDUCTIONS = ("auto", "none", "sum", "sum_over_batch_size")
U = {"float16": 2.0**-11, "bfloat16": 2.0**-8, "float32": 2.0**-24, "float64": 2.0**-53}


@dataclass(frozen=True)
class Knobs:
    work: str = "float64"  # float64 | float32 | native (float32 up to float32 inputs) | input | longdouble
    scale: str = "pow2"  # pow2 | max (divide by max|x|) | none
    form: str = "normalize"  # normalize: -sum(n(t) n(p)); divide: -(t.p) / (|t| |p|)
    eps: float = 1e-12
    clamp: str = "squared"  # squared: max(sum x^2, eps); norm: max(|x|, eps); none
    clip: bool = True
    sign: float = -1.0
    overshoot: bool = False  # multiply the value by (1 + 4u) after the clip
    result_dtype: str | None = None
    weight_align: str = "spec"  # spec | trailing (numpy broadcasting)
    ignore_scalar_weight: bool = False
    sobs_divisor: str = "elements"  # elements | batch
    auto_as: str = "sum_over_batch_size"
    none_as: str = "none"  # none | mean
    nan_to_num: bool = False
    zero_nan: bool = False
    fixed_axis: bool = False
    check_shapes: bool = True
    check_args: bool = True  # ValueError for non-float or mixed dtypes and a non-integer axis
    round_weights: bool = True  # round sample_weight to the input dtype first (CS-SW-6)
    scaled_sum: bool = True  # sum the weighted values scaled by a power of two (no overflow)
    zero_first: bool = False  # a zero vector gives 0 before NaN/Inf on the other side count
    check_reduction: bool = True
    grad_projection: bool = True
    grad_clamp_inverted: bool = False
    flip_long_16bit: bool = False  # negate the value of float16/bfloat16 vectors of length >= 128


def _work(k: Knobs, dtype: np.dtype):
    if k.work == "input":  # everything in the input dtype, sums included (float16/bfloat16 stay 16-bit)
        return dtype
    if k.work == "native":
        return np.float64 if dtype == np.float64 else np.float32
    return {"float64": np.float64, "float32": np.float32, "longdouble": np.longdouble}[k.work]


def _normalize(x: np.ndarray, k: Knobs):
    """(n(x), (sqrt of the scaled squared norm, scale), clamped mask, clamp factor, scaled x, root)."""
    big = np.max(np.abs(x), axis=-1, keepdims=True, initial=0)
    if k.scale == "pow2":
        _, e = np.frexp(big.astype(np.float64))
        e = e - 1  # max|x| / 2^e in [1, 2): 2^e itself stays finite even for the largest float64
        xs = np.ldexp(x, -e).astype(x.dtype)
        scale = np.ldexp(np.ones(x.shape[:-1] + (1,), x.dtype), e)
    elif k.scale == "max":
        scale = np.where(big == 0, 1, big).astype(x.dtype)
        xs = x / scale
    else:
        xs, scale = x, np.ones(x.shape[:-1] + (1,), x.dtype)
    s = np.sum(xs * xs, axis=-1, keepdims=True)
    sq = s.astype(np.float64) * scale.astype(np.float64) ** 2  # inf or 0 beyond range: the compare still holds
    clamped = {"squared": sq < k.eps, "norm": np.sqrt(sq) < k.eps, "none": np.zeros_like(sq, bool)}[k.clamp]
    factor = x.dtype.type(1 / np.sqrt(k.eps) if k.clamp == "squared" else 1 / k.eps)
    root = np.sqrt(s)
    n = np.where(clamped, x * factor, xs / np.where(clamped, 1, root))
    return n, (root, scale), clamped, factor, xs, root


def _prepare(y_true, y_pred, axis, k: Knobs):
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if k.check_args and (t.dtype != p.dtype or not (p.dtype.kind == "f" or p.dtype == ml_dtypes.bfloat16)):
        raise ValueError(f"y_true {t.dtype} and y_pred {p.dtype}: one float dtype is required")
    if k.check_args and (not isinstance(axis, int | np.integer) or isinstance(axis, bool)):
        raise ValueError(f"axis {axis!r} is not an integer")
    if k.check_shapes and t.shape != p.shape:
        raise ValueError(f"y_true {t.shape} and y_pred {p.shape} differ")
    t, p = np.broadcast_arrays(t, p)
    dtype = p.dtype
    ax = np.lib.array_utils.normalize_axis_index(-1 if k.fixed_axis else axis, t.ndim)
    w = _work(k, dtype)
    return np.moveaxis(t.astype(w), ax, -1), np.moveaxis(p.astype(w), ax, -1), ax, dtype


def _weights(sample_weight, loss_shape, k: Knobs, dtype):
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    w = round_to(w, dtype) if k.round_weights else w  # CS-SW-6: once (some bfloat16 casts go through float32)
    if w.ndim == 0:
        return None if k.ignore_scalar_weight else w
    if k.weight_align == "spec":
        if w.ndim == len(loss_shape) + 1 and w.shape[-1] == 1:
            w = w[..., 0]
        elif w.ndim < len(loss_shape):
            w = w.reshape(w.shape + (1,) * (len(loss_shape) - w.ndim))
    if np.broadcast_shapes(w.shape, loss_shape) != loss_shape:
        raise ValueError(f"sample_weight {np.shape(sample_weight)} does not fit the loss {loss_shape}")
    return w


def _divisor(reduction: str, shape, k: Knobs) -> int:
    if reduction in ("none", "sum"):
        return 1
    return (shape[0] if shape else 1) if k.sobs_divisor == "batch" else int(np.prod(shape))


def _check_reduction(reduction: str, k: Knobs) -> str:
    if reduction not in REDUCTIONS:
        if k.check_reduction:
            raise ValueError(f"unknown reduction {reduction!r}")
        return "sum"
    if reduction == "auto":
        return k.auto_as
    return reduction


def value(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size", k=Knobs()):
    red = _check_reduction(reduction, k)
    t, p, _, dtype = _prepare(y_true, y_pred, axis, k)
    nt, _, ct, ft, ts, rt = _normalize(t, k)
    np_, _, cp, fp, ps, rp = _normalize(p, k)
    if k.form == "normalize":
        v = k.sign * np.sum(nt * np_, axis=-1)
    else:
        a, b = np.where(ct, t * ft, ts), np.where(cp, p * fp, ps)
        da, db = np.where(ct, 1, rt)[..., 0], np.where(cp, 1, rp)[..., 0]
        v = k.sign * np.sum(a * b, axis=-1) / (da * db)
    if k.clip:
        v = np.clip(v, -1, 1)
    if k.overshoot:
        v = v * (1 + 4 * U[ml_dtypes.finfo(dtype).dtype.name])
    if k.zero_nan:
        v = np.where(np.all(t == 0, axis=-1) | np.all(p == 0, axis=-1), np.nan, v)
    if k.zero_first:
        v = np.where(np.all(t == 0, axis=-1) | np.all(p == 0, axis=-1), 0, v)
    if k.flip_long_16bit and dtype.itemsize == 2 and t.shape[-1] >= 128:
        v = -v
    w = _weights(sample_weight, v.shape, k, dtype)
    wl = v if w is None else v * w.astype(v.dtype)
    if red == "none":
        out = wl if k.none_as == "none" else np.mean(wl)
    else:
        n = _divisor(red, wl.shape, k)
        big = np.max(np.abs(wl[np.isfinite(wl)]), initial=0)
        e = int(np.frexp(np.float64(big))[1]) if big and k.scaled_sum else 0  # no overflow before / n
        out = np.ldexp(np.sum(np.ldexp(wl, -e)) / n, e) if n else np.zeros((), wl.dtype)
    out = np.asarray(out)
    if k.nan_to_num:
        out = np.nan_to_num(out)
    return out.astype(k.result_dtype or dtype)


def grad(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size", k=Knobs()):
    red = _check_reduction(reduction, k)
    t, p, ax, dtype = _prepare(y_true, y_pred, axis, k)
    nt, lt, ct, ft, _, _ = _normalize(t, k)
    np_, lp, cp, fp, _, _ = _normalize(p, k)
    loss_shape = nt.shape[:-1]
    w = _weights(sample_weight, loss_shape, k, dtype)
    c = np.broadcast_to(np.ones(()) if w is None else w, loss_shape).astype(nt.dtype)
    n = _divisor(red, loss_shape, k)
    c = (c / (n or 1))[..., None] * k.sign

    def back(g, n_x, length, clamped, factor):
        proj = g - n_x * np.sum(n_x * g, axis=-1, keepdims=True) if k.grad_projection else g
        clamped = ~clamped if k.grad_clamp_inverted else clamped
        root, scale = length  # divide by the two factors of |x| in turn: their product may overflow
        return np.where(clamped, g * factor, proj / np.where(clamped, 1, root) / np.where(clamped, 1, scale))

    gt, gp = back(c * np_, nt, lt, ct, ft), back(c * nt, np_, lp, cp, fp)
    return tuple(np.moveaxis(g, -1, ax).astype(dtype) for g in (gt, gp))


def make(name: str, k: Knobs = Knobs(), with_grad: bool = True):
    """A function with the target contract (and `.grad` unless with_grad is False) for these knobs."""

    def f(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
        return value(y_true, y_pred, sample_weight, axis=axis, reduction=reduction, k=k)

    def g(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
        return grad(y_true, y_pred, sample_weight, axis=axis, reduction=reduction, k=k)

    f.__name__ = f.__qualname__ = name
    if with_grad:
        f.grad = g
    return f
