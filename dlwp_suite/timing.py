"""Training-time measurements: epoch clock, throughput, time-to-target."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import keras


class EpochClock(keras.callbacks.Callback):
    """Training time of each epoch: its wall time less its own validation pass.

    Listed before `TargetClock`, so a target check runs after the epoch is timed and
    is never charged to training.
    """

    def __init__(self) -> None:
        super().__init__()
        self.durations: list[float] = []
        self.validation_s = 0.0
        self._start = 0.0
        self._validating_since = 0.0
        self._validation_this_epoch = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()
        self._validation_this_epoch = 0.0

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._validating_since = time.perf_counter()

    def on_test_end(self, logs: dict | None = None) -> None:
        self._validation_this_epoch += time.perf_counter() - self._validating_since

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        elapsed = time.perf_counter() - self._start
        self.durations.append(elapsed - self._validation_this_epoch)
        self.validation_s += self._validation_this_epoch

    def throughput(self, samples_per_epoch: int) -> dict[str, float]:
        """Steady-state samples/s (first epoch excluded) and the first epoch's time."""
        steady = self.durations[1:] or self.durations
        return {
            "first_epoch_s": self.durations[0],
            "train_samples_per_s": samples_per_epoch / statistics.median(steady),
            "train_s": sum(self.durations),
            "validation_s": self.validation_s,
        }


class TargetClock(keras.callbacks.Callback):
    """Training time until ``measure`` first reaches ``threshold`` (MLPerf's time-to-train).

    ``measure`` reads the model (or the epoch logs) after each epoch; ``better`` is +1
    when higher is better; elapsed time is the sum of ``clock``'s epoch durations.
    """

    def __init__(
        self,
        measure: Callable[[keras.Model, dict], float],
        threshold: float,
        better: int,
        clock: EpochClock,
    ) -> None:
        super().__init__()
        self.measure, self.threshold, self.better, self.clock = measure, threshold, better, clock
        self.reached_after_s: float | None = None
        self.reached_at_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.reached_after_s is not None:
            return
        value = self.measure(self.model, logs or {})
        if self.better * (value - self.threshold) >= 0:
            self.reached_after_s = sum(self.clock.durations)
            self.reached_at_epoch = epoch + 1


def timed_predict(model: keras.Model, x, batch_size: int) -> tuple[Any, float]:
    """``model.predict(x)`` and its samples/s, after one warm-up call on a small slice."""
    model.predict(x[:batch_size], batch_size=batch_size, verbose=0)
    started = time.perf_counter()
    predictions = model.predict(x, batch_size=batch_size, verbose=0)
    return predictions, x.shape[0] / (time.perf_counter() - started)  # x may be sparse
