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

import copy
import dataclasses
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
    clock_threshold,
    curve_metrics,
    fit,
    fresh_model,
    test_metric,
    tested,
)
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext


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


def _tested(
    case: Case,
    data: TaskData,
    model: keras.Model,
    metrics: dict[str, float],
    timings: dict[str, Any],
    history: dict[str, list[float]],
    started: float,
) -> RunResult:
    """The trained model tested (where the data has a test split), with its size, the
    data's own metrics and rates, and the wall time since ``started``."""
    exp, p = case.experiment, case.params
    predicted = None
    if data.x_test is not None:
        y_test = exp.encode_labels(p, data.y_test)
        metrics["test_accuracy"], predicted, timings["inference_samples_per_s"] = tested(
            model, data.x_test, y_test, "accuracy", p["batch_size"]
        )
    metrics["param_count"] = float(model.count_params())
    metrics.update(data.extras.get("data_metrics", {}))
    timings.update(data.timings)
    add_token_rates(timings, data)
    timings["wall_s"] = time.perf_counter() - started
    return RunResult(metrics, timings, history, {}, test_predictions=predicted)


# Parameters only the fine-tuning phase reads.
_FINETUNE_ONLY = ("finetune", "finetune_epochs", "finetune_learning_rate")
# First phases of fine-tuned cases, kept for the case that is exactly that phase:
# (experiment, its parameters, data, seed) -> the phase's result.
_HEADS: dict[tuple[str, str, str, int], RunResult] = {}


def _head_params(case: Case) -> str:
    return repr(sorted((k, repr(v)) for k, v in case.params.items() if k not in _FINETUNE_ONLY))


def _head_key(case: Case, data: TaskData, seed: int) -> tuple[str, str, str, int]:
    return (case.experiment.id, _head_params(case), repr(sorted(data.file_hashes.items())), seed)


def _head_twin(case: Case) -> Case | None:
    """The case of the same profile that trains exactly ``case``'s first phase, if any
    (and times it to the same target: the phase's clock reads ``case``'s)."""
    clocked = clock_threshold(case, "best_val_accuracy")
    return next(
        (
            other
            for other in case.experiment.cases(case.profile)
            if not other.params.get("finetune")
            and _head_params(other) == _head_params(case)
            and clock_threshold(other, "best_val_accuracy") == clocked
        ),
        None,
    )


@dataclasses.dataclass(frozen=True)
class TrainedModel:
    """A case's tested model kept for a case that looks inside it: its result (a copy),
    the model, the inputs it saw, and the data files it trained on (name -> SHA-256)."""

    result: RunResult
    model: keras.Model
    data: TaskData
    trained_on: dict[str, str]


def _copied(result: RunResult) -> RunResult:
    """A copy the viewer may add to without changing the trainer's record."""
    return dataclasses.replace(
        result,
        metrics=dict(result.metrics),
        timings=dict(result.timings),
        history={k: list(v) for k, v in result.history.items()},
        details=copy.deepcopy(result.details),
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

    def run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """Train once watching validation (then fine-tune, if declared) and test that model.

        A case that is exactly a fine-tuned case's first phase (the book's frozen base
        with augmentation, then the same model fine-tuned) is that phase's result when
        the fine-tuned case ran first in this process with the same seed: the same model
        is not trained twice. Its record says so (``details["reused"]``)."""
        reused = _HEADS.pop(_head_key(case, data, seed), None)
        if reused is not None:
            return reused
        return self.run_keeping_model(case, data, seed, context=context)[0]

    def reuses(self, case: Case) -> str | None:
        """The fine-tuned case whose first phase ``case`` is exactly, if any."""
        if case.params.get("finetune"):
            return None
        return next(
            (
                other.id
                for other in case.experiment.cases(case.profile)
                if other.params.get("finetune")
                and (twin := _head_twin(other)) is not None
                and twin.variant == case.variant
            ),
            None,
        )

    def run_keeping_model(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext
    ) -> tuple[RunResult, keras.Model, TaskData]:
        """:meth:`run`, also returning the tested model and the inputs it saw, for a
        protocol that goes on to look inside it."""
        started = time.perf_counter()
        p, exp, given = case.params, case.experiment, data
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
            context=context,
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
            if (twin := _head_twin(case)) is not None:
                testing = time.perf_counter()
                head_result = _tested(
                    case, data, model, dict(metrics), dict(timings), history, started
                )
                head_result.details.update(details, reused=f"the first phase of {case.id}")
                _HEADS[_head_key(twin, given, seed)] = head_result
                started += time.perf_counter() - testing  # the twin's test, in its record
            exp.finetune(model, p)
            tuned, tuned_timings = fit(
                case,
                model,
                epochs=p["finetune_epochs"],
                validation=validation,
                seed=seed,
                context=context,
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
        result = _tested(case, data, model, metrics, timings, history, started)
        result.details.update(details)
        if context.kept_models is not None:
            kept = TrainedModel(_copied(result), model, data, dict(given.file_hashes))
            context.kept_models.keep(case.id, seed, kept)
        return result, model, data

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        return classification_baseline(name, case, data, seed)
