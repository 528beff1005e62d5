import os
from pathlib import Path

import pytest

from dlwp_suite.datafiles import DataConfig

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Under xdist a worker runs on each core and the end-to-end tests start pytest processes
# of their own: TensorFlow's and OpenMP's pools, a thread per core in every process, would
# oversubscribe the cores (CI measured each process's spinning threads doubling its time).
# One thread a process, unless the caller chose.
if "PYTEST_XDIST_WORKER" in os.environ:
    for threads in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(threads, "1")
pytest_plugins = ["pytester"]


@pytest.fixture
def data_config(tmp_path: Path) -> DataConfig:
    """An offline config: an empty mirror, Keras cache and derived cache under tmp."""
    return DataConfig(tmp_path / "mirror", tmp_path / "keras", tmp_path / "cache", offline=True)


@pytest.fixture(scope="session")
def smoke_data(tmp_path_factory: pytest.TempPathFactory):
    """Each experiment's generated smoke data, loaded once per session."""
    from dlwp_suite.experiments import load_task_data

    loaded = {}

    def load(experiment):
        if experiment.id not in loaded:
            root = tmp_path_factory.mktemp(experiment.id)
            experiment.write_synthetic(root / "mirror")
            config = DataConfig(root / "mirror", root / "keras", root / "cache", offline=True)
            loaded[experiment.id] = load_task_data(experiment, config, "smoke")
        return loaded[experiment.id]

    return load


@pytest.fixture(scope="session")
def manifest():
    """Today's declarations as the results layer reads them."""
    from dlwp_suite.declarations import build_manifest

    return build_manifest("test")


# The smoke profile end to end takes about half the suite's time: started first, it leaves
# xdist's other worker the rest (with --dist worksteal it takes the first worker's queue
# too), so the workers end together.
LONGEST = "test_smoke_profile_end_to_end_under_xdist"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the longest test first (a stable sort keeps the rest in their order)."""
    items.sort(key=lambda item: item.name != LONGEST)
