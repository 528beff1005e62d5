"""The pytest plugin: options, fixtures, parametrisation and the end-of-run summary.

Benchmark files stay thin: they mark their chapter and ask for ``dlwp_case`` (one per
variant the profile runs), ``dlwp_experiment`` (one per experiment) or ``dlwp_claim``
(one per claim whose cases the profile runs), and hand them to the ``dlwp`` fixture
with pytest-benchmark's ``benchmark``.

Claims are judged on the run's records, so their tests are moved after every case and
comparison test. Each of those tests leaves an ``outcome`` record when it ends; under
pytest-xdist a claim waits for the outcomes of the tests it needs (which sit earlier
in some worker's queue), and it skips, naming what is missing, when one of them was
deselected, skipped or failed before recording.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import math
import os
import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from dlwp_suite import progress
from dlwp_suite.claims import Claim, Side
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.divergence import DivergenceObserved
from dlwp_suite.errors import DatasetCorrupt, DatasetUnavailable
from dlwp_suite.experiment import PROFILES, Case, Experiment
from dlwp_suite.results import (
    RecordsNotWritten,
    ResultsStore,
    make_outcome,
    new_invocation,
    new_run_id,
    read_run,
)
from dlwp_suite.results.manifest import MANIFEST_NAME, Manifest
from dlwp_suite.results.verdicts import Status

RUN_ID_KEY = "dlwp_run_id"
INVOCATION_KEY = "dlwp_invocation"
_run_id = pytest.StashKey[str]()
_store = pytest.StashKey[ResultsStore]()
_selected = pytest.StashKey[set[str]]()  # keys of the case/comparison tests selected
CLAIM_POLL_S = 2.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dlwp", "Deep Learning with Python reproducibility suite")
    group.addoption(
        "--dlwp-profile",
        choices=PROFILES,
        default="quick",
        help="smoke: generated data, seconds; quick: real data, short protocol; "
        "book: the book's protocol and numbers (default: quick)",
    )
    group.addoption(
        "--dlwp-seeds",
        type=int,
        default=1,
        metavar="N",
        help="train each model with N seeds; targets are checked on the median",
    )
    group.addoption(
        "--dlwp-first-seed",
        type=int,
        default=0,
        metavar="S",
        help="seeds are S..S+N-1 (default 0): use another S for an independent replication",
    )
    group.addoption(
        "--dlwp-data-dir",
        default=None,
        metavar="DIR",
        help="read-only dataset mirror (default: $DLWP_DATA_DIR)",
    )
    group.addoption(
        "--dlwp-offline",
        action="store_true",
        help="never download; use the mirror and the Keras cache only",
    )
    group.addoption(
        "--dlwp-device",
        choices=("auto", "cpu", "gpu"),
        default="auto",
        help="auto: use an accelerator when the backend sees one (recorded either way); "
        "cpu: hide accelerators; gpu: fail unless one is visible",
    )
    group.addoption(
        "--dlwp-steps-per-execution",
        type=int,
        default=None,
        metavar="N",
        help="batches one Keras 3 training call runs on TensorFlow, for array inputs "
        "(default: $DLWP_STEPS_PER_EXECUTION, else 32; 1 runs one a call, as model.fit does)",
    )
    group.addoption(
        "--dlwp-tensorboard",
        default=None,
        metavar="DIR",
        help="write TensorBoard logs of every training call under DIR/<case>/seed<N>/<phase> "
        "(Keras' TensorBoard callback; needs tensorflow for its summary writer)",
    )
    group.addoption(
        "--dlwp-book-code",
        action="store_true",
        help="also run the suite against the book's own code (benchmarks/test_book_code.py): "
        "each pairing trains its case twice, the suite's way and the book's, and times both",
    )
    group.addoption(
        "--dlwp-results",
        default="results",
        metavar="DIR",
        help="where run records (runs/*.jsonl) go (default: results/)",
    )
    group.addoption(
        "--dlwp-resume",
        default=None,
        metavar="RUN_ID",
        help="continue the run RUN_ID (its records join it): each case trains only the "
        "seeds that run has not recorded yet, and is judged on all of them",
    )
    group.addoption(
        "--dlwp-progress-every",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="a progress line (case, seed, epoch, metric, time left) at most this often "
        "during a fit; none under -q or in xdist workers (default: 30)",
    )
    group.addoption(
        "--dlwp-claim-wait",
        type=float,
        default=6 * 3600.0,
        metavar="SECONDS",
        help="under xdist, how long a claim waits for the cases it compares to finish "
        "on other workers (default: 6 h)",
    )


# pytest-benchmark's default columns (None in 5.x: "deferred"), which carry nothing for
# one round of a test that takes minutes: min = max = mean, no spread, one iteration.
_BENCHMARK_DEFAULTS = (
    None,
    ["min", "max", "mean", "stddev", "median", "iqr", "outliers", "ops", "rounds", "iterations"],
)


@pytest.hookimpl(tryfirst=True)  # before pytest-benchmark reads its options
def pytest_configure(config: pytest.Config) -> None:
    option = config.option
    if hasattr(option, "benchmark_columns") and option.benchmark_columns in _BENCHMARK_DEFAULTS:
        option.benchmark_columns = ["mean"]
        if getattr(option, "benchmark_time_unit", None) in (None, "auto"):
            option.benchmark_time_unit = "s"  # a fit takes seconds to minutes
    config.addinivalue_line(
        "markers", "dlwp_chapter(name): benchmarks of one book chapter; also added as mark <name>"
    )
    config.addinivalue_line(
        "markers", "dlwp_book_code: the suite against the book's own code (--dlwp-book-code)"
    )
    if config.getoption("--dlwp-seeds") < 1:
        raise pytest.UsageError("--dlwp-seeds must be at least 1")
    if config.getoption("--dlwp-first-seed") < 0:
        raise pytest.UsageError(
            f"--dlwp-first-seed must be 0 or more, not {config.getoption('--dlwp-first-seed')} "
            "(Keras seeds are non-negative)"
        )
    if (steps := config.getoption("--dlwp-steps-per-execution")) is not None:
        if steps < 1:
            raise pytest.UsageError("--dlwp-steps-per-execution must be at least 1")
        # Read where models are made (dlwp_suite.compat): the plugin loads no framework.
        os.environ["DLWP_STEPS_PER_EXECUTION"] = str(steps)
    if (log_dir := config.getoption("--dlwp-tensorboard")) is not None:
        if importlib.util.find_spec("tensorflow") is None:
            raise pytest.UsageError(
                "--dlwp-tensorboard needs tensorflow installed: Keras' TensorBoard callback "
                "writes its event files with tf.summary on every backend"
            )
        # Read where models train (dlwp_suite.event_logs), like the steps above.
        os.environ["DLWP_TENSORBOARD_DIR"] = str(Path(log_dir).resolve())
    worker_input = getattr(config, "workerinput", None)
    _select_device(config.getoption("--dlwp-device"), (worker_input or {}).get("workerid"))
    # xdist workers share the controller's run id, so their records merge into one run;
    # DLWP_RUN_ID does the same for separate invocations (one seed each, say).
    if worker_input:
        config.stash[_run_id] = worker_input[RUN_ID_KEY]
        invocation = tuple(worker_input[INVOCATION_KEY])
    else:
        config.stash[_run_id] = _run_id_from_settings(config) or new_run_id()
        invocation = new_invocation()
    # Where generative protocols save their pictures (dlwp_suite.images), beside the records.
    images = _results_dir(config) / "images" / config.stash[_run_id]
    os.environ["DLWP_IMAGES_DIR"] = str(images.resolve())
    worker = (worker_input or {}).get("workerid", "main")
    config.stash[_store] = ResultsStore(
        _results_dir(config), config.stash[_run_id], worker, invocation
    )


def _run_id_from_settings(config: pytest.Config) -> str | None:
    """``--dlwp-resume`` or ``DLWP_RUN_ID``, if set; it names a file, so a path separator
    would hide records."""
    resumed, named = config.getoption("--dlwp-resume"), os.environ.get("DLWP_RUN_ID")
    if resumed and named and resumed != named:
        raise pytest.UsageError(f"--dlwp-resume {resumed} and DLWP_RUN_ID={named}: pick one")
    run_id = resumed or named
    if run_id and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", run_id):
        raise pytest.UsageError(
            f"DLWP_RUN_ID={run_id!r}: use letters, digits, '.', '_' and '-' only "
            "(it names the records file under runs/)"
        )
    return run_id or None


def _results_dir(config: pytest.Config) -> Path:
    base = Path(config.getoption("--dlwp-results"))
    return base if base.is_absolute() else Path(config.invocation_params.dir) / base


def gpu_for_worker(worker_id: str, visible: list[str]) -> str | None:
    """The one GPU an xdist worker (``gw<N>``) should own when several are visible."""
    if len(visible) < 2 or not worker_id.startswith("gw"):
        return None
    return visible[int(worker_id[2:]) % len(visible)]


def _visible_gpus() -> list[str]:
    """CUDA devices by ``CUDA_VISIBLE_DEVICES`` or ``nvidia-smi``, without loading a framework."""
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        return [d for d in os.environ["CUDA_VISIBLE_DEVICES"].split(",") if d.strip()]
    try:
        listing = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(listing.splitlines()) if line.startswith("GPU ")]


def _select_device(choice: str, worker_id: str | None) -> None:
    # Environment variables work only before a framework loads; the plugin loads none at
    # start-up. TensorFlow, JAX and PyTorch all honour CUDA_VISIBLE_DEVICES.
    if choice == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        return
    if worker_id and (gpu := gpu_for_worker(worker_id, _visible_gpus())) is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu
    if choice == "gpu":
        from dlwp_suite.environment import accelerator

        if accelerator() is None:
            import keras

            raise pytest.UsageError(
                f"--dlwp-device=gpu: the Keras backend '{keras.backend.backend()}' sees no "
                "GPU; install the CUDA build (pip install -e '.[gpu]') or use "
                "--dlwp-device=auto|cpu"
            )


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: hand the controller's run id and invocation to each worker."""
    node.workerinput[RUN_ID_KEY] = node.config.stash[_run_id]
    store = node.config.stash[_store]
    node.workerinput[INVOCATION_KEY] = [store.invocation, store.started]


def _chapter(metafunc: pytest.Metafunc) -> str:
    marker = metafunc.definition.get_closest_marker("dlwp_chapter")
    if marker is None:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: add @pytest.mark.dlwp_chapter")
    return marker.args[0]


def _environment() -> dict[str, Any]:
    from dlwp_suite.environment import fingerprint

    return fingerprint()


def _divergence_marks(targets_or_claims: list[Any]) -> list[pytest.MarkDecorator]:
    """``xfail(strict=True)`` for declared divergences that apply to this stack."""
    diverging = [t for t in targets_or_claims if t.diverges_on(_environment())]
    if not diverging:
        return []
    reason = "; ".join(
        f"known divergence ({t.divergence.stack.describe()}): {t.divergence.reason}"
        for t in diverging
    )
    return [pytest.mark.xfail(strict=True, raises=DivergenceObserved, reason=reason)]


def model_key(case: Case) -> str:
    """The key of a case's model test (what claims and outcome records name)."""
    return f"model:{case.id}"


def comparisons_key(experiment_id: str) -> str:
    """The key of an experiment's baselines-and-ensemble test."""
    return f"comparisons:{experiment_id}"


def side_key(side: Side) -> str:
    """The test whose records hold a claim side's values."""
    if side.variant is not None:
        return f"model:{side.experiment}[{side.variant}]"
    return comparisons_key(side.experiment)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    from dlwp_suite import experiments

    profile = metafunc.config.getoption("--dlwp-profile")
    if "dlwp_case" in metafunc.fixturenames:
        cases = [c for e in experiments.in_chapter(_chapter(metafunc)) for c in e.cases(profile)]
        metafunc.parametrize(
            "dlwp_case",
            [
                pytest.param(
                    c,
                    id=f"{c.experiment.id}-{c.variant}",
                    marks=_divergence_marks(list(c.targets)),
                )
                for c in cases
            ],
        )
    if "dlwp_experiment" in metafunc.fixturenames:
        found = experiments.in_chapter(_chapter(metafunc))
        metafunc.parametrize("dlwp_experiment", found, ids=[e.id for e in found])
    if "dlwp_claim" in metafunc.fixturenames:
        chapter = _chapter(metafunc)
        claims = experiments.claims(profile, chapter)
        params = [pytest.param(c, id=c.id, marks=_divergence_marks([c])) for c in claims]
        none = pytest.mark.skip(
            reason=f"no claim of {chapter} compares cases of the {profile} profile"
        )
        metafunc.parametrize("dlwp_claim", params or [pytest.param(None, id="none", marks=none)])


def _key(item: pytest.Item) -> str | None:
    """The model or comparisons key of a benchmark test, None for other tests."""
    params = getattr(item, "callspec", None)
    params = params.params if params is not None else {}
    if "dlwp_case" in params:
        return model_key(params["dlwp_case"])
    if item.get_closest_marker("dlwp_book_code") and "pairing" in params:
        pairing = params["pairing"]
        return f"book_code:{pairing.experiment}[{pairing.variant}]"
    if "dlwp_experiment" in params:
        return comparisons_key(params["dlwp_experiment"].id)
    return None


def _is_claim(item: pytest.Item) -> bool:
    params = getattr(item, "callspec", None)
    return params is not None and "dlwp_claim" in params.params


def _stage(item: pytest.Item) -> int:
    """Models first, then comparisons (which reuse a model trained in this process), then
    claims (which judge the records of the cases they compare)."""
    params = getattr(item, "callspec", None)
    if params is not None and "dlwp_experiment" in params.params:
        return 1
    return 2 if _is_claim(item) else 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    registered: set[str] = set()
    for item in items:
        marker = item.get_closest_marker("dlwp_chapter")
        if marker is None:
            continue
        chapter = marker.args[0]
        if chapter not in registered:  # so `-m ch03` selects without an unknown-mark warning
            config.addinivalue_line("markers", f"{chapter}: benchmarks of chapter {chapter}")
            registered.add(chapter)
        item.add_marker(chapter)
    if not config.getoption("--dlwp-book-code"):
        twice = pytest.mark.skip(
            reason="the suite against the book's own code trains each case twice: "
            "run with --dlwp-book-code"
        )
        for item in items:
            if item.get_closest_marker("dlwp_book_code"):
                item.add_marker(twice)
    # Whatever order a chapter file defines or imports its tests in.
    items.sort(key=_stage)


def pytest_collection_finish(session: pytest.Session) -> None:
    selected = {k for item in session.items if (k := _key(item))}
    session.config.stash[_selected] = selected
    under_xdist = hasattr(session.config, "workerinput")  # the controller checked
    if not under_xdist and (selected or any(_is_claim(item) for item in session.items)):
        _check_before_training(session.config)
        if (write := _progress_writer(session.config)) is not None:
            write(_plan(session))
        # The declarations this run judges by, beside its records, for the report.
        run_manifest().write(_results_dir(session.config) / MANIFEST_NAME)


def _progress_writer(config: pytest.Config) -> Callable[[str], None] | None:
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


def _plan(session: pytest.Session) -> str:
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
    here = _environment()
    stack, device = stack_label(here), device_label(here)
    base = _results_dir(config)
    walls: dict[str, list[float]] = {}
    for r in newest(read_records(base)) if (base / "runs").is_dir() else []:
        case = f"{r['experiment']}[{r['variant']}]"
        wall = (r.get("timings") or {}).get("wall_s")
        same_run_kind = r["kind"] == "model" and r["profile"] == profile and case in cases
        if same_run_kind and wall and (r["stack"], r["device"]) == (stack, device):
            walls.setdefault(case, []).append(wall)
    line = f"dlwp-suite plan: {len(cases)} case(s) x {seeds} seed(s), {profile} profile"
    if walls:
        total = sum(statistics.median(v) for v in walls.values()) * seeds
        line += (
            f"; earlier runs on {stack} {device} give ~{progress.duration(total)} for "
            f"{len(walls)} of them"
        )
    if untimed := len(cases) - len(walls):
        line += f"; {untimed} never timed on this stack"
    return line


def pytest_sessionstart(session: pytest.Session) -> None:
    progress.attach(
        _progress_writer(session.config), session.config.getoption("--dlwp-progress-every")
    )
    # An xdist controller collects nothing, and a usage error inside a worker crashes it
    # with an INTERNALERROR: the controller checks before the workers start.
    if getattr(session.config.option, "numprocesses", None) and not hasattr(
        session.config, "workerinput"
    ):
        _check_before_training(session.config)


def _check_before_training(config: pytest.Config) -> None:
    """Settings that would fail only after hours of training fail now, with what to fix."""
    from dlwp_suite.cache import remove_stale_temporaries
    from dlwp_suite.results import RecordsNotWritten

    try:
        config.stash[_store].check_writable()
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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Leave an ``outcome`` record when a case or comparisons test ends."""
    report = yield
    key = _key(item)
    ended = report.when == "call" or (report.when == "setup" and not report.passed)
    if key is not None and ended:
        outcome = "xfailed" if hasattr(report, "wasxfail") else report.outcome
        reason = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        elif report.failed:
            reason = report.longreprtext.strip().splitlines()[-1][:500] if report.longrepr else ""
        _append_or_stop(
            item.session,
            make_outcome(
                run_id=item.config.stash[_run_id],
                test=key,
                experiment=key.split(":", 1)[1].split("[", 1)[0],
                variant=key.split("[", 1)[1].rstrip("]") if "[" in key else "",
                profile=item.config.getoption("--dlwp-profile"),
                outcome=outcome,
                reason=reason,
                environment=_environment(),
            ),
        )
    return report


def _append_or_stop(session: pytest.Session, record: dict[str, Any]) -> bool:
    """Write a record; if it cannot be written, stop the session after this test.

    A hook must not raise (that is an INTERNALERROR): the message goes to
    ``shouldstop``, which pytest prints when it stops.
    """
    try:
        session.config.stash[_store].append(record)
    except RecordsNotWritten as error:
        session.shouldstop = str(error)
        return False
    return True


def _stop_on_unwritable_records(session: pytest.Session, error: RecordsNotWritten) -> None:
    """Fail the current test with the message and stop the run: records are being lost."""
    session.shouldstop = str(error)
    pytest.fail(str(error), pytrace=False)


@functools.cache
def run_manifest() -> Manifest:
    """The manifest of the declarations this process runs (built once)."""
    from dlwp_suite.declarations import build_manifest

    return build_manifest(_environment().get("git_revision") or "")


def _assert_verdicts(records: list[dict[str, Any]], subjects: set[str]) -> None:
    """Judge this test's records and fail with one line per miss (no traceback).

    The judge (``dlwp_suite.results.judge``) decides, as it does for the report. A miss
    whose declared divergence applies to this stack raises ``DivergenceObserved``,
    which the test's strict xfail expects; any other miss fails it outright.
    """
    from dlwp_suite.report.terminal import verdict_line
    from dlwp_suite.results.judge import judge

    verdicts = [v for v in judge(records, run_manifest()) if v.subject in subjects]
    failing = [v for v in verdicts if v.status.failing or v.status is Status.INCOMPLETE]
    if failing:
        pytest.fail("\n".join(verdict_line(v) for v in failing), pytrace=False)
    diverging = [v for v in verdicts if v.status is Status.KNOWN_DIVERGENCE]
    if diverging:
        raise DivergenceObserved("\n".join(verdict_line(v) for v in diverging))


class Dlwp:
    """What a benchmark test calls: load data, run, record, time and assert."""

    def __init__(self, session: pytest.Session, data_config: DataConfig, scratch: Path) -> None:
        config = session.config
        self.session = session
        self.config = config
        self.profile: str = config.getoption("--dlwp-profile")
        first = config.getoption("--dlwp-first-seed")
        self.seeds = list(range(first, first + config.getoption("--dlwp-seeds")))
        self.real_data = data_config
        self.scratch = scratch  # generated datasets for profiles that declare them
        self.store = config.stash[_store]
        self.environment = _environment()
        self._data: dict[str, TaskData] = {}
        self._generated: set[str] = set()
        self._tested: dict[tuple[str, int], Any] = {}  # (case id, seed) -> tested model
        self._probe_readings: dict[str, float] = {}  # a probe's reading, once a process
        self._baselines: dict[tuple[str, int, str], Any] = {}  # (experiment, seed, name)

    def data_config(self, experiment: Experiment) -> DataConfig:
        """Real data, or generated canonical files where the profile declares them."""
        if not experiment.profile(self.profile).synthetic_data:
            return self.real_data
        if experiment.id not in self._generated:  # once: the files are seeded, so identical
            experiment.write_synthetic(self.scratch / "mirror")
            self._generated.add(experiment.id)
        return DataConfig(
            self.scratch / "mirror", self.scratch / "keras", self.scratch / "cache", True
        )

    def data(self, experiment: Experiment) -> TaskData:
        """The experiment's data; a missing dataset skips, a corrupt one fails."""
        from dlwp_suite.experiments import load_task_data

        if experiment.id not in self._data:
            try:
                self._data[experiment.id] = load_task_data(
                    experiment, self.data_config(experiment), self.profile
                )
            except DatasetUnavailable as missing:
                pytest.skip(f"{experiment.id}: dataset unavailable: {missing}")
            except DatasetCorrupt as corrupt:
                pytest.fail(f"{experiment.id}: dataset corrupt: {corrupt}", pytrace=False)
        return self._data[experiment.id]

    def _extra_info(self, benchmark: Any, experiment: Experiment, records: list[dict]) -> None:
        from dlwp_suite.environment import label

        benchmark.group = experiment.id
        benchmark.extra_info["environment"] = label(self.environment)
        benchmark.extra_info["profile"] = self.profile
        for record in records:
            prefix = "" if record["kind"] == "model" else f"{record['name']}."
            for key, value in {**record["metrics"], **record["timings"]}.items():
                benchmark.extra_info.setdefault(f"{prefix}{key}", []).append(value)
        for key, values in list(benchmark.extra_info.items()):
            if isinstance(values, list) and all(isinstance(v, float) for v in values):
                benchmark.extra_info[key] = statistics.median(values)

    def baselines(self, experiment: Experiment, data: TaskData, names: Any) -> dict[str, Any]:
        """The experiment's named baselines for the first seed, each fitted once.

        They are fitted on the splits of the profile's first case, outside any timed
        region, and shared by its targets and its comparisons test, and by experiments
        that declare them theirs (``baselines_of``).
        """
        from dlwp_suite.experiments import get
        from dlwp_suite.runner import fit_baselines

        asked_for = experiment.id
        if experiment.baselines_of is not None:
            experiment = get(experiment.baselines_of)
            data = self.data(experiment)
        case, seed = experiment.cases(self.profile)[0], self.seeds[0]
        missing = [n for n in names if (experiment.id, seed, n) not in self._baselines]
        for name, result in fit_baselines(case, data, seed, missing).items():
            self._baselines[(experiment.id, seed, name)] = result
        fitted = {n: self._baselines[(experiment.id, seed, n)] for n in names}
        if experiment.id == asked_for:
            return fitted
        return {n: dataclasses.replace(b, fitted_for=experiment.id) for n, b in fitted.items()}

    def probes(self, case: Case) -> dict[str, float]:
        """Readings of the probes of the divergences declared for this stack on the case's
        targets and on the claims that compare it (each probe runs once a process)."""
        from dlwp_suite import experiments
        from dlwp_suite.probes import PROBES

        declared = [t.divergence for t in case.targets]
        for claim in experiments.claims(self.profile):
            sides = {(s.experiment, s.variant) for s in (claim.a, claim.b)}
            if (case.experiment.id, case.variant) in sides:
                declared.append(claim.divergence)
        needed = {
            d.probe.measure
            for d in declared
            if d is not None and d.probe.metric is None and d.stack.matches(self.environment)
        }
        for name in needed - self._probe_readings.keys():
            self._probe_readings[name] = PROBES[name]()
        return {name: self._probe_readings[name] for name in sorted(needed)}

    def recorded_seeds(self, case: Case) -> list[dict[str, Any]]:
        """With ``--dlwp-resume``: the resumed run's records of this case's seeds."""
        if not self.config.getoption("--dlwp-resume"):
            return []
        return [
            r
            for r in read_run(self.store.directory, self.store.run_id)
            if r.get("kind") == "model"
            and (r.get("experiment"), r.get("variant")) == (case.experiment.id, case.variant)
            and r.get("profile") == self.profile
            and r.get("seed") in self.seeds
        ]

    def check_model(self, case: Case, benchmark: Any) -> None:
        """Train the case's model for every seed (timed), record, and assert its targets.

        Resuming a run, the seeds it recorded are not trained again: the case is judged
        on those and the ones trained now."""
        from dlwp_suite.runner import run_case

        earlier = self.recorded_seeds(case)
        seeds = [s for s in self.seeds if s not in {r["seed"] for r in earlier}]
        if not seeds:
            _assert_verdicts(earlier, {case.id})
            return
        data = self.data(case.experiment)
        compared = {t.baseline for t in case.targets if t.baseline is not None}
        baselines = self.baselines(case.experiment, data, sorted(compared))
        probes = self.probes(case)  # before the clock
        try:
            outcome = benchmark.pedantic(
                run_case,
                args=(case, data, seeds, self.store.run_id, self.environment, baselines),
                kwargs={
                    "write": self.store.append,
                    "probes": probes,
                    "seeds_planned": len(self.seeds),
                },
                rounds=1,
                iterations=1,
            )
        except RecordsNotWritten as error:
            _stop_on_unwritable_records(self.session, error)
        self._tested[(case.id, seeds[0])] = outcome.tested
        self._extra_info(benchmark, case.experiment, outcome.records)
        _assert_verdicts([*earlier, *outcome.records], {case.id})

    def check_comparisons(self, experiment: Experiment, benchmark: Any) -> None:
        """Record the baselines and the ensemble for the experiment's ensemble case (its
        ``ensemble_variant``, else its first).

        The network is the one ``check_model`` trained on the first seed when this
        process ran it (it does unless xdist sent that test elsewhere), else retrained.
        """
        from dlwp_suite.runner import run_comparisons

        case = experiment.ensemble_case(self.profile)
        if case is None:
            pytest.skip(f"{experiment.id}: the {self.profile} profile runs no variant")
        data = self.data(experiment)
        baselines = self.baselines(experiment, data, experiment.baselines)
        network = self._tested.get((case.id, self.seeds[0]))
        try:
            outcome = benchmark.pedantic(
                run_comparisons,
                args=(case, data, self.seeds[0], self.store.run_id, self.environment, baselines),
                kwargs={"network": network, "write": self.store.append},
                rounds=1,
                iterations=1,
            )
        except RecordsNotWritten as error:
            _stop_on_unwritable_records(self.session, error)
        self._extra_info(benchmark, experiment, outcome.records)
        # The book's numbers for its baselines.
        _assert_verdicts(outcome.records, {f"{experiment.id}:{b}" for b in experiment.baselines})

    def check_book_code(
        self,
        case: Case,
        metric: str,
        book_code: Callable[[int], Mapping[str, float]],
        benchmark: Any,
        band: float | None = None,
        time_goal: float | None = None,
        note: str = "",
    ) -> None:
        """Run ``case`` through the suite and through ``book_code(seed)`` (the book's plain
        code, its data already in memory), first seed, one after the other in this
        process after a warm-up; record both measurements and times, and assert that
        they agree within the paired tolerance (``band``, the single-run band, defaults
        to the case's: 3 x the single-seed std) and that the suite meets ``time_goal``
        (suite / book's code)."""
        from dlwp_suite import book_code as pairing
        from dlwp_suite.experiments import load_task_data
        from dlwp_suite.protocols import PROTOCOLS
        from dlwp_suite.results import make_record

        experiment, seed = case.experiment, self.seeds[0]
        data = self.data(experiment)  # skips or fails with the dataset's reason; fills caches
        config = self.data_config(experiment)
        protocol = PROTOCOLS[experiment.protocol]
        tolerance = pairing.paired_tolerance(
            pairing.single_run_band(case, metric) if band is None else band
        )
        pairing.warm_up()  # the process' one-time costs on neither side

        def both() -> pairing.BookCodeRun:
            started = time.perf_counter()
            theirs = book_code(seed)
            book_code_s = time.perf_counter() - started
            started = time.perf_counter()
            ours = protocol.run(case, load_task_data(experiment, config, self.profile), seed)
            suite_s = time.perf_counter() - started
            return pairing.BookCodeRun(
                metric=metric,
                suite=pairing.measured(ours.metrics, metric),
                book_code=pairing.measured(theirs, metric),
                tolerance=tolerance,
                suite_s=suite_s,
                book_code_s=book_code_s,
                time_goal=time_goal,
                note=note,
            )

        run = benchmark.pedantic(both, rounds=1, iterations=1)
        benchmark.extra_info.update(run.as_record())
        record = make_record(
            run_id=self.store.run_id,
            experiment=experiment.id,
            variant=case.variant,
            kind="reference",
            name="book_code",
            profile=self.profile,
            seed=seed,
            params=case.params,
            metrics={metric: run.suite, f"book_code_{metric}": run.book_code},
            targets=[],
            timings={"suite_s": run.suite_s, "book_code_s": run.book_code_s},
            environment=self.environment,
            data=data.provenance,
            book_code=run.as_record(),
        )
        try:
            self.store.append(record)
        except RecordsNotWritten as error:
            _stop_on_unwritable_records(self.session, error)
        if experiment.profile(self.profile).synthetic_data:
            # Seconds on tiny generated data: nothing to compare, but both must measure.
            if not (math.isfinite(run.suite) and math.isfinite(run.book_code)):
                pytest.fail(f"{metric}: suite {run.suite}, book's code {run.book_code}")
            return
        if problems := run.problems():
            pytest.fail("\n".join(problems), pytrace=False)

    def _records_for(self, claim: Claim) -> list[dict[str, Any]]:
        """This run's records once both sides' tests have ended; skip if one has none."""
        needed = {side_key(claim.a), side_key(claim.b)}
        missing = sorted(needed - self.config.stash[_selected])
        if missing:
            # An earlier invocation of this run (DLWP_RUN_ID) may have recorded them.
            records = read_run(self.store.directory, self.store.run_id)
            if all(any(side.matches(r) for r in records) for side in (claim.a, claim.b)):
                return records
            pytest.skip(
                f"claim {claim.id} needs {', '.join(missing)}, not selected in this run "
                "(deselected with -k/-m, or outside the chosen files)"
            )
        under_xdist = hasattr(self.config, "workerinput")
        deadline = time.monotonic() + self.config.getoption("--dlwp-claim-wait")
        while True:
            records = read_run(self.store.directory, self.store.run_id)
            ended = {r["test"]: r for r in records if r.get("kind") == "outcome"}
            if needed <= ended.keys() or not under_xdist or time.monotonic() > deadline:
                break
            time.sleep(CLAIM_POLL_S)  # the other worker is still running a needed test
        for side in (claim.a, claim.b):
            if not any(side.matches(r) for r in records):
                ending = ended.get(side_key(side))
                how = (
                    f"{ending['outcome']}: {ending['reason']}"
                    if ending
                    else "has not ended (timed out waiting)"
                )
                pytest.skip(f"claim {claim.id}: {side.label} has no records ({how})")
        return records

    def check_claim(self, claim: Claim) -> None:
        """Judge a claim on this run's records of its two sides; record and assert it.

        It passes when it holds, fails when it does not (xfails where its divergence
        applies) and skips, saying why, when the seeds cannot conclude.
        """
        from dlwp_suite.report.terminal import verdict_line
        from dlwp_suite.results.judge import judge
        from dlwp_suite.runner import judge_claim

        records = self._records_for(claim)
        _, record = judge_claim(claim, records, self.store.run_id, self.profile, self.environment)
        try:
            self.store.append(record)
        except RecordsNotWritten as error:
            _stop_on_unwritable_records(self.session, error)
        here = [r for r in records if r.get("run_id") == self.store.run_id]
        (verdict,) = [v for v in judge(here, run_manifest()) if v.subject == claim.id]
        line = f"{verdict_line(verdict)} ({claim.source})"
        if verdict.status is Status.KNOWN_DIVERGENCE:
            raise DivergenceObserved(line)
        if verdict.status.failing:
            pytest.fail(line, pytrace=False)
        if verdict.status is Status.INCONCLUSIVE:
            pytest.skip(f"inconclusive: {verdict.reason}; run more seeds (--dlwp-seeds 3)")


@pytest.fixture(scope="session")
def dlwp_data_config(request: pytest.FixtureRequest) -> DataConfig:
    """Where real data comes from: the mirror, the Keras cache, then downloads."""
    return DataConfig.from_settings(
        request.config.getoption("--dlwp-data-dir"), request.config.getoption("--dlwp-offline")
    )


@pytest.fixture(scope="session")
def dlwp(
    request: pytest.FixtureRequest,
    dlwp_data_config: DataConfig,
    tmp_path_factory: pytest.TempPathFactory,
) -> Dlwp:
    """The suite's session object: profile, seeds, data, results store."""
    return Dlwp(request.session, dlwp_data_config, tmp_path_factory.mktemp("dlwp"))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    from dlwp_suite.report.terminal import run_summary
    from dlwp_suite.results.judge import judge
    from dlwp_suite.results.records import device_label, stack_label

    base = _results_dir(config)
    run_id = config.stash.get(_run_id, None)
    records = read_run(base, run_id) if base.is_dir() and run_id else []
    if not records:
        return
    environment = records[0]["environment"]
    first = config.getoption("--dlwp-first-seed")
    last = first + config.getoption("--dlwp-seeds") - 1
    run = {
        "profile": config.getoption("--dlwp-profile"),
        "stack": stack_label(environment),
        "device": device_label(environment),
        "seeds": f"{first}" if first == last else f"{first}-{last}",
        "run_id": run_id,
        "records": f"{base / 'runs' / run_id}.*.jsonl",
        "results": base,
    }
    verdicts = judge(records, run_manifest())
    terminalreporter.write_sep("=", "dlwp-suite")
    for line in run_summary(verdicts, run, verbose=config.get_verbosity() > 0):
        terminalreporter.write_line(line)
