"""Chapter 6's weather models and loader (1st edition 6.3-6.4, 2nd edition 10.2): the
book's forecasting networks on windows of a series (``dlwp_suite.datasets.windows``)."""

from __future__ import annotations

from collections.abc import Callable

import keras

from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.datasets.weather import load_series
from dlwp_suite.datasets.windows import series_task_data
from dlwp_suite.experiment import Params


def build_forecaster(params: Params, data: TaskData) -> keras.Model:
    """The book's forecasting models, by ``params["model"]`` (1e listings 6.37-6.48,
    2e listings 10.9-10.24)."""
    windows = data.extras["windows"]
    inputs = keras.Input(shape=(windows.sequence_length, data.x_train.shape[1]))
    kind, x = params["model"], inputs
    drop, recurrent_drop = params["dropout"], params["recurrent_dropout"]
    if kind == "dense":
        x = keras.layers.Flatten()(x)
        x = keras.layers.Dense(params["units"], activation="relu")(x)
    elif kind in ("gru", "lstm"):
        layer = keras.layers.GRU if kind == "gru" else keras.layers.LSTM
        # go_backwards reads each window newest-first: the 1e's reversed-order experiment.
        x = layer(
            params["units"],
            dropout=drop,
            recurrent_dropout=recurrent_drop,
            go_backwards=params["reverse"],
        )(x)
    elif kind == "stacked_gru":
        first, second = params["units"], params["second_units"]
        x = keras.layers.GRU(
            first, dropout=drop, recurrent_dropout=recurrent_drop, return_sequences=True
        )(x)
        x = keras.layers.GRU(
            second,
            activation=params["second_activation"],
            dropout=drop,
            recurrent_dropout=recurrent_drop,
        )(x)
    elif kind in ("bidirectional_gru", "bidirectional_lstm"):
        layer = keras.layers.GRU if kind == "bidirectional_gru" else keras.layers.LSTM
        x = keras.layers.Bidirectional(layer(params["units"]))(x)
    elif kind in ("conv1d", "conv1d_gru"):
        for filters, width, pool in params["conv"]:
            x = keras.layers.Conv1D(filters, width, activation="relu")(x)
            x = keras.layers.MaxPooling1D(pool)(x) if pool else x
        if kind == "conv1d_gru":
            x = keras.layers.GRU(params["units"], dropout=drop, recurrent_dropout=recurrent_drop)(x)
        elif params["global_pool"] == "max":
            x = keras.layers.GlobalMaxPooling1D()(x)
        else:
            x = keras.layers.GlobalAveragePooling1D()(x)
    else:
        raise ValueError(f"unknown forecasting model {kind!r}")
    if params["output_dropout"]:
        x = keras.layers.Dropout(params["output_dropout"])(x)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile(keras.optimizers.RMSprop(), loss=params["loss"], metrics=["mae"])
    return model


def series_loader(series: str) -> Callable[[DataConfig, Params], TaskData]:
    """The loader of one series (``jena``, ``seattle``): its rows as the case's windows
    read them."""

    def load(config: DataConfig, params: Params) -> TaskData:
        return series_task_data(load_series(config, series), params)

    return load
