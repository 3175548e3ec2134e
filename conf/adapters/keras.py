"""The `keras` target: Keras 3's `keras.losses.CosineSimilarity` on the backend KERAS_BACKEND names.

The backend (tensorflow, jax or torch) is chosen before keras is imported: `cosine-spec check keras --backend
jax` sets KERAS_BACKEND, and `keras-jax`, `keras-tensorflow`, `keras-torch` name the same target with its
backend. The adapter's name carries the backend, so each backend has its own expectations file
(`conf/expectations/keras-<backend>.toml`) and its own column in the matrix.

What the adapter does as a user would: it maps "auto" to "sum_over_batch_size" (Keras 3 has no "auto") and
passes every other reduction to Keras unchanged (Keras validates them); it builds the loss with
`dtype=<input dtype>`, so Keras computes in the input dtype instead of casting to float32 (its default), for
every dtype and backend; gradients come from the backend's own autodiff (`tf.GradientTape`, `jax.grad`,
`torch.autograd`). On JAX the loss and its gradient are `jax.jit`-compiled once per (axis, reduction, shape,
dtype), for the reason given in `optax`. Class-level checks: CS-API-1 constructor defaults, CS-API-3 config
round trip (with the Keras 3 reduction names), CS-FIT-1 `compile()` / `fit()` of a tiny model.
"""

from __future__ import annotations

import os
import sys

import numpy as np
from cosine_spec.conf.adapters import class_checks
from cosine_spec.conf.adapters.base import Adapter, ExtraCheck
from cosine_spec.conf.adapters.optax import bound_programs
from cosine_spec.conf.deviations import builtin_expectations
from cosine_spec.conf.errors import TargetError
from cosine_spec.conf.golden_cases import Case

BACKENDS = ("tensorflow", "jax", "torch")
INSTALL = {
    "tensorflow": "pip install 'cosine-spec[tf]'  (Keras 3 ships with TensorFlow)",
    "jax": "pip install 'cosine-spec[tf,jax]'  (Keras 3 ships with TensorFlow; JAX on the CPU)",
    "torch": "pip install 'cosine-spec[tf,torch]'  (Keras 3 ships with TensorFlow; torch 2.13.0 CPU)",
}


def _keras_reduction(reduction):
    return "sum_over_batch_size" if reduction == "auto" else reduction


class KerasAdapter(Adapter):
    has_grad = True

    def __init__(self, keras, backend: str, fw):
        self.keras, self.backend, self.fw = keras, backend, fw
        self.name = f"keras-{backend}"
        self.expectations = builtin_expectations(self.name)
        self._objs: dict = {}
        self._jit: dict = {}
        self._signatures: set = set()

    def _obj(self, axis, reduction, dtype: str):
        key = (type(axis), axis, reduction, dtype)  # axis 1.0 (or True) is not axis 1, though equal as keys
        if key not in self._objs:
            self._objs[key] = self.keras.losses.CosineSimilarity(
                axis=axis, reduction=_keras_reduction(reduction), dtype=dtype
            )
        return self._objs[key]

    def _to(self, a):
        """A backend tensor of the same values and dtype (torch: bfloat16 through its bits)."""
        arr = np.ascontiguousarray(np.asarray(a))
        if self.backend == "torch":
            torch = self.fw
            if arr.dtype.name == "bfloat16":
                return torch.from_numpy(arr.view(np.int16).copy()).view(torch.bfloat16)
            return torch.from_numpy(arr.copy())
        if self.backend == "jax":
            return self.fw.numpy.asarray(arr)
        return self.fw.constant(arr)

    def _np(self, t) -> np.ndarray:
        if self.backend == "torch":
            t = t.detach()
            if t.dtype == self.fw.bfloat16:
                import ml_dtypes

                return t.view(self.fw.int16).numpy().view(ml_dtypes.bfloat16)
            return t.numpy()
        return t.numpy() if self.backend == "tensorflow" else np.asarray(t)

    def _inputs(self, y_true, y_pred, sample_weight):
        yt, yp = np.asarray(y_true), np.asarray(y_pred)
        sw = None if sample_weight is None else self._to(sample_weight)
        return yp.dtype.name, self._to(yt), self._to(yp), sw

    def _fn(self, obj, grad: bool):
        """`obj(yt, yp, sw)` (or its gradient) in the backend; on JAX jitted and kept per loss object."""

        def value(yt, yp, sw):
            out = obj(yt, yp, sw)
            return out.sum() if grad else out

        if self.backend != "jax":
            return value
        key = (id(obj), grad)
        if key not in self._jit:
            jax = self.fw
            self._jit[key] = jax.jit(jax.grad(value, argnums=(0, 1)) if grad else value)
        return self._jit[key]

    def loss(self, y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
        dtype, yt, yp, sw = self._inputs(y_true, y_pred, sample_weight)
        obj = self._obj(axis, reduction, dtype)
        if self.backend == "jax":
            bound_programs(self.fw, self._signatures, (id(obj), False, yt, yp, sw))
        return self._np(self._fn(obj, grad=False)(yt, yp, sw))

    def grad(self, y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
        dtype, yt, yp, sw = self._inputs(y_true, y_pred, sample_weight)
        obj = self._obj(axis, reduction, dtype)
        if self.backend == "jax":
            bound_programs(self.fw, self._signatures, (id(obj), True, yt, yp, sw))
            return tuple(self._np(g) for g in self._fn(obj, grad=True)(yt, yp, sw))
        if self.backend == "torch":
            yt, yp = yt.requires_grad_(True), yp.requires_grad_(True)
            gs = self.fw.autograd.grad(obj(yt, yp, sw).sum(), (yt, yp), allow_unused=True)
        else:
            tf = self.fw
            with tf.GradientTape() as tape:
                tape.watch([yt, yp])
                value = tf.reduce_sum(obj(yt, yp, sw))
            gs = tape.gradient(value, [yt, yp])
        return tuple(
            np.zeros_like(np.asarray(x)) if g is None else self._np(g)
            for g, x in zip(gs, (y_true, y_pred), strict=True)
        )

    def extra_checks(self) -> list[ExtraCheck]:
        keras, p = self.keras, self.name
        return [
            ExtraCheck(
                f"{p}-api-1-constructor-defaults",
                ("CS-API-1",),
                lambda: class_checks.api_defaults(keras.losses.CosineSimilarity),
            ),
            ExtraCheck(f"{p}-api-3-config-round-trip", ("CS-API-3",), lambda: _config_round_trip(self)),
            ExtraCheck(f"{p}-fit-1-compile-fit", ("CS-FIT-1",), lambda: _fit_trains(keras)),
        ]

    def repro(self, case: Case, grad: bool = False) -> str:
        return f"cosine-spec check keras --backend {self.backend} --cases '{case.id}'"


def _config_round_trip(adapter: KerasAdapter) -> None:
    """CS-API-3 with Keras 3's reduction names ("auto" has none: CS-API-1 and CS-RED-4 judge that)."""
    cls = adapter.keras.losses.CosineSimilarity
    for axis, reduction in ((1, "sum"), (-1, "none"), (2, "sum_over_batch_size"), (0, "sum_over_batch_size")):
        loss = cls(axis=axis, reduction=reduction, name="cs_check")
        cfg = loss.get_config()
        held = {k: cfg.get(k, "<missing>") for k in ("axis", "reduction", "name")}
        if held != {"axis": axis, "reduction": reduction, "name": "cs_check"}:
            raise AssertionError(f"get_config() of CosineSimilarity(axis={axis}, reduction={reduction!r}) holds {held}")
        a = adapter._np(loss(adapter._to(class_checks.X), adapter._to(class_checks.Y)))
        b = adapter._np(cls.from_config(cfg)(adapter._to(class_checks.X), adapter._to(class_checks.Y)))
        if not np.array_equal(a, b):
            raise AssertionError(f"from_config(get_config()) gives {b!r}, the original {a!r} (axis={axis})")


def _fit_trains(keras) -> None:
    """CS-FIT-1: a linear model compiled with the loss trains with finite losses in [-1, 1] that do not rise."""
    rng = np.random.default_rng(20240)
    keras.utils.set_random_seed(7)
    x = rng.standard_normal((32, 4)).astype(np.float32)
    y = x @ rng.standard_normal((4, 3)).astype(np.float32)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss=keras.losses.CosineSimilarity(axis=1))
    hist = model.fit(x, y, epochs=3, batch_size=8, verbose=0).history["loss"]
    if not (len(hist) == 3 and all(np.isfinite(hist)) and all(-1.0 <= h <= 1.0 for h in hist)):
        raise AssertionError(f"fit() losses {hist}: expected 3 finite values in [-1, 1]")
    if hist[-1] > hist[0]:
        raise AssertionError(f"fit() loss rose from {hist[0]} to {hist[-1]} on a linear problem")


def _import_backend(backend: str):
    if backend == "jax":
        from cosine_spec.conf.adapters.optax import import_jax

        return import_jax()
    if backend == "torch":
        import torch

        torch.set_num_threads(1)
        return torch
    from cosine_spec.conf.adapters.tf_keras import _quiet_native_stderr

    with _quiet_native_stderr():
        import tensorflow as tf

        tf.constant(0.0).numpy()
    return tf


def load(backend: str | None = None) -> KerasAdapter:
    """Keras 3 on `backend` (default: KERAS_BACKEND, else tensorflow), or TargetError saying what to do."""
    backend = backend or os.environ.get("KERAS_BACKEND") or "tensorflow"
    if backend not in BACKENDS:
        raise TargetError(
            f"Got Keras backend {backend!r}; the backends are {', '.join(BACKENDS)} (--backend or KERAS_BACKEND)."
        )
    if "keras" in sys.modules and os.environ.get("KERAS_BACKEND", "tensorflow") != backend:
        raise TargetError(
            f"keras is already imported with backend {os.environ.get('KERAS_BACKEND', 'tensorflow')}"
            f"; run the {backend} check in a fresh process (`cosine-spec check keras --backend "
            f"{backend}`)."
        )
    os.environ["KERAS_BACKEND"] = backend
    try:
        fw = _import_backend(backend)
        import keras
    except ImportError as exc:
        raise TargetError(f"target 'keras' on {backend} needs {exc.name or exc}: {INSTALL[backend]}") from exc
    if not keras.__version__.startswith("3.") or keras.backend.backend() != backend:
        raise TargetError(
            f"target 'keras' needs Keras 3 on {backend}; found keras {keras.__version__} on "
            f"{keras.backend.backend()}: {INSTALL[backend]}"
        )
    return KerasAdapter(keras, backend, fw)
