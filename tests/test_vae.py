"""Chapter 8's variational autoencoders: the book's model and loss, the baselines'
measure, the latent grid and where its picture goes."""

import numpy as np
import pytest

from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiments import get
from dlwp_suite.experiments.ch08_vae import EXPERIMENT, PARAM_COUNT_1E, VARIANTS
from dlwp_suite.images import save_png
from dlwp_suite.models.ch08_vae import KLTerm, Sampler, build_vae
from dlwp_suite.protocols import get as protocol
from dlwp_suite.protocols.vae import latent_grid, pixel_bce

IMAGES = TaskData(np.zeros((4, 28, 28, 1), "float32"), None, None, None, source="test")


def params(variant: str) -> dict:
    return {**get(EXPERIMENT).params, **VARIANTS[variant]}


def test_the_1st_editions_model_has_the_books_parameter_count():
    assert build_vae(params("1e"), IMAGES).count_params() == PARAM_COUNT_1E == 550_629


def test_kl_term_is_the_books_loss():
    """1e c16: -5e-4 * mean over the latent axis of (1 + log_var - mean^2 - exp(log_var)),
    averaged over the batch; 2e: the mean of -0.5 (...) over batch and latent axes."""
    rng = np.random.default_rng(0)
    mean, log_var = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    bracket = 1 + log_var - mean**2 - np.exp(log_var)
    layer = KLTerm(1e-3)
    layer([mean.astype("float32"), log_var.astype("float32")])
    assert float(layer.losses[0]) == pytest.approx(np.mean(-5e-4 * bracket.mean(axis=-1)), rel=1e-5)
    full = KLTerm(1.0)
    full([mean.astype("float32"), log_var.astype("float32")])
    assert float(full.losses[0]) == pytest.approx(np.mean(-0.5 * bracket), rel=1e-5)


@pytest.mark.parametrize(("scale", "std"), [(0.5, 2.0), (1.0, 4.0)])
def test_sampling_spread_as_written_and_corrected(scale: float, std: float):
    """log_var = ln 4: a Gaussian's std is 2; the 1st edition's code as written draws with 4."""
    import keras

    keras.utils.set_random_seed(0)
    mean = np.zeros((20_000, 2), "float32")
    log_var = np.full((20_000, 2), np.log(4.0), "float32")
    drawn = np.asarray(Sampler(scale)([mean, log_var]))
    assert drawn.std() == pytest.approx(std, rel=0.03)


def test_pixel_bce_is_keras_binary_crossentropy():
    import keras

    rng = np.random.default_rng(1)
    x, p = rng.random((3, 28, 28, 1)), rng.random((3, 28, 28, 1))
    keras_value = float(keras.losses.BinaryCrossentropy()(x, p))
    assert pixel_bce(x, p) == pytest.approx(keras_value, rel=1e-5)


def test_baselines_score_the_test_images(smoke_data):
    experiment = get(EXPERIMENT)
    data = smoke_data(experiment)
    case = experiment.case("1e", "smoke")
    vae = protocol("vae")
    mean_image = vae.baseline("mean_image", case, data, 0)
    pca = vae.baseline("pca", case, data, 0)
    assert mean_image.trivial and not pca.trivial
    assert data.x_train.dtype == np.float32 and data.x_train.max() <= 1.0
    assert data.y_test is None  # no labels: the runner makes no classifier ensemble
    # Two principal components capture more of the digits than their mean does.
    assert pca.metrics["reconstruction_bce"] < mean_image.metrics["reconstruction_bce"] + 0.01


def test_latent_grid_tiles_the_decoded_points():
    model = build_vae(params("2e"), IMAGES)
    grid = latent_grid(model.get_layer("decoder"), size=3)
    assert grid.shape == (84, 84) and grid.min() >= 0.0 and grid.max() <= 1.0


def test_pictures_go_beside_the_records_only_when_asked(tmp_path):
    assert save_png(None, "case[x]", 0, "grid", np.zeros((4, 4))) is None
    relative = save_png(tmp_path / "images" / "run1", "case[x]", 2, "grid", np.eye(4))
    assert relative == "images/run1/case[x]/seed2-grid.png" and (tmp_path / relative).is_file()
