"""The book's plain Keras code for Boston housing's K-fold protocol (1e listings 3.24-3.27).

Deep Learning with Python, 1st edition, notebook 3.7-predicting-house-prices, cells 17-19:
4 unshuffled folds, a fresh Dense(64)-Dense(64)-Dense(1) model per fold, RMSprop/MSE, 100
epochs at batch size 1; the score is the mean of the folds' last-epoch validation MAE (the
book reports folds [2.08, 2.12, 2.91, 2.43], mean 2.38). Written outside the suite and kept
standalone, as independent evidence for the suite's Boston divergence on Keras 3 with the
TensorFlow backend. Runs on tf.keras 2 (``--tf-keras``) and on Keras 3 with any backend
(``KERAS_BACKEND``). Prints one JSON line.

    python plain_boston_kfold.py --seed 0 --data boston_housing.npz
    python plain_boston_kfold.py --probe-order   # seconds: does fit reshuffle every epoch?
"""

import argparse
import json
import os
import platform
import time

import numpy as np


def load_keras(tf_keras: bool):
    """Keras 3 (``import keras``) or, for Keras 2 stacks, TensorFlow's own ``tf.keras``."""
    if tf_keras:
        import tensorflow as tf

        return tf.keras
    import keras

    return keras


def backend_versions(keras) -> dict:
    """The stack this run used: Keras, its backend and the backend's version."""
    backend = keras.backend.backend()
    version = getattr(keras, "__version__", None)
    if version is None:  # tf.keras 2 has no __version__: it is the installed keras 2.x
        from importlib.metadata import version as dist_version

        version = dist_version("keras")
    out = {"keras": version, "python": platform.python_version()}
    out["backend"] = backend
    if backend == "tensorflow":
        import tensorflow as tf

        out["tf"] = tf.__version__
    elif backend == "jax":
        import jax

        out["jax"] = jax.__version__
    elif backend == "torch":
        import torch

        out["torch"] = torch.__version__
    return out


def load_boston(path: str, test_split: float = 0.2, seed: int = 113):
    """Replicate keras.datasets.boston_housing.load_data(test_split=0.2, seed=113)."""
    with np.load(path, allow_pickle=True) as f:
        x, y = f["x"], f["y"]
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x))
    rng.shuffle(indices)
    x, y = x[indices], y[indices]
    n = int(len(x) * (1 - test_split))
    return (np.array(x[:n]), np.array(y[:n])), (np.array(x[n:]), np.array(y[n:]))


def build_model(keras, n_features: int):
    """The book's regression model, compiled as in listing 3.26."""
    model = keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    return model


def kfold_mae(keras, train_data, train_targets, k: int = 4, epochs: int = 100, batch_size=1):
    """The book's K-fold loop; returns the folds' last-epoch val_mae."""
    num_val = len(train_data) // k
    scores = []
    for i in range(k):
        val_data = train_data[i * num_val : (i + 1) * num_val]
        val_targets = train_targets[i * num_val : (i + 1) * num_val]
        partial_data = np.concatenate(
            [train_data[: i * num_val], train_data[(i + 1) * num_val :]], axis=0
        )
        partial_targets = np.concatenate(
            [train_targets[: i * num_val], train_targets[(i + 1) * num_val :]], axis=0
        )
        model = build_model(keras, train_data.shape[1])
        history = model.fit(
            partial_data,
            partial_targets,
            epochs=epochs,
            batch_size=batch_size,
            validation_data=(val_data, val_targets),
            verbose=0,
        )
        key = "val_mae" if "val_mae" in history.history else "val_mean_absolute_error"
        scores.append(float(history.history[key][-1]))
    return scores


def kfold_then_test(keras, params, train, test, seed: int) -> dict[str, float]:
    """The book's whole protocol (listings 3.24-3.28): features normalised with the
    training statistics, the K-fold validation, then a fresh model trained on all
    training houses and tested; hyperparameters from the suite's declaration."""
    (train_data, train_targets), (test_data, test_targets) = train, test
    mean, std = train_data.mean(axis=0), train_data.std(axis=0)
    train_data, test_data = (train_data - mean) / std, (test_data - mean) / std
    keras.utils.set_random_seed(seed)
    folds = kfold_mae(
        keras, train_data, train_targets, params["k"], params["epochs"], params["batch_size"]
    )
    keras.utils.set_random_seed(seed)
    model = build_model(keras, train_data.shape[1])
    model.fit(
        train_data,
        train_targets,
        epochs=params["final_epochs"],
        batch_size=params["final_batch_size"],
        verbose=0,
    )
    _, test_mae = model.evaluate(test_data, test_targets, verbose=0)
    return {"kfold_val_mae": float(np.mean(folds)), "test_mae": float(test_mae)}


def probe_epoch_order(keras, seed: int, n: int = 12, epochs: int = 3) -> dict:
    """Record the sample order fit(batch_size=1, shuffle=True) feeds in each epoch.

    Seconds instead of minutes, so it bisects releases fast: on Keras 3 with the TensorFlow
    backend, after set_random_seed, every epoch (and every later fit) gets one same order.
    """
    keras.utils.set_random_seed(seed)
    x = np.arange(n, dtype="float32").reshape(n, 1)
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    seen = []
    train_step = model.train_step

    def recording_train_step(*args):  # (data) on TF and torch, (state, data) on JAX
        seen.append(int(np.asarray(args[-1][0])[0, 0]))
        return train_step(*args)

    model.train_step = recording_train_step
    model.fit(x, x, epochs=epochs, batch_size=1, verbose=0)
    orders = [seen[e * n : (e + 1) * n] for e in range(epochs)]
    return {"orders": orders, "same_order_every_epoch": all(o == orders[0] for o in orders)}


def main() -> None:
    """Run the K-fold protocol for one seed and print the result as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument(
        "--data",
        # Where keras.datasets.boston_housing.load_data() caches its download.
        default=os.path.join(
            os.path.expanduser(os.environ.get("KERAS_HOME", "~/.keras")),
            "datasets",
            "boston_housing.npz",
        ),
        help="boston_housing.npz (the bytes keras.datasets downloads; default: its cache)",
    )
    parser.add_argument("--tf-keras", action="store_true", help="use tf.keras (Keras 2 stacks)")
    parser.add_argument(
        "--probe-order",
        action="store_true",
        help="only report the per-epoch sample order fit uses (seconds; for bisecting)",
    )
    args = parser.parse_args()

    keras = load_keras(args.tf_keras)
    if args.probe_order:
        probe = probe_epoch_order(keras, args.seed)
        print(json.dumps({**backend_versions(keras), "seed": args.seed, **probe}), flush=True)
        return
    (train_data, train_targets), _ = load_boston(args.data)
    mean = train_data.mean(axis=0)
    std = train_data.std(axis=0)
    train_data = (train_data - mean) / std

    start = time.perf_counter()
    keras.utils.set_random_seed(args.seed)  # once, before the folds
    folds = kfold_mae(keras, train_data, train_targets, epochs=args.epochs)
    result = {
        **backend_versions(keras),
        "seed": args.seed,
        "folds": [round(s, 4) for s in folds],
        "mean": round(float(np.mean(folds)), 4),
        "seconds": round(time.perf_counter() - start, 1),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
