"""The `optax` target: `optax.losses.cosine_similarity` with the spec's epsilon, gradients by `jax.grad`.

The per-sample value is `-optax.losses.cosine_similarity(y_pred, y_true, epsilon=1e-12, axis=axis)`: optax's
epsilon floors the squared norm, as the spec's does (CS-VAL-5); optax's default 0 gives NaN at a zero vector.
`jax_enable_x64` is switched on so that float64 inputs are computed in float64 (JAX's default turns them into
float32), and JAX runs on the CPU. Weights and reductions are the wrapper's (`wrapper`), in `jax.numpy`.

Compiled, not op by op: the loss and its gradient are one `jax.jit` function per (axis, reduction) (`with_grad`),
which JAX compiles once per input shape and dtype and reuses for every case of that signature. Op by op (eager
JAX) compiles every primitive for every new shape as well, then dispatches each one on its own: on 100 random
cases it took 244 s and 3.4 GB against 162 s and 0.9 GB jitted, before the joint compile and the optimization
level below. Set COSINE_SPEC_JAX_EAGER=1 to run op by op (to compare, or to rule out a compiler effect).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from cosine_spec.conf.adapters import wrapper
from cosine_spec.conf.adapters.base import Adapter, literal_args
from cosine_spec.conf.deviations import builtin_expectations
from cosine_spec.conf.errors import TargetError
from cosine_spec.conf.golden_cases import Case

INSTALL = "pip install 'cosine-spec[jax]'  (jax, jaxlib and optax, CPU)"
EPSILON = 1e-12  # the spec's floor on the squared norm (CS-VAL-5)
# Compiled programs kept in memory at once: the full tier compiles about 2,000, and holding them all took the
# worker past 5 GB and into "LLVM compilation error: Cannot allocate memory" (a SIGSEGV) under the 16 GiB limit.
MAX_PROGRAMS = 256


def import_jax():
    """JAX on the CPU with float64 enabled, or TargetError saying how to install it."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    # Every golden case has its own shape, so compiling is nearly all of the run time; LLVM's optimization
    # passes (level 0 here) cost most of it and do not change results (XLA's CPU backend does not reassociate
    # floating point without fast math, which is off). A user's own XLA_FLAGS are kept.
    os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")
    try:
        import jax
    except ImportError as exc:
        raise TargetError(f"this target needs JAX ({exc.name or exc} is not installed): {INSTALL}") from exc
    jax.config.update("jax_enable_x64", True)
    cache = os.environ.get("COSINE_SPEC_JAX_CACHE", str(Path.home() / ".cache" / "cosine-spec" / "jax"))
    if cache and cache != "0":  # compiled programs kept across runs (keyed by XLA on the program and its flags)
        jax.config.update("jax_compilation_cache_dir", cache)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return jax


def bound_programs(jax, seen: set, call: tuple) -> None:
    """Each new signature of a jitted call (its static arguments, its arrays' shapes and dtypes) is one more
    compiled program held in memory: past MAX_PROGRAMS they are all dropped (the persistent cache keeps them)."""
    sig = tuple((a.shape, a.dtype.name) if hasattr(a, "shape") else a for a in call)
    if sig not in seen:
        if len(seen) >= MAX_PROGRAMS:
            jax.clear_caches()
            seen.clear()
        seen.add(sig)


def with_grad(jax, loss, eager: bool = False):
    """`(yt, yp, w) -> (loss, (d_yt, d_yp))`, the gradient of the sum of the loss (a vector for "none"), compiled
    as one XLA program: a case's value and gradient calls share one compilation (it dominates the run time)."""

    def both(yt, yp, w):
        out, vjp = jax.vjp(lambda a, b: loss(a, b, w), yt, yp)
        return out, vjp(jax.numpy.ones_like(out))

    return both if eager else jax.jit(both)


class OptaxAdapter(Adapter):
    name = "optax"
    has_grad = True

    def __init__(self, jax, optax, eager: bool = False):
        self.jax, self.jnp, self.optax = jax, jax.numpy, optax
        self.eager = eager
        self.expectations = builtin_expectations("optax")
        self._fns: dict = {}
        self._signatures: set = set()

    def _per_sample(self, yt, yp, axis):
        return -self.optax.losses.cosine_similarity(yp, yt, epsilon=EPSILON, axis=axis)

    def _fn(self, axis, reduction: str):
        """The loss and its gradient as one function of (y_true, y_pred, weight), jitted unless eager."""
        key = (axis, reduction)
        if key not in self._fns:

            def loss(yt, yp, w):
                values = self._per_sample(yt, yp, axis)
                if w is not None:
                    w = w.astype(values.dtype).reshape(wrapper.weight_shape(w.shape, values.shape))
                return wrapper.weigh_and_reduce(values, w, reduction)

            self._fns[key] = with_grad(self.jax, loss, self.eager)
        return self._fns[key]

    def _args(self, y_true, y_pred, sample_weight):
        jnp = self.jnp
        w = None if sample_weight is None else jnp.asarray(wrapper.weight_array(sample_weight))
        return jnp.asarray(np.asarray(y_true)), jnp.asarray(np.asarray(y_pred)), w

    def _run(self, y_true, y_pred, sample_weight, axis, reduction):
        fn, args = self._fn(axis, wrapper.check_reduction(reduction)), self._args(y_true, y_pred, sample_weight)
        if not self.eager:
            bound_programs(self.jax, self._signatures, (axis, reduction, *args))
        return fn(*args)

    def loss(self, y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
        return np.asarray(self._run(y_true, y_pred, sample_weight, axis, reduction)[0])

    def grad(self, y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
        return tuple(np.asarray(g) for g in self._run(y_true, y_pred, sample_weight, axis, reduction)[1])

    def repro(self, case: Case, grad: bool = False) -> str:
        return repro(case, grad)


def repro(case: Case, grad: bool = False) -> str:
    """A `python -c` line computing the per-sample values (small float cases), else the harness command."""
    args = literal_args(case)
    if args is None or grad or case.dtype == "bfloat16":
        return f"cosine-spec check optax --cases '{case.id}'"
    head = args.rpartition(", axis=")[0].split(", sample_weight=")[0]
    return (
        "python -c \"import jax; jax.config.update('jax_enable_x64', True); import numpy as np, optax; "
        f"yt, yp = {head}; print(-optax.losses.cosine_similarity(yp, yt, epsilon={EPSILON}, "
        f'axis={case.axis}))"  # per-sample values; then weights and {case.reduction!r}'
    )


def load() -> OptaxAdapter:
    jax = import_jax()
    try:
        import optax
    except ImportError as exc:
        raise TargetError(f"target 'optax' needs optax ({exc.name or exc} is not installed): {INSTALL}") from exc
    return OptaxAdapter(jax, optax, eager=os.environ.get("COSINE_SPEC_JAX_EAGER") == "1")
