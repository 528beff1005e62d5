"""Forecasting protocol (weather): streamed windows, MAE in °C, and its baselines.

The model trains on windows streamed from the series (`dlwp_suite.datasets.windows.Windows`);
the baselines (common-sense, seasonal-naive, ridge and gradient boosting on lagged
features) are scored on the very same window starts.
"""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from dlwp_suite.baselines import BaselineResult
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.datasets.windows import Windows, for_case
from dlwp_suite.event_logs import tensorboard_callbacks
from dlwp_suite.experiment import Case
from dlwp_suite.metrics import declare
from dlwp_suite.protocols.base import (
    CURVE_METRICS,
    Protocol,
    RunResult,
    curve_metrics,
    progress_callback,
)
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext
from dlwp_suite.timing import EpochClock

# Every forecasting baseline: the first two are trivial bars, the others shallow models.
FORECAST_BASELINES = ("common_sense", "seasonal_naive", "ridge", "gradient_boosting")


def _windows(data: TaskData) -> Windows:
    return data.extras["windows"]


def _celsius(data: TaskData, values: np.ndarray) -> np.ndarray:
    scale, shift = data.extras["to_celsius"]
    return values * scale + shift


def pipeline_rate(dataset, batches: int) -> float:
    """Windows per second the input pipeline alone delivers (no model)."""
    iterator = iter(dataset)
    next(iterator)  # the first batch pays tf.data's start-up
    started, windows = time.perf_counter(), 0
    for _ in range(batches):
        windows += len(next(iterator)[1])
    return windows / (time.perf_counter() - started)


def _lag_features(data: TaskData, starts: np.ndarray) -> np.ndarray:
    """Per window: the temperature at each of its last 24 hourly samples, plus every
    measurement at its last sample (what the shallow models see of a window)."""
    windows = _windows(data)
    last = starts + windows.lookback - windows.step
    per_hour = data.extras["rows_per_hour"]
    temperature = data.extras["celsius"]
    hourly = last[:, None] - per_hour * np.arange(24)[None, :]
    return np.hstack([temperature[np.clip(hourly, 0, None)], data.x_train[last]])


class Forecast(Protocol):
    """The weather forecast on streamed windows (1e 6.3, 2e ch10)."""

    name = "forecast"
    metrics = declare(
        {
            "val_mae": -1,
            "best_val_mae": -1,
            "best_val_mae_norm": -1,
            "test_mae": -1,
            "pipeline_share": -1,
            **CURVE_METRICS,
        }
    )
    baseline_names = frozenset(FORECAST_BASELINES)
    selection_metric = "val_mae"
    reported_metric = "test_mae"

    def run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """Train one case's model on streamed windows; MAE in °C on validation and test."""
        started = time.perf_counter()
        data = for_case(data, case.params)
        p, windows = case.params, _windows(data)
        batch, stride = p["batch_size"], p["eval_stride"]
        steps = p["steps_per_epoch"]
        x, y = data.x_train, data.y_train
        train = windows.dataset(x, y, "train", batch, seed=seed, repeat=bool(steps))
        val = windows.dataset(x, y, "validation", batch, stride)
        test = windows.dataset(x, y, "test", batch, stride)
        train_windows = len(windows.starts("train"))
        samples_per_epoch = (steps or -(-train_windows // batch)) * batch
        endless = windows.dataset(x, y, "train", batch, seed=seed, repeat=True)
        pipeline = pipeline_rate(endless, p["pipeline_batches"])
        keras.utils.set_random_seed(seed)
        model = case.experiment.build_model(p, data)
        clock = EpochClock()
        history = model.fit(
            train,
            epochs=p["epochs"],
            steps_per_epoch=steps,
            validation_data=val,
            callbacks=[
                clock,
                *tensorboard_callbacks(context.tensorboard_dir, case.id, seed, "fit"),
                progress_callback("fit", p["epochs"], context.phase_budget_s),
            ],
            verbose=0,
        ).history
        scale = data.extras["to_celsius"][0]
        val_mae = [float(v) * scale for v in history["val_mae"]]
        timings: dict[str, Any] = dict(clock.throughput(samples_per_epoch))
        timings["pipeline_windows_per_s"] = pipeline
        predict_started = time.perf_counter()
        predicted = _celsius(data, model.predict(test, verbose=0)[:, 0])
        timings["inference_samples_per_s"] = len(predicted) / (
            time.perf_counter() - predict_started
        )
        timings["wall_s"] = time.perf_counter() - started
        metrics = {
            "val_mae": val_mae[-1],
            "best_val_mae": min(val_mae),
            "test_mae": float(np.mean(np.abs(predicted - data.y_test))),
            # The data pipeline's share of a training step, if it did not overlap with it.
            "pipeline_share": timings["train_samples_per_s"] / pipeline,
            **curve_metrics(history),
        }
        if p["target"] == "normalised":
            metrics["best_val_mae_norm"] = min(history["val_mae"])
        # Curves keep Keras' names, with the MAE in °C like the metrics.
        curves = {**history, "mae": [float(v) * scale for v in history["mae"]], "val_mae": val_mae}
        return RunResult(metrics, timings, curves, test_predictions=predicted)

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        """Common-sense, seasonal-naive, ridge or gradient boosting on the case's windows."""
        started = time.perf_counter()
        windows, stride = _windows(data), case.params["eval_stride"]
        celsius = data.extras["celsius"]
        per_hour = data.extras["rows_per_hour"]
        starts = {split: windows.starts(split, stride) for split in ("validation", "test")}
        if name == "common_sense":  # 1e listing 6.35: the last temperature in the window

            def predict(s: np.ndarray) -> np.ndarray:
                return celsius[s + windows.lookback - windows.step]

        elif name == "seasonal_naive":  # the temperature 24 h before the target

            def predict(s: np.ndarray) -> np.ndarray:
                return celsius[s + windows.target_offset - 24 * per_hour]

        else:  # ridge or gradient boosting on lagged features
            fit_starts = windows.starts("train", case.params["baseline_train_stride"])
            model = (
                make_pipeline(StandardScaler(), Ridge())
                if name == "ridge"
                else HistGradientBoostingRegressor(random_state=seed)
            )
            model.fit(_lag_features(data, fit_starts), celsius[fit_starts + windows.target_offset])

            def predict(s: np.ndarray) -> np.ndarray:
                return model.predict(_lag_features(data, s))

        predicted = {split: predict(s) for split, s in starts.items()}
        truth = {split: celsius[s + windows.target_offset] for split, s in starts.items()}
        metrics = {
            metric: float(np.mean(np.abs(predicted[split] - truth[split])))
            for split, metric in (("validation", "val_mae"), ("test", "test_mae"))
        }
        metrics["best_val_mae"] = metrics["val_mae"]  # one fit: its best is its only
        if case.params["target"] == "normalised":
            metrics["best_val_mae_norm"] = metrics["val_mae"] / data.extras["to_celsius"][0]
        trivial = name in FORECAST_BASELINES[:2]
        return BaselineResult(
            name, metrics, {"fit_s": time.perf_counter() - started}, predicted["test"], trivial
        )
