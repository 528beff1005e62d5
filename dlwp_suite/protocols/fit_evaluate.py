"""Fit-then-evaluate protocol (vision).

Train for ``epochs`` on the training split, watching the validation split where the
data has one; ``finetune`` cases then unfreeze the top of the base and train
``finetune_epochs`` more; the same model is then tested. Cases with ``augmentation``
train on the 1e generator's stream (``dlwp_suite.augmentation``, numpy: the same on
every backend), ``steps_per_epoch`` batches an epoch as ``fit_generator`` did. Cases
with ``restore_best`` test the weights of the epoch with the lowest validation loss,
as the 2nd edition's ``ModelCheckpoint(save_best_only=True)`` then ``load_model`` do.
"""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np

from dlwp_suite.augmentation import book_generator
from dlwp_suite.baselines import CLASSIFIERS, BaselineResult, classification_baseline
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Case
from dlwp_suite.metrics import DATA_METRICS, declare
from dlwp_suite.protocols.base import (
    CURVE_METRICS,
    BestWeights,
    Protocol,
    RunResult,
    add_token_rates,
    curve_metrics,
    fit,
    fresh_model,
    predictions,
    test_metric,
)


def _validation_metrics(history: dict[str, list[float]], prefix: str = "") -> dict[str, float]:
    val = history.get("val_accuracy")
    if not val:
        return {}
    return {
        f"{prefix}val_accuracy": val[-1],
        f"{prefix}best_val_accuracy": max(val),
        **curve_metrics(history, prefix),
    }


def _training_input(
    case: Case, x: np.ndarray, y: np.ndarray, seed: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``fit`` arguments for the training data: arrays, or the augmented stream."""
    p = case.params
    if not p.get("augmentation"):
        return {"x": x, "y": y, "batch_size": p["batch_size"]}, {}
    steps = p.get("steps_per_epoch") or -(-len(x) // p["batch_size"])
    stream = book_generator(x, y, p["augmentation"], p["batch_size"], seed)
    return (
        {"x": stream, "y": None, "batch_size": None},
        {"steps_per_epoch": steps, "samples_per_epoch": steps * p["batch_size"]},
    )


class FitEvaluate(Protocol):
    """Train watching validation (then fine-tune), and test that same model."""

    name = "fit_evaluate"
    metrics = declare(
        {
            "test_accuracy": 1,
            "val_accuracy": 1,
            "best_val_accuracy": 1,
            "head_val_accuracy": 1,
            "head_best_val_accuracy": 1,
            "finetune_gain": 1,
            "param_count": -1,  # the book's "fewer parameters" (2e 9.3.5): fewer is better
            **CURVE_METRICS,
            **{f"head_{k}": v for k, v in CURVE_METRICS.items()},
            **DATA_METRICS,
        }
    )
    baseline_names = frozenset(CLASSIFIERS)
    selection_metric = "val_accuracy"
    reported_metric = "test_accuracy"

    def run(self, case: Case, data: TaskData, seed: int) -> RunResult:
        """Train once watching validation (then fine-tune, if declared) and test that model."""
        return self.run_keeping_model(case, data, seed)[0]

    def run_keeping_model(
        self, case: Case, data: TaskData, seed: int
    ) -> tuple[RunResult, keras.Model, TaskData]:
        """:meth:`run`, also returning the tested model and the inputs it saw, for a
        protocol that goes on to look inside it."""
        started = time.perf_counter()
        p, exp = case.params, case.experiment
        data = exp.case_inputs(p, data)
        model = fresh_model(case, data, seed)
        validation = None
        if data.x_val is not None:
            validation = (data.x_val, exp.encode_labels(p, data.y_val))
        y_train = exp.encode_labels(p, data.y_train)
        monitor = None
        if validation is not None:
            monitor = ("best_val_accuracy", lambda _, logs: float(logs["val_accuracy"]))
        elif data.x_test is not None:
            y_test = exp.encode_labels(p, data.y_test)
            monitor = (
                "test_accuracy",
                lambda m, _: test_metric(m, data.x_test, y_test, "accuracy"),
            )
        # One stream for both phases: fine-tuning continues where the head left it.
        train, per_epoch = _training_input(case, data.x_train, y_train, seed)
        best = BestWeights() if p.get("restore_best") else None
        history, timings = fit(
            case,
            model,
            epochs=p["epochs"],
            validation=validation,
            monitor=monitor,
            callbacks=[best] if best else (),
            seed=seed,
            **train,
            **per_epoch,
        )
        metrics = _validation_metrics(history)
        details: dict[str, object] = {}
        if best is not None:
            best.restore(model)
            details["restored_epoch"] = best.best_epoch
            # The tested model's validation accuracy, not the last epoch's.
            metrics["val_accuracy"] = history["val_accuracy"][best.best_epoch - 1]
        if p.get("finetune"):
            assert exp.finetune is not None, f"{exp.id} asks to fine-tune but declares no finetune"
            exp.finetune(model, p)
            tuned, tuned_timings = fit(
                case,
                model,
                epochs=p["finetune_epochs"],
                validation=validation,
                seed=seed,
                phase="finetune",
                **train,
                **per_epoch,
            )
            history = {**{f"head_{k}": v for k, v in history.items()}, **tuned}
            timings = {**{f"head_{k}": v for k, v in timings.items()}, **tuned_timings}
            head = {f"head_{k}": v for k, v in metrics.items()}
            metrics = {**head, **_validation_metrics(tuned)}
            if "val_accuracy" in metrics:
                metrics["finetune_gain"] = metrics["val_accuracy"] - head["head_val_accuracy"]
        predicted = None
        if data.x_test is not None:
            y_test = exp.encode_labels(p, data.y_test)
            metrics["test_accuracy"] = test_metric(model, data.x_test, y_test, "accuracy")
            predicted, timings["inference_samples_per_s"] = predictions(
                model, data.x_test, p["batch_size"]
            )
        metrics["param_count"] = float(model.count_params())
        metrics.update(data.extras.get("data_metrics", {}))
        timings.update(data.timings)
        add_token_rates(timings, data)
        timings["wall_s"] = time.perf_counter() - started
        return (
            RunResult(metrics, timings, history, details, test_predictions=predicted),
            model,
            data,
        )

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        return classification_baseline(name, case, data, seed)
