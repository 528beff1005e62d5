"""Records as the judge reads them: upgraded to the current schema, labelled with their
stack and device, and cut down to the newest run of each case on each stack."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dlwp_suite.results.store import SCHEMA, run_starts

Record = dict[str, Any]


def _upgrade_1_to_2(record: Record) -> Record:
    # Schema 1 stored targets without their declaration; the judge reads today's bars
    # from the manifest, so an undeclared stored target only loses "bar changed".
    targets = [{**t, "declared": t.get("declared")} for t in record.get("targets") or []]
    return {**record, "targets": targets, "schema": 2}


# schema n -> its upgrade to n + 1 (asv's ``update_to_2`` idea).
UPGRADES: dict[int, Callable[[Record], Record]] = {1: _upgrade_1_to_2}


class NewerRecords(ValueError):
    """Records written by a newer dlwp-suite than this one reads."""


def upgraded(record: Mapping[str, Any]) -> Record:
    """A record in the current schema; a newer schema is refused with what to do."""
    current = dict(record)
    version = int(current.get("schema", 1))
    if version > SCHEMA:
        raise NewerRecords(
            f"record of run {current.get('run_id')} has schema {version}; this dlwp-suite "
            f"reads up to {SCHEMA}: upgrade dlwp-suite"
        )
    while version < SCHEMA:
        current = UPGRADES[version](current)
        version = int(current["schema"])
    return current


def stack_label(environment: Mapping[str, Any]) -> str:
    """``tf2.21.0 keras3.15.1 tensorflow`` or ``keras3.15.1 jax``: the software stack."""
    tf = f"tf{environment['tensorflow']} " if environment.get("tensorflow") else ""
    return f"{tf}keras{environment.get('keras')} {environment.get('backend')}"


def device_label(environment: Mapping[str, Any]) -> str:
    """``CPU`` or ``GPU H200``: a GPU's model is named (an H100 and an H200 differ)."""
    words = str(environment.get("device") or "?").split()
    if words[0] == "GPU":
        model = next((w for w in words[1:] if w.upper() != "NVIDIA"), None)
        return f"GPU {model}" if model else "GPU"
    return words[0]


def data_kind(record: Mapping[str, Any]) -> str:
    """What a record ran on, from its loader's notes: generated, stand-in or real."""
    if record.get("profile") == "smoke":
        return "generated"
    notes = " ".join((record.get("data") or {}).get("notes") or [])
    if "GENERATED" in notes:
        return "generated"
    return "stand-in" if "STAND-IN" in notes else "real"


_GROUP = ("profile", "stack", "device", "experiment", "variant", "kind", "name")


def newest(records: Iterable[Mapping[str, Any]]) -> list[Record]:
    """The newest run of each case, baseline and outcome per stack, each seed once.

    "Newest" is the run that started last (its first invocation; ties go to the larger
    id). A seed recorded twice in that run (two invocations sharing a run id) counts
    once, its latest record, with ``times_recorded`` saying how often.
    """
    rows = [upgraded(r) for r in records]
    starts = run_starts(rows)
    for row in rows:
        row["stack"] = stack_label(row["environment"])
        row["device"] = device_label(row["environment"])
    order = {run: f"{start}|{run}" for run, start in starts.items()}
    latest: dict[tuple, str] = {}
    for row in rows:
        key = tuple(row.get(k) for k in _GROUP)
        latest[key] = max(latest.get(key, ""), order[row["run_id"]])
    kept: dict[tuple, Record] = {}
    counts: dict[tuple, int] = {}
    for row in sorted(rows, key=lambda r: r.get("recorded_at") or ""):
        key = tuple(row.get(k) for k in _GROUP)
        if order[row["run_id"]] != latest[key]:
            continue
        once = (*key, row["seed"] if row["kind"] != "outcome" else row.get("test"))
        counts[once] = counts.get(once, 0) + 1
        kept[once] = {**row, "times_recorded": counts[once]}
    return list(kept.values())
