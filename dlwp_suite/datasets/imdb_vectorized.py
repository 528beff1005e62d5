"""IMDB from the raw reviews as the 2nd edition's chapter 11 reads them: 20,000 training,
5,000 validation and 25,000 test reviews through ``TextVectorization(max_tokens=20000)``
adapted to the training texts (``datasets.text_vectorization``, the same on every
backend).

The book moves a random fifth of each class's training files to a validation folder
(``random.Random(1337).shuffle`` of ``os.listdir``, whose order depends on the file
system); here the same shuffle runs over each class's reviews in the archive's member
order, so the split is fixed. Everything is vectorised once and cached: the
uni- and bigram counts (the bag models read multi-hot or TF-IDF rows of them), the
bigram IDF weights and the word-id sequences (cut at the longest length asked for;
shorter ones are their prefix, as ``output_sequence_length`` would give).
"""

from __future__ import annotations

import random

import numpy as np
from scipy import sparse

from dlwp_suite.cache import cached_arrays
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import imdb
from dlwp_suite.datasets import text_vectorization as tv
from dlwp_suite.datasets.task_data import Params, TaskData

SPLIT_SEED = 1337
VALIDATION_FRACTION = 0.2
SPLITS = ("train", "val", "test")
VERSION = 2  # 2: the training and validation reviews shuffled once


def split_2e(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices: per class, the last fifth after ``Random(1337)``'s
    shuffle validates. Each split is then shuffled once (seed 1337), as the book's
    ``text_dataset_from_directory`` does, so a profile's first N training reviews mix
    both classes."""
    train, val = [], []
    for label in (0, 1):  # the book's loop: neg, then pos
        members = [int(i) for i in np.flatnonzero(labels == label)]
        random.Random(SPLIT_SEED).shuffle(members)
        n_val = int(VALIDATION_FRACTION * len(members))
        train += members[: len(members) - n_val]
        val += members[len(members) - n_val :]
    rng = np.random.default_rng(SPLIT_SEED)
    return rng.permutation(train), rng.permutation(val)


def _csr_parts(name: str, matrix: sparse.csr_matrix) -> dict[str, np.ndarray]:
    return {
        f"{name}_data": matrix.data.astype(np.float32),
        f"{name}_indices": matrix.indices.astype(np.int32),
        f"{name}_indptr": matrix.indptr.astype(np.int64),
        f"{name}_shape": np.array(matrix.shape),
    }


def _csr(arrays: dict[str, np.ndarray], name: str) -> sparse.csr_matrix:
    return sparse.csr_matrix(
        (arrays[f"{name}_data"], arrays[f"{name}_indices"], arrays[f"{name}_indptr"]),
        shape=tuple(arrays[f"{name}_shape"]),
    )


def load(config: DataConfig, params: Params) -> TaskData:
    """The three splits as word-id sequences (``x_*``), with the bag-of-words rows in
    ``extras["bags"][mode][split]`` for ``multi_hot_1``, ``multi_hot_2`` and
    ``tf_idf_2`` (sparse), and the book's samples-to-words ratio."""
    archive = imdb.locate(imdb.ACLIMDB_TAR, config)
    max_tokens, length = params["max_tokens"], params["max_sequence_length"]

    def build() -> dict[str, np.ndarray]:
        _, raw = imdb.raw_texts(config)
        texts, labels = raw["train"]
        train, val = split_2e(labels)
        split_texts = {
            "train": [texts[i] for i in train],
            "val": [texts[i] for i in val],
            "test": raw["test"][0],
        }
        split_labels = {"train": labels[train], "val": labels[val], "test": raw["test"][1]}
        arrays: dict[str, np.ndarray] = {}
        unigrams = tv.adapt(split_texts["train"], max_tokens, 1)
        bigrams = tv.adapt(split_texts["train"], max_tokens, 2, mode="tf_idf")
        words = tv.adapt(split_texts["train"], max_tokens, 1, mode="int")
        assert bigrams.idf is not None
        arrays["idf_2"] = bigrams.idf
        for split in SPLITS:
            arrays[f"y_{split}"] = split_labels[split].astype(np.uint8)
            arrays |= _csr_parts(
                f"counts_1_{split}", tv.counts_matrix(split_texts[split], unigrams)
            )
            arrays |= _csr_parts(f"counts_2_{split}", tv.counts_matrix(split_texts[split], bigrams))
            ids = tv.int_sequences(split_texts[split], words, length)
            arrays[f"sequences_{split}"] = ids.astype(np.uint16)  # max_tokens < 65,536
        arrays["train_words"] = np.array([len(tv.tokens(t)) for t in split_texts["train"]])
        return arrays

    parts = {
        "files": {archive.path.name: [archive.sha256, archive.verification]},
        "settings": {"max_tokens": max_tokens, "length": length, "split_seed": SPLIT_SEED},
        "version": VERSION,
    }
    arrays, from_cache = cached_arrays(config.derived / "vectorised", "imdb-2e", parts, build)
    bags: dict[str, dict[str, sparse.csr_matrix]] = {"multi_hot_1": {}, "multi_hot_2": {}}
    bags["tf_idf_2"] = {}
    for split in SPLITS:
        counts_1, counts_2 = _csr(arrays, f"counts_1_{split}"), _csr(arrays, f"counts_2_{split}")
        bags["multi_hot_1"][split] = tv.bag(counts_1, "multi_hot")
        bags["multi_hot_2"][split] = tv.bag(counts_2, "multi_hot")
        bags["tf_idf_2"][split] = tv.bag(counts_2, "tf_idf", arrays["idf_2"])
    words = arrays["train_words"]
    sequences = {s: arrays[f"sequences_{s}"].astype(np.int32) for s in SPLITS}
    return TaskData(
        x_train=sequences["train"],
        y_train=arrays["y_train"],
        x_val=sequences["val"],
        y_val=arrays["y_val"],
        x_test=sequences["test"],
        y_test=arrays["y_test"],
        source="aclImdb_v1.tar.gz raw reviews, TextVectorization(max_tokens="
        f"{max_tokens}) rules (numpy), adapted to the training reviews",
        files=[archive],
        from_cache=from_cache,
        extras={
            "bags": bags,
            "bag_counts": {s: _csr(arrays, f"counts_2_{s}") for s in SPLITS},
            # 2e 11.3.4's rule of thumb: bag-of-words wins below 1,500.
            "data_metrics": {"samples_to_words_ratio": len(words) / float(words.mean())},
        },
        notes=[
            f"{len(words):,} training, {len(arrays['y_val']):,} validation (a fifth of "
            "each class's training reviews, Random(1337) over the archive's order) and "
            f"{len(arrays['y_test']):,} test reviews; {words.mean():.0f} words a training "
            f"review on average (samples / mean words = {len(words) / words.mean():.0f})",
        ],
    )
