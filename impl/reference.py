"""The cosine similarity loss as spec/cosine_similarity.md says it, clause by clause, in textbook float64 numpy."""

import enum
import operator

import ml_dtypes
import numpy as np

BF16 = np.dtype(ml_dtypes.bfloat16)
FLOAT_DTYPES = (np.dtype(np.float16), BF16, np.dtype(np.float32), np.dtype(np.float64))
ALLOWED = "float16, bfloat16 (ml_dtypes.bfloat16), float32 or float64"


class CosineSimilarityError(ValueError):
    """An argument the spec rejects (CS-ERR-1, CS-ERR-2, CS-RED-6, CS-SW-5): a ``ValueError``, as documented."""


class Reduction(enum.StrEnum):
    """How per-sample losses are combined; members are their strings (``Reduction.SUM == "sum"``)."""

    AUTO = "auto"  # CS-RED-4: SUM_OVER_BATCH_SIZE (there is no distribution strategy here)
    NONE = "none"  # CS-RED-1: the weighted per-sample losses
    SUM = "sum"  # CS-RED-2: their sum
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"  # CS-RED-3: the sum over the number of losses

    @classmethod
    def _missing_(cls, value):  # Reduction(x) accepts a member or its exact lowercase string (CS-RED-6)
        allowed = ", ".join(repr(r.value) for r in cls)
        raise CosineSimilarityError(f"Got reduction={value!r}; allowed: {allowed} (or members, e.g. Reduction.SUM).")


def _to_odd(near: np.ndarray, exact_is_smaller, inexact) -> np.ndarray:  # from a nearest rounding, see round_to
    toward_zero = np.where(exact_is_smaller, np.nextafter(near, near.dtype.type(0)), near)
    bits = {4: np.uint32, 8: np.uint64}[near.dtype.itemsize]
    return np.where(inexact, (toward_zero.view(bits) | bits(1)).view(near.dtype), near)


def round_to(a, dtype: np.dtype) -> np.ndarray:
    """Real data rounded once to ``dtype``, half-even, overflow to inf (CS-NUM-1, CS-SW-6). ml_dtypes's bfloat16
    (via float32) and integers beyond 2**53 (via float64) would round twice: round to odd in between first."""
    a = np.asarray(a)
    x = a.astype(np.float64)
    if a.dtype.kind in "iu" and dtype != np.float64 and a.size and np.abs(x).max() > 2**53:
        diff = np.array([abs(int(f)) - abs(v) for f, v in zip(x.ravel().tolist(), a.ravel().tolist(), strict=True)])
        x = _to_odd(x, diff.reshape(a.shape) > 0, diff.reshape(a.shape) != 0)
    with np.errstate(over="ignore"):
        if dtype != BF16:
            return x.astype(dtype)
        near = x.astype(np.float32)
    wide = near.astype(np.float64)
    return _to_odd(near, np.abs(wide) > np.abs(x), (wide != x) & np.isfinite(x)).astype(BF16)


def _real_array(x, name: str) -> np.ndarray:
    try:
        a = np.asarray(x)
    except ValueError as exc:  # ragged nested lists
        raise CosineSimilarityError(f"Got {name} that is not a rectangular array of numbers ({exc}).") from None
    if a.dtype.kind not in "iuf" and a.dtype not in FLOAT_DTYPES:
        raise CosineSimilarityError(f"Got {name} holding {a.dtype} data ({repr(x)[:60]}); pass real numbers.")
    return a


def read_inputs(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Arrays of one float dtype and shape, rank >= 1 (CS-SHAPE-1, CS-ERR-1); lists take the other's dtype or float32"""
    given = {"y_true": y_true, "y_pred": y_pred}
    arrays = {name: np.asarray(y) for name, y in given.items() if hasattr(y, "dtype")}
    for name, a in arrays.items():
        if a.dtype not in FLOAT_DTYPES:
            raise CosineSimilarityError(
                f"Got {name} of dtype {a.dtype}; allowed: {ALLOWED}. Cast it: .astype(np.float32)."
            )
    dtype = next((a.dtype for a in arrays.values()), np.dtype(np.float32))
    for name in given.keys() - arrays.keys():
        arrays[name] = round_to(_real_array(given[name], name), dtype)
    t, p = arrays["y_true"], arrays["y_pred"]
    if t.dtype != p.dtype:  # two arrays (Python data take the other's dtype)
        raise CosineSimilarityError(
            f"Got y_true of dtype {t.dtype} and y_pred of dtype {p.dtype}; cast one: y_true.astype(y_pred.dtype)."
        )
    if t.shape != p.shape:
        raise CosineSimilarityError(
            f"Got y_true of shape {t.shape} and y_pred of shape {p.shape}; must be equal (no broadcast): reshape one."
        )
    if t.ndim == 0:
        raise CosineSimilarityError(
            "Got y_true and y_pred of shape () (scalars); the loss needs rank >= 1: np.atleast_1d(y)."
        )
    return t, p


def read_axis(axis, ndim: int | None = None) -> int:
    """``axis`` as an int (CS-API-1), given the rank ``ndim`` as an index in [0, ndim) (CS-AX-1, CS-ERR-2)."""
    if isinstance(axis, bool | np.bool_) or not hasattr(axis, "__index__"):
        raise CosineSimilarityError(f"Got axis={axis!r}, but axis must be an integer, e.g. axis=-1.")
    a = operator.index(axis)
    if ndim is not None and not -ndim <= a < ndim:
        raise CosineSimilarityError(
            f"Got axis={a} for inputs of rank {ndim}; allowed: [{-ndim}, {ndim - 1}] (negative from the end)."
        )
    return a if ndim is None else a % ndim


def read_sample_weight(sample_weight, loss_shape: tuple, dtype: np.dtype) -> np.ndarray:
    """Weights rounded to ``dtype`` (CS-SW-6): None is 1 (CS-SW-1), a scalar scales all (CS-SW-2), a lower rank
    aligns with the LEADING axes (CS-SW-3), a trailing 1 is dropped, then broadcasting (CS-SW-4) or CS-SW-5."""
    w = round_to(_real_array(1 if sample_weight is None else sample_weight, "sample_weight"), dtype)
    shape, rank = w.shape, len(loss_shape)
    if w.ndim == rank + 1 and shape[-1] == 1:
        w = w.reshape(shape[:-1])
    elif 1 <= w.ndim < rank:
        w = w.reshape(shape + (1,) * (rank - w.ndim))
    if w.ndim > rank or any(n not in (1, m) for n, m in zip(w.shape[::-1], loss_shape[::-1], strict=False)):
        raise CosineSimilarityError(
            f"Got sample_weight of shape {shape} for losses of shape {tuple(loss_shape)}; allowed: a scalar, "
            "[batch], the loss shape, or a shape that broadcasts to it (optionally with a trailing 1)."
        )
    return np.broadcast_to(w, loss_shape)


def _scaled(x: np.ndarray):
    """Rows scaled by 2**-e, e the exponent of their largest magnitude (exact: no sum overflows or underflows,
    CS-VAL-6), e, the scaled S and the clamp S < 1e-12, decided on the unscaled S (Notation, CS-VAL-5)."""
    e = np.frexp(np.max(np.abs(x), axis=-1, initial=0.0))[1]
    xs = x * np.ldexp(1.0, -(e // 2))[:, None] * np.ldexp(1.0, e // 2 - e)[:, None]  # two factors stay in range
    s = np.einsum("ij,ij->i", xs, xs)
    return xs, e, s, np.ldexp(s, 2 * e) < 1e-12


def _compute(y_true, y_pred, sample_weight, axis, reduction, want_grad: bool):
    t, p = read_inputs(y_true, y_pred)
    ax, red = read_axis(axis, t.ndim), Reduction(reduction)
    loss_shape = t.shape[:ax] + t.shape[ax + 1 :]  # CS-AX-1
    w = read_sample_weight(sample_weight, loss_shape, t.dtype).astype(np.float64).reshape(-1)
    rows = [np.moveaxis(x, ax, -1).astype(np.float64).reshape(w.size, t.shape[ax]) for x in (t, p)]
    divisor = max(w.size, 1) if red in (Reduction.AUTO, Reduction.SUM_OVER_BATCH_SIZE) else 1  # CS-RED-3, 4: N
    with np.errstate(all="ignore"):
        (ts, et, st, ct), (ps, ep, sp, cp) = _scaled(rows[0]), _scaled(rows[1])
        m = np.where(ct, 1e6, 1.0) * np.where(cp, 1e6, 1.0)  # a clamped row is scaled: n(x) = 10**6 x (CS-VAL-5)
        q = np.sqrt(np.where(ct, 1.0, st) * np.where(cp, 1.0, sp))  # the other rows' sqrt(S(t) S(p)), scaled
        c = np.ldexp(np.einsum("ij,ij->i", ts, ps) * m / q, np.where(ct, et, 0) + np.where(cp, ep, 0))  # CS-VAL-1
        c = np.where(np.isfinite(st) & np.isfinite(sp), c, np.nan)  # CS-NAN-1
        v = -np.clip(c, -1.0, 1.0)  # CS-VAL-1, CS-VAL-2
        if red is Reduction.NONE:  # CS-RED-1
            value = round_to(w * v, t.dtype).reshape(loss_shape)
        else:  # CS-RED-2, with the weights scaled by a power of two so no partial sum overflows early
            k = np.frexp(np.max(np.abs(w[np.isfinite(w)]), initial=0.0))[1]
            value = round_to(np.ldexp(np.sum(np.ldexp(w, -k) * v) / divisor, k), t.dtype)  # 0 when N = 0
        if not want_grad:
            return value, None
        # CS-GRAD-1: L = -sum(w c) / N; dc/dp = (n(t) - [S(p) >= 1e-12] c n(p)) / sqrt(max(S(p), 1e-12)), the
        # clip counted as the identity; w = wm * 2**wq and 1 / sqrt(..) = u * 2**-k keep every factor in range.
        ut, up = (np.where(cl, 1e6, 1 / np.sqrt(sx)) for cl, sx in ((ct, st), (cp, sp)))
        kt, kp = np.where(ct, 0, et), np.where(cp, 0, ep)  # 1 / sqrt(max(S, 1e-12)) = u * 2**-k
        nt, np_ = np.ldexp(ts * ut[:, None], (et - kt)[:, None]), np.ldexp(ps * up[:, None], (ep - kp)[:, None])
        (wm, wq), c = np.frexp(w), c[:, None]
        g_t = np.ldexp((-wm / divisor * ut)[:, None] * (np_ - np.where(ct[:, None], 0.0, c * nt)), (wq - kt)[:, None])
        g_p = np.ldexp((-wm / divisor * up)[:, None] * (nt - np.where(cp[:, None], 0.0, c * np_)), (wq - kp)[:, None])
    grads = (np.moveaxis(g.reshape(*loss_shape, t.shape[ax]), -1, ax) for g in (g_t, g_p))
    return value, tuple(round_to(g, t.dtype) for g in grads)


def loss(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size") -> np.ndarray:
    """The weighted, reduced loss (CS-API-2) in the inputs' dtype: a 0-d array, the loss tensor for "none"."""
    return _compute(y_true, y_pred, sample_weight, axis, reduction, want_grad=False)[0]


def grad(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
    """``(d_y_true, d_y_pred)``, the gradient of ``loss`` (of the sum of the losses for "none"); CS-GRAD-1."""
    return _compute(y_true, y_pred, sample_weight, axis, reduction, want_grad=True)[1]


def value_and_grad(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
    """``(loss(...), grad(...))`` from one pass: what a training step needs."""
    return _compute(y_true, y_pred, sample_weight, axis, reduction, want_grad=True)


loss.grad, loss.value_and_grad = grad, value_and_grad  # type: ignore[attr-defined]


class CosineSimilarity:
    """``CosineSimilarity(axis=-1, reduction=Reduction.AUTO, name="cosine_similarity")``: CS-API-1, CS-RED-6."""

    function = staticmethod(loss)  # the functional form it calls (the fast implementation swaps its own in)

    def __init__(self, axis=-1, reduction=Reduction.AUTO, name="cosine_similarity"):
        self.axis, self.reduction, self.name = read_axis(axis), Reduction(reduction), name

    def __call__(self, y_true, y_pred, sample_weight=None):
        return self.function(y_true, y_pred, sample_weight, axis=self.axis, reduction=self.reduction)

    def get_config(self) -> dict:
        """``{"axis": .., "reduction": .., "name": ..}``, the reduction as its string (CS-API-3)."""
        return {"axis": self.axis, "reduction": self.reduction.value, "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> "CosineSimilarity":
        """The loss whose ``get_config()`` gave ``config`` (CS-API-3)."""
        return cls(**config)
