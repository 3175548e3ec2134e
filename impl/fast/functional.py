"""The functional API of the fast implementation: ``loss(y_true, y_pred, sample_weight=None, *, axis=-1,
reduction=...)``, ``loss.grad(...)`` and ``loss.value_and_grad(...)``, the target contract of the conformance
harness. The arguments are read and checked by the readable implementation's own functions (one set of
rules and error messages); the arithmetic is double-double where float64 needs it.
"""

import numpy as np

from ..reference import Reduction, read_axis, read_inputs, read_sample_weight
from .cosines import Rows
from .weighted_sums import reduce


def _prepare(y_true, y_pred, sample_weight, axis, reduction):
    t, p = read_inputs(y_true, y_pred)
    ax = read_axis(axis, t.ndim)
    red = Reduction(reduction)
    if red is Reduction.AUTO:  # CS-RED-4: no distribution strategy here
        red = Reduction.SUM_OVER_BATCH_SIZE
    loss_shape = t.shape[:ax] + t.shape[ax + 1 :]
    w = read_sample_weight(sample_weight, loss_shape, t.dtype).astype(np.float64).reshape(-1)
    rows = (w.size, t.shape[ax])
    rows_t = np.moveaxis(t, ax, -1).reshape(rows)
    rows_p = np.moveaxis(p, ax, -1).reshape(rows)
    return t, ax, red, loss_shape, w, rows_t, rows_p


def _value(t, red, loss_shape, w, rows: Rows) -> np.ndarray:
    return reduce(rows.c_hi, rows.c_lo, w, red, t.dtype).reshape(loss_shape if red is Reduction.NONE else ())


def _grad(t, ax, red, w, rows: Rows):
    divisor = w.size if red is Reduction.SUM_OVER_BATCH_SIZE else 1
    g_t, g_p = rows.gradients(w, divisor)
    moved = t.shape[:ax] + t.shape[ax + 1 :] + (t.shape[ax],)
    return np.moveaxis(g_t.reshape(moved), -1, ax), np.moveaxis(g_p.reshape(moved), -1, ax)


def loss(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size") -> np.ndarray:
    """The cosine similarity loss (CS-API-2, CS-VAL-1 .. CS-VAL-6, CS-AX-1, CS-RED-1 .. CS-RED-4, CS-SW-1 ..
    CS-SW-5, CS-OUT-1, CS-NAN-1). A 0-d array unless ``reduction`` is "none", in the inputs' dtype."""
    t, _, red, loss_shape, w, rows_t, rows_p = _prepare(y_true, y_pred, sample_weight, axis, reduction)
    return _value(t, red, loss_shape, w, Rows(rows_t, rows_p))


def grad(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
    """``(d_y_true, d_y_pred)``: the gradient of the reduced loss (of the sum of the losses for "none"),
    in the inputs' dtype and shape (CS-GRAD-1). The clip to [-1, 1] counts as the identity; through the
    clamp ``max(S, 1e-12)`` the gradient flows to ``S`` only where ``S >= 1e-12``."""
    t, ax, red, _, w, rows_t, rows_p = _prepare(y_true, y_pred, sample_weight, axis, reduction)
    return _grad(t, ax, red, w, Rows(rows_t, rows_p))


def value_and_grad(y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
    """``(loss(...), grad(...))`` from one pass over the sums: what a training step needs."""
    t, ax, red, loss_shape, w, rows_t, rows_p = _prepare(y_true, y_pred, sample_weight, axis, reduction)
    rows = Rows(rows_t, rows_p)
    return _value(t, red, loss_shape, w, rows), _grad(t, ax, red, w, rows)


loss.grad, loss.value_and_grad = grad, value_and_grad  # type: ignore[attr-defined]
