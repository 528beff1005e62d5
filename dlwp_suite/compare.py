"""Compare two result sets through the judge: a gate over two sets of verdicts.

Like ``asv compare`` or ``--benchmark-compare-fail``: a non-zero exit on a regression, so
it can gate CI. Verdicts are matched on (profile, case or claim, metric), and on the
stack too where both sets hold several; the stacks may differ (that is the point: a new
TensorFlow, Keras or device against the old one). A book number regresses when its
median moves the bad way by more than its band; any other bar or claim regresses when
it passed before and fails now; throughput regresses when it drops by more than the
threshold. A gate must not pass on nothing: no verdict in common fails, and so do old
verdicts the new set did not run, unless they are explicitly allowed to be missing.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dlwp_suite.case_ids import record_case_id
from dlwp_suite.results.judge import judge
from dlwp_suite.results.manifest import Manifest
from dlwp_suite.results.records import newest
from dlwp_suite.results.verdicts import Status, Verdict
from dlwp_suite.words import describe_bar

PASSING = (
    Status.REPRODUCES,
    Status.PROVISIONAL,
    Status.HOLDS,
    Status.BAR_MET,
    Status.KNOWN_DIVERGENCE,
)


@dataclass(frozen=True)
class Change:
    """One compared quantity of one case; ``new`` is None when the new set lacks it."""

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
    """Everything ``compare`` found: the changes and the old cases the new set lacks."""

    changes: list[Change] = field(default_factory=list)
    missing_cases: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # new cases with seeds missing

    @property
    def regressions(self) -> list[Change]:
        """Changes in the bad direction beyond what is allowed."""
        return [c for c in self.changes if c.regression]

    @property
    def missing_metrics(self) -> list[Change]:
        """Checked metrics of common cases that the new set did not record."""
        return [c for c in self.changes if c.new is None]

    def failures(self, allow_missing: bool = False) -> list[str]:
        """Why the gate fails, one line each (empty: it passes)."""
        reasons = [f"REGRESSION {c.case} {c.quantity}" for c in self.regressions]
        if not any(c.new is not None for c in self.changes):
            reasons.append("nothing comparable: no verdict of the old set has a value in the new")
        if not allow_missing:
            reasons += [f"MISSING case {case}" for case in self.missing_cases]
            reasons += [
                f"INCOMPLETE case {case} (fewer seeds than planned)" for case in self.incomplete
            ]
            reasons += [f"MISSING {c.case} {c.quantity}" for c in self.missing_metrics]
        return reasons


def _pairs(old: list[Verdict], new: list[Verdict]) -> list[tuple[Verdict, Verdict]]:
    """Old and new verdicts of one key: same stack where both sets have it, else the
    only one of each."""
    same = [(o, n) for o in old for n in new if (o.stack, o.device) == (n.stack, n.device)]
    if same or len(old) != 1 or len(new) != 1:
        return same
    return [(old[0], new[0])]


def _change(old: Verdict, new: Verdict) -> Change:
    name = f"{old.profile}/{old.subject}"
    assert old.median is not None
    if new.median is None:
        return Change(name, old.metric, old.median, None, describe_bar(old.bar), False)
    bar = old.bar
    if old.kind == "book number" and bar.get("comparison") == "approx":
        worse_by = -bar["direction"] * (new.median - old.median)
        allowed = f"± {bar['tolerance']:g}"
        return Change(
            name, old.metric, old.median, new.median, allowed, worse_by > bar["tolerance"]
        )
    # A bar or a claim, not a number with a measured spread: only crossing it regresses.
    crossed = old.status in PASSING and new.status.failing
    return Change(name, old.metric, old.median, new.median, describe_bar(bar), crossed)


def _throughputs(records: Iterable[dict[str, Any]]) -> dict[tuple[str, str], float]:
    """Median training samples/s per (profile, case) in the newest runs."""
    rates: dict[tuple[str, str], list[float]] = defaultdict(list)
    for record in newest(records):
        rate = (record.get("timings") or {}).get("train_samples_per_s")
        if record["kind"] == "model" and rate:
            case = record_case_id(record)
            rates[(record["profile"], case)].append(rate)
    return {key: statistics.median(values) for key, values in rates.items()}


def compare(
    old: Iterable[dict[str, Any]],
    new: Iterable[dict[str, Any]],
    manifest: Manifest,
    threshold: float = 0.10,
) -> Comparison:
    """Every verdict and throughput change between two result sets, judged by
    ``manifest`` (the bars as declared now)."""
    old, new = list(old), list(new)
    keyed: dict[str, dict[tuple[str, str, str], list[Verdict]]] = {"old": {}, "new": {}}
    for name, records in (("old", old), ("new", new)):
        for verdict in judge(records, manifest):
            key = (verdict.profile, verdict.subject, verdict.metric)
            keyed[name].setdefault(key, []).append(verdict)
    result = Comparison()
    for key, olds in keyed["old"].items():
        answered = [v for v in olds if v.median is not None]
        if not answered:
            continue
        news = keyed["new"].get(key, [])
        ran = [v for v in news if v.status is not Status.NOT_RUN]
        case = f"{key[0]}/{key[1]}"
        if not ran:
            if case not in result.missing_cases:
                result.missing_cases.append(case)
            continue
        for before, after in _pairs(answered, ran):
            result.changes.append(_change(before, after))
            if after.status is Status.INCOMPLETE and case not in result.incomplete:
                result.incomplete.append(case)
    before, after = _throughputs(old), _throughputs(new)
    for key in before.keys() & after.keys():
        result.changes.append(
            Change(
                "/".join(key),
                "train samples/s",
                before[key],
                after[key],
                f"-{threshold:.0%}",
                after[key] < before[key] * (1 - threshold),
            )
        )
    result.changes.sort(key=lambda c: (c.case, c.quantity))
    result.missing_cases.sort()
    return result


def as_table(comparison: Comparison) -> str:
    """The changes as a Markdown table, then the cases the new set lacks."""
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
            "cases of the old set missing from the new one:\n"
            + "\n".join(f"- {case}" for case in comparison.missing_cases)
        )
    return "\n\n".join(parts)
