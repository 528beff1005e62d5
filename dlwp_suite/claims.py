"""The book's comparisons, as comparisons: one case (or baseline) against another.

A claim names two sides of the same run, a metric, a relation and a margin:

- ``beats``: A is better than B by more than ``margin`` (in the metric's direction);
- ``within``: A and B differ by at most ``margin``;
- ``no_better``: A does not beat B by more than ``margin`` ("not much better");
- ``faster``: A's rate is at least ``margin`` times B's (a timing, e.g. samples/s);
- ``later``: A's value exceeds B's by more than ``margin`` (e.g. the epoch of the
  validation-loss minimum: "starts overfitting later").

It is weighed on the paired seeds of its two sides: it holds when the medians clear it
and the pairs agree beyond seed noise, does not hold when they agree the other way, and
is inconclusive otherwise (``dlwp_suite.results.bars.weigh``). A baseline has one value
(it is fitted once per experiment), which pairs with every seed of the other side.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlwp_suite.case_ids import side_id
from dlwp_suite.divergence import Divergence
from dlwp_suite.metrics import TIMING_METRICS, direction
from dlwp_suite.results.bars import STRICT, PairedEvidence, Relation, RelationRule, weigh

_WORDS = {
    "beats": "beats",
    "within": "is within {m} of",
    "no_better": "does not beat by more than {m}",
    "faster": "trains at least {m}x as fast as",
    "later": "comes later than",
}


@dataclass(frozen=True)
class Side:
    """One side of a claim: a case's network, or one of its experiment's baselines."""

    experiment: str
    variant: str | None = None
    baseline: str | None = None
    # Another metric of the same records than the claim's (with its direction): two
    # sides of one case compare two of its measurements ("the samples at T = 1.2 are
    # more varied than at T = 0.2").
    metric: str | None = None

    def __post_init__(self) -> None:
        if (self.variant is None) == (self.baseline is None):
            raise ValueError(f"{self.experiment}: a side names a variant or a baseline")

    @property
    def kind(self) -> str:
        """The record kind holding this side's values."""
        return "model" if self.variant is not None else "baseline"

    @property
    def label(self) -> str:
        """``ch06.jena.1e[gru]`` or ``ch06.jena.1e:common_sense``."""
        name = side_id(self.experiment, self.variant, self.baseline)
        return f"{name} {self.metric}" if self.metric else name

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Whether a results record holds this side's values."""
        if record.get("experiment") != self.experiment or record.get("kind") != self.kind:
            return False
        if self.variant is not None:
            return record.get("variant") == self.variant
        return record.get("name") == self.baseline


def network(experiment: str, variant: str, metric: str | None = None) -> Side:
    """The network of one case (on ``metric`` instead of the claim's, if given)."""
    return Side(experiment, variant=variant, metric=metric)


def baseline(experiment: str, name: str) -> Side:
    """One baseline of an experiment."""
    return Side(experiment, baseline=name)


@dataclass(frozen=True)
class Claim:
    """ "A <relation> B on ``metric``", with the book's words and source."""

    id: str
    says: str  # the book's words, in a short paraphrase
    source: str  # edition, notebook and cell, or section
    metric: str
    a: Side
    relation: Relation
    b: Side
    margin: float = 0.0
    basis: str = "the book's claim as stated; no margin"
    # Generated smoke data need not show the book's effects: claims run on real data
    # unless they say otherwise.
    profiles: tuple[str, ...] = ("quick", "book")
    divergence: Divergence | None = None

    def __post_init__(self) -> None:
        better = direction(self.metric)
        for side in (self.a, self.b):
            if side.metric is not None and direction(side.metric) != better:
                raise ValueError(f"claim {self.id}: {side.metric} improves the other way")
        if self.relation == "faster" and self.metric not in TIMING_METRICS:
            raise ValueError(f"claim {self.id}: 'faster' compares a rate, not {self.metric!r}")

    @property
    def chapter(self) -> str:
        """The chapter of side A's experiment (``ch06``): where the claim's test lives."""
        return self.a.experiment.split(".", 1)[0]

    def describe(self) -> str:
        """``ch06.jena.1e[gru] beats ch06.jena.1e[reversed_gru] on best_val_mae``."""
        words = _WORDS[self.relation].format(m=f"{self.margin:g}")
        by = ""
        if self.relation in STRICT and self.margin:
            by = f" by more than {self.margin:g}"
        on = "" if self.a.metric and self.b.metric else f" on {self.metric}"  # labels say
        return f"{self.a.label} {words} {self.b.label}{by}{on}"

    def declared(self) -> dict[str, Any]:
        """The declaration as data, for records and the report."""
        fields = dataclasses.asdict(self)
        fields["divergence"] = self.divergence.as_record() if self.divergence else None
        return fields

    def rule(self) -> RelationRule:
        """The relation as plain data, with the metric's direction: what the judge weighs."""
        return RelationRule(self.relation, self.margin, direction(self.metric))

    def holds(self, a: float, b: float) -> bool:
        """The relation on one pair of values."""
        return self.rule().holds(a, b)

    def judge(self, a: Mapping[int, float], b: Mapping[int, float]) -> ClaimCheck:
        """Weigh the claim on paired seeds (a single value pairs with all): holds, does
        not hold, or inconclusive (``dlwp_suite.results.bars.weigh``)."""
        if not a or not b:
            raise ValueError(f"claim {self.id}: both sides need at least one value")
        once = (self.a.kind == "baseline", self.b.kind == "baseline")
        return ClaimCheck(self, weigh(self.rule(), a, b, once))


@dataclass(frozen=True)
class ClaimCheck:
    """A claim weighed on one run's paired seeds."""

    claim: Claim
    weighed: PairedEvidence

    @property
    def evidence(self) -> str:
        """``holds``, ``inconclusive`` or ``does not hold``."""
        return self.weighed.evidence

    def message(self) -> str:
        """One line: the claim, the medians, the pairs and what they show."""
        w = self.weighed
        return (
            f"{self.claim.describe()}: median {w.a:.4g} vs {w.b:.4g}; {w.held} of "
            f"{len(w.pairs)} seed pair(s) hold (sign test p = {w.p_holds:.3g}): "
            f"{w.evidence.upper()} ({self.claim.source})"
        )

    def as_record(self) -> dict[str, Any]:
        """The claim and its evidence, as stored in a ``claim`` record."""
        w = self.weighed
        return {
            "declared": self.claim.declared(),
            "direction": direction(self.claim.metric),
            "a": w.a,
            "b": w.b,
            "evidence": w.evidence,
            "slack": w.slack,
            "per_seed": [{"seed": s, "a": x, "b": y, "held": h} for s, x, y, h in w.pairs],
            "p_holds": w.p_holds,
            "p_fails": w.p_fails,
            "ties": w.ties,
        }
