"""Chapter 8's variational autoencoders (1st edition 8.4, 2nd edition 12.4): MNIST as
the book feeds them, the KL term and sampler layers, both editions' encoders and
decoders, and the compiled model."""

from __future__ import annotations

import keras
import numpy as np

from dlwp_suite.compat import math_ops, random_normal, seed_generator
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import mnist
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Params


def load_digits(config: DataConfig, params: Params) -> TaskData:
    """MNIST as the book feeds its VAEs: float32 in [0, 1] with a channel axis; the
    labels are not used (no test labels, so no classifier ensemble either)."""
    data = mnist.load(config)
    rows = params.get("train_rows")

    def scaled(images: np.ndarray) -> np.ndarray:
        return (images[..., None] / 255.0).astype(np.float32)

    x_train = data.x_train[:rows] if rows else data.x_train
    y_train = data.y_train[:rows] if rows else data.y_train
    assert data.x_test is not None
    return TaskData(
        scaled(x_train),
        y_train,
        scaled(data.x_test),
        None,
        source=data.source,
        files=data.files,
        notes=[f"the first {rows:,} training digits"] if rows else [],
    )


@keras.saving.register_keras_serializable(package="dlwp_suite")
class KLTerm(keras.layers.Layer):
    """Adds ``weight`` x the mean over batch and latent dimensions of
    ``-0.5 (1 + log_var - mean^2 - exp(log_var))`` to the model's loss; passes its
    inputs through (1e c16: 5e-4 x the mean of the bracket = weight 1e-3; 2e: weight 1)."""

    def __init__(self, weight: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.weight = weight

    def call(self, inputs):
        mean, log_var = inputs
        ops = math_ops()
        kl = -0.5 * (1 + log_var - ops.square(mean) - ops.exp(log_var))
        self.add_loss(self.weight * ops.mean(kl))
        return mean, log_var

    def get_config(self) -> dict:
        return {**super().get_config(), "weight": self.weight}


@keras.saving.register_keras_serializable(package="dlwp_suite")
class Sampler(keras.layers.Layer):
    """``mean + exp(scale * log_var) * epsilon``, epsilon standard normal, in training
    and validation alike (as the book's Lambda layer): ``scale`` 0.5 is a Gaussian's
    standard deviation, 1.0 the 1st edition's code as written."""

    def __init__(self, scale: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.scale = scale
        self.seed_generator = seed_generator()

    def call(self, inputs):
        mean, log_var = inputs
        ops = math_ops()
        epsilon = random_normal(ops.shape(mean), self.seed_generator)
        return mean + ops.exp(self.scale * log_var) * epsilon

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale}


def pixel_sum_bce(y_true: keras.KerasTensor, y_pred: keras.KerasTensor) -> keras.KerasTensor:
    """2e: binary cross-entropy summed over an image's pixels (Keras then averages the
    batch)."""
    return math_ops().sum(keras.losses.binary_crossentropy(y_true, y_pred), axis=(1, 2))


def _encoder_1e(inputs: keras.KerasTensor, latent_dim: int) -> keras.KerasTensor:
    """c12: four 3x3 convolutions (32, 64 strided, 64, 64), Dense 32."""
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu", strides=2)(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    return keras.layers.Dense(32, activation="relu")(keras.layers.Flatten()(x))


def _decoder_1e(latent: keras.KerasTensor, side: int) -> keras.KerasTensor:
    """c14: Dense to the encoder's last feature map (14 x 14 x 64), Conv2DTranspose 32
    strided, a 3x3 sigmoid convolution."""
    half = side // 2
    x = keras.layers.Dense(half * half * 64, activation="relu")(latent)
    x = keras.layers.Reshape((half, half, 64))(x)
    x = keras.layers.Conv2DTranspose(32, 3, padding="same", activation="relu", strides=2)(x)
    return keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)


def _encoder_2e(inputs: keras.KerasTensor, latent_dim: int) -> keras.KerasTensor:
    """2e listing 12.24: two strided 3x3 convolutions (32, 64), Dense 16."""
    x = keras.layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(inputs)
    x = keras.layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    return keras.layers.Dense(16, activation="relu")(keras.layers.Flatten()(x))


def _decoder_2e(latent: keras.KerasTensor, side: int) -> keras.KerasTensor:
    """2e listing 12.26: Dense to 7 x 7 x 64, two strided Conv2DTranspose (64, 32), a
    3x3 sigmoid convolution."""
    quarter = side // 4
    x = keras.layers.Dense(quarter * quarter * 64, activation="relu")(latent)
    x = keras.layers.Reshape((quarter, quarter, 64))(x)
    x = keras.layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
    x = keras.layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    return keras.layers.Conv2D(1, 3, activation="sigmoid", padding="same")(x)


ARCHITECTURES = {"1e": (_encoder_1e, _decoder_1e), "2e": (_encoder_2e, _decoder_2e)}


def build_vae(params: Params, data: TaskData) -> keras.Model:
    """Encoder and decoder as named sub-models (the protocol reads them), the KL term,
    the sampler, the reconstruction loss; compiled as the edition does."""
    encode, decode = ARCHITECTURES[params["architecture"]]
    latent_dim, side = params["latent_dim"], data.input_shape[0]
    image = keras.Input(shape=data.input_shape)
    features = encode(image, latent_dim)
    encoder = keras.Model(
        image,
        [keras.layers.Dense(latent_dim)(features), keras.layers.Dense(latent_dim)(features)],
        name="encoder",
    )
    latent = keras.Input(shape=(latent_dim,))
    decoder = keras.Model(latent, decode(latent, side), name="decoder")
    inputs = keras.Input(shape=data.input_shape)
    mean, log_var = KLTerm(params["kl_weight"])(encoder(inputs))
    z = Sampler(params["sampling_scale"])([mean, log_var])
    model = keras.Model(inputs, decoder(z))
    model.compile(
        optimizer=keras.optimizers.get(
            {
                "class_name": params["optimizer"],
                "config": {"learning_rate": params["learning_rate"]},
            }
        ),
        loss=pixel_sum_bce if params["reconstruction"] == "sum" else "binary_crossentropy",
    )
    return model
