"""The arithmetic of a bar and of a claim's relation, on plain numbers.

Declarations (``dlwp_suite.targets``, ``dlwp_suite.claims``) and the judge both check
through these, so a bar means the same thing when a test asserts it and when a report
re-reads a run. Nothing here imports Keras or the experiments.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from scipy.stats import binomtest

Comparison = Literal["approx", "at_least", "at_most", "exact"]
Relation = Literal["beats", "within", "no_better", "faster", "later"]
# Relations that a pair exactly at the bar does not meet ("A beats B": a tie does not).
STRICT: tuple[Relation, ...] = ("beats", "later")


@dataclass(frozen=True)
class Bar:
    """A bar on one metric: a number (``value`` ± ``tolerance``, one-sided, or exact) or
    "beats ``baseline`` by ``tolerance``" (``at_most``: by at most that).

    ``direction`` is the metric's (+1: higher is better); ``over`` says whether the
    median of the seeds or the seed furthest from passing is checked.
    """

    metric: str
    direction: int
    value: float | None = None
    tolerance: float = 0.0
    comparison: Comparison = "approx"
    baseline: str | None = None
    over: Literal["median", "worst"] = "median"

    def margin(self, measured: float, reference: float) -> float:
        """How far ``measured`` is inside the bar (>= 0) or outside it (< 0)."""
        if self.baseline is not None:
            improvement = self.direction * (measured - reference)
            if self.comparison == "at_most":
                return self.tolerance - improvement
            return improvement - self.tolerance
        delta = measured - reference
        if self.comparison in ("approx", "exact"):  # exact: tolerance 0
            return self.tolerance - abs(delta)
        if self.comparison == "at_least":
            return delta + self.tolerance
        return self.tolerance - delta

    def check(self, values: Sequence[float], reference: float | None = None) -> BarCheck:
        """Check the median of ``values`` (or their worst); ``reference`` is the
        baseline's value for a baseline bar, else the bar's own value."""
        if self.baseline is not None:
            if reference is None:
                raise ValueError(f"a bar over {self.baseline} needs the baseline's value")
        else:
            assert self.value is not None
            reference = self.value
        if not values or not all(math.isfinite(v) for v in values):
            measured = math.nan  # a seed that measured nothing (or NaN) never passes
        elif self.over == "worst":
            measured = min(values, key=lambda v: self.margin(v, reference))
        else:
            measured = statistics.median(values)
        margin = self.margin(measured, reference)
        strict = self.baseline is not None and self.comparison != "at_most"
        passed = margin > 0 if strict else margin >= 0  # nan compares False: fails
        return BarCheck(measured, reference, passed, margin, len(values))

    def as_data(self) -> dict[str, Any]:
        """The bar as plain data (the manifest's and the verdict's form)."""
        return asdict(self)

    @classmethod
    def from_data(cls, fields: Mapping[str, Any]) -> Bar:
        """The bar :meth:`as_data` wrote."""
        return cls(**{k: fields[k] for k in cls.__dataclass_fields__ if k in fields})


@dataclass(frozen=True)
class BarCheck:
    """A bar checked on some values: what was measured against what, and the margin."""

    measured: float
    reference: float
    passed: bool
    margin: float  # >= 0 inside the bar; < 0 says by how much it missed
    seeds: int


# Claims are judged on paired seeds with a one-sided sign test at this level: the
# smallest level three seeds can reach (3 of 3 pairs agree: p = 0.125), so the default
# three seeds can conclude, and one or two never can on a claim without a margin.
SIGN_TEST_LEVEL = 0.125


@dataclass(frozen=True)
class RelationRule:
    """A claim's relation on one metric: "A beats B by more than ``margin``", ..."""

    relation: Relation
    margin: float
    direction: int

    def slack(self, a: float, b: float) -> float:
        """How far past the bar A stands against B (>= 0 holds; > 0 for the strict ones)."""
        if self.relation == "faster":
            return a / b - self.margin
        if self.relation == "later":
            return (a - b) - self.margin
        improvement = self.direction * (a - b)
        if self.relation == "beats":
            return improvement - self.margin
        if self.relation == "within":
            return self.margin - abs(a - b)
        return self.margin - improvement  # no_better

    def holds(self, a: float, b: float) -> bool:
        """The relation on one pair of values."""
        slack = self.slack(a, b)
        return slack > 0 if self.relation in STRICT else slack >= 0

    def ties(self, a: float, b: float) -> bool:
        """Whether a pair stands exactly at a strict relation's bar (two networks that
        bottom out at the same epoch): it shows neither that the relation holds nor that
        it does not."""
        return self.relation in STRICT and self.slack(a, b) == 0


Evidence = Literal["holds", "inconclusive", "does not hold"]


@dataclass(frozen=True)
class PairedEvidence:
    """A claim judged on its paired seeds: the medians, the pairs, the sign test."""

    a: float
    b: float
    slack: float  # of the medians
    pairs: tuple[tuple[int, float, float, bool], ...]  # (seed, a, b, held)
    p_holds: float  # one-sided sign test: P(at least this many pairs hold | a coin)
    p_fails: float  # and P(at least this many fail, ties not counted, | a coin)
    evidence: Evidence
    ties: int = 0  # pairs exactly at a strict relation's bar

    @property
    def held(self) -> int:
        """How many pairs held."""
        return sum(p[3] for p in self.pairs)


def pair_up(
    a: Mapping[int, float],
    b: Mapping[int, float],
    fitted_once: tuple[bool, bool] = (False, False),
) -> dict[int, tuple[float, float]]:
    """Pair the seeds of two sides by number. A side fitted once (a baseline: one value
    for the experiment) pairs its value with every seed of the other; a network's one
    seed pairs only with the same seed, never three times over."""
    if fitted_once[1] and len(b) == 1:
        only = next(iter(b.values()))
        return {seed: (value, only) for seed, value in a.items()}
    if fitted_once[0] and len(a) == 1:
        only = next(iter(a.values()))
        return {seed: (only, value) for seed, value in b.items()}
    return {seed: (a[seed], b[seed]) for seed in sorted(a.keys() & b.keys())}


def weigh(
    rule: RelationRule,
    a: Mapping[int, float],
    b: Mapping[int, float],
    fitted_once: tuple[bool, bool] = (False, False),
) -> PairedEvidence:
    """Judge a relation on per-seed values of its two sides (``fitted_once``: which side
    is a baseline, see ``pair_up``).

    It ``holds`` when the medians clear the relation and the pairs agree beyond seed
    noise: a one-sided sign test over the pairs at ``SIGN_TEST_LEVEL`` (a sign test needs
    no assumption about the spread, which three seeds cannot estimate). It ``does not
    hold`` when the medians miss and the pairs agree on that just as firmly; otherwise it
    is ``inconclusive``: too few seeds, or pairs that point both ways. A pair that ties at
    the bar counts for neither: against holding, and not for "does not hold" either.
    """
    if not a or not b:
        raise ValueError("both sides need at least one value")
    pairs = tuple(
        (seed, x, y, rule.holds(x, y))
        for seed, (x, y) in sorted(pair_up(a, b, fitted_once).items())
    )
    # The medians of what is weighed: the paired seeds (all seeds where none pair).
    a_values = [p[1] for p in pairs] or list(a.values())
    b_values = [p[2] for p in pairs] or list(b.values())
    a_median, b_median = statistics.median(a_values), statistics.median(b_values)
    n, held = len(pairs), sum(p[3] for p in pairs)
    ties = sum(rule.ties(x, y) for _, x, y, _ in pairs)
    p_holds = binomtest(held, n, 0.5, alternative="greater").pvalue if n else 1.0
    p_fails = binomtest(n - held - ties, n, 0.5, alternative="greater").pvalue if n else 1.0
    medians_hold = rule.holds(a_median, b_median)
    if medians_hold and p_holds <= SIGN_TEST_LEVEL:
        evidence: Evidence = "holds"
    elif not medians_hold and p_fails <= SIGN_TEST_LEVEL:
        evidence = "does not hold"
    else:
        evidence = "inconclusive"
    return PairedEvidence(
        a_median,
        b_median,
        rule.slack(a_median, b_median),
        pairs,
        float(p_holds),
        float(p_fails),
        evidence,
        ties,
    )
