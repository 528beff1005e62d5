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

from dlwp_suite.compat import KERAS_MAJOR


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


def rmsprop_small_gradient_step_ratio(gradient: float = 1e-4) -> float:
    """Keras' RMSprop step on a weight with a tiny gradient over the step of the book's
    Keras 2.0.8, ``lr * g / (sqrt(a) + eps)``: about 0.1 where the epsilon moved inside
    the root (``lr * g / sqrt(a + eps)``), 1.0 where it did not."""
    lr, rho, eps = 1e-3, 0.9, 1e-7
    optimizer = keras.optimizers.RMSprop(learning_rate=lr, rho=rho, epsilon=eps)
    if KERAS_MAJOR >= 3:
        weight = keras.Variable(np.zeros(1, dtype="float32"))
        optimizer.apply_gradients([(keras.ops.convert_to_tensor([gradient]), weight)])
    else:  # tf.keras 2: TensorFlow's own variables
        import tensorflow as tf

        weight = tf.Variable(np.zeros(1, dtype="float32"))
        optimizer.apply_gradients([(tf.constant([gradient], dtype="float32"), weight)])
    step = -float(np.asarray(weight.numpy())[0])
    average = (1 - rho) * gradient**2
    return step / (lr * gradient / (np.sqrt(average) + eps))


PROBES: dict[str, Callable[[], float]] = {
    "epoch_order_repeats": epoch_order_repeats,
    "rmsprop_small_gradient_step_ratio": rmsprop_small_gradient_step_ratio,
}
