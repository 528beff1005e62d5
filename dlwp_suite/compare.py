"""Compare two result sets: metric changes beyond tolerance, throughput beyond a threshold.

Like ``asv compare`` or ``--benchmark-compare-fail``: a non-zero exit on a regression, so
it can gate CI. Cases are matched on (profile, experiment, variant); the environments
may differ (that is the point: a new TensorFlow, Keras or device against the old one).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dlwp_suite.report import newest_runs
from dlwp_suite.targets import direction

CASE = ["profile", "experiment", "variant"]


@dataclass(frozen=True)
class Change:
    """One compared quantity of one case."""

    case: str
    quantity: str
    old: float
    new: float
    allowed: str
    regression: bool


def _case_summaries(records: Iterable[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    """Per case: median of each targeted metric, its tolerance, median train throughput."""
    frame = newest_runs(records)
    out: dict[tuple, dict[str, Any]] = {}
    if frame.empty:
        return out
    models = frame[frame["kind"] == "model"]
    for key, group in models.groupby(CASE, sort=False):
        targets = group.iloc[0]["targets"] or []
        rates = [t["train_samples_per_s"] for t in group["timings"] if "train_samples_per_s" in t]
        out[key] = {
            "metrics": {
                t["metric"]: (
                    statistics.median(m[t["metric"]] for m in group["metrics"]),
                    t["tolerance"],
                )
                for t in targets
                if t.get("book") is not None
            },
            "throughput": statistics.median(rates) if rates else None,
        }
    return out


def compare(
    old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]], threshold: float = 0.10
) -> list[Change]:
    """Every metric and throughput change between matching cases of two result sets.

    A metric regresses when it moves in its bad direction by more than the target's
    tolerance; throughput regresses when it drops by more than ``threshold``.
    """
    before, after = _case_summaries(old), _case_summaries(new)
    changes = []
    for key in before.keys() & after.keys():
        name = "/".join(key)
        for metric, (value, tolerance) in after[key]["metrics"].items():
            if metric not in before[key]["metrics"]:
                continue
            previous = before[key]["metrics"][metric][0]
            worse_by = -direction(metric) * (value - previous)
            changes.append(
                Change(name, metric, previous, value, f"± {tolerance:g}", worse_by > tolerance)
            )
        old_rate, new_rate = before[key]["throughput"], after[key]["throughput"]
        if old_rate and new_rate:
            changes.append(
                Change(
                    name,
                    "train samples/s",
                    old_rate,
                    new_rate,
                    f"-{threshold:.0%}",
                    new_rate < old_rate * (1 - threshold),
                )
            )
    return sorted(changes, key=lambda c: (c.case, c.quantity))


def as_table(changes: list[Change]) -> str:
    """The changes as a Markdown table."""
    if not changes:
        return "no cases in common"
    rows = [
        {
            "case": c.case,
            "quantity": c.quantity,
            "old": f"{c.old:.4g}",
            "new": f"{c.new:.4g}",
            "change": f"{(c.new - c.old) / c.old:+.1%}",
            "allowed": c.allowed,
            "verdict": "REGRESSION" if c.regression else "ok",
        }
        for c in changes
    ]
    return pd.DataFrame(rows).to_markdown(index=False)
