"""The book's own plain Keras code for IMDB (1e listings 3.1-3.10, 2e 4.1).

The reference the suite's speed is measured against: float multi-hot built by a Python
loop, a Sequential model, a validation run on the first 10,000 training reviews, then a
fresh model trained on all of them and tested. Hyperparameters come from the
experiment's declaration, so both sides run the same protocol.
"""

import keras
import numpy as np


def vectorize_sequences(sequences, dimension: int = 10_000) -> np.ndarray:
    """The book's multi-hot encoding: float64 zeros, then ones at each word id."""
    results = np.zeros((len(sequences), dimension))
    for i, sequence in enumerate(sequences):
        results[i, list(sequence)] = 1.0
    return results


def _model(params, n_features: int):
    model = keras.Sequential(
        [keras.Input(shape=(n_features,))]
        + [keras.layers.Dense(units, activation=params["activation"]) for units in params["hidden"]]
        + [keras.layers.Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer=params["optimizer"], loss=params["loss"], metrics=["accuracy"])
    return model


def imdb_holdout(params, train, test, seed: int) -> dict[str, float]:
    """Validate on the first reviews, then train afresh on all and test (the book's
    protocol); returns the last validation accuracy and the test accuracy."""
    (train_data, train_labels), (test_data, test_labels) = train, test
    x_train, x_test = vectorize_sequences(train_data), vectorize_sequences(test_data)
    y_train = np.asarray(train_labels).astype("float32")
    y_test = np.asarray(test_labels).astype("float32")
    n_val = params["validation_size"]
    keras.utils.set_random_seed(seed)
    model = _model(params, x_train.shape[1])
    history = model.fit(
        x_train[n_val:],
        y_train[n_val:],
        epochs=params["val_epochs"],
        batch_size=params["batch_size"],
        validation_data=(x_train[:n_val], y_train[:n_val]),
        verbose=0,
    )
    keras.utils.set_random_seed(seed)
    model = _model(params, x_train.shape[1])
    model.fit(
        x_train, y_train, epochs=params["final_epochs"], batch_size=params["batch_size"], verbose=0
    )
    return {
        "val_accuracy": float(history.history["val_accuracy"][-1]),
        "test_accuracy": float(model.evaluate(x_test, y_test, verbose=0)[1]),
    }
