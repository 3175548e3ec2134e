"""Absolute error bounds per value and per gradient component, from `tolerances.toml`.

The formulas and their derivation are written down in `conf/TOLERANCES.md`. Everything here is float64
numpy on inputs scaled by powers of two (exact), so no intermediate overflows or underflows whatever
the magnitude of the inputs; the clamp decision (squared norm < epsilon) is made on the unscaled value.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import ml_dtypes
import numpy as np
from cosine_spec.conf.golden_cases import DTYPES, Case
from cosine_spec.spec import shapes as spec_shapes


@dataclass(frozen=True)
class Policy:
    safety: float
    k_value: int
    k_grad: int
    gamma_cap: float
    underflow_ops: int
    epsilon: float
    unit_roundoff: dict[str, float]
    k_elem: int
    accumulation: dict[str, str]
    relations: dict  # the [relations] table: which cases get relation probes and their bounds' constants

    def gamma(self, n, dtype: str):
        """Higham's gamma(n) = n u / (1 - n u) in the accumulation format of `dtype`, 2 n u beyond gamma_cap."""
        nu = np.asarray(n, dtype=np.float64) * self.unit_roundoff[self.accumulation[dtype]]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(nu < self.gamma_cap, nu / (1.0 - np.minimum(nu, self.gamma_cap)), 2.0 * nu)

    def underflow(self, dtype: str) -> float:
        """underflow_ops times the smallest positive subnormal of `dtype`."""
        return self.underflow_ops * float(ml_dtypes.finfo(DTYPES[dtype]).smallest_subnormal)


@cache
def policy() -> Policy:
    """The tolerance policy of `conf/tolerances.toml`."""
    with (resources.files("cosine_spec.conf") / "tolerances.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    return Policy(
        safety=float(raw["safety"]),
        k_value=int(raw["k_value"]),
        k_grad=int(raw["k_grad"]),
        gamma_cap=float(raw["gamma_cap"]),
        underflow_ops=int(raw["underflow_ops"]),
        epsilon=float(raw["epsilon"]),
        unit_roundoff={k: float.fromhex(v) for k, v in raw["unit_roundoff"].items()},
        k_elem=int(raw["k_elem"]),
        accumulation=dict(raw["accumulation"]),
        relations=dict(raw["relations"]),
    )


def identity_bound(d, dtype: str) -> np.ndarray:
    """|computed + 1| for identical vectors of length d (|computed - 1| for opposite ones): TOLERANCES.md."""
    pol = policy()
    k = int(pol.relations["k_identity"])
    return pol.safety * (pol.gamma(2 * np.asarray(d) + k, dtype) + (2 * pol.k_elem + 1) * pol.unit_roundoff[dtype])


def ulp(x: np.ndarray, dtype: str) -> np.ndarray:
    """Spacing of `dtype` at |x|: 2^(max(e, emin) - mantissa bits), e = floor(log2|x|).

    For x = 0 (and subnormals) this is the ulp of the smallest normal, i.e. the smallest subnormal.
    """
    fi = ml_dtypes.finfo(DTYPES[dtype])
    x = np.abs(np.asarray(x, dtype=np.float64))
    _, e = np.frexp(x)
    e = np.where(x > 0, e - 1, fi.minexp)
    return np.ldexp(1.0, np.maximum(e, fi.minexp) - fi.nmant)


def align_weights(w: np.ndarray | None, loss_shape: tuple[int, ...]) -> np.ndarray:
    """Sample weights aligned to the loss tensor by the spec's own rule (CS-SW-1..4), as float64."""
    if w is None:
        return np.ones(())
    w = np.asarray(w, dtype=np.float64)
    return w.reshape(spec_shapes.align_weights(w.shape, tuple(loss_shape)))


def loss_shape(case: Case) -> tuple[int, ...]:
    """The loss tensor's shape of a case whose inputs fit (CS-AX-1): the inputs' shape without `axis`."""
    shape = np.broadcast_shapes(case.y_true.shape, case.y_pred.shape)
    ax = case.axis % len(shape)
    return tuple(n for i, n in enumerate(shape) if i != ax)


def reduce_to(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `a` over the axes along which `shape` was broadcast up to `a.shape`."""
    lead = a.ndim - len(shape)
    a = a.sum(axis=tuple(range(lead))) if lead > 0 else a
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and a.shape[i] != 1)
    return a.sum(axis=axes, keepdims=True) if axes else a


class _Samples:
    """Per-sample quantities of a case in float64, vectors scaled by powers of two (axis moved last)."""

    def __init__(self, case: Case):
        eps = policy().epsilon
        t, p = (np.asarray(a, dtype=np.float64) for a in (case.y_true, case.y_pred))
        if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
            t = t[..., 0]
        elif p.ndim == t.ndim + 1 and p.shape[-1] == 1:
            p = p[..., 0]
        t, p = np.broadcast_arrays(t, p)
        self.axis = case.axis % t.ndim
        self.t, self.p = np.moveaxis(t, self.axis, -1), np.moveaxis(p, self.axis, -1)
        self.d = self.t.shape[-1]
        with np.errstate(all="ignore"):
            self.ts, self.et, self.nm, self.ne = {}, {}, {}, {}
            for key, x in (("t", self.t), ("p", self.p)):
                _, e = np.frexp(np.max(np.abs(x), axis=-1, initial=0.0))
                xs = np.ldexp(x, -e[..., None])
                sq = np.sum(xs * xs, axis=-1)
                clamped = np.ldexp(sq, 2 * e) < eps
                self.ts[key], self.et[key] = xs, e
                self.nm[key] = np.where(clamped, np.sqrt(eps), np.sqrt(sq))
                self.ne[key] = np.where(clamped, 0, e)
            shift = self.et["t"] + self.et["p"] - self.ne["t"] - self.ne["p"]
            denom = self.nm["t"] * self.nm["p"]
            self.sabs = np.sum(np.abs(self.ts["t"] * self.ts["p"]), axis=-1)
            self.rho = np.ldexp(self.sabs / denom, shift)
            self.value = -np.ldexp(np.sum(self.ts["t"] * self.ts["p"], axis=-1) / denom, shift)
            self.under = self._underflow(case.dtype)

    def _underflow(self, dtype: str) -> np.ndarray:
        """Gradual underflow per sample (TOLERANCES.md): each operation whose result is subnormal errs by at
        most half a smallest subnormal. The elementwise operations in the dtype and the final rounding: eta of
        the dtype, not amplified (|n(x)_i| <= 1). A product t_i p_i that is subnormal in the accumulation
        format: its eta is divided by nt np afterwards (dot-then-divide), up to 1e12."""
        pol = policy()
        acc = pol.accumulation[dtype]
        prod = np.abs(self.ts["t"] * self.ts["p"])
        e = (self.et["t"] + self.et["p"])[..., None]
        tiny = float(ml_dtypes.finfo(DTYPES[acc]).smallest_normal)
        sub = np.any((prod > 0) & (np.ldexp(prod, e) < tiny), axis=-1)
        inv = np.ldexp(1.0 / (self.nm["t"] * self.nm["p"]), -(self.ne["t"] + self.ne["p"]))  # 1 / (nt np)
        return pol.underflow(dtype) * (1 + self.d) + pol.underflow(acc) * self.d * np.where(sub, inv, 0.0)

    @property
    def loss_shape(self) -> tuple[int, ...]:
        return self.rho.shape


def _weights(case: Case, s: _Samples) -> tuple[np.ndarray, int, int]:
    """|weights| / 2**k broadcast with the loss, M = number of elements of the weighted loss, and k.

    The weights are scaled by a power of two (exact) so that sums of weighted values cannot overflow
    float64 even for weights near its largest value; callers multiply the bound back by 2**k.
    """
    w = np.abs(align_weights(case.sample_weight, s.loss_shape))
    finite = w[np.isfinite(w)]
    k = int(np.frexp(np.max(finite, initial=0.0))[1])
    full = np.broadcast_shapes(w.shape, s.loss_shape)
    return np.broadcast_to(np.ldexp(w, -k), full), int(np.prod(full)), k


def value_tolerance(case: Case) -> np.ndarray:
    """Absolute tolerance for each element of `case.expected` (same shape): relative where nothing cancels.

    Per sample: the sums' term (relative to sum|t_i p_i|, the only place cancellation can happen), the final
    rounding relative to the exact value, and gradual underflow (absolute, in smallest subnormals, amplified by
    what follows the underflowing operation). No absolute floor: a small result is judged relatively.
    """
    pol, u = policy(), policy().unit_roundoff[case.dtype]
    s = _Samples(case)
    eta = pol.underflow(case.dtype)
    with np.errstate(all="ignore"):
        b0 = (pol.gamma(s.d + pol.k_value, case.dtype) + pol.k_elem * u) * s.rho + u * np.abs(s.value) + s.under
        w, m, k = _weights(case, s)
        wb, wv = w * b0, w * np.abs(s.value)
        if case.reduction == "none":
            tol, ops = wb + u * wv, 1  # the weight multiply may underflow
        elif m == 0:
            tol, ops = np.zeros(()), 0
        else:
            tol, ops = np.sum(wb) + (pol.gamma(m + 1, case.dtype) + u) * np.sum(wv), m
            if case.reduction != "sum":
                tol, ops = tol / m + u * abs(np.sum(w * s.value)) / m, 2  # the m multiplies / m, the division
        tol = np.ldexp(np.asarray(tol, dtype=np.float64), k)  # undo the weights' scaling
        tol = pol.safety * (tol + ops * eta * (case.sample_weight is not None or case.reduction != "none"))
    shape = case.expected.shape if case.expected is not None else tol.shape
    try:
        return np.broadcast_to(tol, shape)
    except ValueError:  # the spec's weight rule and the expected shape disagree: stay conservative
        return np.full(shape, np.max(tol, initial=0.0))


def grad_tolerance(case: Case, grad: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Absolute tolerances for one alternative `(d_y_true, d_y_pred)` of the case's gradients."""
    pol, u = policy(), policy().unit_roundoff[case.dtype]
    s = _Samples(case)
    with np.errstate(all="ignore"):
        w, m, k = _weights(case, s)
        coef = reduce_to(w, s.loss_shape)
        coef = np.broadcast_to(coef, s.loss_shape) / (m if case.reduction not in ("none", "sum") and m else 1)
        coef = np.ldexp(coef, k)  # the true |w| / N (may overflow to inf only if the gradient does)
        g = pol.gamma(s.d + pol.k_grad, case.dtype) + pol.k_elem * u
        r = {key: np.ldexp(1.0 / s.nm[key], -s.ne[key]) for key in ("t", "p")}  # 1 / max(norm, 1e-6)
        out = []
        for own, other, exp in (("t", "p", grad[0]), ("p", "t", grad[1])):
            # d loss / d own_j = -c (other_j / (n_own n_other) - S_tp own_j / (n_own^3 n_other))
            base = s.et[other] - s.ne[own] - s.ne[other]
            first = np.ldexp(np.abs(s.ts[other]) / (s.nm[own] * s.nm[other])[..., None], base[..., None])
            shift2 = s.et["t"] + s.et["p"] + s.et[own] - 3 * s.ne[own] - s.ne[other]
            second = np.ldexp(
                (s.sabs / (s.nm[own] ** 3 * s.nm[other]))[..., None] * np.abs(s.ts[own]), shift2[..., None]
            )
            # Underflow: an absolute error eta in a normalized vector or in w / N is amplified by the
            # factors applied after it, 1 / n_own and 1 / n_other (up to 1e6 each) or the gradient itself.
            amplify = 1.0 + (coef * (r[own] + r[other]))[..., None] + first + second
            bound = np.moveaxis(
                coef[..., None] * (first + second) * g + amplify * pol.underflow(case.dtype), -1, s.axis
            )
            full = np.asarray(exp, dtype=np.float64)
            bound = reduce_to(bound, full.shape) if bound.shape != full.shape else bound
            out.append(pol.safety * (np.broadcast_to(bound, full.shape) + u * np.abs(full)))
    return out[0], out[1]
