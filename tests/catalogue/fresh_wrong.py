"""Wrong implementations of the cosine similarity loss, written from spec/cosine_similarity.md alone. Each one is
`fresh_correct.Float64Scaled` (or `Float32Native`) with one plausible real-world bug, named for it, paired with the
clause it violates (the most specific one), or the few it violates where its failures show under each. The gate
must reject each, naming one of them first.
"""

import math

import ml_dtypes
import numpy as np

from tests.catalogue.fresh_correct import FLOATS, Float32Native, Float64Scaled, align_weights, round_to

BF16 = np.dtype(ml_dtypes.bfloat16)


def tiny_normal(dtype):
    """The smallest positive normal number of one of the four dtypes."""
    return math.ldexp(1.0, FLOATS[np.dtype(dtype)][1])


class Base(Float64Scaled):
    """The correct float64 core, remembering the call's dtype, weights and reduction for the bugs below."""

    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        out = super().prepare(y_true, y_pred, sample_weight, axis, reduction)
        self.dtype, self.sw, self.red = out[0], sample_weight, reduction
        return out


# -- the call contract (CS-API-1, CS-API-2, CS-ERR-1/2, CS-RED-6, CS-SW-6, CS-EX-2) ------------------------------
class DefaultAxisZero(Base):
    def __call__(self, y_true, y_pred, sample_weight=None, *, axis=0, reduction="sum_over_batch_size"):
        return self.value(y_true, y_pred, sample_weight, axis=axis, reduction=reduction)


class DefaultReductionSum(Base):
    def __call__(self, y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum"):
        return self.value(y_true, y_pred, sample_weight, axis=axis, reduction=reduction)


class GradDefaultAxisZero(Base):
    def grad(self, y_true, y_pred, sample_weight=None, *, axis=0, reduction="sum_over_batch_size"):
        return self.gradient(y_true, y_pred, sample_weight, axis=axis, reduction=reduction)


class GradDefaultReductionSum(Base):
    def grad(self, y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum"):
        return self.gradient(y_true, y_pred, sample_weight, axis=axis, reduction=reduction)


class OverwritesYTrue(Base):
    """Normalizes y_true in place to save a temporary."""

    def value(self, y_true, y_pred, sample_weight, axis, reduction):
        out = super().value(y_true, y_pred, sample_weight, axis, reduction)
        if isinstance(y_true, np.ndarray) and y_true.size:
            s = np.sum(y_true.astype(np.float64) ** 2, axis=axis, keepdims=True)
            np.divide(y_true, np.sqrt(np.maximum(s, 1e-12)), out=y_true, casting="unsafe")
        return out


class BufferReadInCOrder(Base):
    """Reads the memory buffer (order 'K') and reshapes it as if it were C-ordered."""

    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        fix = [np.asarray(x).ravel(order="K").reshape(np.shape(x)) for x in (y_true, y_pred)]
        return super().prepare(*fix, sample_weight, axis, reduction)


class NegativeStridesFlipped(Base):
    """Canonicalizes negative strides by flipping the view, forgetting that this reorders the values."""

    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        def canon(x):
            x = np.asarray(x)
            axes = tuple(i for i, s in enumerate(x.strides) if s < 0)
            return np.flip(x, axes) if axes else x

        return super().prepare(canon(y_true), canon(y_pred), sample_weight, axis, reduction)


class ListWeightCrashes(Base):
    """Calls sample_weight.astype(...), which a Python list does not have."""

    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        if sample_weight is not None:
            sample_weight = sample_weight.astype(np.asarray(y_true).dtype)
        return super().prepare(y_true, y_pred, sample_weight, axis, reduction)


class IntegerInputsCast(Base):
    """Converts integer and bool inputs to float32 as TensorFlow converts Python lists."""

    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        fix = [np.asarray(x) for x in (y_true, y_pred)]
        fix = [x.astype(np.float32) if x.dtype.kind in "biu" else x for x in fix]
        return super().prepare(*fix, sample_weight, axis, reduction)


class MixedDtypesPromoted(Base):
    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        t, p = np.asarray(y_true), np.asarray(y_pred)
        if t.dtype != p.dtype and t.dtype in FLOATS and p.dtype in FLOATS:
            common = np.promote_types(t.dtype, p.dtype)
            t, p = t.astype(common), p.astype(common)
        return super().prepare(t, p, sample_weight, axis, reduction)


class FloatAxisAccepted(Base):
    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        return super().prepare(y_true, y_pred, sample_weight, int(axis), reduction)


class ReductionNoneObjectIsNone(Base):
    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        return super().prepare(y_true, y_pred, sample_weight, axis, "none" if reduction is None else reduction)

    def value(self, y_true, y_pred, sample_weight, axis, reduction):
        return super().value(y_true, y_pred, sample_weight, axis, "none" if reduction is None else reduction)


class SameRankBroadcast(Base):
    """Broadcasts inputs of the same rank against each other, as torch, Keras 3, optax and sklearn do."""

    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        t, p = np.asarray(y_true), np.asarray(y_pred)
        if t.ndim == p.ndim and t.shape != p.shape:
            try:
                t, p = np.broadcast_arrays(t, p)
            except ValueError:
                pass
        return super().prepare(t, p, sample_weight, axis, reduction)


class WeightsNotRounded(Base):
    """Multiplies by the weight as given (float64) instead of its image in the loss dtype."""

    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        out = list(super().prepare(y_true, y_pred, sample_weight, axis, reduction))
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float64)
            out[3] = np.broadcast_to(align_weights(w, out[2], np.float64), out[2]).reshape(-1)
        return tuple(out)


class WeightDtypePromotesResult(Base):
    def finish(self, x, dtype, shape):
        out = super().finish(x, dtype, shape)
        if self.sw is not None and np.asarray(self.sw).dtype in FLOATS:
            return out.astype(np.promote_types(dtype, np.asarray(self.sw).dtype))
        return out


class Bf16WeightsViaFloat32(Base):
    """Rounds wide weights to bfloat16 through float32: a double rounding."""

    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        if sample_weight is not None and np.asarray(y_true).dtype == BF16:
            sample_weight = np.asarray(sample_weight, dtype=np.float64).astype(np.float32).astype(BF16)
        return super().prepare(y_true, y_pred, sample_weight, axis, reduction)


# -- small results with large relative error (CS-NUM-1, CS-VAL-5) ---------------------------------------------
class FlushSubnormalResults(Base):
    """Flush-to-zero on the results (values and gradients), as with FTZ set on the FPU."""

    def finish(self, x, dtype, shape):
        out = super().finish(x, dtype, shape)
        return np.where(np.abs(out.astype(np.float64)) < tiny_normal(dtype), 0, out).astype(dtype)

    def gradient(self, y_true, y_pred, sample_weight, axis, reduction):
        gs = super().gradient(y_true, y_pred, sample_weight, axis, reduction)
        return tuple(np.where(np.abs(g.astype(np.float64)) < tiny_normal(g.dtype), 0, g).astype(g.dtype) for g in gs)


class DenormalsAreZeroInputs(Base):
    """DAZ: subnormal inputs read as zero, so a tiny vector becomes a zero vector."""

    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        def daz(x):
            x = np.asarray(x)
            if x.dtype not in FLOATS:
                return x
            return np.where(np.abs(x.astype(np.float64)) < tiny_normal(x.dtype), 0, x).astype(x.dtype)

        return super().prepare(daz(y_true), daz(y_pred), sample_weight, axis, reduction)


class SklearnZeroNormIsOne(Base):
    """sklearn-style: a squared norm that underflows to 0 is replaced by 1, so the vector is not scaled by 10**6."""

    def scale(self, X):
        Xs, Ss, e, clamped, k = super().scale(X)
        with np.errstate(under="ignore", over="ignore"):
            raw = np.sum(X * X, axis=1)
        fake = (raw == 0) & (np.max(np.abs(X), axis=1, initial=0) > 0)
        return Xs, Ss, e, clamped, np.where(fake, X.dtype.type(1), k)


class ScipyOneMinusCos(Base):
    """Computes the distance 1 - cos first (scipy's cosine) and returns it minus 1: small values lose all digits."""

    def per_sample(self, T, P):
        r, E = super().per_sample(T, P)
        v = np.ldexp(r, E)
        return (1.0 - (-v)) - 1.0, np.zeros_like(E)


class Float32ThresholdForFloat64(Base):
    """Takes the epsilon as np.float32(1e-12) (9.9999999600e-13) in float64 too."""

    def scale(self, X):
        Xs, Ss, e, clamped, k = super().scale(X)
        if X.dtype == np.float64:
            with np.errstate(over="ignore"):
                clamped = Ss < np.ldexp(float(np.float32(1e-12)), -2 * e.astype(np.int64))
            k = np.where(clamped, 1e6, 1 / np.sqrt(np.where(clamped, 1, Ss)))
        return Xs, Ss, e, clamped, k


class EpsilonInDtype(Base):
    """Takes the epsilon as dtype(1e-12): 0 in float16, so a zero vector gives 0/0."""

    def scale(self, X):
        Xs, Ss, e, clamped, k = super().scale(X)
        eps = float(np.asarray(1e-12, dtype=self.dtype))
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            clamped = Ss < np.ldexp(eps, -2 * e.astype(np.int64))
            k = np.where(clamped, 1e6, 1 / np.sqrt(Ss))
        return Xs, Ss, e, clamped, k


class AdditiveEpsilon(Base):
    """n(x) = x / sqrt(S + 1e-12) instead of x / sqrt(max(S, 1e-12))."""

    def scale(self, X):
        Xs, Ss, e, clamped, _ = super().scale(X)
        with np.errstate(over="ignore"):
            k = 1 / np.sqrt(Ss + np.ldexp(1e-12, -2 * e.astype(np.int64)))
        return Xs, Ss, e, np.zeros_like(clamped), k


class Float16SequentialAccumulation(Base):
    """For float16 inputs, accumulates dot product and squared norms left to right in float16."""

    def per_sample(self, T, P):
        if self.dtype != np.float16 or T.shape[1] == 0:
            return super().per_sample(T, P)
        Ts, _, et, ct, _ = self.scale(T)
        Ps, _, ep, cp, _ = self.scale(P)
        h = np.float16

        def acc(a, b):
            return np.add.accumulate((a.astype(h) * b.astype(h)).astype(h), axis=1, dtype=h)[:, -1]

        with np.errstate(all="ignore"):
            kt = np.where(ct, 1e6, 1 / np.sqrt(acc(Ts, Ts).astype(np.float64)))
            kp = np.where(cp, 1e6, 1 / np.sqrt(acc(Ps, Ps).astype(np.float64)))
            r = -acc(Ts, Ps).astype(np.float64) * kt * kp
        bad = ~(np.isfinite(T).all(axis=1) & np.isfinite(P).all(axis=1))
        return np.where(bad, np.nan, r), np.where(ct, et, 0) + np.where(cp, ep, 0)


class ZeroNormShortcut(Base):
    """Returns 0 when the squared norm, formed unscaled in float64, is 0 (it underflows for |x| < 1e-162)."""

    def per_sample(self, T, P):
        r, E = super().per_sample(T, P)
        with np.errstate(under="ignore", over="ignore"):
            zero = (np.sum(T * T, axis=1) == 0) | (np.sum(P * P, axis=1) == 0)
        return np.where(zero & ~np.isnan(r), 0.0, r), E


# -- the range rule in one place only (CS-VAL-2) ----------------------------------------------------------------
class ClipOnlyUnweightedNone(Float32Native):
    """float32 math; clips only the unweighted "none" result, so a reduced or weighted -1.0000001 gets through."""

    def value(self, y_true, y_pred, sample_weight, axis, reduction):
        self.clip = sample_weight is None and reduction == "none"
        return super().value(y_true, y_pred, sample_weight, axis, reduction)

    def clipped(self, r, E):
        return super().clipped(r, E) if self.clip else (r, E)


class ClipAfterWeighting(Base):
    """Clips the weighted value w * v to [-1, 1] instead of v."""

    def weighted(self, r, E, w, T, P):
        m, E, fin, special = super().weighted(r, E, w, T, P)
        x = np.clip(np.ldexp(m.astype(np.float64), E), -1, 1)
        m2, E2 = np.frexp(x)
        return m2, E2, fin, special


# -- gaps in the input space: weights and non-finite values (CS-SW-*, CS-NAN-*, CS-RED-*) ----------------------
class WeightHook(Base):
    """Applies `fix` to the aligned weights (float64 values, loss shape)."""

    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        out = list(super().prepare(y_true, y_pred, sample_weight, axis, reduction))
        out[3] = self.fix(np.array(out[3], dtype=np.float64))
        return tuple(out)


class NegativeWeightsClipped(WeightHook):
    """Assumes weights are non-negative and clips them at 0."""

    def fix(self, w):
        return np.maximum(w, 0)


class NanToNumWeights(WeightHook):
    """Sanitizes weights with np.nan_to_num: NaN becomes 0 and infinity the largest float64."""

    def fix(self, w):
        return np.nan_to_num(w)


class SubnormalWeightsFlushed(WeightHook):
    def fix(self, w):
        return np.where(np.abs(w) < tiny_normal(self.dtype), 0.0, w)


class InfWeightTimesZeroIsZero(Base):
    """Skips the product where the value is 0 (np.where(v == 0, 0, w * v)): an infinite weight times 0 gives 0."""

    def weighted(self, r, E, w, T, P):
        m, E, fin, special = super().weighted(r, E, w, T, P)
        zero = (r == 0) & ~fin
        return np.where(zero, 0.0, m), np.where(zero, 0, E), fin | zero, special


class ValueRoundedBeforeWeighting(Base):
    """16-bit dtypes: rounds the per-sample value to the dtype before weighting, so a value that underflows
    there times an infinite weight gives NaN instead of an infinity, and finite products are rounded twice."""

    def per_sample(self, T, P):
        r, E = super().per_sample(T, P)
        if self.dtype not in (np.dtype(np.float16), BF16):
            return r, E
        with np.errstate(all="ignore"):
            v = round_to(np.clip(np.ldexp(r, E), -1, 1), self.dtype)
        return v, np.zeros_like(E)

    def exact_sign(self, t, p, r):
        return int(r > 0) - int(r < 0) if np.isfinite(r) else 0


class ZeroWeightMasksNan(Base):
    """np.where(w == 0, 0, w * v): a NaN value weighted by 0 becomes 0."""

    def weighted(self, r, E, w, T, P):
        m, E, fin, special = super().weighted(r, E, w, T, P)
        mask = w == 0
        return np.where(mask, 0.0, m), E, fin, special


class NansumReductions(Base):
    """Reduces with np.nansum, so one NaN sample is dropped from "sum" and "sum_over_batch_size"."""

    def reduce(self, m, E, fin, special, reduction, dtype):
        if reduction == "none":
            return super().reduce(m, E, fin, special, reduction, dtype)
        keep = ~np.isnan(np.where(fin, m, special))
        n = m.size
        out = super().reduce(m[keep], E[keep], fin[keep], special[keep], "sum", dtype)
        return out / n if reduction != "sum" and n else out


class SumInDtype(Base):
    """Rounds each weighted value to the dtype and sums them in the dtype before dividing by N."""

    def reduce(self, m, E, fin, special, reduction, dtype):
        none = super().reduce(m, E, fin, special, "none", dtype)
        if reduction == "none":
            return none
        with np.errstate(all="ignore"):
            total = np.sum(none.astype(dtype), dtype=dtype)
            if reduction != "sum":
                total = total / dtype.type(max(m.size, 1)) if m.size else dtype.type(0)
        return np.float64(total)


class ZeroVectorBeatsNan(Base):
    """Checks for a zero vector first and returns 0, even when the other side holds NaN or infinity."""

    def per_sample(self, T, P):
        r, E = super().per_sample(T, P)
        zero = ~np.any(T, axis=1) | ~np.any(P, axis=1)
        return np.where(zero, 0.0, r), E


class InputsNanToNum(Base):
    """Sanitizes inputs with np.nan_to_num: NaN becomes 0 and infinity the dtype's largest finite number."""

    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        def fix(x):
            x = np.asarray(x)
            return (
                np.nan_to_num(
                    x.astype(np.float64),
                    posinf=float(ml_dtypes.finfo(x.dtype).max),
                    neginf=float(ml_dtypes.finfo(x.dtype).min),
                ).astype(x.dtype)
                if x.dtype in FLOATS
                else x
            )

        return super().prepare(fix(y_true), fix(y_pred), sample_weight, axis, reduction)


class Float64SquaresOverflow(Base):
    """float64 inputs only: forms S = sum(x**2) unscaled, which overflows above 1.3e154 and underflows below."""

    def scale(self, X):
        if X.dtype != np.float64 or self.dtype != np.float64:
            return super().scale(X)
        with np.errstate(all="ignore"):
            S = np.sum(X * X, axis=1)
            clamped = S < 1e-12
            k = np.where(clamped, 1e6, 1 / np.sqrt(np.where(clamped, 1, S)))
        return X, S, np.zeros(X.shape[0], int), clamped, k


class Bfloat16ComputedInFloat16(Base):
    """No bfloat16 kernel: bfloat16 inputs are cast to float16 (range 65504) and computed there."""

    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        out = list(super().prepare(y_true, y_pred, sample_weight, axis, reduction))
        if out[0] == BF16:
            with np.errstate(all="ignore"):
                out[4], out[5] = (round_to(x, np.float16) for x in (out[4], out[5]))
        return tuple(out)


# -- gradients (CS-GRAD-1) -------------------------------------------------------------------------------------
class GradIgnoresWeights(Base):
    def gradient(self, y_true, y_pred, sample_weight, axis, reduction):
        return super().gradient(y_true, y_pred, None, axis, reduction)


class GradDividesByBatch(Base):
    """Divides the gradient by the leading dimension B instead of N (B * T for rank-3 inputs)."""

    def gradient(self, y_true, y_pred, sample_weight, axis, reduction):
        gs = super().gradient(y_true, y_pred, sample_weight, axis, reduction)
        shape = np.shape(y_true)
        n = math.prod(shape) // shape[axis] if shape[axis] else 0
        b = shape[0] if len(shape) > 1 and axis % len(shape) != 0 else n
        if reduction in ("auto", "sum_over_batch_size") and n and b:
            return tuple(round_to(g.astype(np.float64) * (n / b), g.dtype).astype(g.dtype) for g in gs)
        return gs


class GradNoneIsMean(Base):
    """For "none" differentiates the mean of the values instead of their sum."""

    def gradient(self, y_true, y_pred, sample_weight, axis, reduction):
        return super().gradient(
            y_true, y_pred, sample_weight, axis, "sum_over_batch_size" if reduction == "none" else reduction
        )


class GradAlwaysFloat32(Base):
    def gradient(self, y_true, y_pred, sample_weight, axis, reduction):
        return tuple(g.astype(np.float32) for g in super().gradient(y_true, y_pred, sample_weight, axis, reduction))


class GradFlowsThroughMaxBelowEps(Base):
    """Below the epsilon lets the derivative flow to S anyway: projects out the radial part of 10**6 * n(t)."""

    def side_grad(self, A, B):
        M, E = super().side_grad(A, B)
        As, _, ea, ca, ka = self.scale(A)
        Bs, Sb, eb, cb, _ = self.scale(B)
        dots = np.sum(As * Bs, axis=1)
        with np.errstate(all="ignore"):
            proj = As - (dots / Sb)[:, None] * Bs
        bad = cb & (Sb > 0)
        M = np.where(bad[:, None], -(1e6 * ka)[:, None] * proj, M)
        return M, E


class GradZeroAtZeroVector(Base):
    """Returns a zero gradient for a zero y_pred (the norm is 0, "nothing to differentiate")."""

    def side_grad(self, A, B):
        M, E = super().side_grad(A, B)
        return np.where(~np.any(B, axis=1)[:, None], 0.0, M), E


class GradEpsilonOnNorm(Base):
    """The gradient clamps the norm at 1e-12 (S < 1e-24) while the value clamps S at 1e-12."""

    def side_grad(self, A, B):
        M, E = super().side_grad(A, B)
        As, _, ea, ca, ka = self.scale(A)
        Bs, Sb, eb, cb, kb = self.scale(B)
        with np.errstate(over="ignore"):
            mid = cb & ~(Sb < np.ldexp(1e-24, -2 * eb.astype(np.int64)))
        dots = np.sum(As * Bs, axis=1)
        with np.errstate(all="ignore"):
            kb2 = 1 / np.sqrt(Sb)
            proj = As - (dots / Sb)[:, None] * Bs
        Ea = np.where(ca, ea, 0)
        M = np.where(mid[:, None], -(ka * kb2)[:, None] * proj, M)
        return M, np.where(mid, Ea - eb, E)


# -- reductions (CS-RED-*) -------------------------------------------------------------------------------------
class DivisorHook(Base):
    """sum_over_batch_size divides by `divisor(w, T)` instead of N."""

    def value(self, y_true, y_pred, sample_weight, axis, reduction):
        if reduction not in ("auto", "sum_over_batch_size"):
            return super().value(y_true, y_pred, sample_weight, axis, reduction)
        total = super().value(y_true, y_pred, sample_weight, axis, "sum").astype(np.float64)
        dtype, _, _, w, T, _ = self.prepare(y_true, y_pred, sample_weight, axis, reduction)
        with np.errstate(all="ignore"):
            return np.asarray(round_to(total / self.divisor(w, T), dtype)[()], dtype=dtype)


class SobsDividesByNonzeroWeights(DivisorHook):
    """TF1's SUM_BY_NONZERO_WEIGHTS taken for sum_over_batch_size."""

    def divisor(self, w, T):
        return max(int(np.count_nonzero(w)), 1) if w.size else 1


class SobsDividesByWeightSum(DivisorHook):
    """A weighted mean: sum(w * v) / sum(w)."""

    def divisor(self, w, T):
        return float(np.sum(w)) if w.size else 1


class SobsEmptyIsNan(DivisorHook):
    """0 / 0 for an empty loss tensor."""

    def divisor(self, w, T):
        return w.size if w.size else 0.0


class MeanOverAllElements(DivisorHook):
    """Means the elementwise products n(t) * n(p) over every element: divides by N * d."""

    def divisor(self, w, T):
        return max(w.size * T.shape[1], 1) if w.size else 1


# -- shapes, dtypes and weights that do not fit (CS-AX-1, CS-OUT-1, CS-SW-4/5, CS-ERR-2) ------------------------
class Rank1NoneHasShape1(Base):
    """Promotes a rank-1 input to [1, d] (np.atleast_2d) and forgets to squeeze the "none" result."""

    def finish(self, x, dtype, shape):
        out = super().finish(x, dtype, shape)
        return out.reshape(1) if self.red == "none" and shape == () else out


class ReducedResultPythonFloat(Base):
    def finish(self, x, dtype, shape):
        out = super().finish(x, dtype, shape)
        return float(out) if shape == () and self.red != "none" else out


class WeightTrailingOneNotSqueezed(Base):
    """Does not drop a trailing 1 of a weight of rank(loss) + 1: [B, 1] against [B] broadcasts to [B, B]."""

    def value(self, y_true, y_pred, sample_weight, axis, reduction):
        w = None if sample_weight is None else np.asarray(sample_weight)
        loss_rank = np.ndim(y_true) - 1
        if w is None or not (w.ndim == loss_rank + 1 and w.shape[-1] == 1) or loss_rank == 0:
            return super().value(y_true, y_pred, sample_weight, axis, reduction)
        vals = super().value(y_true, y_pred, None, axis, "none").astype(np.float64)
        dtype = np.asarray(y_true).dtype
        prod = round_to(w.astype(np.float64), dtype) * vals
        if reduction == "none":
            return round_to(prod, dtype).astype(dtype)
        total = math.fsum(prod.ravel().tolist())
        return np.asarray(round_to(total / (prod.size if reduction != "sum" else 1), dtype)[()], dtype=dtype)


class WeightStretchesLossShape(Base):
    """Broadcasts the weight and the loss tensor together, so a weight may stretch the loss shape."""

    def value(self, y_true, y_pred, sample_weight, axis, reduction):
        try:
            return super().value(y_true, y_pred, sample_weight, axis, reduction)
        except ValueError as exc:
            if sample_weight is None or "sample_weight" not in str(exc):
                raise
        vals = super().value(y_true, y_pred, None, axis, "none").astype(np.float64)
        dtype = np.asarray(y_true).dtype
        prod = round_to(np.asarray(sample_weight, dtype=np.float64), dtype) * vals
        if reduction == "none":
            return round_to(prod, dtype).astype(dtype)
        total = math.fsum(prod.ravel().tolist())
        return np.asarray(round_to(total / (prod.size if reduction != "sum" else 1), dtype)[()], dtype=dtype)


class AxisWrapsModulo(Base):
    """Normalizes the axis with axis % rank and never range-checks it."""

    def prepare(self, y_true, y_pred, sample_weight, axis, reduction):
        nd = np.ndim(y_true)
        return super().prepare(y_true, y_pred, sample_weight, axis % nd if nd else axis, reduction)

    def value(self, y_true, y_pred, sample_weight, axis, reduction):
        nd = np.ndim(y_true)
        return super().value(y_true, y_pred, sample_weight, axis % nd if nd else axis, reduction)


# (implementation, claim): the claim is the clause the bug violates, or a tuple of the clauses it violates
# where it shows under several (the first must be reported FAILED; the gate must name one of them first)
FRESH_WRONG = [
    (DefaultAxisZero(), "CS-API-1"),
    (DefaultReductionSum(), "CS-API-1"),
    (GradDefaultAxisZero(), "CS-API-1"),
    (GradDefaultReductionSum(), "CS-API-1"),
    (OverwritesYTrue(), "CS-API-4"),
    (BufferReadInCOrder(), "CS-API-4"),
    (NegativeStridesFlipped(), "CS-API-4"),
    (ListWeightCrashes(), "CS-API-4"),
    (IntegerInputsCast(), "CS-ERR-1"),
    (MixedDtypesPromoted(), "CS-ERR-1"),
    (FloatAxisAccepted(), "CS-ERR-2"),
    (ReductionNoneObjectIsNone(), "CS-RED-6"),
    (SameRankBroadcast(), "CS-ERR-1"),
    (WeightsNotRounded(), "CS-SW-6"),
    (WeightDtypePromotesResult(), ("CS-OUT-1", "CS-API-4")),
    (Bf16WeightsViaFloat32(), "CS-SW-6"),
    (FlushSubnormalResults(), "CS-NUM-1"),
    (DenormalsAreZeroInputs(), "CS-VAL-5"),
    (SklearnZeroNormIsOne(), "CS-VAL-5"),
    (ScipyOneMinusCos(), ("CS-VAL-1", "CS-VAL-5")),
    (Float32ThresholdForFloat64(), ("CS-VAL-5", "CS-NUM-1")),
    (EpsilonInDtype(), ("CS-NUM-1", "CS-VAL-5")),
    (AdditiveEpsilon(), ("CS-VAL-5", "CS-VAL-1")),
    (Float16SequentialAccumulation(), ("CS-VAL-1", "CS-VAL-3")),
    (ZeroNormShortcut(), "CS-VAL-5"),
    (ClipOnlyUnweightedNone(), "CS-VAL-2"),
    (ClipAfterWeighting(), ("CS-SW-3", "CS-SW-4")),
    (NegativeWeightsClipped(), ("CS-SW-3", "CS-SW-6")),
    (NanToNumWeights(), ("CS-SW-6", "CS-NAN-2")),
    (SubnormalWeightsFlushed(), ("CS-SW-6", "CS-NUM-1")),
    (InfWeightTimesZeroIsZero(), ("CS-SW-6", "CS-NAN-2")),
    (ValueRoundedBeforeWeighting(), ("CS-SW-6", "CS-SW-3")),
    (ZeroWeightMasksNan(), "CS-NAN-2"),
    (NansumReductions(), "CS-NAN-2"),
    (SumInDtype(), ("CS-RED-3", "CS-RED-2")),
    (ZeroVectorBeatsNan(), "CS-NAN-1"),
    (InputsNanToNum(), "CS-NAN-1"),
    (Float64SquaresOverflow(), ("CS-VAL-6", "CS-VAL-3")),
    (Bfloat16ComputedInFloat16(), ("CS-VAL-6", "CS-VAL-1", "CS-VAL-5", "CS-VAL-3")),
    (GradIgnoresWeights(), "CS-GRAD-1"),
    (GradDividesByBatch(), "CS-GRAD-1"),
    (GradNoneIsMean(), "CS-GRAD-1"),
    (GradAlwaysFloat32(), "CS-GRAD-1"),
    (GradFlowsThroughMaxBelowEps(), "CS-GRAD-1"),
    (GradZeroAtZeroVector(), "CS-GRAD-1"),
    (GradEpsilonOnNorm(), "CS-GRAD-1"),
    (SobsDividesByNonzeroWeights(), "CS-RED-3"),
    (SobsDividesByWeightSum(), ("CS-RED-3", "CS-RED-4")),
    (SobsEmptyIsNan(), ("CS-RED-3", "CS-RED-4")),
    (MeanOverAllElements(), "CS-RED-3"),
    (Rank1NoneHasShape1(), ("CS-RED-1", "CS-OUT-1")),
    (ReducedResultPythonFloat(), "CS-OUT-2"),
    (WeightTrailingOneNotSqueezed(), "CS-SW-4"),
    (WeightStretchesLossShape(), ("CS-SW-5", "CS-SW-4")),
    (AxisWrapsModulo(), "CS-ERR-2"),
]


def snake(name):
    """DefaultAxisZero -> default_axis_zero: the target's name, `tests.catalogue.fresh_wrong:default_axis_zero`."""
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


for _impl, _clause in FRESH_WRONG:
    globals()[snake(type(_impl).__name__)] = _impl
