"""Keras' word-index conventions for IMDB and Reuters, and multi-hot encoding.

`keras.datasets.imdb.load_data` and `reuters.load_data` shift raw word ranks by
``index_from``, prepend ``start_char`` and replace ranks outside
``[skip_top, num_words)`` by ``oov_char``. The same rules are applied here to flat
arrays, so the real Keras files and files built from raw text give the same encoding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from dlwp_suite.cache import cached_arrays
from dlwp_suite.datafiles import DataConfig, ResolvedFile
from dlwp_suite.datasets.task_data import TaskData


@dataclass(frozen=True)
class IndexConvention:
    """The ``load_data`` keyword arguments that shape word ids."""

    num_words: int = 10_000
    skip_top: int = 0
    start_char: int = 1
    oov_char: int = 2
    index_from: int = 3


def keras_ids(ranks: Sequence[int], convention: IndexConvention) -> list[int]:
    """One sequence of word ranks as ``load_data`` returns it (start, shift, OOV)."""
    ids = [convention.start_char, *(w + convention.index_from for w in ranks)]
    keep = range(convention.skip_top, convention.num_words)
    return [w if w in keep else convention.oov_char for w in ids]


def flatten(sequences: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Ragged sequences as (flat ids, lengths)."""
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    flat = np.fromiter((w for s in sequences for w in s), dtype=np.int64, count=int(lengths.sum()))
    return flat, lengths


def multi_hot(
    flat_ranks: np.ndarray, lengths: np.ndarray, convention: IndexConvention
) -> np.ndarray:
    """Multi-hot uint8 matrix (one row per sequence) under Keras' id conventions."""
    ids = flat_ranks + convention.index_from
    keep = (ids >= convention.skip_top) & (ids < convention.num_words)
    ids = np.where(keep, ids, convention.oov_char)
    rows = np.repeat(np.arange(len(lengths)), lengths)
    out = np.zeros((len(lengths), convention.num_words), dtype=np.uint8)
    out[rows, ids] = 1
    start = convention.start_char
    if not convention.skip_top <= start < convention.num_words:
        start = convention.oov_char
    out[:, start] = 1  # every sequence begins with start_char
    return out


def shuffled(rng: np.random.RandomState, count: int) -> np.ndarray:
    """The index permutation ``load_data`` draws from ``rng``."""
    indices = np.arange(count)
    rng.shuffle(indices)
    return indices


def cached_multi_hot(
    config: DataConfig,
    name: str,
    files: list[ResolvedFile],
    convention: IndexConvention,
    version: int,
    build: Callable[[], dict[str, np.ndarray]],
    source: str,
) -> TaskData:
    """Load bit-packed multi-hot splits from the cache (keyed by file hashes and how each
    was vouched for, settings and encoding ``version``) or ``build`` them, and unpack
    them into a `TaskData`."""
    parts = {
        "files": {f.path.name: [f.sha256, f.verification] for f in files},
        "convention": asdict(convention),
        "version": version,
    }
    arrays, from_cache = cached_arrays(config.derived / "vectorised", name, parts, build)
    width = convention.num_words
    return TaskData(
        x_train=np.unpackbits(arrays["x_train"], axis=1, count=width),
        y_train=arrays["y_train"],
        x_test=np.unpackbits(arrays["x_test"], axis=1, count=width),
        y_test=arrays["y_test"],
        source=source,
        files=files,
        from_cache=from_cache,
    )
