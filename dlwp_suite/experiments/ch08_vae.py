"""Chapter 8 (2nd edition: chapter 12): variational autoencoders on MNIST.

1st edition (``8.4-generating-images-with-vaes``, cN = notebook cell): a convolutional
encoder to a 2-d latent space (z_mean, z_log_var), a sampling layer, a
Conv2DTranspose decoder, 550,629 parameters in all (c12-c15); the loss is the per-pixel
binary cross-entropy plus 5e-4 times the KL term averaged over the latent dimensions
(c16), rmsprop, batch 16, 10 epochs on the 60,000 training digits, validated on the
10,000 test digits (c17): validation loss 0.1966 after the first epoch, **0.1801** after
the tenth. Its sampling is ``z_mean + exp(z_log_var) * epsilon``: the standard deviation
of a Gaussian with log-variance ``z_log_var`` is ``exp(0.5 * z_log_var)``, so variant
``1e`` runs the code as written and ``1e_corrected`` with the 0.5, side by side.

2nd edition (``chapter12_part04_variational-autoencoders``): a smaller encoder (two
strided convolutions, Dense 16), the same sampling with the 0.5, the binary
cross-entropy summed over the pixels plus the KL term averaged over batch and latent
dimensions, Adam, batch 128, 30 epochs, on all 70,000 digits with no validation. Here
it trains on the 60,000 training digits so the test digits stay unseen, and prints
no number to assert: its targets are the baselines'.
"""

from __future__ import annotations

from types import MappingProxyType as Frozen

import keras
import numpy as np

from dlwp_suite import synthetic
from dlwp_suite.compat import math_ops, random_normal, seed_generator
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import mnist
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Experiment, Params, ProfileSpec
from dlwp_suite.targets import Target

SRC_1E = "1e 8.4 (8.4-generating-images-with-vaes)"
SRC_2E = "2e 12.4 (chapter12_part04_variational-autoencoders)"
EXPERIMENT = "ch08.mnist.vae"


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


def pixel_sum_bce(y_true, y_pred):
    """2e: binary cross-entropy summed over an image's pixels (Keras then averages the
    batch)."""
    return math_ops().sum(keras.losses.binary_crossentropy(y_true, y_pred), axis=(1, 2))


def _encoder_1e(inputs, latent_dim: int):
    """c12: four 3x3 convolutions (32, 64 strided, 64, 64), Dense 32."""
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu", strides=2)(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    return keras.layers.Dense(32, activation="relu")(keras.layers.Flatten()(x))


def _decoder_1e(latent, side: int):
    """c14: Dense to the encoder's last feature map (14 x 14 x 64), Conv2DTranspose 32
    strided, a 3x3 sigmoid convolution."""
    half = side // 2
    x = keras.layers.Dense(half * half * 64, activation="relu")(latent)
    x = keras.layers.Reshape((half, half, 64))(x)
    x = keras.layers.Conv2DTranspose(32, 3, padding="same", activation="relu", strides=2)(x)
    return keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)


def _encoder_2e(inputs, latent_dim: int):
    """2e listing 12.24: two strided 3x3 convolutions (32, 64), Dense 16."""
    x = keras.layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(inputs)
    x = keras.layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    return keras.layers.Dense(16, activation="relu")(keras.layers.Flatten()(x))


def _decoder_2e(latent, side: int):
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


PARAM_COUNT_1E = 550_629  # 1e c15 (vae.summary()), checked by the tests
BOOK_VAL_LOSS = Target(
    "val_loss",
    value=0.1801,
    comparison="at_most",
    tolerance=0.005,
    source=f"{SRC_1E} c17 log: val_loss 0.1801 after the 10th epoch (as written)",
    basis="provisional: no book run with 3 seeds yet; 0.005 above the book's number",
    book_number=True,  # the book's printed loss, one-sided: lower is no miss
)


LEARNS = Target(
    "val_loss_fall",
    value=0.3,
    comparison="at_least",
    source=f"{SRC_1E} c17 log: the validation loss falls as training goes on",
    basis="smoke, generated digits, seed 0: 2 epochs took 0.47 / 0.62 / 0.61 of the "
    "untrained model's validation loss off (1e, 1e_corrected, 2e; Keras 3.15 on TF 2.21), "
    "3 epochs 0.53-0.62 on JAX and tf.keras 2.15; a run that learns nothing takes off 0",
)


def beats_mean_image(margin: float, basis: str, source: str) -> Target:
    """The decoded test digits are closer to the digits than the mean training image."""
    return Target(
        "reconstruction_bce",
        baseline="mean_image",
        tolerance=margin,
        source=f"{source}; issue: reconstructions beat the mean-image baseline",
        basis=basis,
    )


_1E = {
    "architecture": "1e",
    "sampling_scale": 1.0,
    "kl_weight": 1e-3,
    "reconstruction": "mean",
    "optimizer": "rmsprop",
    "learning_rate": 1e-3,  # rmsprop's default, as c16 compiles it
    "batch_size": 16,
    "epochs": 10,
}
VARIANTS = Frozen(
    {
        "1e": _1E,
        "1e_corrected": {**_1E, "sampling_scale": 0.5},
        "2e": {
            "architecture": "2e",
            "sampling_scale": 0.5,
            "kl_weight": 1.0,
            "reconstruction": "sum",
            "optimizer": "adam",
            "learning_rate": 1e-3,  # Adam's default, as the notebook compiles it
            "batch_size": 128,
            "epochs": 30,
        },
    }
)
SOURCES = {"1e": SRC_1E, "1e_corrected": SRC_1E, "2e": SRC_2E}


# Seeds 100-107 of the quick profile on TF 2.21 (results/tolerance/runs/
# ch08-calibration.main.jsonl, 100-102, and ch08-calibration-seeds103-107.main.jsonl):
# the decoded means' per-pixel cross-entropy against the mean image's 0.2627 (PCA: 0.2309).
# Seeds 100-102 alone had put 1e_corrected's bar at 0.049, which TF's seed 1 missed.
QUICK_SEEDS = {
    "1e": (0.038, "0.2111, 0.2106, 0.2186, 0.2078, 0.2080, 0.2112, 0.2121, 0.2194"),
    "1e_corrected": (0.047, "0.2098, 0.2075, 0.2095, 0.2103, 0.2091, 0.2103, 0.2124, 0.2134"),
    "2e": (0.014, "0.2151, 0.2343, 0.2109, 0.2092, 0.2217, 0.2216, 0.2131, 0.2344"),
}


def _quick_bars(profile: str) -> dict[str, tuple[Target, ...]]:
    return {
        variant: (
            beats_mean_image(
                margin,
                f"{profile}: mean image - median - 3 x std of quick seeds 100-107 ({seen})"
                + ("" if profile == "quick" else "; a book run trains longer"),
                SOURCES[variant],
            ),
        )
        for variant, (margin, seen) in QUICK_SEEDS.items()
    }


VAE = Experiment(
    id=EXPERIMENT,
    title="MNIST variational autoencoder, 2-d latent space",
    source=f"{SRC_1E} c12-c18; {SRC_2E}",
    task="regression",  # reconstructions; there is no class to predict
    protocol="vae",
    load_data=load_digits,
    write_synthetic=synthetic.write_mnist,
    build_model=build_vae,
    params=Frozen({"latent_dim": 2, "train_rows": None}),
    variants=VARIANTS,
    profiles=Frozen(
        {
            "smoke": ProfileSpec(
                variants=tuple(VARIANTS),
                targets={v: (LEARNS,) for v in VARIANTS},
                overrides=Frozen({"epochs": 2, "batch_size": 16}),
                synthetic_data=True,
                note="generated digits: the validation loss falls (600 digits do not beat "
                "the mean image's 0.2605: seed 0 measured 0.264-0.269 after 3 epochs on "
                "tf.keras 2.15, 0.261-0.319 after 5 on Keras 3)",
            ),
            # 2 epochs of all 60,000 digits took 12 minutes for 1e here (3 runs sharing
            # the 2-core CPU; val loss 0.1948, the book's 0.1966 after one epoch).
            "quick": ProfileSpec(
                variants=tuple(VARIANTS),
                targets=_quick_bars("quick"),
                overrides=Frozen({"epochs": 2, "train_rows": 10_000}),
                variant_overrides=Frozen({"2e": Frozen({"epochs": 10})}),
                note="the first 10,000 training digits; 2 epochs of 1e's batches of 16, 10 "
                "of 2e's batches of 128 (the book: 10 and 30 epochs of 60,000 and 70,000)",
            ),
            "book": ProfileSpec(
                variants=tuple(VARIANTS),
                targets={
                    **_quick_bars("book"),
                    "1e": (BOOK_VAL_LOSS, *_quick_bars("book")["1e"]),
                },
            ),
        }
    ),
    baselines=("mean_image", "pca"),
)

CLAIMS = ()
EXPERIMENTS = (VAE,)
