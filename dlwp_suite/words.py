"""How a bar reads, the same in ``dlwp-suite list``, a failing test and the report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlwp_suite.results.calibration import Calibration


def bar_text(comparison: str, value: float, tolerance: float, approx_sign: str = "") -> str:
    """A number target's bar as checked: ``0.885 ± 0.011``, ``≥ 0.78 (0.8 - 0.02)`` (a
    one-sided number loosened by the tolerance on its side) or ``= 721857``."""
    if comparison == "exact" or not tolerance:
        sign = {"at_least": "≥ ", "at_most": "≤ ", "exact": "= "}.get(comparison, approx_sign)
        return f"{sign}{value:g}"
    if comparison == "at_least":
        return f"≥ {round(value - tolerance, 10):g} ({value:g} - {tolerance:g})"
    if comparison == "at_most":
        return f"≤ {round(value + tolerance, 10):g} ({value:g} + {tolerance:g})"
    return f"{approx_sign}{value:g} ± {tolerance:g}"


def describe_bar(bar: Mapping[str, Any]) -> str:
    """A verdict's bar as data, in words: a claim's relation, "beats mean by 3", or a
    number's bar (``every seed`` where the worst seed is checked)."""
    if "as_checked" in bar:
        return str(bar["as_checked"])
    if bar.get("baseline") is not None:
        at_most = " at most" if bar["comparison"] == "at_most" else ""
        return f"beats {bar['baseline']} by{at_most} {bar['tolerance']:g}"
    every = " (every seed)" if bar.get("over") == "worst" else ""
    return bar_text(bar["comparison"], bar["value"], bar["tolerance"], "≈ ") + every


def seeds_text(seeds: Sequence[int]) -> str:
    """``100-104`` for a run of consecutive seeds, else ``100, 102, 105``."""
    ordered = sorted(seeds)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{ordered[0]}-{ordered[-1]}"
    return ", ".join(str(seed) for seed in ordered)


def calibration_text(calibration: Calibration | None, rule: str, basis: str) -> str:
    """Where a bar's number came from: ``calibrated: 3 x std of seeds 100-104 (n=5,
    quick) on <stacks>, the widest kept``, or, for a bar no seeds set, its basis."""
    if calibration is None:
        return f"set by: {basis}"
    stacks = "; ".join(calibration.stacks)
    widest = ", the widest kept" if len(calibration.stacks) > 1 else ""
    recorded = f", recorded as {' and '.join(calibration.cases)}" if calibration.cases else ""
    return (
        f"calibrated: {rule} of seeds {seeds_text(calibration.seeds)} (n={calibration.n}, "
        f"{calibration.profile} profile{recorded}) on {stacks}{widest}"
    )
