"""Shallow and trivial baselines on the network's own splits and inputs.

Each protocol picks the fitting function for its kind of data; nothing here dispatches.
Classification baselines fit the experiment's ``baseline_inputs`` (multi-hot rows, flat
pixels, pooled conv-base features). They are scored on the network's validation data
(the dataset's validation split, or else the same held-out slice of the training set)
to choose the ensemble partner without touching the test set, and on the test set
after a fit on the whole training set. Regression baselines use the same unshuffled
K-fold as the network, then a refit on all training data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, mean_absolute_error
from sklearn.model_selection import KFold, cross_val_score
from sklearn.naive_bayes import MultinomialNB

from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Case
from dlwp_suite.text_baselines import NBLogisticRegression, tfidf_logistic_regression


@dataclass
class BaselineResult:
    """Metrics and test-set predictions (probabilities or values) of one baseline."""

    name: str
    metrics: dict[str, float]
    timings: dict[str, float]
    test_predictions: np.ndarray | None
    trivial: bool  # trivial baselines are bars to clear, not ensemble partners
    # The experiment whose baselines these are, where another declares them its own
    # (``Experiment.baselines_of``): fitted once, recorded for both.
    fitted_for: str | None = None


CLASSIFIERS: dict[str, Callable[[int], BaseEstimator]] = {
    "majority": lambda seed: DummyClassifier(strategy="most_frequent"),
    "naive_bayes": lambda seed: MultinomialNB(),
    "logistic_regression": lambda seed: LogisticRegression(max_iter=1000),
    "random_forest": lambda seed: RandomForestClassifier(
        n_estimators=300, random_state=seed, n_jobs=-1
    ),
    # Word counts only (text experiments' baseline inputs).
    "tfidf_logistic_regression": lambda seed: tfidf_logistic_regression(),
    "nb_logistic_regression": lambda seed: NBLogisticRegression(),
}
REGRESSORS: dict[str, Callable[[int], BaseEstimator]] = {
    "mean": lambda seed: DummyRegressor(strategy="mean"),
    "linear_regression": lambda seed: LinearRegression(),
    "random_forest": lambda seed: RandomForestRegressor(
        n_estimators=300, random_state=seed, n_jobs=-1
    ),
    "gradient_boosting": lambda seed: GradientBoostingRegressor(random_state=seed),
}

TRIVIAL = {"majority", "mean", "random_shuffle"}


def random_shuffle_accuracy(y_test: np.ndarray, seed: int) -> float:
    """The book's random baseline: accuracy of a shuffled copy of the test labels."""
    shuffled = np.random.default_rng(seed).permutation(y_test)
    return float(np.mean(shuffled == y_test))


def _validation_split(case: Case, data: TaskData) -> tuple[np.ndarray, ...]:
    """(fit x, fit y, validation x, validation y), as the network validates."""
    if data.x_val is not None:
        return data.x_train, data.y_train, data.x_val, data.y_val
    n_val = case.params["validation_size"]
    return data.x_train[n_val:], data.y_train[n_val:], data.x_train[:n_val], data.y_train[:n_val]


def classification_baseline(name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
    """Fit one classifier (or the random-shuffle bar) on ``data``, the experiment's
    ``baseline_inputs``."""
    started = time.perf_counter()
    if name == "random_shuffle":
        accuracy = random_shuffle_accuracy(data.y_test, seed)
        return BaselineResult(
            name, {"test_accuracy": accuracy}, {"fit_s": time.perf_counter() - started}, None, True
        )
    x_fit, y_fit, x_val, y_val = _validation_split(case, data)
    chooser = CLASSIFIERS[name](seed).fit(x_fit, y_fit)
    metrics = {"val_accuracy": float(accuracy_score(y_val, chooser.predict(x_val)))}
    timings: dict[str, float] = {}
    probabilities = None
    if data.x_test is not None:
        # Refit on all training data unless the dataset has its own validation split.
        model = (
            chooser
            if data.x_val is not None
            else CLASSIFIERS[name](seed).fit(data.x_train, data.y_train)
        )
        fitted = time.perf_counter()
        scores = model.predict_proba(data.x_test)
        timings["inference_samples_per_s"] = data.x_test.shape[0] / (time.perf_counter() - fitted)
        # Columns follow the classes seen in training: widen to every class the network has.
        classes = int(max(data.y_train.max(), data.y_test.max())) + 1
        full = np.zeros((len(scores), classes))
        full[:, model.classes_.astype(int)] = scores
        metrics["test_accuracy"] = float(np.mean(full.argmax(axis=1) == data.y_test))
        probabilities = full[:, 1] if case.experiment.task == "binary" else full
    timings["fit_s"] = time.perf_counter() - started
    return BaselineResult(name, metrics, timings, probabilities, name in TRIVIAL)


def kfold_regression_baseline(name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
    """One regressor: K-fold MAE on the network's unshuffled folds, then test MAE."""
    started = time.perf_counter()
    folds = KFold(n_splits=case.params["k"])
    scores = cross_val_score(
        REGRESSORS[name](seed),
        data.x_train,
        data.y_train,
        cv=folds,
        scoring="neg_mean_absolute_error",
    )
    model = REGRESSORS[name](seed).fit(data.x_train, data.y_train)
    predictions = model.predict(data.x_test)
    return BaselineResult(
        name,
        {
            "kfold_val_mae": float(-scores.mean()),
            "test_mae": float(mean_absolute_error(data.y_test, predictions)),
        },
        {"fit_s": time.perf_counter() - started},
        predictions,
        name in TRIVIAL,
    )
