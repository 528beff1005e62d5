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
    l2: float | None = None,
    dropout: float | None = None,
) -> keras.Model:
    """Input, then ``Dense(units, activation)`` per entry of ``hidden``, then the output layer.

    ``l2`` puts that weight penalty on each hidden layer's kernel; ``dropout`` follows
    each hidden layer with a ``Dropout`` of that rate (1e listings 4.6 and 4.8).
    """
    inputs = keras.Input(shape=(input_dim,), dtype=input_dtype)
    x = CastToFloat()(inputs) if input_dtype != "float32" else inputs
    penalty = keras.regularizers.l2(l2) if l2 else None
    for units in hidden:
        x = keras.layers.Dense(units, activation=activation, kernel_regularizer=penalty)(x)
        if dropout:
            x = keras.layers.Dropout(dropout)(x)
    return keras.Model(inputs, keras.layers.Dense(outputs, activation=output_activation)(x))
