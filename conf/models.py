"""Executable models of declared deviations: what a target computes instead of the spec.

A model is the loss written as a small numpy program, normalize-first, with named changes from the spec:

    S_x = sum(x * x) along the axis          (each of y_true, y_pred)
    r_x = 1 / sqrt(max(S_x, 1e-12))          n(x) = x * r_x                    (CS-VAL-1, CS-VAL-5)
    v   = clip(-sum(n(t) * n(p)), -1, 1)     (CS-VAL-2)
    w   = sample_weight aligned by CS-SW-1..4;  result = reduce(w * v)        (CS-RED-1..4)

and its gradient is the chain rule through exactly these steps (CS-GRAD-1). With no change it is the spec,
computed in extended precision (np.longdouble, 64-bit significand) and rounded once to the dtype. Each
change in `CHANGES` replaces one step by what a target does instead; a model is a set of changes and
their parameters. `predict(call, dtype)` says what the model's target returns for one `Call`: an array of
the dtype, a pair of gradient arrays, an error class name, or None when the model cannot say (then it
explains nothing). Clause IDs: the spec's, `spec/cosine_similarity.md`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import ml_dtypes
import numpy as np
from cosine_spec.conf import tolerance
from cosine_spec.conf.calls import OMIT, Call
from cosine_spec.conf.golden_cases import Case
from cosine_spec.spec import shapes
from cosine_spec.spec.shapes import SpecError

EPSILON = 1e-12  # CS-VAL-5

# change name -> (what the target does instead, {parameter: (type, default or None if required)})
CHANGES: dict[str, tuple[str, dict[str, tuple[type, object]]]] = {
    "no-clip": ("per-sample values are not clipped to [-1, 1] (CS-VAL-2)", {}),
    "epsilon-in-dtype": (
        "the epsilon (1e-12, or epsilon-on-norm's) is rounded to the dtype (float16: 1e-12 is 0) before the clamp "
        "(CS-VAL-5)",
        {},
    ),
    "dtype-arithmetic": (
        "every step is rounded to the input dtype: squared norms overflow and underflow, "
        "the epsilon is the dtype's (CS-NUM-1, CS-VAL-5, CS-VAL-6)",
        {},
    ),
    "float32-accumulation": (
        "with dtype-arithmetic: sums of 16-bit values (squared norms with their squares, dot products, the "
        "reduction's sum) are accumulated in float32 and rounded once to the dtype, as torch on the CPU and XLA do; "
        "with flush-subnormals, 16-bit steps flush below float32's smallest normal (they are computed in float32)",
        {},
    ),
    "divide-by-norm": (
        "n(x) is x divided by the norm sqrt(max(S, 1e-12)) (rounded to the working precision) instead of x times "
        "its reciprocal: one rounding fewer, as optax computes it, and its gradient in autodiff's order for a "
        "quotient (`_Program._through_divisor`) (CS-VAL-1, CS-GRAD-1)",
        {},
    ),
    "clamp-tie-split": (
        "where the squared norm equals the epsilon exactly, the gradient through the clamp is halved (the "
        "derivative of max(S, e) at a tie split between its two branches, as jax.numpy.maximum's is) (CS-GRAD-1)",
        {},
    ),
    "autodiff-nan": (
        "the gradient is the plain chain rule of reverse-mode autodiff: where no gradient arrives at an infinite "
        "derivative (or at an infinite 2 x), 0 * inf gives NaN instead of 0 (CS-GRAD-1)",
        {},
    ),
    "promote-dtypes": (
        "inputs of two floating dtypes are each normalized in their own dtype, and the rest is computed in the "
        "wider one (the dtype of the result) instead of raising ValueError (CS-ERR-1, CS-SHAPE-1)",
        {},
    ),
    "flush-subnormals": ("subnormal inputs and every subnormal intermediate result or output are zero (FTZ/DAZ)", {}),
    "epsilon-on-norm": (
        "the clamp is max(norm, e) instead of max(squared norm, 1e-12) (CS-VAL-5)",
        {"epsilon": (float, EPSILON)},
    ),
    "weights-numpy": (
        "sample_weight is aligned as numpy broadcasting does (trailing axes), after squeezing a "
        "trailing 1 or adding one trailing axis when its rank differs from the loss's by one "
        "(instead of CS-SW-3)",
        {},
    ),
    "broadcast": (
        "shapes the spec rejects are accepted where they can be: a trailing axis of length 1 of the "
        "input whose rank is one higher is dropped, then the inputs are broadcast numpy-style, each "
        "normalized on its own, and so are the weights (instead of CS-ERR-1, CS-SW-5)",
        {},
    ),
    "broadcast-unsqueezed": (
        "as broadcast, but no axis is dropped first: y_true (2,) against y_pred (2, 1) is broadcast to (2, 2) "
        "after each is normalized on its own (instead of CS-ERR-1, CS-SW-5)",
        {},
    ),
    "scalar-as-vector": (
        "a 0-d input is taken as a vector of length 1 along the axis (torch and Keras 3 reduce a 0-d tensor over "
        "axis -1), so two 0-d inputs give a 0-d loss instead of raising ValueError (CS-ERR-1, CS-SHAPE-1)",
        {},
    ),
    "inverse-norm-cap": (
        "n(x) = x * min(rsqrt(S), 1 / epsilon), the cap 1 / epsilon rounded to the dtype (float16: 1e7 is inf, "
        "nothing is capped), instead of the clamp max(S, 1e-12) (CS-VAL-5), as Keras 3's normalize does",
        {"epsilon": (float, 1e-7)},
    ),
    "cap-via-float32": (
        "with inverse-norm-cap: for inputs wider than float32, the capped inverse norm min(rsqrt(S), 1 / epsilon) is "
        "computed in float32 (rsqrt in the dtype, rounded to float32, then capped) and x * it in the dtype; its "
        "gradient is rounded to float32 on the way back, and rsqrt's derivative taken from the unrounded rsqrt, as "
        "Keras 3 on torch computes it (its result_type of float64 and a Python float is float32) (CS-VAL-1, CS-NUM-1)",
        {},
    ),
    "cap-backward-torch": (
        "with inverse-norm-cap: the cap's gradient as torch's minimum and rsqrt backward give it: the minimum "
        "passes the gradient to rsqrt where rsqrt(S) is the smaller and half of it at a tie (rsqrt(S) equal to the "
        "cap), and rsqrt multiplies it by -r**3 / 2 of the uncapped r (in that order) even where none arrives: "
        "where r**3 overflows (a zero vector; in float32 squared norms below ~2e-26) 0 * inf gives NaN in the row's "
        "gradient (CS-GRAD-1)",
        {},
    ),
    "mean-via-float32": (
        "for inputs wider than float32, sum_over_batch_size's sum is rounded to float32 and divided by N in float32: "
        "the result is float32, and the gradient 1 / N reaching each value is float32's, as Keras 3's divide_no_nan "
        "on torch computes it (its result_type of float64, float64 and float is float32; no samples give 0); a 0-d "
        "loss is not reduced (CS-RED-3, CS-OUT-1)",
        {},
    ),
    "integer-loss-dtype": (
        "integer or bool inputs of one dtype (the loss's) are normalized in float32 (torch's rsqrt of an integer "
        "tensor is float32), the per-sample values converted to that dtype (truncated toward zero; bool: nonzero "
        "is true) before the reduction: 'sum' is an int64 sum, 'sum_over_batch_size' that sum over N in float32, "
        "instead of raising ValueError (CS-ERR-1, CS-SHAPE-1)",
        {},
    ),
    "y-true-as-y-pred": (
        "y_true is converted to y_pred's dtype first (an integer y_true is accepted, a mixed-dtype call computed "
        "in y_pred's dtype) instead of raising ValueError (CS-ERR-1, CS-SHAPE-1)",
        {},
    ),
    "reductions-keras3": (
        "reduction None is 'none' and 'mean' is 'sum_over_batch_size' instead of ValueError (CS-RED-6); a loss "
        "with no samples (leading axis 0) is returned unreduced (instead of CS-RED-3, CS-OUT-1)",
        {},
    ),
    "same-rank-keras3": (
        "y_true and y_pred, then the loss and its sample_weight, are brought to the same rank only where their "
        "ranks differ by one and the longer ends in 1 (a rank-1 side is expanded, else that 1 squeezed: a (B, 1) "
        "weight makes a 'none' result (B, 1)), then broadcast numpy-style (instead of CS-ERR-1, CS-SW-3..5)",
        {},
    ),
    "check-fails": (
        "a class-level check (kind check: constructor, config, fit) fails with a message containing `says` "
        "(the only change that speaks for checks; a check failing otherwise stays a failure)",
        {"says": (str, None)},
    ),
    "error-class": (
        "inputs the spec rejects raise the exception class `raises` (by name) instead of the spec's class (CS-ERR-*)",
        {"raises": (str, None)},
    ),
    "dtype-error": (
        "inputs not of the loss's floating dtype (integer, bool, mixed dtypes) raise the exception "
        "class `dtype_raises` (by name) instead of ValueError (CS-ERR-1, CS-SHAPE-1)",
        {"dtype_raises": (str, None)},
    ),
    "float-axis": (
        "a float axis holding an integer (1.0) is taken as that integer instead of raising ValueError (CS-ERR-2)",
        {},
    ),
    "weights-via-float32": (
        "weights given as a Python list, or wider than float32 and than the loss dtype, "
        "are rounded to float32 first, then to the loss dtype: two roundings instead of one, "
        "and a list value beyond float32's range raises ValueError (CS-SW-6, CS-API-4)",
        {},
    ),
    "rsqrt-grad-unguarded": (
        "with inverse-norm-cap: the gradient through the inverse norm is the plain product "
        "(g_r * share) * (-0.5 * (rsqrt(S) / S)), the share of min(rsqrt(S), cap) 1, 0 where the cap is taken and "
        "1/2 at a tie, then (2 dS) * x, as XLA folds the 2 into dS broadcast along the axis (dS * (2 x) where the "
        "axis has length 1, and under autodiff-nan); where S is zero or rsqrt(S) / S overflows, 0 * inf makes that "
        "input's gradient NaN even where the cap is taken, as jax.lax.rsqrt's derivative does (CS-GRAD-1)",
        {},
    ),
}


@dataclass(frozen=True)
class Model:
    """A set of `CHANGES` with their parameters; the empty model is the spec."""

    changes: frozenset[str] = frozenset()
    params: dict[str, object] = field(default_factory=dict)

    def __post_init__(self):
        for name, (_, spec) in CHANGES.items():
            for key, (_, default) in spec.items():
                if name in self.changes and key not in self.params:
                    self.params[key] = default

    def has(self, change: str) -> bool:
        return change in self.changes

    def predict(self, call: Call, dtype: str):
        """What this model returns for `call`: an ndarray (value), a pair (gradient), a str (the name of the
        error class raised), or None when the model cannot predict this call."""
        try:
            with np.errstate(all="ignore"):
                return _Program(self, dtype).run(call)
        except (_Unknown, ValueError, TypeError, ArithmeticError, IndexError):  # arguments no model covers
            return None


class _Unknown(Exception):
    """The model does not say what happens for this call."""


def _cast(x: np.ndarray, to: type) -> np.ndarray:
    """`x` as `to`; bfloat16 goes through float32 (exact), as numpy has no bfloat16 <-> longdouble cast."""
    if x.dtype == to:
        return x
    if x.dtype.name == "bfloat16" or np.dtype(to).name == "bfloat16":
        x = x.astype(np.float32) if x.dtype.name == "bfloat16" else x.astype(np.float64).astype(np.float32)
    return x.astype(to)


def _squeeze_one(t: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop a trailing axis of length 1 from the input whose rank exceeds the other's by one."""
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        return t[..., 0], p
    if p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        return t, p[..., 0]
    return t, p


def _same_rank(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras 3's squeeze_or_expand_to_same_rank: only ranks differing by one, with the longer ending in 1."""
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        return (a, b[..., None]) if b.ndim == 1 else (a[..., 0], b)
    if b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        return (a[..., None], b) if a.ndim == 1 else (a, b[..., 0])
    return a, b


def _floating(a: np.ndarray) -> bool:
    return bool(np.issubdtype(a.dtype, np.floating) or a.dtype.name == "bfloat16")


def _arg(value, default):
    return default if value is OMIT else value


class _Program:
    """One evaluation of a model: `op` rounds each step to the dtype (dtype arithmetic) and flushes it."""

    def __init__(self, model: Model, dtype: str):
        self.m, self.dtype = model, dtype
        self.np_dtype = shapes.np_dtype(dtype)
        self.work = self.np_dtype.type if model.has("dtype-arithmetic") else np.longdouble
        self.own: tuple[np.ndarray, np.ndarray] | None = None
        wide = model.has("float32-accumulation") and self.np_dtype.itemsize == 2
        self.acc = np.float32 if wide and model.has("dtype-arithmetic") else self.work
        self.tiny = float(ml_dtypes.finfo(self.np_dtype).smallest_normal)
        if model.has("float32-accumulation") and self.np_dtype.itemsize == 2:
            self.tiny = float(np.finfo(np.float32).smallest_normal)  # 16-bit steps computed in float32, flushed there
        eps_in_dtype = model.has("epsilon-in-dtype") or model.has("dtype-arithmetic")
        self.eps = self.op(np.asarray(EPSILON, np.float64).astype(self.np_dtype) if eps_in_dtype else EPSILON)

    def op(self, x) -> np.ndarray:
        """One step's result in the working precision (flushed to zero below the dtype's smallest normal)."""
        x = _cast(np.asarray(x), self.work)
        if self.m.has("flush-subnormals"):
            x = np.where(np.abs(x) < self.tiny, x * self.work(0), x)
        return x

    def wide32(self, change: str) -> bool:
        """Whether `change` applies here: it is named and the dtype is wider than float32."""
        return self.m.has(change) and self.np_dtype.itemsize > 4

    def sum(self, x, keepdims: bool = False, rounded: bool = True) -> np.ndarray:
        """A sum along the last axis, accumulated in `acc` (the dtype, or float32 under float32-accumulation),
        then rounded to the working precision (unless not `rounded`)."""
        total = np.sum(_cast(x, self.acc), axis=-1, keepdims=keepdims, dtype=self.acc)
        return self.op(total) if rounded or self.acc is self.work else total

    def out(self, x) -> np.ndarray:
        """A final result: rounded once to the dtype (and flushed, under flush-subnormals)."""
        x = _cast(self.op(x), self.np_dtype.type)
        if self.m.has("flush-subnormals"):
            x = np.where(np.abs(x) < self.tiny, x * self.np_dtype.type(0), x)
        return x.astype(self.np_dtype)

    def run(self, call: Call):
        y_true, y_pred = (np.asarray(a) for a in (call.y_true, call.y_pred))
        w = _arg(call.sample_weight, None)
        axis, reduction = _arg(call.axis, -1), _arg(call.reduction, "sum_over_batch_size")
        if self.m.has("scalar-as-vector") and y_true.ndim == 0 and y_pred.ndim == 0:
            y_true, y_pred = y_true.reshape(1), y_pred.reshape(1)
        if self.m.has("float-axis") and isinstance(axis, float) and axis.is_integer():
            axis = int(axis)
        if self.m.has("reductions-keras3"):
            reduction = {None: "none", "mean": "sum_over_batch_size"}.get(reduction, reduction)
        if self.m.has("y-true-as-y-pred") and _floating(y_pred) and y_true.dtype != y_pred.dtype:
            y_true = _cast(y_true, y_pred.dtype.type)
            if y_pred.dtype != self.np_dtype:  # computed as a case of y_pred's dtype
                return _Program(self.m, y_pred.dtype.name).run(replace(call, y_true=y_true, reduction=reduction))
        floats = all(_floating(a) for a in (y_true, y_pred))
        if self.m.has("promote-dtypes") and floats and y_true.dtype != y_pred.dtype:
            wider = y_true.dtype if y_true.dtype.itemsize >= y_pred.dtype.itemsize else y_pred.dtype
            if wider != self.np_dtype:  # computed as a case of the wider dtype
                return _Program(self.m, wider.name).run(call)
            self.own = (y_true, y_pred)  # each normalized in its own dtype, the rest in the wider
            y_true, y_pred = _cast(y_true, wider.type), _cast(y_pred, wider.type)
        if self.m.has("integer-loss-dtype") and not floats and y_true.dtype == y_pred.dtype:
            return self.integer_loss(call, y_true, y_pred, w, axis, reduction)
        if self.m.has("dtype-error") and (y_true.dtype != self.np_dtype or y_pred.dtype != self.np_dtype):
            return str(self.m.params["dtype_raises"])
        if w is not None and self.m.has("weights-via-float32"):
            w = np.asarray(w)
            listed = call.layouts.get("sample_weight") == "list"
            if listed or (w.dtype.itemsize > 4 and w.dtype != self.np_dtype):
                w64 = w.astype(np.float64)
                if listed and np.any(np.isfinite(w64) & (np.abs(w64) > float(np.finfo(np.float32).max))):
                    return "ValueError"  # a list is converted to a float32 tensor first
                w = w64.astype(np.float32)
        try:
            shapes.canonical(y_true, y_pred, w, axis=axis, reduction=reduction, dtype=self.dtype)
        except SpecError as exc:
            spread = self.m.has("broadcast") or self.m.has("broadcast-unsqueezed")
            spread = (spread or self.m.has("same-rank-keras3")) and exc.clause in ("CS-ERR-1", "CS-SW-5")
            if spread and y_true.ndim and y_pred.ndim:
                if self.m.has("same-rank-keras3"):
                    y_true, y_pred = _same_rank(y_true, y_pred)
                elif self.m.has("broadcast"):
                    y_true, y_pred = _squeeze_one(y_true, y_pred)
                try:
                    return self.evaluate(call.fn, y_true, y_pred, w, axis, reduction, spec_weights=False)
                except ValueError:
                    pass  # numpy cannot broadcast them either
            return str(self.m.params["raises"]) if self.m.has("error-class") else exc.error_class
        if y_true.dtype != self.np_dtype or y_pred.dtype != self.np_dtype:
            raise _Unknown  # mixed-dtype calls: no model says how a target converts them
        try:
            return self.evaluate(call.fn, y_true, y_pred, w, axis, reduction, spec_weights=True)
        except ValueError:  # weights that do not broadcast where the model aligns them as numpy does
            if self.m.has("same-rank-keras3") and self.m.has("error-class"):
                return str(self.m.params["raises"])
            raise

    def integer_loss(self, call: Call, y_true, y_pred, w, axis, reduction):
        """integer-loss-dtype: the values in float32, then in the inputs' dtype, then reduced."""
        if call.fn != "loss" or w is not None or y_true.shape != y_pred.shape or y_true.ndim == 0:
            raise _Unknown  # gradients, weights and shapes of integer inputs: not modelled
        f32 = _Program(self.m, "float32")
        t, p = (f32.op(np.moveaxis(a, axis, -1).astype(np.float32)) for a in (y_true, y_pred))
        v = f32.op(-f32.sum(f32.op(f32.normalize(t)[0] * f32.normalize(p)[0])))
        v = v != 0 if y_true.dtype == np.bool_ else np.trunc(v).astype(y_true.dtype)
        if reduction == "none" or v.ndim == 0 or v.shape == (0,):
            return v
        total = np.sum(v, dtype=np.int64)
        if reduction == "sum":
            return np.asarray(total)
        return np.asarray(np.float32(total) / np.float32(v.size) if v.size else 0, np.float32)

    # -- the program ------------------------------------------------------------------------------------------
    def normalize(self, x: np.ndarray):
        """n(x) along the last axis, with what the gradient needs: (n, r, flows); under epsilon-on-norm
        (n, d, flows) with n = x / d, d = max(norm, e)."""
        sq = _cast(x, self.acc) * _cast(x, self.acc) if self.acc is not self.work else self.op(x * x)
        s = self.sum(sq, keepdims=True, rounded=False)  # float32-accumulation: the norm is what is rounded
        if self.m.has("inverse-norm-cap"):
            cap = self.op(np.asarray(1 / self.m.params["epsilon"], np.float64).astype(self.np_dtype))
            rs = self.op(1 / np.sqrt(_cast(self.op(s), np.longdouble)))
            if self.wide32("cap-via-float32"):  # the minimum in float32, the product in the dtype
                cap32 = np.float32(1 / self.m.params["epsilon"])
                r = self.op(np.minimum(rs.astype(np.float32), cap32))
                return self.op(x * r), r, rs.astype(np.float32) <= cap32
            return self.op(x * self.op(np.minimum(rs, cap))), self.op(np.minimum(rs, cap)), rs <= cap
        if self.m.has("epsilon-on-norm"):
            e = self.m.params["epsilon"]
            e = self.op(np.asarray(e, np.float64).astype(self.np_dtype) if self.m.has("epsilon-in-dtype") else e)
            norm = self.op(np.sqrt(s) if self.acc is not self.work else np.sqrt(_cast(s, np.longdouble)))
            flows = norm >= e
            d = self.op(np.maximum(norm, e))
            return self.op(x / d), d, flows  # divided by the clamped norm, as such targets do
        else:
            s = self.op(s)
            flows = s >= self.eps
            if self.m.has("clamp-tie-split"):  # the share of the gradient that flows through the clamp
                flows = np.where(s == self.eps, 0.5, np.where(flows, 1.0, 0.0))
            if self.m.has("divide-by-norm"):
                d = self.op(np.sqrt(_cast(np.maximum(s, self.eps), np.longdouble)))
                return self.op(x / d), self.op(1 / _cast(d, np.longdouble)), flows
            r = self.op(1 / np.sqrt(_cast(np.maximum(s, self.eps), np.longdouble)))
        return self.op(x * r), r, flows

    def weights(self, w, loss_shape: tuple[int, ...], spec_weights: bool) -> np.ndarray:
        if w is None:
            return np.ones((), dtype=self.work)
        w = self.op(np.asarray(w, dtype=self.np_dtype))  # CS-SW-6: weights in the loss dtype
        if self.m.has("weights-numpy"):
            if w.ndim == len(loss_shape) + 1 and w.shape[-1] == 1:
                w = w[..., 0]
            elif w.ndim == len(loss_shape) - 1:
                w = w[..., None]
        elif spec_weights and not self.m.has("same-rank-keras3"):
            w = w.reshape(shapes.align_weights(w.shape, loss_shape))
        return w

    def evaluate(self, fn: str, y_true, y_pred, w, axis: int, reduction: str, spec_weights: bool):
        t = self.op(np.moveaxis(y_true, axis, -1))
        p = self.op(np.moveaxis(y_pred, axis, -1))
        tn, rt, ft = self.normalize(t)
        pn, rp, fp = self.normalize(p)
        if self.own is not None:  # promote-dtypes: the inputs were of two dtypes
            if fn != "loss":
                raise _Unknown  # gradients of mixed-dtype calls: not modelled
            own = [_Program(self.m, a.dtype.name) for a in self.own]
            tn, pn = (
                _cast(prog.normalize(prog.op(np.moveaxis(a, axis, -1)))[0], self.work)
                for prog, a in zip(own, self.own, strict=True)
            )
        v = self.op(-self.sum(self.op(tn * pn)))
        if not self.m.has("no-clip"):
            v = np.clip(v, -1, 1)
        wa = self.weights(w, v.shape, spec_weights)
        if self.m.has("same-rank-keras3") and w is not None:
            v, wa = _same_rank(v, wa)
        wv = self.op(v * wa)
        if self.m.has("reductions-keras3") and fn == "loss" and wv.ndim and wv.shape[0] == 0:
            return self.out(wv)  # Keras 3 returns a loss with no samples unreduced
        n = wv.size if reduction in ("auto", "sum_over_batch_size") else 1
        if fn == "loss":
            if reduction == "none":
                return self.out(wv)
            total = self.total(wv)
            if wv.ndim and reduction in ("auto", "sum_over_batch_size") and self.wide32("mean-via-float32"):
                return np.asarray(total.astype(np.float32) / np.float32(n) if n else 0, np.float32)
            return self.out(total / n if n else np.zeros((), self.work))
        if wv.shape != v.shape or t.shape != p.shape:
            raise _Unknown  # gradients through broadcast shapes: not modelled
        # dL/dv: the weights (the sum of a "none" result, CS-GRAD-1), over N for sum_over_batch_size
        inv_n = self.op(1 / n if n else 0)
        if n and wv.ndim and reduction in ("auto", "sum_over_batch_size") and self.wide32("mean-via-float32"):
            inv_n = self.op(np.float32(1) / np.float32(n))
        c = self.op(np.broadcast_to(self.op(wa * inv_n), v.shape))
        g_tn, g_pn = self.op(-c[..., None] * pn), self.op(-c[..., None] * tn)
        gt = self.backward(t, rt, ft, g_tn)
        gp = self.backward(p, rp, fp, g_pn)
        return self.out(np.moveaxis(gt, -1, axis)), self.out(np.moveaxis(gp, -1, axis))

    def total(self, wv: np.ndarray) -> np.ndarray:
        """The reduction's sum. Under dtype arithmetic it is accumulated in the dtype, one rounding per
        addition in order (numpy would accumulate float16 in float32), so it overflows where such a sum does."""
        if not self.m.has("dtype-arithmetic"):
            return self.op(np.sum(wv, dtype=self.work))
        acc = np.zeros((), self.acc)
        for x in wv.ravel():
            acc = _cast(np.asarray(acc + _cast(np.asarray(x), self.acc)), self.acc)
            if self.acc is self.work:
                acc = self.op(acc)
        return self.op(acc)

    def rsqrt_grad(self, x, g_r, flows) -> np.ndarray:
        """The gradient of S = sum(x * x) through n(x) = x * min(rsqrt(S), cap), given g_r, that of the capped
        inverse norm: the minimum's share (in float32 under cap-via-float32) times -0.5 * rsqrt(S)**3 of the
        uncapped rsqrt; cap-backward-torch halves it at a tie and keeps 0 * inf (NaN) where the cap holds."""
        sq = _cast(x, self.acc) * _cast(x, self.acc) if self.acc is not self.work else self.op(x * x)
        s = self.op(self.sum(sq, keepdims=True, rounded=False))
        rs = _cast(self.op(1 / np.sqrt(_cast(s, np.longdouble))), self.acc)
        if self.wide32("cap-via-float32"):
            g_r = self.op(g_r.astype(np.float32))
        g_c = np.where(flows, g_r, self.work(0))
        if self.m.has("cap-backward-torch"):
            cap = 1 / self.m.params["epsilon"]
            cap = np.float32(cap) if self.wide32("cap-via-float32") else np.asarray(cap).astype(self.np_dtype)
            r = rs.astype(np.float32) if self.wide32("cap-via-float32") else self.op(rs)
            g_c = np.where(r == cap, self.op(g_c * self.work(0.5)), g_c)
        r3 = self.op(rs * rs * rs)  # pow(r, 3): computed in float32 for 16-bit dtypes, rounded once
        g_s = self.op(self.op(self.work(-0.5) * g_c) * r3)
        return g_s if self.m.has("cap-backward-torch") else np.where(flows, g_s, self.work(0))

    def unguarded(self, x, direct, g_r):
        """rsqrt-grad-unguarded: dS = (g_r * share) * (-0.5 * (rsqrt(S) / S)), computed everywhere (NaN where
        S is 0 or rsqrt(S) / S overflows), then direct + (2 dS) * x (direct + dS * (2 x) where the axis has length 1,
        with nothing to broadcast, and under autodiff-nan: there 2 x may overflow and 0 * inf is NaN)."""
        sq = _cast(x, self.acc) * _cast(x, self.acc) if self.acc is not self.work else self.op(x * x)
        s = self.op(self.sum(sq, keepdims=True, rounded=False))  # the squared norm, as normalize has it
        rs = self.op(1 / np.sqrt(_cast(s, np.longdouble)))
        cap = self.op(np.asarray(1 / self.m.params["epsilon"], np.float64).astype(self.np_dtype))
        share = np.where(rs < cap, self.work(1), np.where(rs == cap, self.work(0.5), self.work(0)))
        g_s = self.op(self.op(g_r * share) * self.op(self.work(-0.5) * self.op(rs / s)))
        if self.m.has("autodiff-nan") or x.shape[-1] == 1:
            return self.op(direct + self.op(g_s * self.op(x * self.work(2))))
        return self.op(direct + self.op(self.op(g_s * self.work(2)) * x))

    def backward(self, x, r, flows, g_n):
        """The gradient with respect to x of n(x) = x * r(S_x), given the gradient g_n of n(x)."""
        if self.m.has("epsilon-on-norm"):  # n(x) = x / d, d = max(|x|, e): d|x|/dx = x / |x| where it flows
            d = r  # in the order autograd takes: -g * ((x / d) / d) summed, then (x * g_d) / |x|
            g_d = self.sum(self.op(-g_n * self.op(self.op(x / d) / d)), keepdims=True)
            g_d = np.where(flows & (g_d != 0), g_d, self.work(0))
            return self.op(self.op(g_n / d) + self.op(self.op(x * g_d) / d))
        if self.m.has("divide-by-norm") and not self.m.has("autodiff-nan"):
            return self._through_divisor(x, r, flows, g_n)
        direct = self.op(g_n * r)
        g_r = self.sum(self.op(g_n * x), keepdims=True)
        if self.m.has("inverse-norm-cap") and (self.m.has("cap-backward-torch") or self.m.has("cap-via-float32")):
            return self.op(direct + self.op(self.op(x * self.work(2)) * self.rsqrt_grad(x, g_r, flows)))
        if self.m.has("rsqrt-grad-unguarded") and self.m.has("inverse-norm-cap"):
            return self.unguarded(x, direct, g_r)
        # d r / d S = -r^3 / 2, taken as zero where no gradient arrives (so 0 * r^3 is 0 even for r = inf)
        g_s = self.op(self.op(self.work(-0.5) * self.op(g_r * r)) * self.op(r * r))
        if self.m.has("clamp-tie-split"):
            g_s = np.where(flows == 0.5, self.op(g_s * self.work(0.5)), g_s)
        if self.m.has("autodiff-nan"):
            g_s = np.where(flows != 0, g_s, self.work(0))
            return self.op(direct + self.op(self.op(x * self.work(2)) * g_s))
        g_s = np.where((flows != 0) & (g_r != 0), g_s, self.work(0))
        if self.m.has("divide-by-norm"):  # d/dx of x / sqrt(S): (2 g_s) x, 0 where g_s is 0 even at 2 x = inf
            return self.op(direct + self.op(self.op(g_s * self.work(2)) * x))
        return self.op(direct + self.op(g_s * self.op(x * self.work(2))))

    def _through_divisor(self, x, r, flows, g_n):
        """The gradient of x / d, d = sqrt(max(S, e)), in the order reverse-mode autodiff takes the quotient
        rule: g_n / d, plus 2 x g_S with g_d = sum((-g_n * x) * d^-2) (each term's products in the accumulator's
        precision: 16-bit products kept in float32, as a compiler fusing them into the sum does) and
        g_S = g_d * 0.5 / d. A divisor that overflowed (d^-2 = 0) passes no gradient through d."""
        a = self.acc
        terms = _cast(-g_n, a) * _cast(x, a) * _cast(r * r, a)
        g_d = self.sum(terms, keepdims=True)
        g_s = self.op(_cast(g_d, a) * a(0.5) * _cast(r, a))
        if self.m.has("clamp-tie-split"):
            g_s = np.where(flows == 0.5, self.op(g_s * self.work(0.5)), g_s)
        g_s = np.where(flows != 0, g_s, self.work(0))
        return self.op(self.op(g_n * r) + self.op(self.op(g_s * self.work(2)) * x))


# -- matching: does the target's output match the model's prediction? -------------------------------------------
def explains_check(model: Model, failure: str) -> bool:
    """Whether a failed class-level check's message is the one `model` (check-fails) predicts."""
    return model.has("check-fails") and str(model.params["says"]) in failure


def explains(model: Model, case: Case, calls, outcomes) -> bool:
    """Whether every outcome of the target for these calls is what `model` predicts, within tolerance.

    Values and gradients are compared as the judge compares them with the oracle's (NaN pattern, shape, dtype,
    each element within the case's tolerance; twice that under dtype-arithmetic, where the model rounds in
    the dtype too; a non-finite gradient component predicted matches any non-finite one), error classes by
    name. A model that clips also bounds unweighted "none" values to [-1, 1]
    exactly (CS-VAL-2). A call that did not return or raise (None, a timeout, a crash, a modified input)
    matches no model.
    """
    factor = 2.0 if model.has("dtype-arithmetic") else 1.0
    for call, out in zip(calls, outcomes, strict=True):
        if out.problem is not None or out.modified:
            return False
        pred = model.predict(call, case.dtype)
        if pred is None:
            return False
        if isinstance(pred, str):
            if out.raised is None or not (pred == out.raised.type_name or pred in out.raised.kinds):
                return False
            continue
        if out.raised is not None or not _matches(model, case, call, out.value, pred, factor):
            return False
    return True


def _matches(model: Model, case: Case, call: Call, got, pred, factor: float) -> bool:
    try:
        with np.errstate(all="ignore"):
            if call.fn == "grad":
                ref = _call_case(model, case, call, case.expected)
                tols = tolerance.grad_tolerance(ref, pred)
                return all(_close(g, p, factor * t, loose=True) for g, p, t in zip(got, pred, tols, strict=True))
            if not _close(got, pred, factor * _value_tolerance(_call_case(model, case, call, pred))):
                return False
            w = _arg(call.sample_weight, None)
            if not model.has("no-clip") and _arg(call.reduction, "") == "none" and (w is None or np.all(w == 1)):
                a = got.astype(np.float64)
                return not np.any(np.isfinite(a) & (np.abs(a) > 1))
            return True
    except (ValueError, TypeError, _Unknown):
        return False


def _call_case(model: Model, case: Case, call: Call, expected) -> Case:
    """`case` with the call's arguments (a derived check calls the target on other inputs than the case's)."""
    axis = _arg(call.axis, -1)
    if model.has("float-axis") and isinstance(axis, float) and axis.is_integer():
        axis = int(axis)
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise _Unknown
    dt = shapes.np_dtype(case.dtype)
    y_true, y_pred = np.asarray(call.y_true, dt), np.asarray(call.y_pred, dt)
    if model.has("scalar-as-vector") and y_true.ndim == 0 and y_pred.ndim == 0:
        y_true, y_pred = y_true.reshape(1), y_pred.reshape(1)
    w = _arg(call.sample_weight, None)
    if w is not None and model.has("weights-numpy"):  # the tolerance of the weights as the model applies them
        loss_shape = np.delete(np.shape(call.y_true), axis).tolist()
        w = np.broadcast_to(_Program(model, case.dtype).weights(w, tuple(loss_shape), False), loss_shape)
    elif w is not None and model.has("same-rank-keras3") and np.shape(call.y_true) == np.shape(call.y_pred):
        w = _trailing_weights(np.asarray(w), tuple(np.delete(np.shape(call.y_true), axis).tolist()))
    return replace(
        case,
        y_true=y_true,
        y_pred=y_pred,
        sample_weight=None if w is None else _cast(np.asarray(w), dt.type),
        axis=int(axis),
        reduction=_arg(call.reduction, "sum_over_batch_size"),
        expected=expected,
    )


def _trailing_weights(w: np.ndarray, loss_shape: tuple[int, ...]) -> np.ndarray:
    """Weights of a lower rank than the loss, even after same-rank-keras3's alignment, as that model applies
    them (broadcast along the trailing axes, where the spec aligns the leading ones: CS-SW-3), so that each
    element's tolerance is that of the weight it was multiplied by; any other weights unchanged."""
    v, wa = _same_rank(np.zeros(loss_shape), w)
    if v.shape != loss_shape or not 0 < wa.ndim < len(loss_shape):
        return w
    try:
        return np.broadcast_to(wa, loss_shape)
    except ValueError:  # the model raises there
        return w


def _value_tolerance(ref: Case) -> np.ndarray:
    """The case's value tolerance; for weights the spec rejects (a broadcast model), that of the unweighted
    values scaled by the largest weight."""
    try:
        return tolerance.value_tolerance(ref)
    except SpecError:
        w = np.max(np.abs(ref.sample_weight.astype(np.float64)), initial=1.0)
        return w * np.max(tolerance.value_tolerance(replace(ref, sample_weight=None)), initial=0.0)


def _close(got, pred, tol, loose: bool = False) -> bool:
    """Same shape, dtype and NaN pattern, each element within `tol`. `loose` (gradients): a non-finite
    prediction matches any non-finite element, as the order of evaluation decides whether 0 * inf or
    inf - inf on the way gives NaN or an infinity. An infinity of the prediction's sign matches a finite
    prediction within `tol` of the overflow threshold (the target's roundings may have crossed it)."""
    if not isinstance(got, np.ndarray) or got.shape != pred.shape or got.dtype != pred.dtype:
        return False
    a, x = got.astype(np.float64), pred.astype(np.float64)
    if loose:
        if np.any(np.isfinite(a) != np.isfinite(x)):
            return False
        a, x = np.where(np.isfinite(x), a, 0.0), np.where(np.isfinite(x), x, 0.0)
    if np.any(np.isnan(a) != np.isnan(x)):
        return False
    tol = np.broadcast_to(tol, x.shape)
    # a prediction whose tolerance reaches past the dtype's largest finite number may round to an infinity
    big = float(ml_dtypes.finfo(got.dtype).max)
    overflows = np.isinf(a) & np.isfinite(x) & (np.sign(a) == np.sign(x)) & (np.abs(x) + tol > big)
    ok = (a == x) | np.isnan(x) | (np.abs(a - x) <= tol) | overflows
    return bool(np.all(ok))
