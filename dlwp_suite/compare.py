"""Compare two result sets: metric changes beyond tolerance, throughput beyond a threshold.

Like ``asv compare`` or ``--benchmark-compare-fail``: a non-zero exit on a regression, so
it can gate CI. Cases are matched on (profile, experiment, variant); the environments
may differ (that is the point: a new TensorFlow, Keras or device against the old one).
A gate must not pass on nothing: a comparison with no case in common fails, and so do
cases (or their checked metrics) that the old run has and the new one lacks, unless
they are explicitly allowed to be missing.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dlwp_suite.report import newest_runs, planned_seeds
from dlwp_suite.targets import Target, direction

CASE = ["profile", "experiment", "variant"]


@dataclass(frozen=True)
class Change:
    """One compared quantity of one case; ``new`` is None when the new run lacks it."""

    case: str
    quantity: str
    old: float
    new: float | None
    allowed: str
    regression: bool

    @property
    def relative(self) -> str:
        """The change as a percentage of the old value ("n/a" from zero or to nothing)."""
        if self.new is None or self.old == 0:
            return "n/a"
        return f"{(self.new - self.old) / abs(self.old):+.1%}"


@dataclass
class Comparison:
    """Everything ``compare`` found: the changes and the old cases the new run lacks."""

    changes: list[Change] = field(default_factory=list)
    missing_cases: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # new cases with seeds missing

    @property
    def regressions(self) -> list[Change]:
        """Changes in the bad direction beyond what is allowed."""
        return [c for c in self.changes if c.regression]

    @property
    def missing_metrics(self) -> list[Change]:
        """Checked metrics of common cases that the new run did not record."""
        return [c for c in self.changes if c.new is None]

    def failures(self, allow_missing: bool = False) -> list[str]:
        """Why the gate fails, one line each (empty: it passes)."""
        reasons = [f"REGRESSION {c.case} {c.quantity}" for c in self.regressions]
        if not any(c.new is not None for c in self.changes):
            reasons.append(
                "nothing comparable: no case of the old run has a checked value in the new"
            )
        if not allow_missing:
            reasons += [f"MISSING case {case}" for case in self.missing_cases]
            reasons += [
                f"INCOMPLETE case {case} (fewer seeds than planned)" for case in self.incomplete
            ]
            reasons += [f"MISSING {c.case} {c.quantity}" for c in self.missing_metrics]
        return reasons


def _case_summaries(records: Iterable[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    """Per case: median of each targeted metric, its tolerance, median train throughput."""
    frame = newest_runs(records)
    out: dict[tuple, dict[str, Any]] = {}
    if frame.empty:
        return out
    models = frame[frame["kind"] == "model"]
    for key, group in models.groupby(CASE, sort=False):
        targets = group.iloc[-1]["targets"] or []
        rates = [t["train_samples_per_s"] for t in group["timings"] if "train_samples_per_s" in t]
        metrics = {}
        for t in targets:
            if t.get("book") is None:
                continue
            values = [m[t["metric"]] for m in group["metrics"] if m.get(t["metric"]) is not None]
            metrics[t["metric"]] = (
                statistics.median(values) if values else None,
                t["tolerance"],
                t.get("declared"),
            )
        out[key] = {
            "metrics": metrics,
            "throughput": statistics.median(rates) if rates else None,
            "incomplete": len(group) < planned_seeds(group),
        }
    return out


def compare(
    old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]], threshold: float = 0.10
) -> Comparison:
    """Every metric and throughput change between matching cases of two result sets.

    A metric regresses when it moves in its bad direction by more than the target's
    tolerance, or, for a one-sided bar ("at least 0"), when it falls past the bar;
    throughput regresses when it drops by more than ``threshold``.
    """
    before, after = _case_summaries(old), _case_summaries(new)
    result = Comparison(missing_cases=sorted("/".join(k) for k in before.keys() - after.keys()))
    for key in before.keys() & after.keys():
        name = "/".join(key)
        if after[key]["incomplete"]:
            result.incomplete.append(name)
        for metric, (previous, tolerance, declared) in before[key]["metrics"].items():
            if previous is None:
                continue
            value = after[key]["metrics"].get(metric, (None,))[0]
            one_sided = declared and declared.get("comparison") in ("at_least", "at_most")
            if one_sided:
                # A bar, not a number with a measured spread: only crossing it regresses.
                bar = Target.from_declared(declared)
                allowed, regressed = (
                    bar.describe(),
                    value is not None and not (bar.check([value]).passed),
                )
            else:
                worse_by = 0.0 if value is None else -direction(metric) * (value - previous)
                allowed, regressed = f"± {tolerance:g}", worse_by > tolerance
            result.changes.append(Change(name, metric, previous, value, allowed, regressed))
        old_rate, new_rate = before[key]["throughput"], after[key]["throughput"]
        if old_rate and new_rate:
            result.changes.append(
                Change(
                    name,
                    "train samples/s",
                    old_rate,
                    new_rate,
                    f"-{threshold:.0%}",
                    new_rate < old_rate * (1 - threshold),
                )
            )
    result.changes.sort(key=lambda c: (c.case, c.quantity))
    return result


def as_table(comparison: Comparison) -> str:
    """The changes as a Markdown table, then the cases the new run lacks."""
    parts = []
    if comparison.changes:
        rows = [
            {
                "case": c.case,
                "quantity": c.quantity,
                "old": f"{c.old:.4g}",
                "new": "missing" if c.new is None else f"{c.new:.4g}",
                "change": c.relative,
                "allowed": c.allowed,
                "verdict": "REGRESSION" if c.regression else ("MISSING" if c.new is None else "ok"),
            }
            for c in comparison.changes
        ]
        parts.append(pd.DataFrame(rows).to_markdown(index=False))
    else:
        parts.append("no cases in common")
    if comparison.missing_cases:
        parts.append(
            "cases of the old run missing from the new one:\n"
            + "\n".join(f"- {case}" for case in comparison.missing_cases)
        )
    return "\n\n".join(parts)
