import os
from pathlib import Path

import pytest

from dlwp_suite.datafiles import DataConfig

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
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


# The end-to-end runs take most of the suite's time (the smoke profile alone about half):
# started first, they leave xdist's other worker the rest, so the workers end together.
LONGEST_FIRST = (
    "test_smoke_profile_end_to_end_under_xdist",
    "test_two_shards_run_concurrently_merge_into_one_runs_records_and_verdicts",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the longest tests first (a stable sort keeps the rest in their order)."""
    items.sort(key=lambda item: item.name not in LONGEST_FIRST)
