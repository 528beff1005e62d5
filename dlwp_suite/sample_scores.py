"""Scores for generated images, in the feature space of a classifier trained on the real
ones: the Fréchet distance (FID's formula) and the class-confidence score (the
Inception Score's), with the suite's own small convnet in the place of Inception.

The scorer is the 1st edition's MNIST convnet (5.1: Conv 32-64-64, Dense 64, softmax),
trained on the dataset's labelled training images; its 64-unit layer gives the features.
It is trained once per process and dataset, with a fixed seed, so every case and seed
scored in one process is scored by the same network (pytest-xdist workers each train
their own, identically seeded).
"""

from __future__ import annotations

import keras
import numpy as np
from scipy import linalg

SCORER_SEED = 0
SCORER_EPOCHS = 2
SINGULAR_OFFSET = 1e-6
_SCORERS: dict[tuple, tuple[keras.Model, keras.Model, float]] = {}


def _convnet(shape: tuple[int, ...], classes: int) -> keras.Model:
    inputs = keras.Input(shape=shape)
    x = inputs
    for filters, pool in ((32, True), (64, True), (64, False)):
        x = keras.layers.Conv2D(filters, 3, activation="relu")(x)
        x = keras.layers.MaxPooling2D(2)(x) if pool else x
    x = keras.layers.Dense(64, activation="relu", name="features")(keras.layers.Flatten()(x))
    model = keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(x))
    model.compile("rmsprop", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def scorer(
    key: str, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray
) -> tuple[keras.Model, keras.Model, float]:
    """The classifier, its feature extractor and its test accuracy, trained on first use
    for ``key`` (the dataset's files and their hashes) and reused after."""
    cache_key = (key, x_train.shape, SCORER_EPOCHS, keras.backend.backend())
    if cache_key not in _SCORERS:
        keras.utils.set_random_seed(SCORER_SEED)
        classes = int(max(y_train.max(), y_test.max())) + 1
        model = _convnet(x_train.shape[1:], classes)
        model.fit(x_train, y_train, epochs=SCORER_EPOCHS, batch_size=64, verbose=0)
        accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0, return_dict=True)
        features = keras.Model(model.inputs, model.get_layer("features").output)
        _SCORERS[cache_key] = (model, features, float(accuracy["accuracy"]))
    return _SCORERS[cache_key]


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """``|mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))`` of two feature sets (rows)."""
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(cov_a @ cov_b)
    if not _real_root(root):  # singular covariances (few samples, silent features)
        offset = np.eye(len(cov_a)) * SINGULAR_OFFSET  # FID's usual remedy
        root = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
        if not _real_root(root):
            raise ValueError("the covariances' product has no real square root")
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2 * root.real))


def _real_root(root: np.ndarray) -> bool:
    """Finite, and any imaginary part rounding (FID's test: the diagonal's within 1e-3)."""
    return bool(np.isfinite(root).all()) and np.allclose(np.diagonal(root).imag, 0, atol=1e-3)


def class_score(probabilities: np.ndarray) -> float:
    """``exp(E_x KL(p(y|x) || p(y)))``: 1 when every sample gets the same class
    distribution, the number of classes when each is confidently one class and all classes
    are equally common."""
    p = np.clip(probabilities.astype(np.float64), 1e-12, 1.0)
    marginal = p.mean(axis=0, keepdims=True)
    return float(np.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1))))


def score_samples(
    samples: np.ndarray, reference_features: np.ndarray, model: keras.Model, features: keras.Model
) -> dict[str, float]:
    """``frechet_distance`` to the reference features and ``class_score`` of ``samples``."""
    return {
        "frechet_distance": frechet_distance(
            features.predict(samples, batch_size=512, verbose=0), reference_features
        ),
        "class_score": class_score(model.predict(samples, batch_size=512, verbose=0)),
    }
