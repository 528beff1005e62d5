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
