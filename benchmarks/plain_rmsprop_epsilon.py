"""Evidence for chapter 4: Keras 3's RMSprop step is not the one the book trained with.

Keras <= 2.3 (the book's 2.0.8) updates ``p -= lr * g / (sqrt(a) + eps)``; Keras 3 (and
tf.keras 2.x) updates ``p -= lr * g / sqrt(a + eps)`` with eps = 1e-7, so a weight whose
gradients are tiny (the weights of rarely seen words in a multi-hot input) moves up to
``sqrt(1e-7) / 1e-7``, about 3,000 times, less. ``epsilon=1e-14`` inside the root is, to
within rounding, the old step with eps = 1e-7 outside it.

This trains the book's networks of 1e 4.4 (plain Keras, the book's protocol: IMDB
multi-hot 10,000, rmsprop, batch 512, 20 epochs, the test reviews as validation) with
both and prints, per run, the training loss after epoch 6 (the book: 0.0017 for the
bigger network) and where the validation loss is lowest (the book: epoch 2 for the
bigger network, 3 for the original).

    DLWP_DATA_DIR=../shared/data python benchmarks/plain_rmsprop_epsilon.py [--seed 100]
"""

from __future__ import annotations

import argparse

import keras
import numpy as np

from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import imdb

EPSILONS = {"keras3 (eps 1e-7 inside the root)": 1e-7, "book (eps outside, ~1e-14 inside)": 1e-14}


def network(hidden: tuple[int, ...], epsilon: float) -> keras.Model:
    model = keras.Sequential(
        [keras.Input((10_000,))]
        + [keras.layers.Dense(units, activation="relu") for units in hidden]
        + [keras.layers.Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer=keras.optimizers.RMSprop(epsilon=epsilon), loss="binary_crossentropy")
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=100)
    parser.add_argument("--hidden", default="512,512", help="units per hidden layer")
    args = parser.parse_args()
    hidden = tuple(int(u) for u in args.hidden.split(","))
    data = imdb.load(DataConfig.from_settings())
    x_train, x_test = data.x_train.astype("float32"), data.x_test.astype("float32")
    y_train, y_test = data.y_train.astype("float32"), data.y_test.astype("float32")
    for label, epsilon in EPSILONS.items():
        keras.utils.set_random_seed(args.seed)
        history = (
            network(hidden, epsilon)
            .fit(
                x_train,
                y_train,
                epochs=20,
                batch_size=512,
                validation_data=(x_test, y_test),
                verbose=0,
            )
            .history
        )
        val = history["val_loss"]
        print(
            f"{hidden} seed {args.seed} {label}: train loss after epoch 6 "
            f"{history['loss'][5]:.4f}; val loss min {min(val):.3f} at epoch "
            f"{int(np.argmin(val)) + 1}, at epoch 20 {val[-1]:.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
