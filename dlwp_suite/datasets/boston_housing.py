"""Boston housing prices, split exactly as ``keras.datasets.boston_housing.load_data``."""

from __future__ import annotations

import zipfile

import numpy as np

from dlwp_suite.datafiles import DataConfig, DatasetFile, locate
from dlwp_suite.datasets.sequences import shuffled
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.errors import DatasetCorrupt

BOSTON_NPZ = DatasetFile(
    "boston_housing.npz",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz",
    "sha256:f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
)
SEED = 113
TEST_SPLIT = 0.2
FEATURES = 13


def load(config: DataConfig) -> TaskData:
    """404 training and 102 test houses: 13 raw features, price in k$."""
    npz = locate(BOSTON_NPZ, config)
    try:
        with np.load(npz.path, allow_pickle=False) as data:
            x, y = np.asarray(data["x"], dtype=np.float64), np.asarray(data["y"], dtype=np.float64)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        raise DatasetCorrupt(f"{npz.path}: not a readable boston_housing.npz: {error}") from error
    if x.ndim != 2 or x.shape[1] != FEATURES or len(x) != len(y):
        raise DatasetCorrupt(
            f"{npz.path}: expected x of shape (n, {FEATURES}) and y of shape (n,), "
            f"got {x.shape} and {y.shape}"
        )
    order = shuffled(np.random.RandomState(SEED), len(x))
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - TEST_SPLIT))
    return TaskData(x[:cut], y[:cut], x[cut:], y[cut:], source="boston_housing.npz", files=[npz])
