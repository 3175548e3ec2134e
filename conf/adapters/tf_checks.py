"""Class-level checks of `tf.keras.losses.CosineSimilarity` that no golden case can express.

CS-API-1 constructor defaults; CS-API-3 config round trip; CS-RED-5 AUTO / SUM_OVER_BATCH_SIZE raise
ValueError under a real `tf.distribute` strategy outside compile()/fit() while SUM and NONE work;
CS-FIT-1 a tiny model compiled with the loss trains with finite losses.
"""

from __future__ import annotations

import numpy as np
from cosine_spec.conf.adapters import class_checks
from cosine_spec.conf.adapters.base import ExtraCheck

_RNG = np.random.default_rng(20240)
_X, _Y = class_checks.X, class_checks.Y


def _api_defaults(tf) -> None:
    class_checks.api_defaults(tf.keras.losses.CosineSimilarity)


def _config_round_trip(tf) -> None:
    class_checks.config_round_trip(tf.keras.losses.CosineSimilarity, lambda loss, t, p: loss(t, p).numpy())


def _strategy_raises(tf) -> None:
    cls = tf.keras.losses.CosineSimilarity
    for strategy in (tf.distribute.OneDeviceStrategy("/cpu:0"), tf.distribute.MirroredStrategy(["/cpu:0"])):
        with strategy.scope():
            for reduction in ("auto", "sum_over_batch_size"):
                try:
                    cls(reduction=reduction)(_X, _Y)
                except ValueError:
                    continue
                raise AssertionError(
                    f"{reduction!r} under {type(strategy).__name__}.scope() outside fit() did not raise ValueError"
                )
            for reduction in ("sum", "none"):
                cls(reduction=reduction)(_X, _Y)  # allowed: must not raise


def _fit_trains(tf) -> None:
    tf.keras.utils.set_random_seed(7)
    x = _RNG.standard_normal((32, 4)).astype(np.float32)
    y = x @ _RNG.standard_normal((4, 3)).astype(np.float32)
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss=tf.keras.losses.CosineSimilarity(axis=1))
    hist = model.fit(x, y, epochs=3, batch_size=8, verbose=0).history["loss"]
    if not (len(hist) == 3 and all(np.isfinite(hist)) and all(-1.0 <= h <= 1.0 for h in hist)):
        raise AssertionError(f"fit() losses {hist}: expected 3 finite values in [-1, 1]")
    if hist[-1] > hist[0]:
        raise AssertionError(f"fit() loss rose from {hist[0]} to {hist[-1]} on a linear problem")


def checks(tf) -> list[ExtraCheck]:
    return [
        ExtraCheck("tf-keras-api-1-constructor-defaults", ("CS-API-1",), lambda: _api_defaults(tf)),
        ExtraCheck("tf-keras-api-3-config-round-trip", ("CS-API-3",), lambda: _config_round_trip(tf)),
        ExtraCheck("tf-keras-red-5-strategy-raises", ("CS-RED-5",), lambda: _strategy_raises(tf)),
        ExtraCheck("tf-keras-fit-1-compile-fit", ("CS-FIT-1",), lambda: _fit_trains(tf)),
    ]
