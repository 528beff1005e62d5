"""Quality targets: the book's number, our tolerance, and the check on the median."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from dlwp_suite.divergence import Divergence, Stack
from dlwp_suite.metrics import direction
from dlwp_suite.results.bars import Bar
from dlwp_suite.results.calibration import Calibration
from dlwp_suite.words import bar_text, describe_bar


@dataclass(frozen=True)
class Target:
    """A number to check on the median of a metric over seeds.

    Either an absolute book number (``value`` ± ``tolerance``, one-sided with
    ``comparison``, or ``comparison="exact"`` for a deterministic count) or, with
    ``baseline``, "beats that baseline by ``tolerance``"
    (``comparison="at_most"``: "beats it by at most ``tolerance``", for the book's
    "does not beat the baseline (by much)").
    ``source`` cites the book; ``basis`` says where the tolerance comes from, and
    ``calibration``, for a number measured on seeds, says which (as data);
    ``deterministic`` marks a number no seed moves (a baseline's arithmetic on fixed
    data), whose band is the book's rounding; a book number with neither has a
    provisional band, inside which it does not "reproduce";
    ``divergence`` says where and why it is known not to reproduce.
    """

    metric: str
    source: str
    basis: str
    value: float | None = None
    tolerance: float = 0.0
    comparison: Literal["approx", "at_least", "at_most", "exact"] = "approx"
    baseline: str | None = None
    divergence: Divergence | None = None
    # "worst": checked on the seed furthest from passing, for behaviours that must hold
    # on every seed (a callback's rule), not on the median.
    over: Literal["median", "worst"] = "median"
    # Whether the bar is the book's printed number with a measured band (the one kind
    # of bar that "reproduces"); None: a two-sided number (``approx``) is, others not.
    book_number: bool | None = None
    calibration: Calibration | None = None
    deterministic: bool = False

    def __post_init__(self) -> None:
        direction(self.metric)
        if self.deterministic and self.calibration is not None:
            raise ValueError(f"target on {self.metric}: deterministic, so no seeds to calibrate")
        if (self.value is None) == (self.baseline is None):
            raise ValueError(f"target on {self.metric}: give exactly one of value or baseline")
        if self.comparison == "exact" and (self.baseline is not None or self.tolerance):
            raise ValueError(f"exact target on {self.metric}: a book value, no tolerance")

    @property
    def is_book_number(self) -> bool:
        """Whether this is a book number: a pass on the book's real data says "reproduces"
        (or, in a band not yet measured, "inside a provisional band"), else "bar met"."""
        if self.book_number is not None:
            return self.book_number
        return self.value is not None and self.comparison == "approx"

    def bar(self) -> Bar:
        """The bar as plain data, with the metric's direction: what the judge checks."""
        return Bar(
            self.metric,
            direction(self.metric),
            self.value,
            self.tolerance,
            self.comparison,
            self.baseline,
            self.over,
        )

    def describe(self) -> str:
        """Short human form: ``≈ 0.885 ± 0.010`` or ``beats trivial by 0.1``."""
        fields = ("comparison", "value", "tolerance", "baseline", "over")
        return describe_bar({name: getattr(self, name) for name in fields})

    def declared(self) -> dict[str, Any]:
        """The declaration as data, as records store it."""
        fields = dataclasses.asdict(self)
        fields["divergence"] = self.divergence.as_record() if self.divergence else None
        fields["calibration"] = self.calibration.as_dict() if self.calibration else None
        return fields

    def as_record(self, reference: float | None) -> dict[str, object]:
        """The declaration as stored in records, with the reference it is checked against."""
        return {
            "declared": self.declared(),
            "direction": direction(self.metric),
            "metric": self.metric,
            "book": self.value,
            "baseline": self.baseline,
            "reference": reference,
            "tolerance": self.tolerance,
            "source": self.source,
            "basis": self.basis,
        }


#: The stacks calibrations ran on, as records label them, and the usual held-out seeds.
TF_221_STACK = "tf2.21.0 keras3.15.1 tensorflow"  # one sample order every epoch
JAX_STACK = "keras3.15.1 jax"  # reshuffles every epoch
TF_KERAS_2_STACK = "tf2.15.1 keras2.15.0 tensorflow"  # reshuffles every epoch
TORCH_STACK = "keras3.15.1 torch"  # reshuffles every epoch
HELD_OUT_SEEDS = tuple(range(100, 105))


#: A book target's band until the book protocol's seed spread is measured (2 points).
UNMEASURED_TOLERANCE = 0.02


def book_band() -> tuple[float, str]:
    """A book target's provisional (tolerance, basis) until held-out seeds measure its
    band (a measured one declares its ``Calibration``)."""
    return UNMEASURED_TOLERANCE, (
        "provisional: the book protocol's seed spread is not measured yet; 2 points, to be "
        "replaced by 3 x the std of held-out seeds"
    )


CALIBRATED_BAND = "3 x the seed std of the book protocol, the widest stack's"


def quick_bar(metric: str, margin: float, calibration: Calibration, source: str) -> Target:
    """A quick profile's bar from held-out seeds: beat the majority class by ``margin``,
    the median's lead less 3 x std on the widest stack, rounded down to 0.05."""
    return Target(
        metric,
        baseline="majority",
        tolerance=margin,
        source=source,
        basis="quick: the median's lead over the majority - 3 x std, rounded down to 0.05",
        calibration=calibration,
    )


def held_out(profile: str, *runs: str, stacks: tuple[str, ...] = ()) -> Calibration:
    """Seeds 100-104 of ``runs`` (named in ``calibrate``'s way) on Keras 3 + TF and + JAX,
    or on ``stacks``; a margin over a baseline is rounded to 0.05."""
    return Calibration(
        profile,
        HELD_OUT_SEEDS,
        stacks or (TF_221_STACK, JAX_STACK),
        runs,
        0.05 if profile == "quick" else 0.0001,
    )


__all__ = ["Divergence", "Stack", "Target", "bar_text"]
