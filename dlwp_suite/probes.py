"""Probes: seconds-long checks that show a divergence's mechanism on the running stack.

A declared divergence excuses a miss only where its probe shows the cause (see
``dlwp_suite.divergence``). Each probe here returns one number and runs on any backend;
the plugin runs the ones a case needs once per process, before the case, outside the
timed region, and the case's records carry the readings.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np


def epoch_order_repeats(seed: int = 0, samples: int = 12, epochs: int = 3) -> float:
    """1.0 when a seeded ``fit(shuffle=True, batch_size=1)`` feeds the same sample order
    in every epoch, 0.0 when it reshuffles (``benchmarks/plain_boston_kfold.py
    --probe-order`` is the same check, for bisecting releases)."""
    keras.utils.set_random_seed(seed)
    x = np.arange(samples, dtype="float32").reshape(samples, 1)
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    seen: list[int] = []
    train_step = model.train_step

    def recording_train_step(*args):  # (data) on TF and torch, (state, data) on JAX
        seen.append(int(np.asarray(args[-1][0])[0, 0]))
        return train_step(*args)

    model.train_step = recording_train_step
    model.fit(x, x, epochs=epochs, batch_size=1, shuffle=True, verbose=0)
    orders = [seen[e * samples : (e + 1) * samples] for e in range(epochs)]
    return float(all(order == orders[0] for order in orders))


PROBES: dict[str, Callable[[], float]] = {
    "epoch_order_repeats": epoch_order_repeats,
}
