"""Temperature forecasting on a weather series: the windows and the series' task data.

A window starts at row ``s``, samples rows ``s, s+step, ..., s+lookback-step`` and
predicts the temperature at row ``s + lookback + delay``. That one definition covers
both editions: 1e lookback 1440, step 6, delay 144 (24 h after the window's end);
2e ``sequence_length`` 120 at ``sampling_rate`` 6 with ``delay = 6*(120+24-1)`` from the
window's start, i.e. lookback 720 and delay 138. Windows stream a batch at a time,
through tf.data on TensorFlow and through a ``keras.utils.PyDataset`` (numpy gathers)
on the other backends, which have no TensorFlow; nothing materialises them all. The
baselines use the very same window starts, computed by `Windows.starts`. The protocol
that trains on them is ``dlwp_suite.protocols.forecast``.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import keras
import numpy as np

from dlwp_suite.compat import tensorflow_backend
from dlwp_suite.datasets.task_data import Params, TaskData
from dlwp_suite.datasets.weather import Series


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
        repeat: bool = False,
    ):
        """The split's (window, target) batches; shuffled with ``seed`` (afresh on each
        pass), endless with ``repeat`` (the 1e's ``steps_per_epoch`` generators).

        The windows are those ``keras.utils.timeseries_dataset_from_array`` makes (the
        tests compare them), each batch gathered in one vectorised indexing op rather
        than its one gather per window, which starved training on 2 cores.
        """
        starts = self.starts(split, stride)
        if not tensorflow_backend():
            return WindowBatches(self, inputs, targets, starts, batch_size, seed, repeat)
        import tensorflow as tf

        rows = tf.constant(self.rows_read()[None, :])
        series, values = tf.constant(inputs), tf.constant(targets)
        offset = self.target_offset
        batches = tf.data.Dataset.from_tensor_slices(starts)
        if seed is not None:
            batches = batches.shuffle(len(starts), seed=seed, reshuffle_each_iteration=True)
        batches = batches.repeat() if repeat else batches
        return (
            batches.batch(batch_size)
            .map(
                lambda s: (tf.gather(series, s[:, None] + rows), tf.gather(values, s + offset)),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
            .prefetch(tf.data.AUTOTUNE)
        )

    def rows_read(self) -> np.ndarray:
        """Row offsets, from a window's start, of the samples it reads."""
        return np.arange(0, self.lookback, self.step)


# Keras 2 has no PyDataset; it always streams through tf.data (it runs on TensorFlow).
class WindowBatches(getattr(keras.utils, "PyDataset", keras.utils.Sequence)):  # type: ignore[misc]
    """A split's window batches as a ``keras.utils.PyDataset``, for backends without
    TensorFlow: batch ``i`` gathers its windows from the series with numpy.

    Shuffled, every pass over the starts is a fresh permutation drawn from ``seed`` and
    the pass number, so a run is repeatable; with ``repeat`` it never ends (``fit``
    then needs ``steps_per_epoch``), otherwise one pass is one epoch.
    """

    def __init__(
        self,
        windows: Windows,
        inputs: np.ndarray,
        targets: np.ndarray,
        starts: np.ndarray,
        batch_size: int,
        seed: int | None,
        repeat: bool,
    ) -> None:
        super().__init__()
        self.inputs, self.targets, self.starts = inputs, targets, starts
        self.rows, self.offset = windows.rows_read()[None, :], windows.target_offset
        self.batch_size, self.seed, self.repeat = batch_size, seed, repeat
        self.per_pass = -(-len(starts) // batch_size)
        self.epoch = 0  # one-pass datasets: the pass is the epoch
        self._orders: dict[int, np.ndarray] = {}

    @property
    def num_batches(self) -> int | None:
        return None if self.repeat else self.per_pass

    def __len__(self) -> int:
        return self.per_pass

    def _order(self, pass_number: int) -> np.ndarray:
        if self.seed is None:
            return self.starts
        if pass_number not in self._orders:
            self._orders = {  # only the current pass is kept
                pass_number: np.random.default_rng([self.seed, pass_number]).permutation(
                    self.starts
                )
            }
        return self._orders[pass_number]

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not self.repeat and index >= self.per_pass:
            raise IndexError(index)
        pass_number, batch = divmod(index, self.per_pass)
        if not self.repeat:
            pass_number = self.epoch
        chosen = self._order(pass_number)[batch * self.batch_size : (batch + 1) * self.batch_size]
        return self.inputs[chosen[:, None] + self.rows], self.targets[chosen + self.offset]

    def __iter__(self):
        for index in itertools.count() if self.repeat else range(self.per_pass):
            yield self[index]

    def on_epoch_end(self) -> None:
        self.epoch += 1


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
            "rows_for_hours": hours,
        },
    )


def for_case(data: TaskData, params: Params) -> TaskData:
    """The series' data with one case's window geometry (a variant's own lookback or step).

    The data is loaded once per experiment with its declared geometry; a variant such as
    the 1e's Conv1D+GRU (step 3 rows) or lookback 720 reads other windows of the same rows.
    """
    hours, current = data.extras["rows_for_hours"], data.extras["windows"]
    windows = dataclasses.replace(
        current,
        lookback=hours(params["lookback_hours"]),
        step=hours(params["step_hours"]),
        delay=hours(params["delay_hours"]),
    )
    if windows == current:
        return data
    starts = windows.starts("test", params["eval_stride"])
    return dataclasses.replace(
        data,
        y_test=data.extras["celsius"][starts + windows.target_offset],
        extras={**data.extras, "windows": windows},
    )
