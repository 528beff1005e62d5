"""The pytest plugin: options, fixtures, parametrisation and the end-of-run summary.

Benchmark files stay thin: they mark their chapter and ask for ``dlwp_case`` (one per
variant the profile runs) or ``dlwp_experiment`` (one per experiment), and hand them to
the ``dlwp`` fixture with pytest-benchmark's ``benchmark``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.errors import DatasetCorrupt, DatasetUnavailable
from dlwp_suite.experiment import PROFILES, Case, Experiment
from dlwp_suite.results import ResultsStore, new_run_id

RUN_ID_KEY = "dlwp_run_id"
_run_id = pytest.StashKey[str]()


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
        "--dlwp-results",
        default="results",
        metavar="DIR",
        help="where run records (runs/*.jsonl) go (default: results/)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "dlwp_chapter(name): benchmarks of one book chapter; also added as mark <name>"
    )
    if config.getoption("--dlwp-seeds") < 1:
        raise pytest.UsageError("--dlwp-seeds must be at least 1")
    worker_input = getattr(config, "workerinput", None)
    _select_device(config.getoption("--dlwp-device"), (worker_input or {}).get("workerid"))
    # xdist workers share the controller's run id, so their records merge into one run;
    # DLWP_RUN_ID does the same for separate invocations (one seed each, say).
    if worker_input:
        config.stash[_run_id] = worker_input[RUN_ID_KEY]
    else:
        config.stash[_run_id] = os.environ.get("DLWP_RUN_ID") or new_run_id()


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
    """pytest-xdist: hand the controller's run id to each worker."""
    node.workerinput[RUN_ID_KEY] = node.config.stash[_run_id]


def _chapter(metafunc: pytest.Metafunc) -> str:
    marker = metafunc.definition.get_closest_marker("dlwp_chapter")
    if marker is None:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: add @pytest.mark.dlwp_chapter")
    return marker.args[0]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    from dlwp_suite import experiments

    profile = metafunc.config.getoption("--dlwp-profile")
    if "dlwp_case" in metafunc.fixturenames:
        cases = [c for e in experiments.in_chapter(_chapter(metafunc)) for c in e.cases(profile)]
        metafunc.parametrize(
            "dlwp_case", cases, ids=[f"{c.experiment.id}-{c.variant}" for c in cases]
        )
    if "dlwp_experiment" in metafunc.fixturenames:
        found = experiments.in_chapter(_chapter(metafunc))
        metafunc.parametrize("dlwp_experiment", found, ids=[e.id for e in found])


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


def _fail_on_misses(outcome: Any) -> None:
    """Fail the test with one line per missed target (no traceback)."""
    if outcome.failures:
        pytest.fail("\n".join(c.message() for c in outcome.failures), pytrace=False)


class Dlwp:
    """What a benchmark test calls: load data, run, record, time and assert."""

    def __init__(
        self, config: pytest.Config, data_config: DataConfig, base: Path, scratch: Path
    ) -> None:
        from dlwp_suite.environment import fingerprint

        self.profile: str = config.getoption("--dlwp-profile")
        first = config.getoption("--dlwp-first-seed")
        self.seeds = list(range(first, first + config.getoption("--dlwp-seeds")))
        self.real_data = data_config
        self.scratch = scratch  # generated datasets for profiles that declare them
        worker = getattr(config, "workerinput", {}).get("workerid", "main")
        self.store = ResultsStore(base, config.stash[_run_id], worker)
        self.environment = fingerprint()
        self._data: dict[str, TaskData] = {}
        self._generated: set[str] = set()
        self._tested: dict[tuple[str, int], Any] = {}  # (case id, seed) -> tested model

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

    def check_model(self, case: Case, benchmark: Any) -> None:
        """Train the case's model for every seed (timed), record, and assert its targets."""
        from dlwp_suite.runner import run_case

        data = self.data(case.experiment)
        outcome = benchmark.pedantic(
            run_case,
            args=(case, data, self.seeds, self.store.run_id, self.environment),
            rounds=1,
            iterations=1,
        )
        for record in outcome.records:
            self.store.append(record)
        self._tested[(case.id, self.seeds[0])] = outcome.tested
        self._extra_info(benchmark, case.experiment, outcome.records)
        _fail_on_misses(outcome)

    def check_comparisons(self, experiment: Experiment, benchmark: Any) -> None:
        """Fit the baselines and the ensemble for the experiment's first variant; record.

        The network is the one ``check_model`` trained on the first seed when this
        process ran it (it does unless xdist sent that test elsewhere), else retrained.
        """
        from dlwp_suite.runner import run_comparisons

        cases = experiment.cases(self.profile)
        if not cases:
            pytest.skip(f"{experiment.id}: the {self.profile} profile runs no variant")
        case = cases[0]
        data = self.data(experiment)
        network = self._tested.get((case.id, self.seeds[0]))
        outcome = benchmark.pedantic(
            run_comparisons,
            args=(case, data, self.seeds[0], self.store.run_id, self.environment, network),
            rounds=1,
            iterations=1,
        )
        for record in outcome.records:
            self.store.append(record)
        self._extra_info(benchmark, experiment, outcome.records)
        _fail_on_misses(outcome)  # the book's numbers for its baselines, if it has any


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
    base = Path(request.config.getoption("--dlwp-results"))
    if not base.is_absolute():
        base = Path(request.config.invocation_params.dir) / base
    return Dlwp(request.config, dlwp_data_config, base, tmp_path_factory.mktemp("dlwp"))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    from dlwp_suite import report
    from dlwp_suite.results import read_records

    base = Path(config.getoption("--dlwp-results"))
    if not base.is_absolute():
        base = Path(config.invocation_params.dir) / base
    run_id = config.stash.get(_run_id, None)
    records = [r for r in read_records(base) if r.get("run_id") == run_id] if base.is_dir() else []
    if records:
        terminalreporter.write_sep("=", f"dlwp-suite results (run {run_id})")
        terminalreporter.write_line(report.summary(records))
