"""K-fold protocol (Boston housing).

K-fold validation MAE with ``epochs``/``batch_size`` per fold, then a fresh model for
``final_epochs``/``final_batch_size`` on all training data, tested.
"""

from __future__ import annotations

import keras
import numpy as np
from sklearn.model_selection import KFold as KFoldSplit

from dlwp_suite.baselines import REGRESSORS, BaselineResult, kfold_regression_baseline
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Case
from dlwp_suite.metrics import declare
from dlwp_suite.protocols.base import (
    CURVE_METRICS,
    RunResult,
    ValidateThenTest,
    curve_metrics,
    fit,
    train_and_test,
)
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext


class KFold(ValidateThenTest):
    """K-fold validation MAE, then a fresh model on all training data, tested."""

    name = "kfold"
    metrics = declare({"kfold_val_mae": -1, "test_mae": -1, **CURVE_METRICS})
    baseline_names = frozenset(REGRESSORS)
    selection_metric = "kfold_val_mae"
    reported_metric = "test_mae"

    def validation_run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """The book's K-fold validation: per-fold and mean validation MAE, mean curves."""
        p = case.params
        # Seeded once before the folds, as the book's single script is.
        keras.utils.set_random_seed(seed)
        fold_mae, curves, rates = [], [], []
        # Unshuffled folds: fold i validates on samples [i*n/k, (i+1)*n/k), as the book does.
        folds = KFoldSplit(n_splits=p["k"]).split(data.x_train)
        for fold, (fit_idx, val_idx) in enumerate(folds, start=1):
            model = case.experiment.build_model(p, data)
            history, timings = fit(
                case,
                model,
                data.x_train[fit_idx],
                data.y_train[fit_idx],
                p["epochs"],
                p["batch_size"],
                validation=(data.x_train[val_idx], data.y_train[val_idx]),
                seed=seed,
                context=context,
                phase=f"fold{fold}",
            )
            fold_mae.append(history["val_mae"][-1])
            curves.append(history)
            rates.append(timings["train_samples_per_s"])
        mean_curves = {key: np.mean([c[key] for c in curves], axis=0).tolist() for key in curves[0]}
        return RunResult(
            {"kfold_val_mae": float(np.mean(fold_mae)), **curve_metrics(mean_curves)},
            {"kfold_train_samples_per_s": float(np.median(rates))},
            mean_curves,
            {"fold_val_mae": fold_mae},
        )

    def tested_model(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        x, y = data.x_train, data.y_train
        return train_and_test(case, data, seed, x, y, "mae", "test_mae", context=context)

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        return kfold_regression_baseline(name, case, data, seed)
