"""Does Keras 3 on TensorFlow's fixed sample order move where 1e 4.4's networks start to
overfit? The book's plain code, outside the suite, as a probe for the claim
``ch04-bigger-overfits-sooner`` (the original network's validation-loss minimum comes
later than the bigger one's: epochs 3 and 2 in the book's logs).

1st edition notebook 4.4-overfitting-and-underfitting, cells 3, 5, 9, 14 and 15: float
multi-hot reviews (top 10,000 words), Dense(16)-Dense(16)-Dense(1) ("original") and
Dense(512)-Dense(512)-Dense(1) ("bigger"), rmsprop, binary cross-entropy, 20 epochs of
batch 512, validated on the 25,000 test reviews after each epoch. Each network trains
twice a seed, from the same initial weights: ``fit``, the book's one
``fit(shuffle=True)`` of 20 epochs (on Keras 3 + TF a seeded fit replays one sample
order every epoch), and ``numpy``, one epoch a call on a fresh numpy permutation of the
training set (the only change). Prints one JSON line a seed, network and order: the
epoch (1-based) of the lowest validation loss and the curve (on a CPU: a GPU's kernels
would add run-to-run noise between the two). The reviews are what
``keras.datasets.imdb.load_data(num_words=10000)`` returns, read by the suite from the
canonical archive (``--data-dir``, else ``DLWP_DATA_DIR``, the Keras cache or a download).

    python benchmarks/plain_ch04_order.py --data-dir DIR --seeds 100-107
"""

import argparse
import json

import keras
import numpy as np

from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import imdb

EPOCHS, BATCH_SIZE = 20, 512
NETWORKS = {"original": 16, "bigger": 512}


def vectorize_sequences(sequences, dimension: int = 10_000) -> np.ndarray:
    """The book's multi-hot encoding (cell 3)."""
    results = np.zeros((len(sequences), dimension), dtype="float32")
    for i, sequence in enumerate(sequences):
        results[i, sequence] = 1.0
    return results


def build(units: int):
    """Cells 5 and 14: two relu layers of ``units``, a sigmoid, rmsprop."""
    model = keras.Sequential(
        [
            keras.Input(shape=(10_000,)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    return model


def val_losses(units: int, order: str, seed: int, train, test) -> list[float]:
    """One network's validation loss after each epoch, in the given sample ``order``."""
    (x_train, y_train), validation = train, test
    keras.utils.set_random_seed(seed)
    model = build(units)
    if order == "fit":
        history = model.fit(
            x_train,
            y_train,
            epochs=EPOCHS,
            batch_size=BATCH_SIZE,
            validation_data=validation,
            verbose=0,
        )
        return [float(v) for v in history.history["val_loss"]]
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(EPOCHS):
        permutation = rng.permutation(len(x_train))
        history = model.fit(
            x_train[permutation],
            y_train[permutation],
            epochs=1,
            batch_size=BATCH_SIZE,
            validation_data=validation,
            shuffle=False,
            verbose=0,
        )
        losses.append(float(history.history["val_loss"][0]))
    return losses


def seeds(text: str) -> list[int]:
    """``100-107`` or ``100,103``."""
    if "-" in text:
        first, last = (int(part) for part in text.split("-"))
        return list(range(first, last + 1))
    return [int(part) for part in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None, help="the data mirror")
    parser.add_argument("--seeds", type=seeds, default=seeds("100-107"))
    parser.add_argument("--orders", default="fit,numpy")
    args = parser.parse_args()
    config = DataConfig.from_settings(args.data_dir)
    (train_data, train_labels), (test_data, test_labels) = imdb.load_sequences(config)
    train = vectorize_sequences(train_data), np.asarray(train_labels, dtype="float32")
    test = vectorize_sequences(test_data), np.asarray(test_labels, dtype="float32")
    stack = {"keras": keras.__version__, "backend": keras.backend.backend()}
    if stack["backend"] == "tensorflow":  # the fixed order is TensorFlow's data adapter's
        import tensorflow as tf

        stack["tensorflow"] = tf.__version__
    for seed in args.seeds:
        for order in args.orders.split(","):
            for network, units in NETWORKS.items():
                curve = val_losses(units, order, seed, train, test)
                best = int(np.argmin(curve)) + 1
                line = {"seed": seed, "order": order, "network": network, "best_epoch": best}
                print(json.dumps({**line, **stack, "val_loss": curve}), flush=True)


if __name__ == "__main__":
    main()
