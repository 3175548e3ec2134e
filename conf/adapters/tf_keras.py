"""The `tf-keras` target: `tf.keras.losses.CosineSimilarity` with Keras 2 semantics (TensorFlow r2.4 = tf-keras).

Values come from calling the loss object on tensors, gradients from `tf.GradientTape`; class-level clauses
(CS-API-1, CS-API-3, CS-RED-5, CS-FIT-1) are checked by `tf_checks`.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile

import numpy as np
from cosine_spec.conf.adapters.base import Adapter, ExtraCheck, literal_args
from cosine_spec.conf.deviations import builtin_expectations
from cosine_spec.conf.errors import TargetError
from cosine_spec.conf.golden_cases import Case

INSTALL = "pip install 'cosine-spec[tf]'  (tensorflow and tf-keras 2.21)"


_NOISE = re.compile(rb"^(WARNING: All log messages before absl::InitializeLog|[IWE]\d{4} [\d:. ]+\d+ \S+:\d+\] )")


@contextlib.contextmanager
def _quiet_native_stderr():
    """Hide TensorFlow's import-time C++/absl log lines (CUDA probing on a CPU machine), unless the user
    set TF_CPP_MIN_LOG_LEVEL. They are written to file descriptor 2 before any log level applies, so the
    descriptor itself is redirected; every line that is not such a log line is passed on afterwards."""
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        yield
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            kept = [line for line in sink.read().splitlines(keepends=True) if not _NOISE.match(line)]
            if kept:
                sys.stderr.buffer.write(b"".join(kept))
                sys.stderr.flush()


def import_tf():
    """TensorFlow with tf.keras = tf_keras (Keras 2), or TargetError saying how to install it."""
    if "tensorflow" in sys.modules and os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        raise TargetError(
            "tensorflow was imported before TF_USE_LEGACY_KERAS=1 was set, so tf.keras is Keras 3; "
            "run the tf-keras check in a fresh process or set TF_USE_LEGACY_KERAS=1 first"
        )
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    try:
        with _quiet_native_stderr():
            import tensorflow as tf
            import tf_keras  # noqa: F401 - tf.keras resolves to it only when it is installed

            tf.constant(0.0).numpy()  # the CPU device (and the CUDA probe that logs) initializes here
    except ImportError as exc:
        raise TargetError(
            f"target 'tf-keras' needs TensorFlow and tf-keras ({exc.name or exc} is not installed): {INSTALL}"
        ) from exc
    if not tf.keras.__name__.startswith("tf_keras"):
        raise TargetError(f"tf.keras is {tf.keras.__name__}, not tf_keras; {INSTALL}")
    return tf


class TfKerasAdapter(Adapter):
    name = "tf-keras"
    has_grad = True

    def __init__(self, tf):
        self.tf = tf
        self.expectations = builtin_expectations("tf-keras")
        self._objs: dict = {}

    def _obj(self, axis, reduction):
        key = (axis, reduction)
        if key not in self._objs:
            self._objs[key] = self.tf.keras.losses.CosineSimilarity(axis=axis, reduction=reduction)
        return self._objs[key]

    def _tensors(self, y_true, y_pred, sample_weight):
        c = self.tf.constant
        return c(y_true), c(y_pred), None if sample_weight is None else c(sample_weight)

    def loss(self, y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
        return self._obj(axis, reduction)(*self._tensors(y_true, y_pred, sample_weight)).numpy()

    def grad(self, y_true, y_pred, sample_weight=None, *, axis=-1, reduction="sum_over_batch_size"):
        tf = self.tf
        obj = self._obj(axis, reduction)
        yt, yp, sw = self._tensors(y_true, y_pred, sample_weight)
        with tf.GradientTape() as tape:
            tape.watch([yt, yp])
            value = obj(yt, yp, sw)
            if reduction == "none":
                value = tf.reduce_sum(value)
        gt, gp = tape.gradient(value, [yt, yp])
        return tuple(np.zeros_like(x) if g is None else g.numpy() for g, x in ((gt, y_true), (gp, y_pred)))

    def extra_checks(self) -> list[ExtraCheck]:
        from cosine_spec.conf.adapters import tf_checks

        return tf_checks.checks(self.tf)

    def repro(self, case: Case, grad: bool = False) -> str:
        return repro(case, grad)


def repro(case: Case, grad: bool = False) -> str:
    """A `python -c` line calling tf.keras on the case's inputs (values), else the harness command."""
    args = literal_args(case)
    if args is None or grad:
        return f"cosine-spec check tf-keras --cases '{case.id}'"
    head, _, tail = args.rpartition(", axis=")
    axis, _, red = tail.partition(", reduction=")
    conv = ", ".join(f"tf.constant({a.strip()})" for a in _split_top(head))
    bf = ", ml_dtypes" if case.dtype == "bfloat16" else ""
    return (
        "python -c \"import os; os.environ['TF_USE_LEGACY_KERAS']='1'; import numpy as np"
        + bf
        + f", tensorflow as tf; print(tf.keras.losses.CosineSimilarity(axis={axis}, reduction={red})"
        f'({conv}).numpy())"'
    ).replace("sample_weight=", "")


def _split_top(text: str) -> list[str]:
    """Split 'a, b, sample_weight=c' at top-level commas (the array literals contain commas)."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "([" and 1 or (ch in ")]" and -1 or 0)
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return parts + [cur]


def load() -> TfKerasAdapter:
    return TfKerasAdapter(import_tf())
