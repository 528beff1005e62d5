"""Callback-behaviour protocol (1e 7.2.1; 2e 7.3.3): the book's callbacks on a real run,
checked against what the book says they do.

One fit on the training split, validating every epoch, with Keras' own callbacks as the
case declares them (``callbacks``: name -> settings):

- ``early_stopping`` (``monitor``, ``patience``): "interrupts training when [the metric]
  has stopped improving for more than [patience] epochs";
- ``checkpoint`` (``monitor``): ``ModelCheckpoint(save_best_only=True)`` to a ``.keras``
  file, reloaded with ``load_model`` and tested: "keep the best model seen during
  training";
- ``reduce_lr`` (``monitor``, ``factor``, ``patience``): "divides the learning rate by 10
  when triggered ... after the validation loss has stopped improving for 10 epochs".

Each behaviour is recorded as its departures from what the run's own history says the
callback should have done, so a target of 0 can fail; ``stopped_early`` and
``lr_reductions`` say whether the behaviour was exercised at all. A monitored name with
``acc`` in it improves upwards, any other downwards (Keras' ``mode="auto"``).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import keras
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
    curve_metrics,
    fit,
    fresh_model,
    tested,
)
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext


def _higher_is_better(monitor: str) -> bool:
    return "acc" in monitor


def expected_stop_epoch(
    values: Sequence[float], patience: int, higher_is_better: bool, cap: int
) -> int:
    """The (1-based) epoch ``EarlyStopping(patience)`` ends training on, for these per-epoch
    values of its metric: the first one ``patience`` epochs after the last strict
    improvement (Keras' documented rule), else the epoch cap: a run that ended before
    either stopped too early."""
    sign = 1.0 if higher_is_better else -1.0
    best, best_epoch = -np.inf, 0
    for epoch, value in enumerate(values, start=1):
        if sign * value > best:
            best, best_epoch = sign * value, epoch
        elif epoch - best_epoch >= patience:
            return epoch
    return cap


def expected_learning_rates(
    values: Sequence[float],
    initial: float,
    factor: float,
    patience: int,
    min_delta: float,
    higher_is_better: bool = False,
) -> list[float]:
    """The learning rate in force at each epoch under ``ReduceLROnPlateau``, and after
    the last, for these per-epoch values of its metric: ``factor`` times lower after
    ``patience`` epochs without an improvement of more than ``min_delta`` (its size: Keras
    flips its sign for metrics that fall), counting afresh after each cut."""
    sign = 1.0 if higher_is_better else -1.0
    rate, best, waited = initial, -np.inf, 0
    rates = []
    for value in values:
        rates.append(rate)
        if sign * value - abs(min_delta) > best:
            best, waited = sign * value, 0
        else:
            waited += 1
            if waited >= patience:
                rate, waited = rate * factor, 0
    return [*rates, rate]


class LearningRates(keras.callbacks.Callback):
    """The optimizer's learning rate at the start of each epoch, and at the end of training
    (a cut after the last epoch counts too)."""

    def __init__(self) -> None:
        super().__init__()
        self.rates: list[float] = []

    def _read(self) -> None:
        self.rates.append(float(np.asarray(self.model.optimizer.learning_rate)))

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._read()

    def on_train_end(self, logs: dict | None = None) -> None:
        self._read()


def _callbacks(
    settings: Mapping[str, Mapping], checkpoint_path: Path
) -> dict[str, keras.callbacks.Callback]:
    """Keras' callbacks as the case declares them (the book's arguments, nothing else)."""
    made: dict[str, keras.callbacks.Callback] = {}
    if (es := settings.get("early_stopping")) is not None:
        made["early_stopping"] = keras.callbacks.EarlyStopping(
            monitor=es["monitor"], patience=es["patience"]
        )
    if (cp := settings.get("checkpoint")) is not None:
        made["checkpoint"] = keras.callbacks.ModelCheckpoint(
            filepath=str(checkpoint_path), monitor=cp["monitor"], save_best_only=True
        )
    if (lr := settings.get("reduce_lr")) is not None:
        made["reduce_lr"] = keras.callbacks.ReduceLROnPlateau(
            monitor=lr["monitor"], factor=lr["factor"], patience=lr["patience"]
        )
    unknown = set(settings) - set(made)
    if unknown:
        raise ValueError(
            f"unknown callbacks {sorted(unknown)}; known: checkpoint, early_stopping, reduce_lr"
        )
    return made


class CallbackBehaviour(Protocol):
    """One fit with the book's callbacks; records whether each did what the book says."""

    name = "callbacks"
    metrics = declare(
        {
            "test_accuracy": 1,
            "val_accuracy": 1,
            "best_val_accuracy": 1,
            **CURVE_METRICS,
            "epochs_run": -1,
            "stopped_early": 1,  # 1: EarlyStopping ended the run before the epoch cap
            "early_stopping_error": -1,  # epochs between the actual and the expected stop
            "checkpoint_error": -1,  # relative gap: reloaded model vs its epoch's value
            "lr_reductions": 1,
            "lr_schedule_error": -1,  # epochs whose learning rate departs from the rule
        }
    )
    baseline_names = frozenset(CLASSIFIERS)
    selection_metric = "val_accuracy"
    reported_metric = "test_accuracy"

    def run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """Train with the declared callbacks, check each against the history, test the
        checkpoint (or the last model where none is declared)."""
        started = time.perf_counter()
        p, exp = case.params, case.experiment
        if data.x_val is None or data.y_val is None:
            raise ValueError(f"{case.id}: the callbacks protocol needs a validation split")
        y_val = exp.encode_labels(p, data.y_val)
        rates = LearningRates()
        metrics: dict[str, float] = {}
        with tempfile.TemporaryDirectory() as scratch:
            made = _callbacks(p["callbacks"], Path(scratch) / "checkpoint.keras")
            model = fresh_model(case, data, seed)
            history, timings = fit(
                case,
                model,
                data.x_train,
                exp.encode_labels(p, data.y_train),
                p["epochs"],
                p["batch_size"],
                validation=(data.x_val, y_val),
                callbacks=[rates, *made.values()],
                seed=seed,
                context=context,
            )
            epochs = len(history["val_loss"])
            metrics["epochs_run"] = float(epochs)
            if (es := p["callbacks"].get("early_stopping")) is not None:
                monitored = history[es["monitor"]]
                expected = expected_stop_epoch(
                    monitored, es["patience"], _higher_is_better(es["monitor"]), p["epochs"]
                )
                metrics["stopped_early"] = float(epochs < p["epochs"])
                metrics["early_stopping_error"] = float(abs(epochs - expected))
            tested_epoch = epochs
            if (cp := p["callbacks"].get("checkpoint")) is not None:  # its epoch is tested
                model = keras.models.load_model(Path(scratch) / "checkpoint.keras")
                monitored = history[cp["monitor"]]
                pick = np.argmax if _higher_is_better(cp["monitor"]) else np.argmin
                tested_epoch = int(pick(monitored)) + 1
                best = monitored[tested_epoch - 1]
                scores = model.evaluate(
                    data.x_val, y_val, batch_size=p["batch_size"], verbose=0, return_dict=True
                )
                reloaded = float(scores[cp["monitor"].removeprefix("val_")])
                metrics["checkpoint_error"] = abs(reloaded - best) / abs(best)
        if (lr := p["callbacks"].get("reduce_lr")) is not None:
            expected_rates = expected_learning_rates(
                history[lr["monitor"]],
                rates.rates[0],
                lr["factor"],
                lr["patience"],
                made["reduce_lr"].min_delta,
                _higher_is_better(lr["monitor"]),
            )
            measured, wanted = np.array(rates.rates), np.array(expected_rates)
            metrics["lr_reductions"] = float(np.sum(measured[1:] < measured[:-1]))
            metrics["lr_schedule_error"] = float(
                np.sum(~np.isclose(measured, wanted, rtol=1e-5, atol=0.0))
            )
        val = history["val_accuracy"]
        metrics.update(
            {
                "val_accuracy": val[tested_epoch - 1],
                "best_val_accuracy": max(val),
                **curve_metrics(history),
            }
        )
        history["learning_rate"] = rates.rates[:-1]
        predicted = None
        if data.x_test is not None:
            y_test = exp.encode_labels(p, data.y_test)
            metrics["test_accuracy"], predicted, timings["inference_samples_per_s"] = tested(
                model, data.x_test, y_test, "accuracy", INFERENCE_BATCH
            )
        timings["wall_s"] = time.perf_counter() - started
        details = {"stopped_after_epoch": epochs, "tested_epoch": tested_epoch}
        return RunResult(metrics, timings, history, details, test_predictions=predicted)

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        return classification_baseline(name, case, data, seed)
