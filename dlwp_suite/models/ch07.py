"""Chapter 7's models and adapters: chapter 3's IMDB inputs with a held-out validation
slice (the callbacks), and the 2nd edition's mini Xception (9.3.5)."""

from __future__ import annotations

import keras

from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import imdb
from dlwp_suite.datasets.task_data import TaskData, first_as_validation
from dlwp_suite.experiment import Params
from dlwp_suite.models.ch05 import binary_classifier

BLOCK_WIDTHS = (32, 64, 128, 256, 512)


def load_held_out(config: DataConfig, params: Params) -> TaskData:
    """Chapter 3's IMDB inputs; the first ``validation_size`` training reviews validate
    (1e listing 3.7), the 25,000 test reviews test the kept model."""
    return first_as_validation(imdb.load(config), params["validation_size"])


def _separable_block(x: keras.KerasTensor, width: int) -> keras.KerasTensor:
    """Two (batch norm, ReLU, 3x3 separable conv) steps, 3x3 max pooling with stride 2,
    and the block's input through a strided 1x1 conv added back (the residual)."""
    block_input = x
    for _ in range(2):
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation("relu")(x)
        x = keras.layers.SeparableConv2D(width, 3, padding="same", use_bias=False)(x)
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same")(x)
    shortcut = keras.layers.Conv2D(width, 1, strides=2, padding="same", use_bias=False)
    return keras.layers.add([x, shortcut(block_input)])


def build_mini_xception(params: Params, data: TaskData) -> keras.Model:
    """2e c15-c17: in-model augmentation (flip, rotation 0.1, zoom 0.2), rescaling, a 5x5
    conv of 32 without bias, five separable residual blocks, global average pooling,
    dropout 0.5, a sigmoid unit; rmsprop."""
    inputs = keras.Input(shape=data.input_shape, dtype="uint8")
    x = keras.layers.Rescaling(1.0)(inputs)  # uint8 is compact to feed; the layers want floats
    x = keras.layers.RandomFlip("horizontal")(x)
    x = keras.layers.RandomRotation(0.1)(x)
    x = keras.layers.RandomZoom(0.2)(x)
    x = keras.layers.Rescaling(1 / 255)(x)
    x = keras.layers.Conv2D(32, 5, use_bias=False)(x)
    for width in BLOCK_WIDTHS:
        x = _separable_block(x, width)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.5)(x)
    return binary_classifier(inputs, x, params["learning_rate"])
