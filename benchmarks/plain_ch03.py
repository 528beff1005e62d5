"""The book's own plain Keras code for IMDB's tested model (1e listings 3.2-3.4, 3.10).

The reference the suite's speed is measured against: float multi-hot built by a Python
loop, a Sequential model, fit, evaluate. Hyperparameters come from the experiment's
declaration, so both sides run the same protocol.
"""

import keras
import numpy as np


def vectorize_sequences(sequences, dimension: int = 10_000) -> np.ndarray:
    """The book's multi-hot encoding: float64 zeros, then ones at each word id."""
    results = np.zeros((len(sequences), dimension))
    for i, sequence in enumerate(sequences):
        results[i, list(sequence)] = 1.0
    return results


def imdb_tested_model(params, train, test, seed: int) -> float:
    """Train the book's final IMDB model on all training reviews; return test accuracy."""
    (train_data, train_labels), (test_data, test_labels) = train, test
    x_train, x_test = vectorize_sequences(train_data), vectorize_sequences(test_data)
    y_train = np.asarray(train_labels).astype("float32")
    y_test = np.asarray(test_labels).astype("float32")
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input(shape=(x_train.shape[1],))]
        + [keras.layers.Dense(units, activation=params["activation"]) for units in params["hidden"]]
        + [keras.layers.Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer=params["optimizer"], loss=params["loss"], metrics=["accuracy"])
    model.fit(
        x_train, y_train, epochs=params["final_epochs"], batch_size=params["batch_size"], verbose=0
    )
    return float(model.evaluate(x_test, y_test, verbose=0)[1])
