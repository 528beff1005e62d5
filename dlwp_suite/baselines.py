"""Shallow and trivial baselines on the network's own splits and inputs.

Classification baselines are scored on the same held-out validation slice as the
network (to choose the ensemble partner without touching the test set) and, refitted
on the full training set, on the test set. Regression baselines use the same
unshuffled K-fold as the network, then a refit on all training data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, mean_absolute_error
from sklearn.model_selection import KFold, cross_val_score
from sklearn.naive_bayes import MultinomialNB

from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Case


@dataclass
class BaselineResult:
    """Metrics and test-set predictions (probabilities or values) of one baseline."""

    name: str
    metrics: dict[str, float]
    timings: dict[str, float]
    test_predictions: np.ndarray | None
    trivial: bool  # trivial baselines are bars to clear, not ensemble partners


ESTIMATORS: dict[str, Callable[[int], BaseEstimator]] = {
    "majority": lambda seed: DummyClassifier(strategy="most_frequent"),
    "naive_bayes": lambda seed: MultinomialNB(),
    "logistic_regression": lambda seed: LogisticRegression(max_iter=1000),
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


def _classify(name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
    started = time.perf_counter()
    if name == "random_shuffle":
        accuracy = random_shuffle_accuracy(data.y_test, seed)
        return BaselineResult(
            name, {"test_accuracy": accuracy}, {"fit_s": time.perf_counter() - started}, None, True
        )
    n_val = case.params["validation_size"]
    # Multi-hot rows are ~1 % ones: sparse input keeps sklearn fast and small.
    x_train, x_test = sparse.csr_matrix(data.x_train), sparse.csr_matrix(data.x_test)
    chooser = ESTIMATORS[name](seed).fit(x_train[n_val:], data.y_train[n_val:])
    val_accuracy = accuracy_score(data.y_train[:n_val], chooser.predict(x_train[:n_val]))
    model = ESTIMATORS[name](seed).fit(x_train, data.y_train)
    fitted = time.perf_counter()
    probabilities = model.predict_proba(x_test)
    predict_s = time.perf_counter() - fitted
    # Columns follow the classes seen in training: widen to every class the network has.
    full = np.zeros((len(probabilities), int(max(data.y_train.max(), data.y_test.max())) + 1))
    full[:, model.classes_.astype(int)] = probabilities
    accuracy = float(np.mean(full.argmax(axis=1) == data.y_test))
    return BaselineResult(
        name,
        {"val_accuracy": float(val_accuracy), "test_accuracy": accuracy},
        {"fit_s": fitted - started, "inference_samples_per_s": x_test.shape[0] / predict_s},
        full[:, 1] if case.experiment.task == "binary" else full,
        name in TRIVIAL,
    )


def _regress(name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
    started = time.perf_counter()
    folds = KFold(n_splits=case.params["k"])
    scores = cross_val_score(
        ESTIMATORS[name](seed),
        data.x_train,
        data.y_train,
        cv=folds,
        scoring="neg_mean_absolute_error",
    )
    model = ESTIMATORS[name](seed).fit(data.x_train, data.y_train)
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


def run_baseline(name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
    """Fit and score one named baseline for the case's task."""
    if case.experiment.task == "regression":
        return _regress(name, case, data, seed)
    return _classify(name, case, data, seed)
