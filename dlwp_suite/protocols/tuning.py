"""Hyperparameter-search protocols (2e 13.1.1; 1e 7.3.2): KerasTuner over the book's
search space, against the book's hand-picked settings.

The 2nd edition's ``chapter13_best-practices-for-the-real-world`` (c7-c16): ``units`` in
16-64 by 16 and ``optimizer`` in rmsprop or adam; ``BayesianOptimization`` on the
validation metric, each trial stopped by ``EarlyStopping(val_loss, patience=5)``; then
the best settings' best epoch, found again with patience 10, and a refit on training
plus validation data for 1.2 times that many epochs, tested once. Here the space sets
every hidden layer of the chapter's network (its depth kept), and the book's
hand-picked settings go through the same best-epoch run and refit with the same seed,
so the two differ only in their hyperparameters. The 1st edition (7.3.2) has no code;
it warns that tuning on the validation data overfits it, which the recorded gap
between each model's validation and test score shows.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import keras
import keras_tuner
import numpy as np

from dlwp_suite.baselines import (
    CLASSIFIERS,
    REGRESSORS,
    BaselineResult,
    classification_baseline,
    kfold_regression_baseline,
)
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.event_logs import tensorboard_callbacks
from dlwp_suite.experiment import Case
from dlwp_suite.metrics import declare
from dlwp_suite.protocols.base import (
    INFERENCE_BATCH,
    Protocol,
    RunResult,
    fit,
    tested,
)
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext


def _gains(score: str, better: int) -> Mapping[str, int]:
    return {
        f"best_trial_val_{score}": better,
        f"val_{score}": better,  # the tuned settings' best-epoch run, scored as a trial
        f"hand_picked_val_{score}": better,
        f"test_{score}": better,
        f"hand_picked_test_{score}": better,
        "tuning_val_gain": 1,  # tuned over hand-picked, in the good direction
        "tuning_test_gain": 1,
        "val_test_gap": -1,  # validation over test score, in the good direction
        "hand_picked_val_test_gap": -1,
        "trials": 1,
    }


class Tuning(Protocol):
    """Search, then the tuned and the hand-picked settings' best epochs, refits and tests."""

    score: ClassVar[str]  # the Keras metric searched and reported
    better: ClassVar[int]  # +1: higher is better

    def _settings(self, case: Case, values: Mapping[str, Any]) -> dict[str, Any]:
        depth = len(case.params["hidden"])
        return {
            **case.params,
            "hidden": (values["units"],) * depth,
            "optimizer": values["optimizer"],
        }

    def _search(
        self, case: Case, data: TaskData, seed: int, workdir: str, context: RunContext
    ) -> tuple[dict[str, Any], float, int]:
        """KerasTuner's best settings, the best trial's score and the trials run."""
        p, exp = case.params, case.experiment
        space = p["search_space"]

        def build(hp: keras_tuner.HyperParameters) -> keras.Model:
            low, high, step = space["units"]
            values = {
                "units": hp.Int("units", min_value=low, max_value=high, step=step),
                "optimizer": hp.Choice("optimizer", list(space["optimizer"])),
            }
            return exp.build_model(self._settings(case, values), data)

        objective = keras_tuner.Objective(f"val_{self.score}", "max" if self.better > 0 else "min")
        tuner = keras_tuner.BayesianOptimization(
            build,
            objective=objective,
            max_trials=p["max_trials"],
            seed=seed,
            directory=workdir,
            project_name=case.experiment.id,
            overwrite=True,
        )
        keras.utils.set_random_seed(seed)
        tuner.search(
            data.x_train,
            exp.encode_labels(p, data.y_train),
            epochs=p["search_epochs"],
            batch_size=p["batch_size"],
            validation_data=(data.x_val, exp.encode_labels(p, data.y_val)),
            callbacks=[
                keras.callbacks.EarlyStopping("val_loss", patience=p["search_patience"]),
                # KerasTuner gives each trial its own subfolder of these logs.
                *tensorboard_callbacks(context.tensorboard_dir, case.id, seed, "search"),
            ],
            verbose=0,
        )
        best = tuner.oracle.get_best_trials(1)[0]
        return dict(best.hyperparameters.values), float(best.score), len(tuner.oracle.trials)

    def _best_epoch_then_test(
        self,
        case: Case,
        data: TaskData,
        seed: int,
        values: Mapping[str, Any],
        phase: str,
        context: RunContext,
    ) -> tuple[float, float, np.ndarray, dict[str, Any]]:
        """2e c15-c16: the best epoch (patience 10), then a refit on training plus
        validation data for 1.2 x that many epochs; (the run's best validation score,
        test score, test predictions, timings)."""
        p, exp = case.params, case.experiment
        settings = self._settings(case, values)
        keras.utils.set_random_seed(seed)
        model = exp.build_model(settings, data)
        stop = keras.callbacks.EarlyStopping("val_loss", patience=p["best_epoch_patience"])
        history, timings = fit(
            case,
            model,
            data.x_train,
            exp.encode_labels(p, data.y_train),
            p["search_epochs"],
            p["batch_size"],
            validation=(data.x_val, exp.encode_labels(p, data.y_val)),
            callbacks=[stop],
            seed=seed,
            context=context,
            phase=f"{phase}-best-epoch",
        )
        best_epoch = int(np.argmin(history["val_loss"])) + 1
        # Scored as the search scores a trial: the best epoch's value of its objective.
        scores = history[f"val_{self.score}"]
        val_score = max(scores) if self.better > 0 else min(scores)
        keras.utils.set_random_seed(seed)
        model = exp.build_model(settings, data)
        x_all = np.concatenate([data.x_train, data.x_val])
        y_all = np.concatenate([data.y_train, data.y_val])
        fit(
            case,
            model,
            x_all,
            exp.encode_labels(p, y_all),
            max(1, int(best_epoch * p["refit_factor"])),
            p["batch_size"],
            seed=seed,
            context=context,
            phase=f"{phase}-refit",
        )
        test, predicted, timings["inference_samples_per_s"] = tested(
            model, data.x_test, exp.encode_labels(p, data.y_test), self.score, INFERENCE_BATCH
        )
        return float(val_score), test, predicted, {"best_epoch": best_epoch, **timings}

    def run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """The search, then both settings' best epochs, refits and test scores."""
        started = time.perf_counter()
        if data.x_val is None or data.x_test is None:
            raise ValueError(f"{case.id}: tuning needs validation and test splits")
        with tempfile.TemporaryDirectory() as workdir:
            searched = time.perf_counter()
            tuned, trial_score, trials = self._search(case, data, seed, workdir, context)
            search_s = time.perf_counter() - searched
        hand = case.params["hand_picked"]
        val, test, predicted, tuned_timings = self._best_epoch_then_test(
            case, data, seed, tuned, "tuned", context
        )
        hand_val, hand_test, _, hand_timings = self._best_epoch_then_test(
            case, data, seed, hand, "hand-picked", context
        )
        s, better = self.score, self.better
        metrics = {
            f"best_trial_val_{s}": trial_score,
            f"val_{s}": val,
            f"hand_picked_val_{s}": hand_val,
            f"test_{s}": test,
            f"hand_picked_test_{s}": hand_test,
            "tuning_val_gain": better * (val - hand_val),
            "tuning_test_gain": better * (test - hand_test),
            "val_test_gap": better * (val - test),
            "hand_picked_val_test_gap": better * (hand_val - hand_test),
            "trials": float(trials),
        }
        timings = {
            "search_s": search_s,
            # The hand-picked settings' run: its width does not depend on the search.
            "train_samples_per_s": hand_timings["train_samples_per_s"],
            "inference_samples_per_s": hand_timings["inference_samples_per_s"],
            "wall_s": time.perf_counter() - started,
        }
        details = {
            "tuned": tuned,
            "hand_picked": dict(hand),
            "tuned_best_epoch": tuned_timings["best_epoch"],
            "hand_picked_best_epoch": hand_timings["best_epoch"],
        }
        return RunResult(metrics, timings, {}, details, test_predictions=predicted)


class ClassifierTuning(Tuning):
    """Tuning a classifier on validation accuracy."""

    name = "tuning"
    score = "accuracy"
    better = 1
    metrics = declare(_gains("accuracy", 1))
    baseline_names = frozenset(CLASSIFIERS)
    selection_metric = "val_accuracy"
    reported_metric = "test_accuracy"

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        return classification_baseline(name, case, data, seed)


class RegressorTuning(Tuning):
    """Tuning a regressor on validation MAE."""

    name = "tuning_regression"
    score = "mae"
    better = -1
    metrics = declare(_gains("mae", -1))
    baseline_names = frozenset(REGRESSORS)
    selection_metric = "kfold_val_mae"
    reported_metric = "test_mae"

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        return kfold_regression_baseline(name, case, data, seed)
