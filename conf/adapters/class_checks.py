"""Class-level checks any Keras-style class can take: constructor defaults (CS-API-1) and config round trip
(CS-API-3). `cls` is the loss class; `call(loss, y_true, y_pred)` returns the result as a numpy array."""

from __future__ import annotations

import inspect

import numpy as np

_RNG = np.random.default_rng(20240)
X = _RNG.standard_normal((2, 3, 4)).astype(np.float32)
Y = _RNG.standard_normal((2, 3, 4)).astype(np.float32)


def api_defaults(cls) -> None:
    params = inspect.signature(cls.__init__).parameters
    got = {k: params[k].default for k in ("axis", "reduction", "name") if k in params}
    want = {"axis": -1, "reduction": "auto", "name": "cosine_similarity"}
    got = {k: getattr(v, "value", v) for k, v in got.items()}
    if got != want:
        raise AssertionError(f"constructor defaults {got}, the spec says {want}")


def config_round_trip(cls, call) -> None:
    for axis, reduction in ((1, "sum"), (-1, "none"), (2, "auto"), (0, "sum_over_batch_size")):
        loss = cls(axis=axis, reduction=reduction, name="cs_check")
        cfg = loss.get_config()
        held = {k: getattr(cfg.get(k), "value", cfg.get(k)) for k in ("axis", "reduction", "name")}
        if held != {"axis": axis, "reduction": reduction, "name": "cs_check"}:
            raise AssertionError(f"get_config() of CosineSimilarity(axis={axis}, reduction={reduction!r}) holds {held}")
        a, b = call(loss, X, Y), call(cls.from_config(cfg), X, Y)
        if not np.array_equal(a, b):
            raise AssertionError(f"from_config(get_config()) gives {b!r}, the original {a!r} (axis={axis})")
