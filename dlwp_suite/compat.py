"""The few places where Keras 2 (``tf.keras`` up to TF 2.15) and Keras 3 differ.

Everything else in the suite uses APIs both share, so it runs unchanged on either.
"""

from __future__ import annotations

import keras

KERAS_MAJOR = int(keras.__version__.split(".", 1)[0])


def cast(x, dtype: str):
    """``keras.ops.cast`` on Keras 3, ``tf.cast`` on Keras 2 (which has no ``keras.ops``)."""
    if KERAS_MAJOR >= 3:
        return keras.ops.cast(x, dtype)
    import tensorflow as tf

    return tf.cast(x, dtype)
