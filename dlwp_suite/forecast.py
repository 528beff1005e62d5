"""Temperature forecasting on a weather series: windows, the protocol and its baselines.

A window starts at row ``s``, samples rows ``s, s+step, ..., s+lookback-step`` and
predicts the temperature at row ``s + lookback + delay``. That one definition covers
both editions: 1e lookback 1440, step 6, delay 144 (24 h after the window's end);
2e ``sequence_length`` 120 at ``sampling_rate`` 6 with ``delay = 6*(120+24-1)`` from the
window's start, i.e. lookback 720 and delay 138. Windows stream through tf.data, a
batch at a time; nothing materialises them all. The baselines use the very same window
starts, computed by `Windows.starts`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from dlwp_suite.baselines import BaselineResult
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.datasets.weather import Series
from dlwp_suite.experiment import Case, Params
from dlwp_suite.protocols import RunResult
from dlwp_suite.timing import EpochClock

# Every forecasting baseline: the first two are trivial bars, the others shallow models.
FORECAST_BASELINES = ("common_sense", "seasonal_naive", "ridge", "gradient_boosting")


@dataclass(frozen=True)
class Windows:
    """The window geometry in rows, and the rows each split's windows may read."""

    lookback: int
    step: int
    delay: int
    splits: dict[str, tuple[int, int]]  # split -> [first row, end row) its inputs use
    rows: int  # length of the series

    @property
    def sequence_length(self) -> int:
        """Samples per window."""
        return self.lookback // self.step

    @property
    def target_offset(self) -> int:
        """Rows from a window's start to its target."""
        return self.lookback + self.delay

    def _end(self, split: str) -> int:
        # Inputs end before ``end``; a target must exist: start + offset < rows.
        return min(self.splits[split][1], self.rows - self.target_offset)

    def starts(self, split: str, stride: int = 1) -> np.ndarray:
        """Window starts of ``split``, exactly as ``timeseries_dataset_from_array`` makes them."""
        first = self.splits[split][0]
        count = self._end(split) - first - (self.sequence_length - 1) * self.step
        return np.arange(first, first + max(count, 0), stride)

    def dataset(
        self,
        inputs: np.ndarray,
        targets: np.ndarray,
        split: str,
        batch_size: int,
        stride: int = 1,
        seed: int | None = None,
    ):
        """The split's (window, target) batches as a tf.data pipeline; shuffled with ``seed``.

        Each batch gathers its windows from the series in one vectorised ``tf.gather``:
        the windows ``keras.utils.timeseries_dataset_from_array`` makes (the tests compare
        the two), without its one gather per window, which starved training on 2 cores.
        """
        import tensorflow as tf

        starts = self.starts(split, stride)
        rows = tf.constant(np.arange(0, self.lookback, self.step)[None, :])
        series, values = tf.constant(inputs), tf.constant(targets)
        offset = self.target_offset
        batches = tf.data.Dataset.from_tensor_slices(starts)
        if seed is not None:
            batches = batches.shuffle(len(starts), seed=seed, reshuffle_each_iteration=True)
        return (
            batches.batch(batch_size)
            .map(
                lambda s: (tf.gather(series, s[:, None] + rows), tf.gather(values, s + offset)),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
            .prefetch(tf.data.AUTOTUNE)
        )


def split_rows(params: Params, rows: int) -> dict[str, tuple[int, int]]:
    """Row ranges of train/validation/test: the 1e's fixed rows or the 2e's fractions."""
    if params["split"] == "rows":
        train, val = params["train_rows"], params["val_rows"]
        if rows <= val + 1:
            raise ValueError(f"the 1e split needs over {val + 1:,} rows; the series has {rows:,}")
        # 1e: train 0-200,000, validation 200,001-300,000, test 300,001-end.
        return {"train": (0, train), "validation": (train + 1, val), "test": (val + 1, rows)}
    train, val = int(params["train_fraction"] * rows), int(params["val_fraction"] * rows)
    return {"train": (0, train), "validation": (train, train + val), "test": (train + val, rows)}


def series_task_data(series: Series, params: Params) -> TaskData:
    """Normalised inputs, training targets and window geometry for a series.

    Inputs are normalised with the training rows' mean and std (1e listing 6.32).
    The model learns the normalised temperature (1e) or degrees Celsius (2e);
    ``extras["to_celsius"]`` maps its outputs back to °C.
    """
    hours = series.rows_for_hours
    rows = len(series.values)
    splits = split_rows(params, rows)
    train_end = splits["train"][1]
    mean = series.values[:train_end].mean(axis=0)
    std = series.values[:train_end].std(axis=0)
    inputs = ((series.values - mean) / std).astype(np.float32)
    t = series.temperature_column
    celsius = series.values[:, t].astype(np.float32)
    if params["target"] == "normalised":
        targets, to_celsius = inputs[:, t], (float(std[t]), float(mean[t]))
    else:
        targets, to_celsius = celsius, (1.0, 0.0)
    windows = Windows(
        hours(params["lookback_hours"]),
        hours(params["step_hours"]),
        hours(params["delay_hours"]),
        splits,
        rows,
    )
    for split in splits:
        if not len(windows.starts(split)):
            raise ValueError(
                f"{series.source}: the {split} rows {splits[split]} hold no whole window of "
                f"{windows.lookback} rows plus {windows.delay} to the target: series too short"
            )
    test_starts = windows.starts("test", params["eval_stride"])
    return TaskData(
        x_train=inputs,
        y_train=targets,
        x_test=None,
        y_test=celsius[test_starts + windows.target_offset],
        source=series.source,
        files=series.files,
        from_cache=series.from_cache,
        notes=series.notes,
        extras={
            "windows": windows,
            "to_celsius": to_celsius,
            "celsius": celsius,
            "rows_per_hour": hours(1) if series.interval_minutes <= 60 else None,
        },
    )


# ---------------------------------------------------------------- protocol
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


def fit_forecaster(case: Case, data: TaskData, seed: int) -> RunResult:
    """Train one case's model on streamed windows; MAE in °C on validation and test."""
    started = time.perf_counter()
    p, windows = case.params, _windows(data)
    batch, stride = p["batch_size"], p["eval_stride"]
    train = windows.dataset(data.x_train, data.y_train, "train", batch, seed=seed)
    val = windows.dataset(data.x_train, data.y_train, "validation", batch, stride)
    test = windows.dataset(data.x_train, data.y_train, "test", batch, stride)
    steps = p["steps_per_epoch"]
    train_windows = len(windows.starts("train"))
    if steps:
        train = train.repeat()
    samples_per_epoch = (steps or -(-train_windows // batch)) * batch
    pipeline = pipeline_rate(train.repeat(), p["pipeline_batches"])
    keras.utils.set_random_seed(seed)
    model = case.experiment.build_model(p, data)
    clock = EpochClock()
    history = model.fit(
        train,
        epochs=p["epochs"],
        steps_per_epoch=steps,
        validation_data=val,
        callbacks=[clock],
        verbose=0,
    ).history
    scale = data.extras["to_celsius"][0]
    val_mae = [float(v) * scale for v in history["val_mae"]]
    timings: dict[str, Any] = dict(clock.throughput(samples_per_epoch))
    timings["pipeline_windows_per_s"] = pipeline
    predict_started = time.perf_counter()
    predictions = _celsius(data, model.predict(test, verbose=0)[:, 0])
    timings["inference_samples_per_s"] = len(predictions) / (time.perf_counter() - predict_started)
    timings["wall_s"] = time.perf_counter() - started
    metrics = {
        "val_mae": val_mae[-1],
        "best_val_mae": min(val_mae),
        "test_mae": float(np.mean(np.abs(predictions - data.y_test))),
        # The data pipeline's share of a training step, if it did not overlap with it.
        "pipeline_share": timings["train_samples_per_s"] / pipeline,
    }
    if p["target"] == "normalised":
        metrics["best_val_mae_norm"] = min(history["val_mae"])
    # Curves keep Keras' names, with the MAE in °C like the metrics.
    curves = {**history, "mae": [float(v) * scale for v in history["mae"]], "val_mae": val_mae}
    return RunResult(metrics, timings, curves, test_predictions=predictions)


# ---------------------------------------------------------------- baselines
def _lag_features(data: TaskData, starts: np.ndarray) -> np.ndarray:
    """Per window: the temperature at each of its last 24 hourly samples, plus every
    measurement at its last sample (what the shallow models see of a window)."""
    windows = _windows(data)
    last = starts + windows.lookback - windows.step
    per_hour = data.extras["rows_per_hour"]
    temperature = data.extras["celsius"]
    hourly = last[:, None] - per_hour * np.arange(24)[None, :]
    return np.hstack([temperature[np.clip(hourly, 0, None)], data.x_train[last]])


def forecast_baseline(name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
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

    predictions = {split: predict(s) for split, s in starts.items()}
    truth = {split: celsius[s + windows.target_offset] for split, s in starts.items()}
    metrics = {
        metric: float(np.mean(np.abs(predictions[split] - truth[split])))
        for split, metric in (("validation", "val_mae"), ("test", "test_mae"))
    }
    metrics["best_val_mae"] = metrics["val_mae"]  # one fit: its best is its only
    if case.params["target"] == "normalised":
        metrics["best_val_mae_norm"] = metrics["val_mae"] / data.extras["to_celsius"][0]
    trivial = name in FORECAST_BASELINES[:2]
    return BaselineResult(
        name, metrics, {"fit_s": time.perf_counter() - started}, predictions["test"], trivial
    )
