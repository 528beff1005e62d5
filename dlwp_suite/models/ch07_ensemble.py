"""Chapter 7's ensemble members and their inputs (1st edition 7.3.3): chapter 3's
multi-hot rows and chapter 6's padded word ids of the same reviews, each member built by
its own chapter's builder."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import imdb
from dlwp_suite.datasets.task_data import TaskData, first_as_validation
from dlwp_suite.experiment import Params
from dlwp_suite.models import ch04, ch06_text
from dlwp_suite.models.ch03 import build_imdb

PADDED_LENGTH = 500  # chapter 6's longest reviews: the sequence and count members read these


def load_split(config: DataConfig, params: Params) -> TaskData:
    """Chapter 3's multi-hot rows and chapter 6's padded word ids of the same reviews
    (``extras["padded"]``); the first ``validation_size`` training reviews validate."""
    rows = imdb.load(config)
    padded = imdb.load_padded(config, PADDED_LENGTH)
    if not np.array_equal(rows.y_train, padded.y_train):
        raise ValueError("the multi-hot and padded IMDB inputs disagree on the review order")
    n = params["validation_size"]
    return dataclasses.replace(
        first_as_validation(rows, n),
        extras={
            **rows.extras,
            "padded": {
                "train": padded.x_train[n:],
                "val": padded.x_train[:n],
                "test": padded.x_test,
            },
        },
    )


def _word_counts(padded: dict[str, np.ndarray]) -> dict[str, object]:
    """Unigram and bigram counts of the word ids (padding dropped), the pairs seen in at
    least two training reviews (scikit-learn's vectoriser over the ids as tokens)."""
    texts = {
        split: [" ".join(map(str, row[row != 0])) for row in rows] for split, rows in padded.items()
    }
    vectoriser = CountVectorizer(ngram_range=(1, 2), min_df=2, token_pattern=r"\d+")
    counts = {"train": vectoriser.fit_transform(texts["train"])}
    counts.update({split: vectoriser.transform(texts[split]) for split in ("val", "test")})
    return counts


def member_inputs(params: Params, data: TaskData) -> TaskData:
    """What one member reads: the multi-hot rows, the last ``maxlen`` word ids, or counts."""
    kind = params["inputs"]
    if kind == "multi_hot":
        return data
    padded = data.extras["padded"]
    if kind == "sequences":
        splits = {split: rows[:, -params["maxlen"] :] for split, rows in padded.items()}
    elif kind == "word_counts":
        splits = _word_counts(padded)
    else:
        raise ValueError(f"unknown member inputs {kind!r}")
    return dataclasses.replace(
        data, x_train=splits["train"], x_val=splits["val"], x_test=splits["test"]
    )


_BUILDERS = {"dense": build_imdb, "dropout": ch04.build, "embedding": ch06_text.build}


def build_member(params: Params, data: TaskData) -> keras.Model:
    """The member's own chapter's builder."""
    return _BUILDERS[params["model"]](params, data)
