"""The GAN (1e 8.5): its networks, the frozen-copy update, the sample scores, CIFAR-10."""

import keras
import numpy as np
import pytest

from dlwp_suite.compat import KERAS_MAJOR
from dlwp_suite.datasets import cifar10
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiments import get
from dlwp_suite.experiments.ch08_gan import PARAMS, PARAMS_1E
from dlwp_suite.models.ch08_gan import build_discriminator, build_gan, build_generator
from dlwp_suite.protocols import get as protocol
from dlwp_suite.protocols.gan import _frozen_copy
from dlwp_suite.sample_scores import class_score, frechet_distance
from dlwp_suite.synthetic import write_cifar10


def test_the_books_networks_have_its_parameter_counts():
    shape = (32, 32, 3)  # the frogs
    counts = (build_generator(PARAMS, shape).count_params(), build_discriminator(PARAMS, shape))
    assert (counts[0], counts[1].count_params()) == PARAMS_1E


def _tiny_gan() -> keras.Model:
    params = {**PARAMS, "generator_filters": 4, "dense_channels": 2, "discriminator_filters": 4}
    data = TaskData(np.zeros((4, 28, 28, 1), np.float32), np.zeros(4), None, None, source="t")
    keras.utils.set_random_seed(0)
    return build_gan(params, data)


def _moved(before, model) -> bool:
    return any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def _batches():
    rng = np.random.default_rng(0)
    images = rng.random((6, 28, 28, 1), dtype=np.float32)
    return images, np.ones((6, 1)), rng.random((6, 32), dtype=np.float32), np.zeros((6, 1))


def test_the_books_freezing_trains_its_discriminator_on_keras_2_only():
    """The known divergence's mechanism: Keras 3 builds the optimizer at the first step,
    from the trainable weights then (none)."""
    discriminator = _tiny_gan().get_layer("discriminator")
    images, labels, _, _ = _batches()
    before = discriminator.get_weights()
    discriminator.train_on_batch(images, labels)
    assert _moved(before, discriminator) == (KERAS_MAJOR < 3)


def test_frozen_copy_trains_the_discriminator_and_not_through_the_gan():
    book = _tiny_gan()
    discriminator, generator = book.get_layer("discriminator"), book.get_layer("generator")
    gan, frozen = _frozen_copy(book)
    images, labels, latent, misleading = _batches()
    for _ in range(2):  # the protocol's rounds: a second step after the copy (JAX donates)
        before = discriminator.get_weights()
        discriminator.train_on_batch(images, labels)
        assert _moved(before, discriminator)
        frozen.set_weights(discriminator.get_weights())
        before_g, before_d = generator.get_weights(), discriminator.get_weights()
        before_copy = frozen.get_weights()
        gan.train_on_batch(latent, misleading)
        assert _moved(before_g, generator)
        assert not _moved(before_d, discriminator) and not _moved(before_copy, frozen)


def test_frechet_distance_and_class_score():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2000, 3))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
    shifted = frechet_distance(a, a + np.array([3.0, 0, 0]))
    assert shifted == pytest.approx(9.0, rel=1e-6)  # a shift adds its squared length
    assert class_score(np.full((10, 4), 0.25)) == pytest.approx(1.0)
    assert class_score(np.eye(4)[np.arange(40) % 4]) == pytest.approx(4.0, rel=1e-6)


def test_cifar10_reads_the_canonical_archive(tmp_path, data_config):
    write_cifar10(data_config.data_dir, per_batch=10)
    data = cifar10.load(data_config)
    assert data.x_train.shape == (50, 32, 32, 3) and data.x_test.shape == (10, 32, 32, 3)
    assert data.x_train.dtype == np.uint8
    # Each class's bright square, channels last: row and column from the label.
    label, image = int(data.y_train[0]), data.x_train[0]
    row, column = divmod(label, 5)
    assert image[4 + 12 * row, 1 + 6 * column].min() >= 200


def test_frogs_skip_with_the_file_named_when_cifar_is_missing(data_config):
    from dlwp_suite.errors import DatasetUnavailable

    with pytest.raises(DatasetUnavailable, match=r"cifar-10-python\.tar\.gz"):
        get("ch08.gan.dcgan").load_data(data_config, get("ch08.gan.dcgan").params)


def test_baselines_score_images_as_the_samples(smoke_data):
    experiment = get("ch08.gan.dcgan_stand_in")
    case = experiment.case("1e_frozen_copy", "smoke")
    data = smoke_data(experiment)
    scores = {
        name: protocol("gan").baseline(name, case, data, 0).metrics["frechet_distance"]
        for name in experiment.baselines
    }
    assert max(scores["real"], scores["gaussian_mixture"]) < scores["noise"]


def test_the_mixture_is_fitted_once_for_the_run_and_its_baseline(smoke_data):
    from dlwp_suite.protocols import gan

    experiment = get("ch08.gan.dcgan_stand_in")
    case = experiment.case("1e", "smoke")
    data = smoke_data(experiment)
    first = gan._images("gaussian_mixture", case, data, 0)
    assert gan._mixture_samples(data, gan.SCORED, 0) is first
    assert gan._mixture_samples(data, gan.SCORED, 1) is not first


@pytest.mark.skipif(KERAS_MAJOR < 3, reason="keras.ops is Keras 3's")
def test_the_soft_binary_crossentropy_is_keras_own_and_takes_noisy_labels():
    from dlwp_suite.compat import soft_binary_crossentropy

    predicted = np.array([[0.2], [0.9], [1.0]], dtype="float32")
    labels = np.array([[0.0], [1.0], [0.7]], dtype="float32")
    np.testing.assert_allclose(
        np.asarray(soft_binary_crossentropy(labels, predicted)),
        np.asarray(keras.losses.binary_crossentropy(labels, predicted)),
        rtol=1e-5,
    )
    assert np.isfinite(np.asarray(soft_binary_crossentropy(labels + 0.05, predicted))).all()


@pytest.mark.skipif(KERAS_MAJOR < 3, reason="Keras 2's clone_model leaves the compile config")
def test_a_model_compiled_with_the_soft_cross_entropy_clones():
    """Keras 3's clone_model rebuilds a compiled model's loss from its config: torch's
    loss (``soft_binary_crossentropy``, for the 1st edition's noisy labels) must be
    registered, or the frozen-copy GAN cannot clone its discriminator there."""
    from dlwp_suite.compat import soft_binary_crossentropy

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss=soft_binary_crossentropy)
    clone = keras.models.clone_model(model)
    assert clone.count_params() == model.count_params()
