"""Before any training: what would fail after hours fails now, and the run's plan is
shown (how many cases and seeds, and what earlier runs on this machine took)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from dlwp_suite import progress
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.results import RecordsNotWritten, ResultsStore
from dlwp_suite.results.plan import Machine, RunEstimate, run_estimate


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
    """How many cases and seeds will train, and what earlier runs of the same cases on
    this stack, device and CPU kernels took for the seeds a resumed run lacks (a case riding with
    its trainer adds only the seeds its trainer does not train), at the machine's speed
    now where their records carry a canary."""
    from dlwp_suite.canary import canary_s
    from dlwp_suite.experiments import trainer_of
    from dlwp_suite.results import read_records
    from dlwp_suite.results.records import cpu_kernels, device_label, stack_label

    config = session.config
    cases = {
        case.id: trainer_of(case)
        for item in session.items
        if (case := getattr(getattr(item, "callspec", None), "params", {}).get("dlwp_case"))
    }
    first = config.getoption("--dlwp-first-seed")
    profile, resumed = config.getoption("--dlwp-profile"), config.getoption("--dlwp-resume")
    machine = Machine(stack_label(here), device_label(here), cpu_kernels(here))
    estimate = run_estimate(
        read_records(base) if (base / "runs").is_dir() else [],
        cases,
        profile,
        machine,
        range(first, first + config.getoption("--dlwp-seeds")),
        resumed,
        canary_s(),
    )
    return plan_line(estimate, profile, machine, resumed)


def plan_line(estimate: RunEstimate, profile: str, machine: Machine, resumed: str | None) -> str:
    """The run's opening line: ``dlwp-suite plan: 2 case(s) x 3 seed(s), book profile;
    ...``."""
    line = (
        f"dlwp-suite plan: {estimate.cases} case(s) x {estimate.seeds} seed(s), {profile} profile"
    )
    if estimate.recorded:
        line += (
            f"; {estimate.recorded} of {estimate.cases * estimate.seeds} case-seeds already "
            f"recorded in run {resumed}"
        )
    if estimate.timed:
        line += (
            f"; earlier runs on {machine.name} give "
            f"~{progress.duration(estimate.seconds)} for {estimate.timed} of them"
        )
        notes = []
        if estimate.extrapolated:
            notes.append(f"{estimate.extrapolated} extrapolated from time probes")
        if estimate.riding:
            notes.append(f"{estimate.riding} riding with its trainer")
        if estimate.scaled:
            notes.append(f"{estimate.scaled} scaled to the machine's speed now")
        if notes:
            line += f" ({'; '.join(notes)})"
    if untimed := estimate.cases - estimate.timed:
        line += f"; {untimed} never timed on this machine"
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
