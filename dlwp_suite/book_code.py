"""The suite against the book's own code: one case, the same seed, both timed in one process.

A pairing runs a declared case through the suite (its cached inputs, its protocol) and
through the book's plain code for it (written outside the suite, in
``benchmarks/plain_*.py``, reading its hyperparameters from the same declaration). Both
must measure the same metric within sqrt(2) x the case's single-run band (3 x the
single-seed standard deviation: two code paths that train the same model should differ
by no more than two runs of one do), and the wall-time ratio suite / book's code is
recorded for the report's "Speed against the book's own code" table. Where the suite's
inputs come from its cache, its side includes reading them; both sides start from what
``keras.datasets`` (or the book's folder) gives.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlwp_suite.experiment import Case
from dlwp_suite.results.calibration import Calibration

# Issue 5's goal: the suite at most 0.8 x the book's code's wall time, same metrics.
TIME_GOAL = 0.8


def single_run_band(case: Case, metric: str) -> float:
    """The band of the book's number for ``metric`` (3 x the single-seed std): the case's
    own target, else the same variant's in the book profile (the quick profile often
    judges a margin over a baseline instead, which says nothing about seed spread)."""
    experiment = case.experiment
    for candidate in (case, experiment.case(case.variant, "book")):
        for target in candidate.targets:
            approx = target.comparison == "approx" and target.value is not None
            if target.metric == metric and approx:
                return target.tolerance
    raise ValueError(
        f"{case.id}: no target with the book's number on {metric!r} gives a measured "
        "spread; declare the pairing's single-run band"
    )


@dataclass(frozen=True)
class MeasuredBand:
    """A pairing's single-run band where its case has no book number to lend one: 3 x
    the single-seed std of the suite's protocol on held-out seeds (``calibration``), so a
    test recomputes it from the calibration run's records."""

    metric: str
    band: float
    calibration: Calibration


def paired_tolerance(band: float) -> float:
    """How far two single runs may lie apart when each has the single-run ``band``
    (3 x std): their difference has sqrt(2) x the std."""
    return math.sqrt(2) * band


@dataclass(frozen=True)
class BookCodeRun:
    """What one pairing measured, and whether it meets its checks."""

    metric: str
    suite: float
    book_code: float
    tolerance: float
    suite_s: float
    book_code_s: float
    time_goal: float | None  # None where the book's code is already as fast as it gets
    note: str = ""

    @property
    def ratio(self) -> float:
        """Suite wall time over the book's code's."""
        return self.suite_s / self.book_code_s

    @property
    def gap(self) -> float:
        """How far apart the two measurements are."""
        return abs(self.suite - self.book_code)

    def problems(self) -> list[str]:
        """Why the pairing fails: the metrics differ beyond the tolerance, or the suite
        is slower than its goal."""
        found = []
        if not self.gap <= self.tolerance:  # NaN fails
            found.append(
                f"{self.metric}: suite {self.suite:.4f}, book's code {self.book_code:.4f}: "
                f"they differ by {self.gap:.4f} (> {self.tolerance})"
            )
        if self.time_goal is not None and not self.ratio <= self.time_goal:
            found.append(
                f"the suite took {self.ratio:.2f} x the book's code's time "
                f"({self.suite_s:.1f} s against {self.book_code_s:.1f} s; goal <= "
                f"{self.time_goal})"
            )
        return found

    def as_record(self) -> dict[str, Any]:
        """The ``book_code`` field of a ``reference`` record."""
        return {
            "metric": self.metric,
            "suite": self.suite,
            "book_code": self.book_code,
            "tolerance": self.tolerance,
            "agree": self.gap <= self.tolerance,
            "suite_s": self.suite_s,
            "book_code_s": self.book_code_s,
            "ratio": self.ratio,
            "time_goal": self.time_goal,
            "note": self.note,
        }


def measured(values: Mapping[str, float], metric: str) -> float:
    """``values[metric]`` as a float, NaN (which fails the check) where it is missing."""
    value = values.get(metric)
    return math.nan if value is None else float(value)


def warm_up() -> None:
    """Build, train and run a tiny model once, so that the backend's start-up (thread
    pools, kernels, a GPU's context) is paid before either side's clock starts."""
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile("rmsprop", "mse")
    model.fit(np.zeros((8, 4)), np.zeros(8), batch_size=4, verbose=0)
    model.predict(np.zeros((8, 4)), verbose=0)
