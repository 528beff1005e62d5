"""MNIST digits from the canonical ``mnist.npz``, as ``keras.datasets.mnist.load_data``."""

from __future__ import annotations

import zipfile

import numpy as np

from dlwp_suite.datafiles import DataConfig, DatasetFile, locate
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.errors import DatasetCorrupt

MNIST_NPZ = DatasetFile(
    "mnist.npz",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    "sha256:731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
)
IMAGE_SHAPE = (28, 28)
CLASSES = 10


def load(config: DataConfig) -> TaskData:
    """60,000 training and 10,000 test digits: uint8 28x28 images, integer labels."""
    npz = locate(MNIST_NPZ, config)
    try:
        with np.load(npz.path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in ("x_train", "y_train", "x_test", "y_test")}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        raise DatasetCorrupt(f"{npz.path}: not a readable mnist.npz: {error}") from error
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or x.shape[1:] != IMAGE_SHAPE or len(x) != len(y):
            raise DatasetCorrupt(
                f"{npz.path}: expected x_{split} uint8 of shape (n, 28, 28) and y_{split} "
                f"of shape (n,), got {x.dtype} {x.shape} and {y.shape}"
            )
    return TaskData(
        arrays["x_train"],
        arrays["y_train"].astype(np.int64),
        arrays["x_test"],
        arrays["y_test"].astype(np.int64),
        source="mnist.npz",
        files=[npz],
    )
