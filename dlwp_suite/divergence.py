"""Known divergences: where a book number misses or a claim does not hold, and why.

A divergence is declared on the target or claim it concerns, only once its cause is
established, with the stack it applies to and a probe: a quick check that shows the
mechanism on the running stack. On a matching stack a miss counts as the divergence
(the test xfails) only when the run's probe shows the mechanism; a miss without it fails
as any miss does, and a bar met passes, its verdict noting that the divergence did not
show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Stack:
    """Which stacks a divergence applies to: a Keras version range and backends."""

    keras: str = ""  # a PEP 440 specifier such as ">=3.0"; empty: any version
    backends: tuple[str, ...] = ()  # empty: any backend

    def describe(self) -> str:
        """``Keras >=3.0 on tensorflow``."""
        parts = [f"Keras {self.keras}" if self.keras else "any Keras"]
        if self.backends:
            parts.append("on " + "/".join(self.backends))
        return " ".join(parts)


@dataclass(frozen=True)
class Probe:
    """What shows a divergence's mechanism: ``measure`` is a probe of
    ``dlwp_suite.probes`` run on the stack before the case, or ``metric:<name>``, a
    metric the case records; the mechanism shows at ``value`` or beyond, on the side
    ``comparison`` says."""

    measure: str
    comparison: Literal["at_least", "at_most"]
    value: float
    says: str  # what a reading past the value means, in words

    @property
    def metric(self) -> str | None:
        """The case's own metric the probe reads, if it is one."""
        return self.measure.removeprefix("metric:") if self.measure.startswith("metric:") else None


@dataclass(frozen=True)
class Divergence:
    """An established reason why the book's number or claim fails on some stacks."""

    stack: Stack
    reason: str  # one sentence: what differs and why
    evidence: str  # the measurements that establish it, with where to find them
    id: str  # short and stable: how the report numbers and cites it
    probe: Probe

    def as_record(self) -> dict[str, object]:
        """The form stored beside the target or claim in a record."""
        return {
            "id": self.id,
            "stack": {"keras": self.stack.keras, "backends": list(self.stack.backends)},
            "applies_to": self.stack.describe(),
            "reason": self.reason,
            "evidence": self.evidence,
            "probe": {
                "measure": self.probe.measure,
                "comparison": self.probe.comparison,
                "value": self.probe.value,
            },
        }
