"""Chapter 3's models and adapters (1st edition listings 3.3-3.25): the dense IMDB,
Reuters and Boston housing networks, their label encoding and input preparation."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
from scipy import sparse

from dlwp_suite.datasets import reuters
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Params
from dlwp_suite.models.blocks import dense_stack


def sparse_rows(params: Params, data: TaskData) -> TaskData:
    """Multi-hot rows are ~1 % ones: sparse input keeps the sklearn baselines fast and small."""
    splits = {"x_train": data.x_train, "x_val": data.x_val, "x_test": data.x_test}
    return dataclasses.replace(
        data, **{name: sparse.csr_matrix(x) for name, x in splits.items() if x is not None}
    )


def build_imdb(params: Params, data: TaskData) -> keras.Model:
    """1e listing 3.3: Dense 16-16 relu, sigmoid output, rmsprop."""
    model = dense_stack(
        data.input_shape[0], params["hidden"], params["activation"], 1, "sigmoid", "uint8"
    )
    model.compile(optimizer=params["optimizer"], loss=params["loss"], metrics=["accuracy"])
    return model


def build_reuters(params: Params, data: TaskData) -> keras.Model:
    """1e listing 3.15: Dense 64-64 relu, 46-way softmax, rmsprop."""
    model = dense_stack(
        data.input_shape[0], params["hidden"], "relu", reuters.NUM_CLASSES, "softmax", "uint8"
    )
    loss = (
        "categorical_crossentropy"
        if params["labels"] == "one_hot"
        else "sparse_categorical_crossentropy"
    )
    model.compile(optimizer="rmsprop", loss=loss, metrics=["accuracy"])
    return model


def encode_reuters_labels(params: Params, y: np.ndarray) -> np.ndarray:
    """One-hot labels (1e listing 3.14) or the integer labels (the sparse variant)."""
    if params["labels"] == "one_hot":
        return keras.utils.to_categorical(y, reuters.NUM_CLASSES)
    return y


def build_boston(params: Params, data: TaskData) -> keras.Model:
    """1e listing 3.25: Dense 64-64 relu, linear output, rmsprop, mse loss, mae metric."""
    model = dense_stack(data.input_shape[0], params["hidden"], "relu", 1, None)
    model.compile(optimizer=params["optimizer"], loss="mse", metrics=["mae"])
    return model


def standardise(data: TaskData) -> TaskData:
    """Feature-wise standardisation with the training set's statistics (1e listing 3.24),
    applied to every split the data has."""
    mean, std = data.x_train.mean(axis=0), data.x_train.std(axis=0)
    splits = {"x_train": data.x_train, "x_val": data.x_val, "x_test": data.x_test}
    return dataclasses.replace(
        data, **{name: (x - mean) / std for name, x in splits.items() if x is not None}
    )
