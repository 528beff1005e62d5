"""The pytest plugin: options and hooks (the checks a test calls live in ``session``,
the pre-flight checks and plan in ``preflight``, the device choice in ``devices``, the
end-of-run summary's lines in ``report.terminal``).

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

import importlib.util
import os
import re
from pathlib import Path
from typing import Any

import pytest

from dlwp_suite import progress
from dlwp_suite.case_ids import case_id
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.devices import select_device
from dlwp_suite.experiment import PROFILES
from dlwp_suite.preflight import check_before_training, plan, progress_writer
from dlwp_suite.results import (
    RecordsNotWritten,
    ResultsStore,
    make_outcome,
    new_invocation,
    new_run_id,
    read_run,
)
from dlwp_suite.results.manifest import MANIFEST_NAME
from dlwp_suite.run_context import RunContext
from dlwp_suite.session import Dlwp, case_test_id, comparisons_key, model_key, run_manifest

RUN_ID_KEY = "dlwp_run_id"
INVOCATION_KEY = "dlwp_invocation"
_run_id = pytest.StashKey[str]()
_store = pytest.StashKey[ResultsStore]()
_selected = pytest.StashKey[set[str]]()  # keys of the case/comparison tests selected
_context = pytest.StashKey[RunContext]()
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
        "(default: 32; 1 runs one a call, as model.fit does)",
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
        "--dlwp-time-probe",
        type=float,
        default=None,
        metavar="SECONDS",
        help="time each selected case's first seed for the plan instead of judging it: "
        "every training phase stops at the first epoch (or step) ending past SECONDS "
        "(not before its second), "
        "and the report extrapolates the seed's time from what each phase timed",
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
    config.addinivalue_line(
        "markers",
        "dlwp_protocol_sample: the first case of each protocol, a check across backends "
        "sized for CI (-m dlwp_protocol_sample)",
    )
    if config.getoption("--dlwp-seeds") < 1:
        raise pytest.UsageError("--dlwp-seeds must be at least 1")
    if config.getoption("--dlwp-first-seed") < 0:
        raise pytest.UsageError(
            f"--dlwp-first-seed must be 0 or more, not {config.getoption('--dlwp-first-seed')} "
            "(Keras seeds are non-negative)"
        )
    steps = config.getoption("--dlwp-steps-per-execution")
    if steps is not None and steps < 1:
        raise pytest.UsageError("--dlwp-steps-per-execution must be at least 1")
    budget = config.getoption("--dlwp-time-probe")
    if budget is not None and budget <= 0:
        raise pytest.UsageError("--dlwp-time-probe must be a positive number of seconds")
    log_dir = config.getoption("--dlwp-tensorboard")
    if log_dir is not None and importlib.util.find_spec("tensorflow") is None:
        raise pytest.UsageError(
            "--dlwp-tensorboard needs tensorflow installed: Keras' TensorBoard callback "
            "writes its event files with tf.summary on every backend"
        )
    worker_input = getattr(config, "workerinput", None)
    select_device(config.getoption("--dlwp-device"), (worker_input or {}).get("workerid"))
    # xdist workers share the controller's run id, so their records merge into one run;
    # DLWP_RUN_ID does the same for separate invocations (one seed each, say).
    if worker_input:
        config.stash[_run_id] = worker_input[RUN_ID_KEY]
        invocation = tuple(worker_input[INVOCATION_KEY])
    else:
        config.stash[_run_id] = _run_id_from_settings(config) or new_run_id()
        invocation = new_invocation()
    # What the protocols follow, handed down through the dlwp fixture: pictures beside
    # the records (dlwp_suite.images), TensorBoard logs where asked, the fused steps, a
    # time probe's cut.
    pictures = _results_dir(config) / "images" / config.stash[_run_id]
    config.stash[_context] = RunContext(
        # A time probe's cut models are not worth a picture.
        images_dir=None if budget is not None else pictures.resolve(),
        tensorboard_dir=None if log_dir is None else Path(log_dir).resolve(),
        steps_per_execution=steps,
        phase_budget_s=budget,
    )
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


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: hand the controller's run id and invocation to each worker."""
    node.workerinput[RUN_ID_KEY] = node.config.stash[_run_id]
    store = node.config.stash[_store]
    node.workerinput[INVOCATION_KEY] = [store.invocation, store.started]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """pytest-xdist, under ``--dist loadgroup``: an experiment's tests to one worker."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from dlwp_suite.xdist_groups import ExperimentGroupScheduling, worker_groups

    return ExperimentGroupScheduling(config, log, worker_groups(config.getoption("--dlwp-profile")))


def _chapter(metafunc: pytest.Metafunc) -> str:
    marker = metafunc.definition.get_closest_marker("dlwp_chapter")
    if marker is None:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: add @pytest.mark.dlwp_chapter")
    return marker.args[0]


def _environment() -> dict[str, Any]:
    from dlwp_suite.environment import fingerprint  # loads the framework: only when needed

    return fingerprint()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    from dlwp_suite import experiments

    profile = metafunc.config.getoption("--dlwp-profile")
    if "dlwp_case" in metafunc.fixturenames:
        cases = [c for e in experiments.in_chapter(_chapter(metafunc)) for c in e.cases(profile)]
        samples = experiments.protocol_samples(profile)
        sample = [pytest.mark.dlwp_protocol_sample]
        metafunc.parametrize(
            "dlwp_case",
            [
                pytest.param(c, id=case_test_id(c), marks=sample if c.id in samples else [])
                for c in cases
            ],
        )
    if "dlwp_experiment" in metafunc.fixturenames:
        found = experiments.in_chapter(_chapter(metafunc))
        metafunc.parametrize("dlwp_experiment", found, ids=[e.id for e in found])
    if "dlwp_claim" in metafunc.fixturenames:
        chapter = _chapter(metafunc)
        claims = experiments.claims(profile, chapter)
        params = [pytest.param(c, id=c.id) for c in claims]
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
        return f"book_code:{case_id(pairing.experiment, pairing.variant)}"
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
        check_before_training(session.config, session.config.stash[_store])
        if (write := progress_writer(session.config)) is not None:
            write(plan(session, _results_dir(session.config), _environment()))
        # The declarations this run judges by, beside its records, for the report.
        run_manifest().write(_results_dir(session.config) / MANIFEST_NAME)


def pytest_sessionstart(session: pytest.Session) -> None:
    progress.attach(
        progress_writer(session.config), session.config.getoption("--dlwp-progress-every")
    )
    # An xdist controller collects nothing, and a usage error inside a worker crashes it
    # with an INTERNALERROR: the controller checks before the workers start.
    if getattr(session.config.option, "numprocesses", None) and not hasattr(
        session.config, "workerinput"
    ):
        check_before_training(session.config, session.config.stash[_store])
        run_manifest().write(_results_dir(session.config) / MANIFEST_NAME)


def pytest_sessionfinish(session: pytest.Session) -> None:
    # The terminal closes with the session (a nested pytester session's too): no progress
    # line may be written to it afterwards.
    progress.attach(None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Leave an ``outcome`` record when a case or comparisons test ends."""
    report = yield
    key = _key(item)
    ended = report.when == "call" or (report.when == "setup" and not report.passed)
    if key is not None and ended:
        outcome, reason = report.outcome, ""
        if hasattr(report, "wasxfail"):  # a known divergence: the judge's reason
            outcome, reason = "xfailed", str(report.wasxfail)[:500]
        elif report.skipped and isinstance(report.longrepr, tuple):
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
                time_probe=item.config.getoption("--dlwp-time-probe") is not None,
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
    config = request.config
    return Dlwp(
        request.session,
        dlwp_data_config,
        tmp_path_factory.mktemp("dlwp"),
        config.stash[_store],
        config.stash[_selected],
        config.stash[_context],
    )


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
