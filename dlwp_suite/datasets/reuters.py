"""Reuters newswires as the book's multi-hot top-``num_words`` input.

From Keras' ``reuters.npz`` with exactly ``keras.datasets.reuters.load_data``'s
shuffle (seed 113) and 80/20 split; vectorised arrays are cached per file hash and
settings.
"""

from __future__ import annotations

import zipfile

import numpy as np

from dlwp_suite.datafiles import DataConfig, DatasetFile, ResolvedFile, locate
from dlwp_suite.datasets.sequences import (
    IndexConvention,
    cached_multi_hot,
    flatten,
    multi_hot,
    shuffled,
)
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.errors import DatasetCorrupt

REUTERS_NPZ = DatasetFile(
    "reuters.npz",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/reuters.npz",
    "sha256:d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
)
SEED = 113
TEST_SPLIT = 0.2
NUM_CLASSES = 46
ENCODING_VERSION = 1


def _vectorise(npz: ResolvedFile, convention: IndexConvention) -> dict[str, np.ndarray]:
    try:
        with np.load(npz.path, allow_pickle=True) as data:
            sequences, labels = list(data["x"]), np.asarray(data["y"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        raise DatasetCorrupt(f"{npz.path}: not a readable Keras reuters.npz: {error}") from error
    order = shuffled(np.random.RandomState(SEED), len(sequences))
    flat, lengths = flatten([sequences[i] for i in order])
    x = np.packbits(multi_hot(flat, lengths, convention), axis=1)
    y = labels[order].astype(np.int64)
    cut = int(len(sequences) * (1 - TEST_SPLIT))
    return {"x_train": x[:cut], "y_train": y[:cut], "x_test": x[cut:], "y_test": y[cut:]}


def load(config: DataConfig, convention: IndexConvention | None = None) -> TaskData:
    """Reuters as multi-hot uint8 matrices and integer topic labels (46 topics)."""
    convention = convention or IndexConvention()
    npz = locate(REUTERS_NPZ, config)
    return cached_multi_hot(
        config,
        "reuters",
        [npz],
        convention,
        ENCODING_VERSION,
        lambda: _vectorise(npz, convention),
        "reuters.npz (Keras, pre-tokenised)",
    )
