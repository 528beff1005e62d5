"""Verdicts: what one stack's records say about one declared bar or claim, as data."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """The closed set of verdicts, in the words a reader sees."""

    # A book number, on the book's real data, inside its band measured on held-out seeds
    # (or a deterministic number's rounding).
    REPRODUCES = "reproduces"
    # A book number, on the book's real data, inside a band not yet measured on
    # held-out seeds: no "reproduces" until the band is.
    PROVISIONAL = "inside a provisional band"
    HOLDS = "holds"  # a claim, beyond seed noise
    INCONCLUSIVE = "inconclusive"  # a claim: too few seeds, or pairs that disagree
    DOES_NOT_HOLD = "does not hold"  # a claim, the other way beyond seed noise
    BAR_MET = "bar met"  # a suite bar, or a book number on stand-in or generated data
    BAR_MISSED = "bar missed"
    KNOWN_DIVERGENCE = "known divergence"  # a miss with an established, declared cause
    FAILS = "fails"  # a book number missed on real data, or a test that broke
    INCOMPLETE = "incomplete"  # fewer seeds than planned, or a baseline not recorded
    NOT_RUN = "not run"

    @property
    def failing(self) -> bool:
        """Whether this verdict fails a run: a miss without an established cause."""
        return self in (Status.BAR_MISSED, Status.FAILS, Status.DOES_NOT_HOLD)


@dataclass(frozen=True)
class Verdict:
    """One declared bar or claim judged on one stack's newest records.

    ``subject`` is a case (``ch03.imdb.dense[book]``), a baseline
    (``ch06.jena.2e:common_sense``) or a claim id; ``kind`` says which of a book number,
    a suite bar or a claim it is. ``values`` are per seed; ``median``, ``low`` and
    ``high`` summarise them (for a claim: side A's, with ``b`` side B's median).
    """

    profile: str
    stack: str
    device: str
    chapter: str
    subject: str
    kind: str  # "book number" | "bar" | "claim"
    metric: str
    status: Status
    data_kind: str  # "real" | "stand-in" | "generated"
    source: str
    bar: Mapping[str, Any]  # the bar (or the claim's relation) as checked, as data
    seeds: tuple[int, ...] = ()
    values: tuple[float, ...] = ()
    median: float | None = None
    low: float | None = None
    high: float | None = None
    reference: float | None = None  # the book's number or the baseline's value
    margin: float | None = None  # >= 0: inside the bar (a claim: slack of the medians)
    b: float | None = None  # a claim's side-B median
    seeds_planned: int = 0
    reason: str = ""  # why not run, what is incomplete, the divergence's reason
    divergence: str | None = None  # the DivergenceSpec id when it applies here
    bar_changed: bool = False  # the records were judged at another bar when they ran
    runs: tuple[str, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)  # a claim's pairs and test
    # A case not run on a machine where a time probe ran: its ``PlanRow`` as data.
    plan: Mapping[str, Any] | None = None
    # A claim not run: the side with no records there (a case, or ``experiment:baseline``).
    waits_on: str | None = None

    def as_data(self) -> dict[str, Any]:
        """JSON-ready data (``verdicts.json``): a seed that measured nothing is null."""
        data = json_ready(asdict(self))
        data["status"] = str(self.status)
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Verdict:
        """The verdict :meth:`as_data` wrote."""
        fields = dict(data)
        fields["status"] = Status(fields["status"])
        for name in ("seeds", "values", "runs"):
            fields[name] = tuple(fields.get(name, ()))
        fields["values"] = tuple(math.nan if v is None else v for v in fields["values"])
        return cls(**fields)

    @property
    def measured_values(self) -> tuple[float, ...]:
        """The values of the seeds that measured the metric (a dream with no step did not:
        NaN, as the judge names them)."""
        return tuple(v for v in self.values if not math.isnan(v))


def json_ready(data: Any) -> Any:
    """``data`` with tuples as lists and NaN or infinities as None: JSON has no NaN, and
    a seed that measured nothing is the only place one appears."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, Mapping):
        return {str(k): json_ready(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [json_ready(v) for v in data]
    return data
