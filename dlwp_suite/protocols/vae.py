"""Variational-autoencoder protocol (1e 8.4, 2e 12.4): train on images, validate on the
test images, then measure the reconstructions and draw the latent space.

The model's loss is the book's: a reconstruction term (the compiled loss, on the input
as its own target) plus the KL term its encoder adds (``add_loss``). It records:

- ``val_loss``: that loss on the test images, as the book prints it (its sampling is
  random, so this is one draw), with its curve, and ``val_loss_fall``, the share of
  the untrained model's validation loss that training took off (learning nothing: 0);
- ``reconstruction_bce``: per-pixel binary cross-entropy of the decoded means
  (``decoder(z_mean)``) against the test images, the measure the baselines share;
- ``ensemble_reconstruction_bce``: the same for the average of the network's and the
  PCA baseline's reconstructions.

Baselines, fitted on the training images: the mean image (trivial) and PCA with as many
components as the latent space has dimensions (a linear code of the same size), their
reconstructions clipped into (0, 1). The latent grid (the book's figure: decoded points
of a grid over the latent prior's quantiles) is saved as a picture (``dlwp_suite.images``).
"""

from __future__ import annotations

import time

import keras
import numpy as np
from scipy.stats import norm
from sklearn.decomposition import PCA

from dlwp_suite.baselines import BaselineResult
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Case
from dlwp_suite.images import save_png
from dlwp_suite.metrics import declare
from dlwp_suite.protocols.base import (
    CURVE_METRICS,
    INFERENCE_BATCH,
    Protocol,
    RunResult,
    curve_metrics,
    fit,
    fresh_model,
)
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext

GRID = 15  # 1e 8.4 c18: a 15 x 15 grid of decoded points
EPSILON = 1e-7  # Keras' clipping of probabilities in binary cross-entropy


def pixel_bce(images: np.ndarray, reconstructions: np.ndarray) -> float:
    """Mean binary cross-entropy per pixel, with Keras' clipping."""
    p = np.clip(reconstructions.astype(np.float64), EPSILON, 1 - EPSILON)
    x = images.astype(np.float64)
    return float(-np.mean(x * np.log(p) + (1 - x) * np.log(1 - p)))


def _pca(data: TaskData, components: int, seed: int) -> PCA:
    flat = data.x_train.reshape(len(data.x_train), -1)
    return PCA(components, svd_solver="randomized", random_state=seed).fit(flat)


def pca_reconstructions(pca: PCA, images: np.ndarray) -> np.ndarray:
    """Images through a fitted PCA and back, clipped into the open unit interval."""
    flat = images.reshape(len(images), -1)
    back = pca.inverse_transform(pca.transform(flat)).reshape(images.shape)
    return np.clip(back, EPSILON, 1 - EPSILON)


def latent_grid(decoder: keras.Model, size: int = GRID) -> np.ndarray:
    """Decoded images of a ``size`` x ``size`` grid over the 5-95 % quantiles of a 2-d
    standard normal latent space, tiled into one picture (1e 8.4 c18)."""
    quantiles = norm.ppf(np.linspace(0.05, 0.95, size))
    points = np.array([[x, y] for y in quantiles[::-1] for x in quantiles], dtype=np.float32)
    images = decoder.predict(points, batch_size=INFERENCE_BATCH, verbose=0)[..., 0]
    height, width = images.shape[1:]
    tiled = images.reshape(size, size, height, width).transpose(0, 2, 1, 3)
    return tiled.reshape(size * height, size * width)


class VariationalAutoencoder(Protocol):
    """One fit on the training images, validated on the test images."""

    name = "vae"
    metrics = declare(
        {
            "val_loss": -1,
            **CURVE_METRICS,
            "val_loss_fall": 1,  # (untrained - best) / untrained validation loss
            "reconstruction_bce": -1,
            "ensemble_reconstruction_bce": -1,
        }
    )
    baseline_names = frozenset({"mean_image", "pca"})
    selection_metric = "reconstruction_bce"
    reported_metric = "reconstruction_bce"

    def run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """Train, measure the test reconstructions, mix them with PCA's, draw the grid."""
        started = time.perf_counter()
        p = case.params
        if data.x_test is None:
            raise ValueError(f"{case.id}: the VAE protocol validates on test images")
        model = fresh_model(case, data, seed)
        untrained = model.evaluate(
            data.x_test, data.x_test, batch_size=INFERENCE_BATCH, verbose=0, return_dict=True
        )["loss"]
        history, timings = fit(
            case,
            model,
            data.x_train,
            data.x_train,  # the input is its own target
            p["epochs"],
            p["batch_size"],
            validation=(data.x_test, data.x_test),
            seed=seed,
            context=context,
        )
        encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
        predicting = time.perf_counter()
        z_mean = encoder.predict(data.x_test, batch_size=INFERENCE_BATCH, verbose=0)[0]
        decoded = decoder.predict(z_mean, batch_size=INFERENCE_BATCH, verbose=0)
        timings["inference_samples_per_s"] = len(z_mean) / (time.perf_counter() - predicting)
        linear = pca_reconstructions(_pca(data, p["latent_dim"], seed), data.x_test)
        metrics = {
            "val_loss": history["val_loss"][-1],
            **curve_metrics(history),
            "val_loss_fall": 1 - min(history["val_loss"]) / untrained,
            "reconstruction_bce": pixel_bce(data.x_test, decoded),
            "ensemble_reconstruction_bce": pixel_bce(data.x_test, (decoded + linear) / 2),
        }
        details: dict[str, object] = {"latent_std": np.std(z_mean, axis=0).tolist()}
        if p["latent_dim"] == 2 and (
            grid := save_png(context.images_dir, case.id, seed, "latent_grid", latent_grid(decoder))
        ):
            details["images"] = {"latent grid": grid}
        timings["wall_s"] = time.perf_counter() - started
        return RunResult(metrics, timings, history, details)

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        """The mean training image, or PCA with the latent space's size, on the test images."""
        started = time.perf_counter()
        if name == "mean_image":
            mean = np.clip(data.x_train.mean(axis=0), EPSILON, 1 - EPSILON)
            value = pixel_bce(data.x_test, np.broadcast_to(mean, data.x_test.shape))
        else:
            pca = _pca(data, case.params["latent_dim"], seed)
            value = pixel_bce(data.x_test, pca_reconstructions(pca, data.x_test))
        return BaselineResult(
            name,
            {"reconstruction_bce": value},
            {"fit_s": time.perf_counter() - started},
            None,
            trivial=name == "mean_image",
        )
