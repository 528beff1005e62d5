"""IMDB as the 2nd edition's language model reads it (ch12 part01): every review of
``aclImdb_v1.tar.gz``, labelled or not (``text_dataset_from_directory("aclImdb",
label_mode=None)``: 100,000), ``<br />`` replaced by a space, through
``TextVectorization(max_tokens=15000, output_sequence_length=100)``
(``datasets.text_vectorization``, the same on every backend).

The book trains on all of them and validates on none; here a fixed tenth (a
``default_rng(1337)`` permutation of the archive's sorted members) is held out, so the
validation loss is on unseen reviews, and the vocabulary is adapted to the rest.
Vectorised once and cached.
"""

from __future__ import annotations

import re
import tarfile

import numpy as np

from dlwp_suite.cache import cached_arrays
from dlwp_suite.datafiles import DataConfig, ResolvedFile, locate
from dlwp_suite.datasets import imdb
from dlwp_suite.datasets import text_vectorization as tv
from dlwp_suite.datasets.task_data import Params, TaskData
from dlwp_suite.errors import DatasetCorrupt

_ANY_REVIEW = re.compile(r"^aclImdb/(train|test)/(pos|neg|unsup)/\d+_\d+\.txt$")
SPLIT_SEED = 1337
VALIDATION_FRACTION = 0.1
VERSION = 1
BOOK_REVIEWS = 100_000  # the official archive's, unlabelled ones included


def all_reviews(archive: ResolvedFile) -> list[str]:
    """Every review's text in sorted member order, ``<br />`` replaced by a space."""
    try:
        with tarfile.open(archive.path, "r:gz") as tar:
            members = sorted(
                (m for m in tar.getmembers() if _ANY_REVIEW.match(m.name)), key=lambda m: m.name
            )
            texts = []
            for member in members:
                handle = tar.extractfile(member)
                assert handle is not None  # regular files only, by the pattern above
                texts.append(handle.read().decode("utf-8").replace("<br />", " "))
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError) as error:
        raise DatasetCorrupt(f"{archive.path}: cannot read the review archive: {error}") from error
    if not texts:
        raise DatasetCorrupt(f"{archive.path}: no aclImdb/*/pos|neg|unsup reviews inside")
    return texts


def load(config: DataConfig, params: Params) -> TaskData:
    """Training and validation reviews as ``sequence_length`` word ids (0 pads at the
    end, 1 is out of vocabulary), the first ``train_rows`` / ``val_rows`` of each; the
    vocabulary in ``extras["vocabulary"]``."""
    archive = locate(imdb.ACLIMDB_TAR, config)
    max_tokens, length = params["max_tokens"], params["sequence_length"]

    def build() -> dict[str, np.ndarray]:
        texts = all_reviews(archive)
        order = np.random.default_rng(SPLIT_SEED).permutation(len(texts))
        held_out = int(len(texts) * VALIDATION_FRACTION)
        val, train = order[:held_out], order[held_out:]
        words = tv.adapt((texts[i] for i in train), max_tokens, 1, mode="int")
        return {
            "train": tv.int_sequences([texts[i] for i in train], words, length).astype(np.uint16),
            "val": tv.int_sequences([texts[i] for i in val], words, length).astype(np.uint16),
            "vocabulary": np.array(words.tokens),
        }

    parts = {
        "files": {archive.path.name: [archive.sha256, archive.verification]},
        "settings": {
            "max_tokens": max_tokens,
            "length": length,
            "split_seed": SPLIT_SEED,
            "validation_fraction": VALIDATION_FRACTION,
        },
        "version": VERSION,
    }
    arrays, from_cache = cached_arrays(config.derived / "vectorised", "imdb-lm", parts, build)
    train_rows, val_rows = params.get("train_rows"), params.get("val_rows")
    total = len(arrays["train"]) + len(arrays["val"])
    train = arrays["train"][:train_rows].astype(np.int32)
    val = arrays["val"][:val_rows].astype(np.int32)
    return TaskData(
        x_train=train,
        y_train=np.zeros(len(train), dtype=np.int8),  # a language model has no labels
        x_test=None,
        y_test=None,
        x_val=val,
        source=f"aclImdb_v1.tar.gz, all reviews, TextVectorization(max_tokens={max_tokens}, "
        f"output_sequence_length={length}) rules (numpy), adapted to the training reviews",
        files=[archive],
        from_cache=from_cache,
        extras={
            "vocabulary": [str(t) for t in arrays["vocabulary"]],
            "tokens_per_sample": length - 1,  # each input drops the last word
        },
        notes=[
            f"{len(train):,} training and {len(val):,} validation reviews of the archive's "
            f"{total:,} (a tenth held out, default_rng(1337)); the book trains on all and "
            "validates on none",
            *(
                []
                if total >= BOOK_REVIEWS
                else [
                    f"the book reads {BOOK_REVIEWS:,} reviews (train/unsup's 50,000 unlabelled "
                    "ones too); this archive has no train/unsup"
                ]
            ),
        ],
    )
