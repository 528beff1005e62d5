"""Before any training: what would fail after hours fails now, and the run's plan is
shown (how many cases and seeds, and what earlier runs on this stack took)."""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from dlwp_suite import progress
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.results import RecordsNotWritten, ResultsStore
from dlwp_suite.results.plan import seed_estimate


def progress_writer(config: pytest.Config) -> Callable[[str], None] | None:
    """A line writer to the terminal past output capture; None under ``-q`` and in xdist
    workers (whose terminal no one sees)."""
    if config.get_verbosity() < 0 or hasattr(config, "workerinput"):
        return None
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if terminal is None:
        return None

    def write(line: str) -> None:
        if capture is None:
            terminal.write_line(line)
            return
        with capture.global_and_fixture_disabled():
            terminal.write_line(line)

    return write


def plan(session: pytest.Session, base: Path, here: Mapping[str, Any]) -> str:
    """How many cases and seeds will train, and the time earlier runs of the same cases
    on this stack and device took (median wall time a seed)."""
    from dlwp_suite.results import read_records
    from dlwp_suite.results.records import device_label, newest, stack_label

    config = session.config
    cases = {
        item.callspec.params["dlwp_case"].id
        for item in session.items
        if "dlwp_case" in getattr(getattr(item, "callspec", None), "params", {})
    }
    seeds = config.getoption("--dlwp-seeds")
    profile = config.getoption("--dlwp-profile")
    stack, device = stack_label(here), device_label(here)
    walls: dict[str, list[float]] = {}
    probed: dict[str, float] = {}  # a time probe's extrapolation, where no run timed it
    for r in newest(read_records(base)) if (base / "runs").is_dir() else []:
        case = f"{r['experiment']}[{r['variant']}]"
        here_too = r["profile"] == profile and case in cases
        if not here_too or (r["stack"], r["device"]) != (stack, device):
            continue
        wall = (r.get("timings") or {}).get("wall_s")
        if r["kind"] == "model" and wall:
            walls.setdefault(case, []).append(wall)
        elif r["kind"] == "time_probe":
            probed[case] = seed_estimate(r).seconds
    extrapolated = sum(1 for c in probed if c not in walls)
    estimates = {**probed, **{c: statistics.median(v) for c, v in walls.items()}}
    line = f"dlwp-suite plan: {len(cases)} case(s) x {seeds} seed(s), {profile} profile"
    if estimates:
        total = sum(estimates.values()) * seeds
        line += (
            f"; earlier runs on {stack} {device} give ~{progress.duration(total)} for "
            f"{len(estimates)} of them"
        )
        if extrapolated:
            line += f" ({extrapolated} extrapolated from time probes)"
    if untimed := len(cases) - len(estimates):
        line += f"; {untimed} never timed on this stack"
    return line


def check_before_training(config: pytest.Config, store: ResultsStore) -> None:
    """Settings that would fail only after hours of training fail now, with what to fix."""
    from dlwp_suite.cache import remove_stale_temporaries

    try:
        store.check_writable()
    except RecordsNotWritten as error:
        raise pytest.UsageError(str(error)) from None
    data = DataConfig.from_settings(
        config.getoption("--dlwp-data-dir"), config.getoption("--dlwp-offline")
    )
    if data.data_dir is not None and data.derived.resolve().is_relative_to(data.data_dir.resolve()):
        raise pytest.UsageError(
            f"the cache of derived data {data.derived} lies inside the mirror "
            f"{data.data_dir}, which is read-only: set DLWP_CACHE_DIR elsewhere"
        )
    if data.data_dir is not None and not data.data_dir.is_dir():
        given = "--dlwp-data-dir" if config.getoption("--dlwp-data-dir") else "DLWP_DATA_DIR"
        raise pytest.UsageError(
            f"{given}={data.data_dir}: no such directory. Give the mirror of canonical "
            "dataset files (see `dlwp-suite data --data-dir DIR`), or leave it unset to use "
            "the Keras cache and downloads."
        )
    try:
        data.derived.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data.derived):
            pass
    except OSError as error:
        raise pytest.UsageError(
            f"the cache of derived data {data.derived} is not writable "
            f"({error.strerror or error}): set DLWP_CACHE_DIR to a writable directory"
        ) from None
    remove_stale_temporaries(data.derived)
