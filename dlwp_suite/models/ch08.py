"""Chapter 8's character-level language model (1st edition 8.1)."""

from __future__ import annotations

import keras

from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Params
from dlwp_suite.text_models import OneHot


def build_char_lstm(params: Params, data: TaskData) -> keras.Model:
    """c9-c10: LSTM(128) over one-hot characters, Dense softmax, RMSprop(0.01); the
    windows arrive as integer codes and are one-hot encoded in the model."""
    vocabulary = len(data.extras["chars"])
    inputs = keras.Input(shape=(params["maxlen"],), dtype="int32")
    x = keras.layers.LSTM(params["units"])(OneHot(vocabulary)(inputs))
    outputs = keras.layers.Dense(vocabulary, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=params["learning_rate"]),
        loss="sparse_categorical_crossentropy",  # the book's loss on one-hot targets
    )
    return model
