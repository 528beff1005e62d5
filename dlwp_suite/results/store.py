"""Append-only JSON Lines results: one record per model seed, baseline or ensemble.

Each process writes its own file under ``<results>/runs/`` (named by run id and
pytest-xdist worker), each record as one ``O_APPEND`` write followed by ``fsync``, so
parallel workers never interleave and an interrupted run loses at most the record
being written, which the reader then reports and skips instead of mis-reading.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import secrets
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

# 2: targets store their declaration as data; ``claim`` and ``outcome`` records.
SCHEMA = 2
# model/baseline/ensemble: measurements; claim: a claim judged on the run's records;
# outcome: how a benchmark test ended (so claims and the report know what was skipped);
# reference: one case run by the suite and by the book's own code, timed side by side;
# time_probe: a time probe's phases (``runner.time_case``): timed, never judged.
KINDS = ("model", "baseline", "ensemble", "claim", "outcome", "reference", "time_probe")


def now() -> str:
    """The current UTC time as records store it (ISO 8601, seconds)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_run_id() -> str:
    """A unique id for one pytest session (shared by its xdist workers).

    It starts with a time stamp for people; what orders runs is the start time their
    records carry (`run_starts`), since ``DLWP_RUN_ID`` may be any name.
    """
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def new_invocation() -> tuple[str, str]:
    """The id and start time of one pytest invocation (a run may have several)."""
    return secrets.token_hex(4), now()


class RecordsNotWritten(OSError):
    """A record could not be written whole (full disk, size limit, permissions)."""


class ResultsStore:
    """Writes records for one run id and one worker of one invocation.

    Every record it writes carries the invocation's id and start time: the run's start
    is that of its first invocation, which is how "newest" is decided.
    """

    def __init__(
        self,
        directory: Path,
        run_id: str,
        worker: str = "main",
        invocation: tuple[str, str] | None = None,
    ) -> None:
        self.directory = directory
        self.run_id = run_id
        self.path = directory / "runs" / f"{run_id}.{worker}.jsonl"
        self.invocation, self.started = invocation or new_invocation()

    def check_writable(self) -> None:
        """Fail now, before any training, if records could not be written here."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.path.parent) as probe:
                probe.write(b"x" * 4096)  # needs a data block: a full disk says so here
                probe.flush()
                os.fsync(probe.fileno())
            # The records file itself (an earlier invocation of this run may own it); one
            # made only for this check goes again, so a run that records nothing
            # (--collect-only, every case deselected) leaves no empty file behind.
            existed = self.path.exists()
            os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644))
            if not existed:
                self.path.unlink()
        except OSError as error:
            raise RecordsNotWritten(
                f"cannot write run records under {self.path.parent} ({error.strerror or error}): "
                "fix its permissions or free space, or choose another place with "
                "--dlwp-results DIR"
            ) from error

    def append(self, record: Mapping[str, Any]) -> None:
        """Append one record as a single write of one line, checked and flushed to disk.

        A write that is refused or cut short (full disk, file size limit) is undone, so
        no half line is left for the next record to be glued onto, and raises
        `RecordsNotWritten`. A torn line left by a killed process is closed first.
        """
        stamped = {**record, "invocation": self.invocation, "invocation_started": self.started}
        line = (json.dumps(stamped, sort_keys=True, default=_jsonable) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line
            written = 0
            try:
                written = os.write(fd, line)
                if written != len(line):
                    raise OSError(errno.EIO, f"short write: {written} of {len(line)} bytes")
                os.fsync(fd)
            except OSError as error:
                if written and os.fstat(fd).st_size == size + written:  # ours alone: undo
                    os.ftruncate(fd, size)
                raise RecordsNotWritten(
                    f"could not write a {record.get('kind')} record of "
                    f"{record.get('experiment')} to {self.path}: {error.strerror or error}. "
                    "Free space or choose another place with --dlwp-results DIR; the "
                    "records written before this one are intact."
                ) from error
        finally:
            os.close(fd)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def make_record(
    *,
    run_id: str,
    experiment: str,
    variant: str,
    kind: str,
    name: str,
    profile: str,
    seed: int | None,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    targets: list[dict[str, Any]],
    timings: Mapping[str, Any],
    environment: Mapping[str, Any],
    data: Mapping[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    """One results record; ``extra`` holds history, details, ensemble comparisons, claims."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return {
        "schema": SCHEMA,
        "run_id": run_id,
        "recorded_at": now(),
        "experiment": experiment,
        "variant": variant,
        "kind": kind,
        "name": name,
        "profile": profile,
        "seed": seed,
        "params": dict(params),
        "metrics": dict(metrics),
        "targets": targets,
        "timings": dict(timings),
        "environment": {
            **environment,
            "datasets": {file: info["sha256"] for file, info in data.get("files", {}).items()},
        },
        "data": dict(data),
        **extra,
    }


def make_outcome(
    *,
    run_id: str,
    test: str,
    experiment: str,
    variant: str,
    profile: str,
    outcome: str,
    reason: str,
    environment: Mapping[str, Any],
    time_probe: bool = False,
) -> dict[str, Any]:
    """How one case or comparisons test ended (``kind="outcome"``), for claims and the report.

    A time probe's outcomes say so (``time_probe``): the judge reads none of them.
    """
    return {
        "schema": SCHEMA,
        "run_id": run_id,
        "recorded_at": now(),
        "kind": "outcome",
        "test": test,
        "experiment": experiment,
        "variant": variant,
        "name": "outcome",
        "profile": profile,
        "seed": None,
        "outcome": outcome,
        "reason": reason,
        "environment": dict(environment),
        **({"time_probe": True} if time_probe else {}),
    }


def _upgrade_1_to_2(record: dict[str, Any]) -> dict[str, Any]:
    # Schema 1 stored targets without their declaration; the judge reads today's bars
    # from the manifest, so an undeclared stored target only loses "bar changed".
    targets = [{**t, "declared": t.get("declared")} for t in record.get("targets") or []]
    return {**record, "targets": targets, "schema": 2}


# schema n -> its upgrade to n + 1 (asv's ``update_to_2`` idea).
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _upgrade_1_to_2}


class NewerRecords(ValueError):
    """Records written by a newer dlwp-suite than this one reads."""


def upgraded(record: Mapping[str, Any]) -> dict[str, Any]:
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


def read_records(directory: Path) -> Iterator[dict[str, Any]]:
    """Every complete record under ``<directory>/runs``, upgraded to the current schema
    (a newer one is refused); torn lines are warned about."""
    for path in sorted((directory / "runs").glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    warnings.warn(f"{path}:{number}: skipping an incomplete record", stacklevel=2)
                    continue
                yield upgraded(record)


def run_starts(records: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """``{run id: start time}``: the earliest invocation that joined each run.

    Records written before invocations were stamped fall back to their earliest
    ``recorded_at``. ISO times in UTC compare correctly as strings.
    """
    starts: dict[str, str] = {}
    for record in records:
        started = record.get("invocation_started") or record.get("recorded_at") or ""
        run = record["run_id"]
        starts[run] = min(starts.get(run, started), started)
    return starts


RecordT = TypeVar("RecordT", bound=Mapping[str, Any])


def read_run(directory: Path, run_id: str) -> list[dict[str, Any]]:
    """The records of one run, from every worker and invocation that joined it."""
    return [r for r in read_records(directory) if r.get("run_id") == run_id]


def recorded_in_run(
    records: Iterable[RecordT], run_id: str, profile: str, kinds: set[str]
) -> list[RecordT]:
    """The records of ``kinds`` a run made in ``profile``: what resuming it keeps."""
    return [
        r
        for r in records
        if r.get("run_id") == run_id and r.get("kind") in kinds and r.get("profile") == profile
    ]
