"""The book's comparisons, as comparisons: one case (or baseline) against another.

A claim names two sides of the same run, a metric, a relation and a margin:

- ``beats``: A is better than B by more than ``margin`` (in the metric's direction);
- ``within``: A and B differ by at most ``margin``;
- ``no_better``: A does not beat B by more than ``margin`` ("not much better");
- ``faster``: A's rate is at least ``margin`` times B's (a timing, e.g. samples/s);
- ``later``: A's value exceeds B's by more than ``margin`` (e.g. the epoch of the
  validation-loss minimum: "starts overfitting later").

It is judged on the medians over the seeds each side recorded; the per-seed paired
outcome ("held on k of n seeds") is recorded beside it. A baseline has one value (it
is fitted once per experiment), which pairs with every seed of the other side.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dlwp_suite.divergence import Divergence
from dlwp_suite.metrics import TIMING_METRICS, direction

Relation = Literal["beats", "within", "no_better", "faster", "later"]
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
        name = (
            f"{self.experiment}[{self.variant}]"
            if self.variant is not None
            else f"{self.experiment}:{self.baseline}"
        )
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
        if self.relation in ("beats", "later") and self.margin:
            by = f" by more than {self.margin:g}"
        on = "" if self.a.metric and self.b.metric else f" on {self.metric}"  # labels say
        return f"{self.a.label} {words} {self.b.label}{by}{on}"

    def declared(self) -> dict[str, Any]:
        """The declaration as data, for records and the report."""
        fields = dataclasses.asdict(self)
        fields["divergence"] = self.divergence.as_record() if self.divergence else None
        return fields

    @classmethod
    def from_declared(cls, fields: Mapping[str, Any]) -> Claim:
        """The claim a record stored (its divergence kept as data, not re-applied)."""
        kept = {f.name for f in dataclasses.fields(cls)} - {"divergence", "a", "b", "profiles"}
        return cls(
            a=Side(**fields["a"]),
            b=Side(**fields["b"]),
            profiles=tuple(fields.get("profiles", ())),
            **{k: v for k, v in fields.items() if k in kept},
        )

    def diverges_on(self, environment: Mapping[str, object]) -> bool:
        """Whether this claim is a declared divergence on that stack."""
        return self.divergence is not None and self.divergence.stack.matches(environment)

    def slack(self, a: float, b: float) -> float:
        """How far past the bar A stands against B (>= 0 holds; > 0 for the strict ones)."""
        if self.relation == "faster":
            return a / b - self.margin
        if self.relation == "later":
            return (a - b) - self.margin
        improvement = direction(self.metric) * (a - b)
        if self.relation == "beats":
            return improvement - self.margin
        if self.relation == "within":
            return self.margin - abs(a - b)
        return self.margin - improvement  # no_better

    def holds(self, a: float, b: float) -> bool:
        """The relation on one pair of values."""
        slack = self.slack(a, b)
        strict = self.relation in ("beats", "later")
        return slack > 0 if strict else slack >= 0

    def judge(self, a: Mapping[int, float], b: Mapping[int, float]) -> ClaimCheck:
        """Judge on the medians over seeds; pair seeds (a single value pairs with all)."""
        if not a or not b:
            raise ValueError(f"claim {self.id}: both sides need at least one value")
        a_median, b_median = statistics.median(a.values()), statistics.median(b.values())
        if len(b) == 1:
            pairs = {seed: (value, next(iter(b.values()))) for seed, value in a.items()}
        elif len(a) == 1:
            pairs = {seed: (next(iter(a.values())), value) for seed, value in b.items()}
        else:
            pairs = {seed: (a[seed], b[seed]) for seed in sorted(a.keys() & b.keys())}
        per_seed = [
            {"seed": seed, "a": x, "b": y, "held": self.holds(x, y)}
            for seed, (x, y) in sorted(pairs.items())
        ]
        return ClaimCheck(
            self,
            a_median,
            b_median,
            self.holds(a_median, b_median),
            self.slack(a_median, b_median),
            per_seed,
        )


@dataclass(frozen=True)
class ClaimCheck:
    """A claim judged on one run."""

    claim: Claim
    a: float
    b: float
    passed: bool
    slack: float
    per_seed: list[dict[str, Any]]

    @property
    def held(self) -> str:
        """``3 of 3 seeds``."""
        held = sum(p["held"] for p in self.per_seed)
        return f"{held} of {len(self.per_seed)} seed(s)"

    def message(self) -> str:
        """One line: the claim, the medians, and whether (and by how much) it held."""
        c = self.claim
        verdict = "held" if self.passed else f"DID NOT HOLD (short by {abs(self.slack):.4g})"
        return (
            f"{c.describe()}: median {self.a:.4g} vs {self.b:.4g}, {verdict}; "
            f"paired: held on {self.held} ({c.source})"
        )

    def as_record(self) -> dict[str, Any]:
        """The claim and its outcome, as stored in a ``claim`` record."""
        return {
            "declared": self.claim.declared(),
            "direction": direction(self.claim.metric),
            "a": self.a,
            "b": self.b,
            "passed": self.passed,
            "slack": self.slack,
            "per_seed": self.per_seed,
        }
