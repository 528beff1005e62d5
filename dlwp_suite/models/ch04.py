"""Chapter 4's models and adapters (1st edition ``4.4-overfitting-and-underfitting``):
chapter 3's IMDB inputs validated on the test reviews, and the Dense stacks with L2 or
dropout."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np

from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import imdb
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Params
from dlwp_suite.models.blocks import dense_stack
from dlwp_suite.protocols.curves import CROSSENTROPY


def load_validated_on_test(config: DataConfig, params: Params) -> TaskData:
    """Chapter 3's IMDB inputs, with the test reviews as validation data, as the book has
    it: all of them, or the first ``validation_reviews`` (Keras shuffles them, seeded)."""
    data = imdb.load(config)
    n = params["validation_reviews"]
    which = "the test reviews are" if n is None else f"the first {n:,} test reviews are"
    return dataclasses.replace(
        data,
        x_val=data.x_test[:n],
        y_val=data.y_test[:n],
        x_test=None,
        y_test=None,
        notes=[*data.notes, f"{which} the validation data, as in the book (no test metric)"],
    )


def column_labels(params: Params, y: np.ndarray) -> np.ndarray:
    """Labels shaped like the sigmoid output, as Keras' cross-entropy metric requires."""
    return np.asarray(y, dtype="float32").reshape(-1, 1)


def build(params: Params, data: TaskData) -> keras.Model:
    """1e listings 4.3-4.8: Dense stacks, optionally with L2 or dropout, rmsprop."""
    model = dense_stack(
        data.input_shape[0],
        params["hidden"],
        "relu",
        1,
        "sigmoid",
        "uint8",
        l2=params["l2"],
        dropout=params["dropout"],
    )
    model.compile(
        optimizer="rmsprop",
        loss="binary_crossentropy",
        metrics=["accuracy", keras.metrics.BinaryCrossentropy(name=CROSSENTROPY)],
    )
    return model
