"""Chapter 5's models and adapters (1st edition 2.1, 5.1-5.3): the MNIST networks, the
dogs-vs-cats convnet trained from scratch, and the pretrained conv bases' three uses
(fast feature extraction, the frozen base end to end, fine-tuning its top block)."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np

from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import dogs_vs_cats, mnist
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Params
from dlwp_suite.pretrained import BASES, ConvBase, frozen_features, locate_weights


def _pixels(shape: tuple[int, ...]) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """A uint8 image input (compact to feed) and its float32 view."""
    inputs = keras.Input(shape=shape, dtype="uint8")
    return inputs, keras.layers.Rescaling(1.0)(inputs)


# ---------------------------------------------------------------- MNIST
def build_mnist(params: Params, data: TaskData) -> keras.Model:
    """1e listing 2.3 (Dense 512) or 5.1 (conv 32-64-64, Dense 64), softmax, rmsprop."""
    inputs, x = _pixels(data.input_shape)
    x = keras.layers.Rescaling(1 / 255)(x)
    if params["model"] == "convnet":
        x = keras.layers.Reshape((*data.input_shape, 1))(x)
        for filters, pool in ((32, True), (64, True), (64, False)):
            x = keras.layers.Conv2D(filters, 3, activation="relu")(x)
            x = keras.layers.MaxPooling2D(2)(x) if pool else x
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(params["hidden"], activation="relu")(x)
    outputs = keras.layers.Dense(mnist.CLASSES, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    # Integer labels with the sparse loss: the same loss as the book's one-hot labels.
    model.compile("rmsprop", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def flat_pixels(params: Params, data: TaskData) -> TaskData:
    """Pixels scaled to [0, 1] as flat rows, for the shallow baselines.

    ``baseline_train_size`` caps the samples they fit, after the held-out validation
    slice when the dataset has no validation split of its own.
    """
    size = len(data.x_train)
    if params.get("baseline_train_size"):
        held_out = params.get("validation_size", 0) if data.x_val is None else 0
        size = held_out + params["baseline_train_size"]

    def flat(x: np.ndarray | None) -> np.ndarray | None:
        return None if x is None else x.reshape(len(x), -1).astype("float32") / 255

    return dataclasses.replace(
        data,
        x_train=flat(data.x_train[:size]),
        y_train=data.y_train[:size],
        x_test=flat(data.x_test),
        x_val=flat(data.x_val),
    )


# ---------------------------------------------------------------- dogs vs cats
def compile_binary(model: keras.Model, learning_rate: float) -> None:
    """RMSprop at ``learning_rate``, binary cross-entropy, accuracy: all of 1e 5.2-5.3."""
    model.compile(
        keras.optimizers.RMSprop(learning_rate), "binary_crossentropy", metrics=["accuracy"]
    )


def binary_classifier(
    inputs: keras.KerasTensor, features: keras.KerasTensor, learning_rate: float
) -> keras.Model:
    """A sigmoid unit on ``features``, compiled as the book's dogs-vs-cats models."""
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(features))
    compile_binary(model, learning_rate)
    return model


def load_dogs(config: DataConfig, params: Params) -> TaskData:
    """The book's 2,000/1,000/2,000 images at the profile's ``image_size``."""
    data = dogs_vs_cats.load_images(config, params["image_size"])
    return dataclasses.replace(data, derived_dir=config.derived)


def build_scratch(params: Params, data: TaskData) -> keras.Model:
    """1e listing 5.5: conv 32-64-128-128 with max pooling, Dense 512, sigmoid."""
    inputs, x = _pixels(data.input_shape)
    x = keras.layers.Rescaling(1 / 255)(x)
    for filters in (32, 64, 128, 128):
        x = keras.layers.Conv2D(filters, 3, activation="relu")(x)
        x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    if params["dropout"]:
        x = keras.layers.Dropout(params["dropout"])(x)
    x = keras.layers.Dense(512, activation="relu")(x)
    return binary_classifier(inputs, x, params["learning_rate"])


# ---------------------------------------------------------------- pretrained bases
def _base(params: Params) -> ConvBase:
    return BASES[params["base"]]


def load_with_weights(config: DataConfig, params: Params) -> TaskData:
    """Dogs vs cats images plus the conv base's verified ImageNet weights."""
    data = load_dogs(config, params)
    weights = locate_weights(_base(params), config)
    return dataclasses.replace(data, assets={"weights": weights})


def _features(params: Params, data: TaskData) -> tuple[dict[str, np.ndarray], dict]:
    splits = {"train": data.x_train, "validation": data.x_val}
    if data.x_test is not None:
        splits["test"] = data.x_test
    assert data.derived_dir is not None
    layout = next(f for f in data.files if f.path.name == dogs_vs_cats.LAYOUT)
    return frozen_features(
        _base(params), data.assets["weights"], splits, layout.sha256, data.derived_dir
    )


def features_inputs(params: Params, data: TaskData) -> TaskData:
    """Fast feature extraction (1e listing 5.17): the frozen base's output, computed once."""
    if params["method"] != "features":
        return data
    features, timings = _features(params, data)
    return dataclasses.replace(
        data,
        x_train=features["train"],
        x_val=features["validation"],
        x_test=features.get("test"),
        timings=timings,
    )


def pooled_features(params: Params, data: TaskData) -> TaskData:
    """The frozen base's globally average-pooled features, for logistic regression."""
    features, _ = _features(params, data)

    def pooled(name: str) -> np.ndarray | None:
        return features[name].mean(axis=(1, 2)) if name in features else None

    return dataclasses.replace(
        data, x_train=pooled("train"), x_val=pooled("validation"), x_test=pooled("test")
    )


def build_transfer(params: Params, data: TaskData) -> keras.Model:
    """1e listings 5.18 (dense head on features) and 5.20 (frozen base end to end)."""
    if params["method"] == "features":
        inputs = keras.Input(shape=data.input_shape)
        x = keras.layers.Flatten()(inputs)
        x = keras.layers.Dense(256, activation="relu")(x)
        x = keras.layers.Dropout(0.5)(x)
    else:
        base = _base(params)
        inputs, x = _pixels(data.input_shape)
        conv_base = base.build(data.input_shape, data.assets["weights"].path)
        conv_base.trainable = False
        x = keras.layers.Flatten()(conv_base(base.preprocess(x)))
        x = keras.layers.Dense(256, activation="relu")(x)
    return binary_classifier(inputs, x, params["learning_rate"])


def unfreeze_top_block(model: keras.Model, params: Params) -> None:
    """1e listing 5.22: unfreeze the base from its top block on, recompile with a low rate.

    Batch normalisation stays frozen (2e ch8.3: its statistics would drift on 2,000
    images and undo the pretrained features).
    """
    top_block = _base(params).top_block
    conv_base = next(
        layer
        for layer in model.layers
        if isinstance(layer, keras.Model) and top_block in [sub.name for sub in layer.layers]
    )
    conv_base.trainable = True
    first = [layer.name for layer in conv_base.layers].index(top_block)
    for index, layer in enumerate(conv_base.layers):
        frozen = index < first or isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = not frozen
    compile_binary(model, params["finetune_learning_rate"])
