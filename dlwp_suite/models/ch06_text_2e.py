"""Chapter 6's text models and adapters as the 2nd edition's chapter 11 has them: the
reviews as bags of words or word-id sequences, the bag-of-words network, the
bidirectional LSTMs and the Transformer encoders."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keras
import numpy as np
from scipy import sparse

from dlwp_suite import synthetic
from dlwp_suite.compat import tensorflow_backend
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Params
from dlwp_suite.models.ch06_text import training_subset
from dlwp_suite.text_models import OneHot, PositionalEmbedding, TransformerEncoder


def _dense_unless_tensorflow(matrix: sparse.csr_matrix) -> sparse.csr_matrix | np.ndarray:
    """Sparse rows for TensorFlow; dense float32 for the other backends."""
    return matrix if tensorflow_backend() else matrix.toarray()


def case_inputs(params: Params, data: TaskData) -> TaskData:
    """The case's representation of the reviews: a bag (``params["bag"]``, e.g.
    ``multi_hot_2``) or the first ``sequence_length`` word ids; then the first
    ``train_samples`` training reviews where a profile asks for fewer."""
    if bag := params.get("bag"):
        rows = {s: _dense_unless_tensorflow(m) for s, m in data.extras["bags"][bag].items()}
        data = dataclasses.replace(
            data, x_train=rows["train"], x_val=rows["val"], x_test=rows["test"]
        )
    else:
        length = params["sequence_length"]
        data = dataclasses.replace(
            data,
            x_train=data.x_train[:, :length],
            x_val=data.x_val[:, :length],
            x_test=data.x_test[:, :length],
            extras={**data.extras, "tokens_per_sample": length},
        )
    return training_subset(params, data)


def bigram_counts(params: Params, data: TaskData) -> TaskData:
    """Uni- and bigram counts of the 20,000-token vocabulary, for the shallow baselines
    (TF-IDF logistic regression, NB-LR, multinomial naive Bayes)."""
    counts = data.extras["bag_counts"]
    return dataclasses.replace(
        data, x_train=counts["train"], x_val=counts["val"], x_test=counts["test"]
    )


def build_bag(params: Params, data: TaskData) -> keras.Model:
    """11.3.2's ``get_model``: Dense(16, relu), Dropout(0.5), Dense(1, sigmoid), on rows
    as wide as the vocabulary (``max_tokens`` once the texts have that many words)."""
    inputs = keras.Input(shape=(data.x_train.shape[1],), sparse=tensorflow_backend())
    x = keras.layers.Dense(params["hidden_dim"], activation="relu")(inputs)
    x = keras.layers.Dropout(0.5)(x)
    return _compiled(inputs, keras.layers.Dense(1, activation="sigmoid")(x))


def build_sequence(params: Params, data: TaskData) -> keras.Model:
    """11.3.3's bidirectional LSTMs (one-hot or embedded ids, masked or not) and 11.4.3's
    Transformer encoders (with or without positional embedding)."""
    length, tokens = params["sequence_length"], params["max_tokens"]
    inputs = keras.Input(shape=(length,), dtype="int64")
    kind, dim = params["body"], params["embed_dim"]
    if kind == "one_hot_bilstm":
        x = OneHot(tokens)(inputs)
    elif kind == "positional_transformer":
        x = PositionalEmbedding(length, tokens, dim)(inputs)
    else:
        x = keras.layers.Embedding(tokens, dim, mask_zero=params["mask_zero"])(inputs)
    if kind.endswith("bilstm"):
        x = keras.layers.Bidirectional(keras.layers.LSTM(32))(x)
    else:
        x = TransformerEncoder(dim, params["dense_dim"], params["num_heads"])(x)
        x = keras.layers.GlobalMaxPooling1D()(x)
    x = keras.layers.Dropout(0.5)(x)
    return _compiled(inputs, keras.layers.Dense(1, activation="sigmoid")(x))


def _compiled(inputs: keras.KerasTensor, outputs: keras.KerasTensor) -> keras.Model:
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def write_reviews(directory: Path) -> None:
    """Generated reviews in the canonical archive: 60 a class and split, so the
    validation fifth keeps 12 a class."""
    synthetic.write_aclimdb(directory, per_class=60)
