"""The book's training protocols, run for one case and one seed.

- ``holdout`` (IMDB, Reuters): train on all but the first ``validation_size`` samples
  for ``val_epochs`` watching the held-out set (the book's curves), then train a fresh
  model for ``final_epochs`` (on the full training set when ``final_on_full_train``)
  and evaluate it on the test set.
- ``kfold`` (Boston): K-fold validation MAE with ``epochs``/``batch_size`` per fold, then
  a fresh model for ``final_epochs``/``final_batch_size`` on all training data, tested.
- ``fit_evaluate`` (vision): train for ``epochs`` on the training split, watching the
  validation split where the data has one; ``finetune`` cases then unfreeze the top of
  the base and train ``finetune_epochs`` more; the same model is then tested.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np
from sklearn.model_selection import KFold

from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Case
from dlwp_suite.targets import direction
from dlwp_suite.timing import EpochClock, TargetClock, timed_predict

INFERENCE_BATCH = 512


@dataclass
class RunResult:
    """What one seed of one case measured."""

    metrics: dict[str, float]
    timings: dict[str, float | int | None]
    history: dict[str, list[float]] = field(default_factory=dict)
    details: dict[str, object] = field(default_factory=dict)
    test_predictions: np.ndarray | None = None


def _threshold(case: Case, metric: str) -> float | None:
    """Where the first absolute target on ``metric`` starts to count as reached.

    That is the edge of its tolerance band on the worse side of the book's number.
    """
    for target in case.targets:
        if target.metric == metric and target.value is not None:
            return target.value - direction(metric) * target.tolerance
    return None


def _fit(
    case: Case,
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    batch_size: int,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    monitor: tuple[str, Callable[[keras.Model, dict], float]] | None = None,
) -> tuple[dict[str, list[float]], dict[str, float | int | None]]:
    """``model.fit`` with an epoch clock and, if a target applies, a target clock."""
    clock = EpochClock()
    callbacks: list[keras.callbacks.Callback] = [clock]
    target_clock = None
    if monitor is not None and (threshold := _threshold(case, monitor[0])) is not None:
        target_clock = TargetClock(monitor[1], threshold, direction(monitor[0]), clock)
        callbacks.append(target_clock)
    history = model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation,
        callbacks=callbacks,
        verbose=0,
    )
    timings: dict[str, float | int | None] = dict(clock.throughput(len(x)))
    if target_clock is not None:
        timings["time_to_target_s"] = target_clock.reached_after_s
        timings["epochs_to_target"] = target_clock.reached_at_epoch
    return {k: [float(v) for v in vs] for k, vs in history.history.items()}, timings


def _fresh_model(case: Case, data: TaskData, seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return case.experiment.build_model(case.params, data)


def _test_metric(model: keras.Model, x: np.ndarray, y: np.ndarray, name: str) -> float:
    scores = model.evaluate(x, y, batch_size=INFERENCE_BATCH, verbose=0, return_dict=True)
    return float(scores[name])


def final_phase(case: Case, data: TaskData, seed: int) -> RunResult:
    """Train the final model the book tests, and measure it on the test set."""
    p, exp = case.params, case.experiment
    regression = exp.task == "regression"
    keras_metric, our_metric = ("mae", "test_mae") if regression else ("accuracy", "test_accuracy")
    if exp.protocol == "holdout" and not p["final_on_full_train"]:
        x, y = data.x_train[p["validation_size"] :], data.y_train[p["validation_size"] :]
    else:
        x, y = data.x_train, data.y_train
    y_test = exp.encode_labels(p, data.y_test)
    model = _fresh_model(case, data, seed)
    epochs = p["final_epochs"]
    batch = p.get("final_batch_size", p["batch_size"])
    history, timings = _fit(
        case,
        model,
        x,
        exp.encode_labels(p, y),
        epochs,
        batch,
        monitor=(our_metric, lambda m, _: _test_metric(m, data.x_test, y_test, keras_metric)),
    )
    metrics = {our_metric: _test_metric(model, data.x_test, y_test, keras_metric)}
    predictions, timings["inference_samples_per_s"] = timed_predict(
        model, data.x_test, INFERENCE_BATCH
    )
    if predictions.shape[-1] == 1:
        predictions = predictions[:, 0]
    return RunResult(
        metrics,
        timings,
        {f"final_{k}": v for k, v in history.items()},
        test_predictions=predictions,
    )


def holdout_validation(case: Case, data: TaskData, seed: int) -> RunResult:
    """The book's held-out validation run: learning curves and validation accuracy."""
    p, exp = case.params, case.experiment
    n_val = p["validation_size"]
    x_val, y_val = data.x_train[:n_val], exp.encode_labels(p, data.y_train[:n_val])
    x_fit, y_fit = data.x_train[n_val:], exp.encode_labels(p, data.y_train[n_val:])
    model = _fresh_model(case, data, seed)
    history, timings = _fit(
        case,
        model,
        x_fit,
        y_fit,
        p["val_epochs"],
        p["batch_size"],
        validation=(x_val, y_val),
        monitor=("best_val_accuracy", lambda _, logs: float(logs["val_accuracy"])),
    )
    val = history["val_accuracy"]
    metrics = {"val_accuracy": val[-1], "best_val_accuracy": max(val)}
    details = {"best_val_epoch": int(np.argmax(val)) + 1}
    return RunResult(metrics, {f"val_run_{k}": v for k, v in timings.items()}, history, details)


def kfold_validation(case: Case, data: TaskData, seed: int) -> RunResult:
    """The book's K-fold validation: per-fold and mean validation MAE, mean curves."""
    p = case.params
    keras.utils.set_random_seed(seed)
    fold_mae, curves, rates = [], [], []
    # Unshuffled folds: fold i validates on samples [i*n/k, (i+1)*n/k), as the book does.
    for fit_idx, val_idx in KFold(n_splits=p["k"]).split(data.x_train):
        model = case.experiment.build_model(p, data)
        history, timings = _fit(
            case,
            model,
            data.x_train[fit_idx],
            data.y_train[fit_idx],
            p["epochs"],
            p["batch_size"],
            validation=(data.x_train[val_idx], data.y_train[val_idx]),
        )
        fold_mae.append(history["val_mae"][-1])
        curves.append(history)
        rates.append(timings["train_samples_per_s"])
    mean_curves = {key: np.mean([c[key] for c in curves], axis=0).tolist() for key in curves[0]}
    return RunResult(
        {"kfold_val_mae": float(np.mean(fold_mae))},
        {"kfold_train_samples_per_s": float(np.median(rates))},
        mean_curves,
        {"fold_val_mae": fold_mae},
    )


def _validation_metrics(history: dict[str, list[float]], prefix: str = "") -> dict[str, float]:
    val = history.get("val_accuracy")
    if not val:
        return {}
    return {f"{prefix}val_accuracy": val[-1], f"{prefix}best_val_accuracy": max(val)}


def fit_evaluate(case: Case, data: TaskData, seed: int) -> RunResult:
    """Train once watching validation (then fine-tune, if declared) and test that model."""
    started = time.perf_counter()
    p, exp = case.params, case.experiment
    data = exp.case_inputs(p, data)
    model = _fresh_model(case, data, seed)
    validation = None if data.x_val is None else (data.x_val, exp.encode_labels(p, data.y_val))
    y_train = exp.encode_labels(p, data.y_train)
    monitor = None
    if validation is not None:
        monitor = ("best_val_accuracy", lambda _, logs: float(logs["val_accuracy"]))
    elif data.x_test is not None:
        y_test = exp.encode_labels(p, data.y_test)
        monitor = ("test_accuracy", lambda m, _: _test_metric(m, data.x_test, y_test, "accuracy"))
    history, timings = _fit(
        case, model, data.x_train, y_train, p["epochs"], p["batch_size"], validation, monitor
    )
    metrics = _validation_metrics(history)
    if p.get("finetune"):
        assert exp.finetune is not None, f"{exp.id} asks to fine-tune but declares no finetune"
        exp.finetune(model, p)
        tuned, tuned_timings = _fit(
            case, model, data.x_train, y_train, p["finetune_epochs"], p["batch_size"], validation
        )
        history = {**{f"head_{k}": v for k, v in history.items()}, **tuned}
        timings = {**{f"head_{k}": v for k, v in timings.items()}, **tuned_timings}
        head = {f"head_{k}": v for k, v in metrics.items()}
        metrics = {**head, **_validation_metrics(tuned)}
        if "val_accuracy" in metrics:
            metrics["finetune_gain"] = metrics["val_accuracy"] - head["head_val_accuracy"]
    predictions = None
    if data.x_test is not None:
        y_test = exp.encode_labels(p, data.y_test)
        metrics["test_accuracy"] = _test_metric(model, data.x_test, y_test, "accuracy")
        predictions, timings["inference_samples_per_s"] = timed_predict(
            model, data.x_test, p["batch_size"]
        )
        if predictions.shape[-1] == 1:
            predictions = predictions[:, 0]
    timings.update(data.timings)
    timings["wall_s"] = time.perf_counter() - started
    return RunResult(metrics, timings, history, test_predictions=predictions)


def _single_run(case: Case) -> Callable[[Case, TaskData, int], RunResult] | None:
    """The protocol's one training run, for protocols that test the model they validate."""
    if case.experiment.protocol == "fit_evaluate":
        return fit_evaluate
    if case.experiment.protocol == "forecast":
        from dlwp_suite.forecast import fit_forecaster  # it builds on this module

        return fit_forecaster
    return None


def tested_model(case: Case, data: TaskData, seed: int) -> RunResult:
    """Train only the model the book tests (with its test-set predictions)."""
    single = _single_run(case)
    return single(case, data, seed) if single else final_phase(case, data, seed)


def run(case: Case, data: TaskData, seed: int) -> RunResult:
    """Run the case's full protocol for one seed: validation, then the tested model."""
    if (single := _single_run(case)) is not None:
        return single(case, data, seed)
    started = time.perf_counter()
    validate = holdout_validation if case.experiment.protocol == "holdout" else kfold_validation
    validated = validate(case, data, seed)
    final = final_phase(case, data, seed)
    timings = {**validated.timings, **final.timings, "wall_s": time.perf_counter() - started}
    return RunResult(
        {**validated.metrics, **final.metrics},
        timings,
        {**validated.history, **final.history},
        validated.details,
        final.test_predictions,
    )
