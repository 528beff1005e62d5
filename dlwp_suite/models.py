"""Model-building blocks shared by the book's experiments."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from dlwp_suite.compat import cast


@keras.saving.register_keras_serializable(package="dlwp_suite")
class CastToFloat(keras.layers.Layer):
    """Casts compact inputs (uint8 multi-hot) to float32 inside the model.

    Feeding uint8 moves a quarter of the bytes of float32 through the input pipeline;
    the arithmetic is unchanged, since 0/1 are exact in both.
    """

    def call(self, inputs):
        return cast(inputs, "float32")


def dense_stack(
    input_dim: int,
    hidden: Sequence[int],
    activation: str,
    outputs: int,
    output_activation: str | None,
    input_dtype: str = "float32",
) -> keras.Model:
    """Input, then ``Dense(units, activation)`` per entry of ``hidden``, then the output layer."""
    inputs = keras.Input(shape=(input_dim,), dtype=input_dtype)
    x = CastToFloat()(inputs) if input_dtype != "float32" else inputs
    for units in hidden:
        x = keras.layers.Dense(units, activation=activation)(x)
    return keras.Model(inputs, keras.layers.Dense(outputs, activation=output_activation)(x))
