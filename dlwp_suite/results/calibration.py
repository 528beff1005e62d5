"""Where a measured bar's number came from, as data, and the rule that gives it.

A bar measured on seeds names its calibration: the held-out seeds (100 and up: the
default seeds 0.. judge runs and never set their bars), the stacks they ran on, the
calibration runs that hold their records (``results/tolerance/runs/``) and the rounding
the declaration applied. ``rule_value`` is the one arithmetic: ``dlwp-suite calibrate``
prints it and a test recomputes every declared calibration from its committed records.
Nothing here imports Keras or the experiments.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from dlwp_suite.case_ids import case_id, record_case_id
from dlwp_suite.results.bars import Bar
from dlwp_suite.results.records import stack_label

FIRST_CALIBRATION_SEED = 100
SIGMAS = 3


@dataclass(frozen=True)
class Calibration:
    """A bar's number from ``SIGMAS`` x the std of held-out seeds, per stack; the
    widest band (the most lenient bound) over ``stacks`` is the one declared.

    ``granule``: the declaration's rounding (a band to 4 decimals, a margin over a
    baseline down to 0.05), so the declared number is the rule's value within it.
    ``noise_only``: the bar's tolerance is the seeds' noise (3 x std) around its own
    value, not a bound on where the seeds' values lie (a search's gain over hand tuning,
    checked against 0 less the noise).
    ``cases``: the case ids the calibration runs recorded the seeds under, where not
    (only) the judged case's own: an experiment renamed since they ran.
    """

    profile: str
    seeds: tuple[int, ...]
    stacks: tuple[str, ...]
    runs: tuple[str, ...]
    granule: float = 0.0001
    noise_only: bool = False
    cases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.seeds) < 2 or min(self.seeds) < FIRST_CALIBRATION_SEED:
            raise ValueError(
                f"a calibration needs 2 or more seeds from {FIRST_CALIBRATION_SEED} up, not "
                f"{self.seeds}: the default seeds judge runs and never set their bars"
            )
        if not self.stacks or not self.runs:
            raise ValueError("a calibration names the stacks it ran on and its runs")

    @property
    def n(self) -> int:
        """How many seeds each stack ran."""
        return len(self.seeds)

    def as_dict(self) -> dict[str, Any]:
        """The calibration as plain data (records, the manifest)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        """The inverse of ``as_dict`` (its tuples read back from JSON lists)."""
        return cls(
            **{
                **data,
                "seeds": tuple(data["seeds"]),
                "stacks": tuple(data["stacks"]),
                "runs": tuple(data["runs"]),
                "cases": tuple(data.get("cases", ())),
            }
        )


def rule_name(bar: Bar, noise_only: bool = False) -> str:
    """What ``rule_value`` computes for ``bar``, in words."""
    if noise_only:
        return f"{SIGMAS} x std (the noise around {bar.value:g})"
    if bar.baseline is not None:
        sign = "+" if bar.comparison == "at_most" else "-"
        return f"median's lead over {bar.baseline} {sign} {SIGMAS} x std"
    if bar.comparison == "approx":
        return f"{SIGMAS} x std"
    return f"median {'-' if bar.comparison == 'at_least' else '+'} {SIGMAS} x std"


def rule_value(
    bar: Bar, values: Sequence[float], reference: float | None = None, noise_only: bool = False
) -> float:
    """The number the rule gives ``bar`` from one stack's seed ``values``: a band's
    half-width (or, ``noise_only``, any bar's tolerance), a one-sided bound, or a margin
    over the baseline's ``reference``."""
    median, spread = statistics.median(values), SIGMAS * statistics.stdev(values)
    if noise_only:
        return spread
    if bar.baseline is not None:
        if reference is None:
            raise ValueError(f"a margin over {bar.baseline} needs the baseline's value")
        lead = bar.direction * (median - reference)
        return lead + spread if bar.comparison == "at_most" else lead - spread
    if bar.comparison == "approx":
        return spread
    return median - spread if bar.comparison == "at_least" else median + spread


def calibrated_number(bar: Bar, noise_only: bool = False) -> float:
    """The number of ``bar`` a calibration sets: a band's or a margin's tolerance (or,
    ``noise_only``, any bar's), or a one-sided bar's bound (its value -/+ its tolerance)."""
    if noise_only or bar.baseline is not None or bar.comparison == "approx":
        return bar.tolerance
    assert bar.value is not None
    if bar.comparison == "at_least":
        return bar.value - bar.tolerance
    return bar.value + bar.tolerance


def lenient(bar: Bar, per_stack: Iterable[float], noise_only: bool = False) -> float:
    """The widest of the stacks' numbers: the largest band, noise or "at most" margin, the
    smallest "beats by" margin, the most permissive one-sided bound."""
    values = list(per_stack)
    if noise_only:
        return max(values)
    if bar.baseline is not None:
        return max(values) if bar.comparison == "at_most" else min(values)
    if bar.comparison == "at_least":
        return min(values)
    return max(values)


def measured_per_stack(
    bar: Bar,
    calibration: Calibration,
    records: Iterable[Mapping[str, Any]],
    experiment: str,
    variant: str,
) -> dict[str, float]:
    """The rule's value on each of ``calibration``'s stacks, from the calibration runs'
    ``records`` of one case; a margin's reference is the baseline's value each seed's
    record was checked against."""
    seeds = set(calibration.seeds)
    cases = set(calibration.cases) or {case_id(experiment, variant)}
    values: dict[str, list[float]] = {}
    references: dict[str, float] = {}
    for record in records:
        if (
            record.get("kind") != "model"
            or record.get("run_id") not in calibration.runs
            or record_case_id(record) not in cases
            or record.get("seed") not in seeds
            or bar.metric not in (record.get("metrics") or {})
        ):
            continue
        stack = stack_label(record["environment"])
        values.setdefault(stack, []).append(record["metrics"][bar.metric])
        for checked in record.get("targets") or []:
            if bar.baseline is not None and (checked.get("metric"), checked.get("baseline")) == (
                bar.metric,
                bar.baseline,
            ):
                references.setdefault(stack, checked["reference"])
    return {
        stack: rule_value(bar, found, references.get(stack), calibration.noise_only)
        for stack, found in values.items()
        if stack in calibration.stacks
    }
