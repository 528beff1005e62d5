"""Hold-out protocol (IMDB, Reuters).

Train on all but the first ``validation_size`` samples for ``val_epochs`` watching the
held-out set (the book's curves), then train a fresh model for ``final_epochs`` (on the
full training set when ``final_on_full_train``) and evaluate it on the test set.
"""

from __future__ import annotations

import numpy as np

from dlwp_suite.baselines import (
    CLASSIFIERS,
    BaselineResult,
    classification_baseline,
)
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Case
from dlwp_suite.metrics import declare
from dlwp_suite.protocols.base import (
    CURVE_METRICS,
    RunResult,
    ValidateThenTest,
    curve_metrics,
    fit,
    fresh_model,
    train_and_test,
)
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext


class Holdout(ValidateThenTest):
    """Held-out validation curves, then a fresh model on all training data, tested."""

    name = "holdout"
    metrics = declare(
        {"test_accuracy": 1, "val_accuracy": 1, "best_val_accuracy": 1, **CURVE_METRICS}
    )
    baseline_names = frozenset({*CLASSIFIERS, "random_shuffle"})
    selection_metric = "val_accuracy"
    reported_metric = "test_accuracy"

    def validation_run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """The book's held-out validation run: learning curves and validation accuracy."""
        p, exp = case.params, case.experiment
        n_val = p["validation_size"]
        x_val, y_val = data.x_train[:n_val], exp.encode_labels(p, data.y_train[:n_val])
        x_fit, y_fit = data.x_train[n_val:], exp.encode_labels(p, data.y_train[n_val:])
        model = fresh_model(case, data, seed)
        history, timings = fit(
            case,
            model,
            x_fit,
            y_fit,
            p["val_epochs"],
            p["batch_size"],
            validation=(x_val, y_val),
            monitor=("best_val_accuracy", lambda _, logs: float(logs["val_accuracy"])),
            seed=seed,
            context=context,
            phase="validation",
        )
        val = history["val_accuracy"]
        metrics = {"val_accuracy": val[-1], "best_val_accuracy": max(val)}
        metrics.update(curve_metrics(history))
        details = {"best_val_epoch": int(np.argmax(val)) + 1}
        return RunResult(metrics, {f"val_run_{k}": v for k, v in timings.items()}, history, details)

    def tested_model(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        p = case.params
        start = 0 if p["final_on_full_train"] else p["validation_size"]
        x, y = data.x_train[start:], data.y_train[start:]
        return train_and_test(case, data, seed, x, y, "accuracy", "test_accuracy", context=context)

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        return classification_baseline(name, case, data, seed)
