"""Chapter 5.4's views of a convnet: activations, filter ascent, Grad-CAM and its
randomisation check, on tiny models (the real code, every backend's autodiff)."""

import dataclasses
from types import MappingProxyType

import keras
import numpy as np
import pytest

from dlwp_suite.compat import math_ops, value_and_gradient
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Case
from dlwp_suite.experiments import get
from dlwp_suite.models.ch05_views import build_viewed
from dlwp_suite.protocols import get as protocol
from dlwp_suite.protocols.base import RunResult
from dlwp_suite.protocols.convnet_views import _gradcam_view, images_binomial_p, view_indices
from dlwp_suite.protocols.fit_evaluate import TrainedModel
from dlwp_suite.run_context import KeptModels, RunContext
from dlwp_suite.what_convnets_learn import (
    activations,
    apply,
    blank_share,
    chain,
    conv_indices,
    filter_ascent,
    grad_cam,
    last_feature_map,
    overlay,
    rank_correlations,
    shuffle_top,
    tile,
)


@pytest.fixture(scope="module")
def tiny() -> keras.Model:
    """uint8 pixels -> float view -> two convolutions -> a sigmoid, as the suite builds."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((16, 16, 3), dtype="uint8")
    x = keras.layers.Rescaling(1.0)(inputs)
    x = keras.layers.Rescaling(1 / 255)(x)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(6, 3, activation="relu")(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)


def pixels(n: int, side: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, side, side, 3)).astype("float32")


def test_value_and_gradient_uses_the_backends_autodiff():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    value, grad = value_and_gradient(lambda t: math_ops().sum(t * t), x)
    assert value == pytest.approx(55.0)
    np.testing.assert_allclose(grad, 2 * x)


def test_the_chain_is_the_model(tiny):
    layers = chain(tiny)
    assert not any(isinstance(layer, keras.layers.InputLayer) for layer in layers)
    images = pixels(3)
    np.testing.assert_allclose(
        np.asarray(apply(layers, images)),
        tiny.predict(images.astype("uint8"), verbose=0),
        rtol=1e-5,
    )
    assert conv_indices(layers) == [2, 4] and last_feature_map(layers) == 4


def test_activations_and_blank_channels(tiny):
    layers = chain(tiny)
    maps = activations(layers, pixels(2), [2, 4])
    assert maps[2].shape == (2, 14, 14, 4) and maps[4].shape == (2, 5, 5, 6)
    blank = np.zeros((2, 3, 3, 4))
    blank[0, 1, 1, 0] = 1.0  # one of 8 (image, channel) maps speaks
    assert blank_share(blank) == 7 / 8


def test_filter_ascent_raises_each_filters_mean_activation(tiny):
    layers = chain(tiny)
    patterns, before, after, live = filter_ascent(layers, 4, [0, 1, 2], size=16, seed=0)
    assert patterns.shape == (3, 16, 16, 3)
    assert live.any()
    assert (after[live] > before[live]).all()


def test_grad_cam_heatmaps_are_scaled_class_evidence(tiny):
    layers = chain(tiny)
    images = pixels(4)
    heatmaps, probability = grad_cam(layers, images)
    assert heatmaps.shape == (4, 5, 5)  # the last convolution's 5 x 5 map
    assert (heatmaps >= 0).all()
    peaks = heatmaps.max(axis=(1, 2))
    assert np.all((peaks == 1.0) | (peaks == 0.0))
    np.testing.assert_allclose(
        probability, tiny.predict(images.astype("uint8"), verbose=0)[:, 0], rtol=1e-5
    )


def test_grad_cam_weights_are_the_class_scores_gradient():
    """One channel, a linear head: the map is the feature map itself where the head's
    weight is positive (the evidence for the predicted class)."""
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Conv2D(1, 1, use_bias=False, kernel_initializer="ones")(inputs)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", kernel_initializer="ones")(x)
    layers = chain(keras.Model(inputs, outputs))
    image = np.arange(16, dtype="float32").reshape(1, 4, 4, 1) / 16
    heatmaps, probability = grad_cam(layers, image)
    assert probability[0] > 0.5
    np.testing.assert_allclose(heatmaps[0], image[0, :, :, 0] / image.max(), rtol=1e-5)


def test_permuting_the_classifier_keeps_its_values_and_spares_the_convolutions(tiny):
    layers = chain(tiny)
    before = [w.copy() for w in tiny.get_weights()]
    shuffle_top(layers, seed=1)
    after = tiny.get_weights()
    tiny.set_weights(before)
    assert not np.array_equal(after[-2], before[-2])  # the dense kernel, permuted
    assert sorted(after[-2].ravel()) == sorted(before[-2].ravel())
    for now, then in zip(after[:-2], before[:-2], strict=True):  # convolutions untouched
        np.testing.assert_array_equal(now, then)


def test_grad_cam_survives_a_saturated_sigmoid():
    """A logit of ~100: float32 rounds p to 1 and its gradient to 0; the logit's is not."""
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Conv2D(1, 1, use_bias=False, kernel_initializer="ones")(inputs)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", kernel_initializer="ones")(x)
    image = np.full((1, 4, 4, 1), 6.0, dtype="float32")
    heatmaps, probability = grad_cam(chain(keras.Model(inputs, outputs)), image)
    assert probability[0] == 1.0
    np.testing.assert_allclose(heatmaps[0], 1.0)


def test_rank_correlations():
    a = np.random.default_rng(0).random((2, 3, 3))
    flat = np.zeros((3, 3))
    result = rank_correlations(np.stack([a[0], a[1]]), np.stack([a[0], flat]))
    assert result[0] == pytest.approx(1.0) and np.isnan(result[1])


def test_pictures():
    assert tile(np.zeros((5, 4, 6)), columns=2, margin=1).shape == (3 * 5 - 1, 2 * 7 - 1)
    assert tile(np.zeros((2, 4, 4, 3)), columns=2).shape == (4, 10, 3)
    shown = overlay(pixels(1)[0], np.random.default_rng(0).random((5, 5)))
    assert shown.shape == (16, 16, 3) and shown.min() >= 0 and shown.max() <= 1


def test_view_images_are_half_cats_half_dogs():
    labels = np.array([1, 0, 1, 1, 0, 0, 1])
    np.testing.assert_array_equal(view_indices(labels, 4), [1, 4, 0, 2])


def test_the_books_first_activation_shape():
    """1e 5.4.1: the 5.2 model's first activation is (1, 148, 148, 32) at 150 px."""
    experiment = get("ch05.dogs.views")
    params = {**experiment.params, **experiment.variants["scratch"]}
    data = TaskData(np.zeros((1, 150, 150, 3), "uint8"), np.zeros(1), None, None, source="test")
    layers = chain(build_viewed(params, data))
    first = activations(layers, np.zeros((1, 150, 150, 3)), [conv_indices(layers)[0]])
    assert next(iter(first.values())).shape == (1, 148, 148, 32)


def test_the_protocol_records_every_view_and_its_pictures(smoke_data, tmp_path):
    context = RunContext(images_dir=tmp_path / "images" / "run")
    experiment = get("ch05.dogs.views")
    case = experiment.case("scratch", "smoke")
    case = type(case)(
        case.experiment, case.variant, case.profile, {**case.params, "epochs": 1}, case.targets
    )
    result = protocol("what_convnets_learn").run(
        case, smoke_data(experiment), seed=0, context=context
    )
    for metric in (
        "first_activation_side",
        "first_conv_blank_share",
        "last_conv_blank_share",
        "filter_rise_share",
        "silent_filter_share",
        "gradcam_true_class_probability",
        "gradcam_empty_share",
        "gradcam_images_binomial_p",
        "gradcam_randomised_rank_corr",
        "test_accuracy",
    ):
        assert metric in result.metrics
    assert result.metrics["first_activation_side"] == 46  # 48 px in smoke
    assert len(result.details["images"]) == 3
    for path in result.details["images"].values():
        assert (tmp_path / path).is_file()


def test_the_binomial_p_counts_the_images_right_against_the_accuracy():
    labels = np.repeat([0, 1], 8)
    right = np.where(labels == 1, 0.9, 0.1)
    one_wrong = right.copy()
    one_wrong[0] = 0.8
    assert images_binomial_p(right, labels, 0.95) == 1.0
    assert images_binomial_p(one_wrong, labels, 0.95) == pytest.approx(1 - 0.95**16)
    # 0.5 is not above Keras' threshold: every image called a cat, 8 of 16 right.
    coin = np.full(16, 0.5)
    assert images_binomial_p(coin, labels, 0.95) == pytest.approx(3.5e-7, rel=0.05)


def test_the_gradcam_view_scores_its_chain_against_the_models_accuracy(tiny):
    """The chain's probabilities are the model's own: images labelled as the model
    classifies them are all right; the same images with the labels swapped, all wrong."""
    case = get("ch05.dogs.views").case("mobilenet_finetune", "quick")
    images = pixels(6)
    predicted = tiny.predict(images.astype("uint8"), verbose=0)[:, 0]
    own = (predicted > 0.5).astype(int)
    agreeing, _ = _gradcam_view(case, 0, None, chain(tiny), images, own, 0.95, predicted)
    swapped, _ = _gradcam_view(case, 0, None, chain(tiny), images, 1 - own, 0.95, predicted)
    assert agreeing["gradcam_images_binomial_p"] == 1.0
    assert swapped["gradcam_images_binomial_p"] == pytest.approx(0.05**6)
    assert agreeing["gradcam_model_gap"] < 1e-5


def test_a_gradcam_chain_that_is_not_the_model_misses_the_gap_bar(tiny):
    """Grad-CAM's chain without the model's 1/255 rescaling explains another model: its
    probabilities leave the model's, and the judge reports the bar missed."""
    from dlwp_suite.experiments.ch05_views import IS_THE_MODEL

    case = get("ch05.dogs.views").case("mobilenet_finetune", "quick")
    images = pixels(6)
    predicted = tiny.predict(images.astype("uint8"), verbose=0)[:, 0]
    labels = (predicted > 0.5).astype(int)
    broken = [layer for layer in chain(tiny) if getattr(layer, "scale", None) != 1 / 255]
    assert len(broken) == len(chain(tiny)) - 1
    same, _ = _gradcam_view(case, 0, None, chain(tiny), images, labels, 0.95, predicted)
    other, _ = _gradcam_view(case, 0, None, broken, images, labels, 0.95, predicted)
    bar = IS_THE_MODEL.bar()
    assert bar.check([same["gradcam_model_gap"]]).passed
    assert not bar.check([other["gradcam_model_gap"]]).passed


def _viewer_trained_by(trainer_id: str, profile: str = "smoke"):
    """The views experiment with its scratch variant declared trained by ``trainer_id``."""
    views = get("ch05.dogs.views")
    spec = dataclasses.replace(views.profile(profile), trained_by={"scratch": trainer_id})
    return dataclasses.replace(views, profiles={**views.profiles, profile: spec})


def _one_epoch(case):
    return dataclasses.replace(case, params={**case.params, "epochs": 1})


def test_a_case_trained_by_another_looks_inside_that_cases_model(smoke_data):
    views = _viewer_trained_by("ch05.dogs.scratch[book]")
    viewer = _one_epoch(views.case("scratch", "smoke"))
    scratch = get("ch05.dogs.scratch")
    watching = protocol("what_convnets_learn").view_params
    trainer = Case(  # the viewer's training settings, as the registry requires
        scratch, "book", "smoke", {k: v for k, v in viewer.params.items() if k not in watching}, ()
    )
    kept = KeptModels({trainer.id})
    context = RunContext(kept_models=kept)
    trained, _, _ = protocol("fit_evaluate").run_keeping_model(
        trainer, smoke_data(scratch), 0, context=context
    )
    viewed = protocol("what_convnets_learn").run(viewer, smoke_data(views), 0, context=context)
    assert viewed.details["reused"] == "the model ch05.dogs.scratch[book] trained for this seed"
    assert viewed.metrics["test_accuracy"] == trained.metrics["test_accuracy"]
    assert viewed.history == trained.history
    assert viewed.timings["wall_s"] == viewed.timings["views_s"]  # training timed there
    assert "first_conv_blank_share" in viewed.metrics
    assert "first_conv_blank_share" not in trained.metrics  # the trainer's record unchanged
    assert kept.take(trainer.id, 0) is None  # taken once
    # Nothing kept (another seed, another process): the viewer trains its own model.
    alone = protocol("what_convnets_learn").run(viewer, smoke_data(views), 1, context=context)
    assert "reused" not in alone.details and alone.timings["wall_s"] > alone.timings["views_s"]
    assert alone.details["trained_own"].startswith("ch05.dogs.scratch[book] did not train first")


def test_a_kept_model_trained_on_other_files_is_refused(smoke_data):
    views = _viewer_trained_by("ch05.dogs.scratch[book]")
    viewer = views.case("scratch", "smoke")
    data = smoke_data(views)
    kept = KeptModels({"ch05.dogs.scratch[book]"})
    other = {name: "0" * 64 for name in data.file_hashes}
    kept.keep("ch05.dogs.scratch[book]", 0, TrainedModel(RunResult({}, {}), None, data, other))
    with pytest.raises(ValueError, match="trained on other data files"):
        protocol("what_convnets_learn").run(viewer, data, 0, context=RunContext(kept_models=kept))


def test_the_registry_refuses_a_trainer_that_trains_otherwise():
    from dlwp_suite.experiments import (
        EXPERIMENTS,
        _check_one_viewer_each,
        _check_trained_by,
        viewed_cases,
    )

    # The book's views look inside the augmented convnet and the fine-tuned MobileNet.
    book = get("ch05.dogs.views").profile("book").trained_by
    assert dict(book) == {
        "scratch": "ch05.dogs.scratch[augmented]",
        "mobilenet_finetune": "ch05.dogs.mobilenet[finetune]",
    }
    # What a book run's processes keep for them (the session's KeptModels); none elsewhere.
    assert viewed_cases("book") == set(book.values()) and viewed_cases("quick") == set()
    # The plain convnet trains without augmentation: not the model 5.4 looks inside.
    with pytest.raises(ValueError, match="'augmentation' differs"):
        _check_trained_by(_viewer_trained_by("ch05.dogs.scratch[book]", "book"))
    # A kept model is taken once: two cases cannot look inside the same one.
    twice = dataclasses.replace(
        _viewer_trained_by("ch05.dogs.scratch[augmented]", "book"), id="ch05.dogs.views_twice"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(EXPERIMENTS, twice.id, twice)
        with pytest.raises(ValueError, match="several cases are trained_by"):
            _check_one_viewer_each()
    # In the quick profile the views train 3 epochs, the augmented convnet 20.
    with pytest.raises(ValueError, match="'epochs' differs"):
        _check_trained_by(_viewer_trained_by("ch05.dogs.scratch[augmented]", "quick"))


def test_a_case_reuses_only_a_training_that_runs_before_it():
    """MobileNet's augmented case is its fine-tuned case's first phase (the manifest's
    trained_by), reused where the fine-tuned case ran first: the registry refuses an
    order in which pytest would run the phase first and train it twice."""
    from dlwp_suite.experiments import EXPERIMENTS, _check_trainers_run_first, trainer_of

    mobilenet = get("ch05.dogs.mobilenet")
    assert trainer_of(mobilenet.case("augmented", "book")) == "ch05.dogs.mobilenet[finetune]"
    assert trainer_of(mobilenet.case("features", "book")) is None
    assert trainer_of(mobilenet.case("finetune", "book")) is None
    book = mobilenet.profile("book")
    backwards = dataclasses.replace(
        mobilenet,
        profiles=MappingProxyType(
            {**mobilenet.profiles, "book": dataclasses.replace(book, variants=book.variants[::-1])}
        ),
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(EXPERIMENTS, mobilenet.id, backwards)
        with pytest.raises(ValueError, match="does not run before it"):
            _check_trainers_run_first()


def test_the_book_views_build_the_network_their_trainer_trains():
    """What the registry cannot see: the views' builder makes the same network, with the
    same initial weights for a seed, as the small convnet it is trained_by (150 px)."""
    from dlwp_suite.experiments import case_by_id
    from dlwp_suite.protocols.base import fresh_model

    viewer = get("ch05.dogs.views").case("scratch", "book")
    trainer = case_by_id(viewer.trained_by, "book")
    data = TaskData(np.zeros((1, 150, 150, 3), "uint8"), np.zeros(1), None, None, source="test")
    ours, theirs = fresh_model(viewer, data, 7), fresh_model(trainer, data, 7)
    assert [type(x).__name__ for x in ours.layers] == [type(x).__name__ for x in theirs.layers]
    assert all(
        np.array_equal(a, b) for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True)
    )
