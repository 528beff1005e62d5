"""How a case and a baseline are named: one spelling for records, test ids, the manifest,
claims and the report. A leaf module, so the results layer reads it without the
declarations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def case_id(experiment: str, variant: str) -> str:
    """A network case: ``ch03.imdb.dense[book]``."""
    return f"{experiment}[{variant}]"


def baseline_id(experiment: str, name: str) -> str:
    """An experiment's baseline: ``ch06.jena.2e:common_sense``."""
    return f"{experiment}:{name}"


def side_id(experiment: str, variant: str | None, baseline: str | None) -> str:
    """A claim side or a declared case: its network's case id where it names a variant,
    else its baseline's id."""
    return (
        case_id(experiment, variant)
        if variant is not None
        else baseline_id(experiment, str(baseline))
    )


def record_case_id(record: Mapping[str, Any]) -> str:
    """The case id a model record (or a time probe's) was recorded under."""
    return case_id(str(record.get("experiment")), str(record.get("variant")))
