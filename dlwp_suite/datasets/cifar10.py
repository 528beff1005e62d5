"""CIFAR-10 from the canonical ``cifar-10-python.tar.gz``, as
``keras.datasets.cifar10.load_data`` reads it: the five training batches in order, then
the test batch, each image (3, 32, 32) turned channels-last."""

from __future__ import annotations

import pickle
import tarfile

import numpy as np

from dlwp_suite.datafiles import DataConfig, DatasetFile, locate
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.errors import DatasetCorrupt

CIFAR10_TAR = DatasetFile(
    "cifar-10-python.tar.gz",
    "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    "sha256:6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
)
FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
IMAGE_SHAPE = (32, 32, 3)
FROG = 6  # the class the 1st edition's GAN trains on


def _batch(archive: tarfile.TarFile, name: str, path: str) -> tuple[np.ndarray, np.ndarray]:
    member = archive.extractfile(f"{FOLDER}/{name}")
    if member is None:
        raise KeyError(name)
    batch = pickle.load(member, encoding="bytes")  # the canonical format is a pickle
    images = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if len(images) != len(labels):
        raise DatasetCorrupt(f"{path}: {name} has {len(images)} images, {len(labels)} labels")
    return images.transpose(0, 2, 3, 1), labels


def load(config: DataConfig) -> TaskData:
    """50,000 training and 10,000 test images: uint8 32x32x3, integer labels."""
    tar = locate(CIFAR10_TAR, config)
    try:
        with tarfile.open(tar.path, "r:gz") as archive:
            train = [_batch(archive, name, str(tar.path)) for name in TRAIN_BATCHES]
            x_test, y_test = _batch(archive, "test_batch", str(tar.path))
    except (OSError, EOFError, KeyError, tarfile.TarError, pickle.UnpicklingError) as error:
        raise DatasetCorrupt(f"{tar.path}: not a readable CIFAR-10 archive: {error}") from error
    return TaskData(
        np.concatenate([x for x, _ in train]),
        np.concatenate([y for _, y in train]),
        x_test,
        y_test,
        source=CIFAR10_TAR.name,
        files=[tar],
    )
