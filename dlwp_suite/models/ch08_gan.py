"""Chapter 8's deep convolutional GAN (1st edition 8.5): its images and the scorer's
labelled sets, the generator, the discriminator and the combined model."""

from __future__ import annotations

import keras
import numpy as np

from dlwp_suite.compat import binary_crossentropy_loss
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import cifar10, mnist
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Params

STAND_IN_NOTE = (
    "STAND-IN data: MNIST digits in the place of CIFAR-10's frogs (not in the mirror); "
    "held to the book's claims, not its numbers"
)


def _scaled(images: np.ndarray) -> np.ndarray:
    """uint8 images to float32 in [0, 1] with a channel axis (c11: ``/ 255.``)."""
    images = images[..., None] if images.ndim == 3 else images
    return (images / 255.0).astype(np.float32)


def _task(
    images: np.ndarray,
    test: np.ndarray,
    scorer_train: tuple[np.ndarray, np.ndarray],
    scorer_test: tuple[np.ndarray, np.ndarray],
    params: Params,
    **provenance,
) -> TaskData:
    """The GAN's training images (capped by ``train_rows``), the test images its samples
    are compared with, and the scorer's labelled sets (``extras``). No test labels: a
    generator has no class to predict, and no classifier ensemble either."""
    rows = params.get("train_rows")
    task = TaskData(
        _scaled(images[:rows] if rows else images),
        np.zeros(len(images[:rows] if rows else images), dtype=np.int8),
        _scaled(test),
        None,
        notes=[f"the first {rows:,} training images"] if rows else [],
        **provenance,
    )
    task.extras["scorer_train"] = (_scaled(scorer_train[0]), scorer_train[1])
    task.extras["scorer_test"] = (_scaled(scorer_test[0]), scorer_test[1])
    return task


def load_digits(config: DataConfig, params: Params) -> TaskData:
    """MNIST's training digits (the stand-in's real images) and test digits, labelled
    STAND-IN; the labels train and test the scorer only."""
    data = mnist.load(config)
    assert data.x_test is not None and data.y_test is not None
    rows = params["scorer_rows"]
    task = _task(
        data.x_train,
        data.x_test,
        (data.x_train[:rows], data.y_train[:rows]),
        (data.x_test, data.y_test),
        params,
        source=data.source,
        files=data.files,
    )
    task.notes.insert(0, STAND_IN_NOTE)
    return task


def load_frogs(config: DataConfig, params: Params) -> TaskData:
    """CIFAR-10's training frogs in file order (c11); the scorer learns all ten classes."""
    data = cifar10.load(config)
    assert data.x_test is not None and data.y_test is not None
    rows = params["scorer_rows"]
    task = _task(
        data.x_train[data.y_train == cifar10.FROG],
        data.x_test[data.y_test == cifar10.FROG],
        (data.x_train[:rows], data.y_train[:rows]),
        (data.x_test, data.y_test),
        params,
        source=data.source,
        files=data.files,
    )
    task.extras["one_class"] = True  # no class score: perfect frogs all score 1
    return task


def _optimizer(learning_rate: float, decay: float) -> keras.optimizers.Optimizer:
    """Keras 2.0's ``RMSprop(lr, clipvalue=1.0, decay)``: the rate over ``1 + decay x step``."""
    schedule = keras.optimizers.schedules.InverseTimeDecay(learning_rate, 1, decay)
    return keras.optimizers.RMSprop(schedule, clipvalue=1.0)


def build_generator(params: Params, shape: tuple[int, ...]) -> keras.Model:
    """1e c5, at ``generator_filters`` (the book's 256) and ``dense_channels`` (128)."""
    half, filters = shape[0] // 2, params["generator_filters"]
    latent = keras.Input(shape=(params["latent_dim"],))
    x = keras.layers.LeakyReLU()(keras.layers.Dense(params["dense_channels"] * half * half)(latent))
    x = keras.layers.Reshape((half, half, params["dense_channels"]))(x)
    x = keras.layers.LeakyReLU()(keras.layers.Conv2D(filters, 5, padding="same")(x))
    x = keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same")(x)
    x = keras.layers.LeakyReLU()(x)
    for _ in range(2):
        x = keras.layers.LeakyReLU()(keras.layers.Conv2D(filters, 5, padding="same")(x))
    image = keras.layers.Conv2D(shape[-1], 7, activation="tanh", padding="same")(x)
    return keras.Model(latent, image, name="generator")


def build_discriminator(params: Params, shape: tuple[int, ...]) -> keras.Model:
    """1e c7, at ``discriminator_filters`` (the book's 128)."""
    filters = params["discriminator_filters"]
    image = keras.Input(shape=shape)
    x = keras.layers.LeakyReLU()(keras.layers.Conv2D(filters, 3)(image))
    for _ in range(3):
        x = keras.layers.LeakyReLU()(keras.layers.Conv2D(filters, 4, strides=2)(x))
    x = keras.layers.Dropout(0.4)(keras.layers.Flatten()(x))
    verdict = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(image, verdict, name="discriminator")


def build_gan(params: Params, data: TaskData) -> keras.Model:
    """The two networks and the combined model, compiled in the book's order (c7, c9)."""
    generator = build_generator(params, data.input_shape)
    discriminator = build_discriminator(params, data.input_shape)
    discriminator.compile(_optimizer(8e-4, params["decay"]), binary_crossentropy_loss())
    discriminator.trainable = False
    latent = keras.Input(shape=(params["latent_dim"],))
    gan = keras.Model(latent, discriminator(generator(latent)), name="gan")
    gan.compile(_optimizer(4e-4, params["decay"]), binary_crossentropy_loss())
    return gan
