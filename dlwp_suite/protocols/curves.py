"""Validation-curve protocol (1st edition 4.4, overfitting and underfitting).

Train on the whole training set for ``epochs``, evaluating the validation split after
each epoch, as the book's figures do; nothing is tested afterwards. What is recorded is
the shape of the validation curves: where the loss is lowest and how high it ends,
how rough it is, and the same read off the cross-entropy alone, since Keras' reported
``val_loss`` includes a weight penalty (L2) and so is not comparable across models.
"""

from __future__ import annotations

import time

import numpy as np

from dlwp_suite.baselines import CLASSIFIERS, BaselineResult, classification_baseline
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Case
from dlwp_suite.metrics import declare
from dlwp_suite.protocols.base import (
    CURVE_METRICS,
    INFERENCE_BATCH,
    Protocol,
    RunResult,
    add_token_rates,
    curve_metrics,
    fit,
    fresh_model,
    predictions,
)
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext

# The cross-entropy metric every model of this protocol compiles, named so that the
# history holds ``val_crossentropy`` beside the penalised ``val_loss``.
CROSSENTROPY = "crossentropy"
CROSSENTROPY_METRICS = declare(
    {
        "best_val_crossentropy": -1,
        "best_val_crossentropy_epoch": 1,
        "last_val_crossentropy": -1,
        "val_loss_roughness": -1,
    }
)


def roughness(values: list[float]) -> float:
    """Mean absolute second difference of a curve: 0 for a straight line, more for zigzags.

    The book's "noisier validation loss" of the bigger network, as a number.
    """
    if len(values) < 3:
        return 0.0
    return float(np.mean(np.abs(np.diff(values, n=2))))


class Curves(Protocol):
    """Fit on all training data, validate every epoch, record the curves' shape."""

    name = "curves"
    metrics = declare(
        {
            "val_accuracy": 1,
            "best_val_accuracy": 1,
            **CURVE_METRICS,
            **CROSSENTROPY_METRICS,
        }
    )
    baseline_names = frozenset(CLASSIFIERS)
    selection_metric = "val_accuracy"
    reported_metric = "val_accuracy"

    def run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        p = case.params
        data = case.experiment.case_inputs(p, data)
        if data.x_val is None or data.y_val is None:
            raise ValueError(f"{case.id}: the curves protocol needs a validation split")
        started = time.perf_counter()
        model = fresh_model(case, data, seed)
        labels = case.experiment.encode_labels
        history, timings = fit(
            case,
            model,
            data.x_train,
            labels(p, data.y_train),
            p["epochs"],
            p["batch_size"],
            validation=(data.x_val, labels(p, data.y_val)),
            monitor=("best_val_accuracy", lambda _, logs: float(logs["val_accuracy"])),
            seed=seed,
            context=context,
        )
        val = history["val_accuracy"]
        metrics = {
            "val_accuracy": val[-1],
            "best_val_accuracy": max(val),
            **curve_metrics(history),
            "val_loss_roughness": roughness(history["val_loss"]),
        }
        crossentropy = history[f"val_{CROSSENTROPY}"]
        metrics.update(
            {
                "best_val_crossentropy": float(min(crossentropy)),
                "best_val_crossentropy_epoch": float(np.argmin(crossentropy) + 1),
                "last_val_crossentropy": float(crossentropy[-1]),
            }
        )
        _, timings["inference_samples_per_s"] = predictions(model, data.x_val, INFERENCE_BATCH)
        add_token_rates(timings, data)
        details = {"best_val_epoch": int(np.argmax(val)) + 1}
        timings["wall_s"] = time.perf_counter() - started
        return RunResult(metrics, timings, history, details)

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        return classification_baseline(name, case, data, seed)
