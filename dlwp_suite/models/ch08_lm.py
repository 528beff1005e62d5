"""Chapter 8's word-level Transformer language model (2nd edition 12.1)."""

from __future__ import annotations

import keras

from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Params
from dlwp_suite.text_models import PositionalEmbedding, TransformerDecoder


def build_language_model(params: Params, data: TaskData | None) -> keras.Model:
    """c21: positional embedding, one decoder on its own inputs, a softmax over words
    (``max_tokens`` of them, or fewer where the texts have fewer: generated reviews)."""
    length, dim = params["sequence_length"], params["embed_dim"]
    tokens = len(data.extras["vocabulary"]) if data is not None else params["max_tokens"]
    inputs = keras.Input(shape=(length - 1,), dtype="int32")
    x = PositionalEmbedding(length, tokens, dim)(inputs)
    x = TransformerDecoder(dim, params["dense_dim"], params["num_heads"])(x, x)
    outputs = keras.layers.Dense(tokens, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="rmsprop")
    return model
