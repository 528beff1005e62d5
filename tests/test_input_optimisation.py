"""Chapter 8's DeepDream and style transfer: the photos they start from, the bases'
input spaces, the octave loop and the Gram matrix, on generated data."""

import dataclasses

import keras
import numpy as np
import pytest

from dlwp_suite import synthetic
from dlwp_suite.compat import math_ops
from dlwp_suite.datasets.dogs_vs_cats import load_photos
from dlwp_suite.errors import DatasetUnavailable
from dlwp_suite.experiments import get
from dlwp_suite.pretrained import BASES
from dlwp_suite.protocols.deep_dream import dream
from dlwp_suite.protocols.style_transfer import gram

ENV = {"keras": "3", "backend": "tensorflow", "device": "CPU"}


def test_photos_are_verified_test_images_cats_and_dogs_in_turn(data_config):
    synthetic.write_dogs_vs_cats(data_config.data_dir)
    data = load_photos(data_config, 4, 32)
    assert data.x_test.shape == (4, 32, 32, 3) and data.y_test is None
    assert len(data.x_train) == 0
    assert "cat.1500.jpg, dog.1500.jpg, cat.1501.jpg, dog.1501.jpg" in data.source
    with pytest.raises(DatasetUnavailable, match="verified photos"):
        load_photos(data_config, 1000, 32)


@pytest.mark.parametrize("name", ["mobilenet", "vgg19", "inception_v3"])
def test_input_space_round_trip(name):
    pixels = np.random.default_rng(0).uniform(0, 255, (2, 5, 5, 3)).astype("float32")
    base = BASES[name]
    np.testing.assert_allclose(base.to_pixels(base.to_input(pixels)), pixels, atol=1e-3)


def test_caffe_input_matches_keras_preprocessing():
    pixels = np.random.default_rng(1).uniform(0, 255, (1, 4, 4, 3)).astype("float32")
    expected = keras.applications.vgg19.preprocess_input(pixels.copy())
    np.testing.assert_allclose(BASES["vgg19"].to_input(pixels), expected, rtol=1e-5)


def test_octaves_grow_and_stop_at_the_loss_cap():
    seen = []

    def climb(x):  # the loss is the mean level: each step raises it by 0.5
        seen.append(x.shape[1:3])
        return float(x.mean()), np.ones_like(x)

    params = {"octaves": 3, "octave_scale": 1.4, "iterations": 4, "step": 0.5, "max_loss": 1e9}
    image, losses, capped = dream(np.zeros((28, 28, 3)), climb, params)
    assert image.shape == (28, 28, 3)
    assert [shape for shape in dict.fromkeys(seen)] == [(14, 14), (20, 20), (28, 28)]
    assert all(np.allclose(np.diff(curve), 0.5) for curve in losses)  # 4 steps, 5 values
    assert [len(curve) for curve in losses] == [5, 5, 5] and capped == [False] * 3
    _, losses, capped = dream(np.zeros((28, 28, 3)), climb, {**params, "max_loss": 0.7})
    assert capped[0] and losses[0][-1] > 0.7 and len(losses[0]) == 3

    def climb_peak(x):  # the loss is the highest level, which resizing keeps
        return float(x.max()), np.ones_like(x)

    # A stand-in's cap is its own first loss times the book's headroom, for every octave.
    relative = {**params, "max_loss": None, "max_loss_over_first": 2.0}
    _, losses, capped = dream(np.ones((28, 28, 3)), climb_peak, relative)
    assert losses[0] == pytest.approx([1.0, 1.5, 2.0, 2.5]) and capped == [True] * 3
    assert [len(curve) for curve in losses[1:]] == [1, 1]


def test_a_stand_in_dreams_under_the_books_headroom_not_its_cap():
    """max_loss 10 is InceptionV3's scale (the book's first loss 0.67): MobileNet starts
    near 10 and would stop at once, so the stand-in stops past 14.9 times its first loss."""
    book, stand_in = get("ch08.dream.inception_v3"), get("ch08.dream.mobilenet")
    assert (book.params["max_loss"], book.params.get("max_loss_over_first")) == (10.0, None)
    assert stand_in.params["max_loss"] is None
    assert stand_in.params["max_loss_over_first"] == pytest.approx(10.0 / 0.671784)


def test_gram_matrix():
    features = np.random.default_rng(2).normal(size=(3, 4, 5)).astype("float32")
    flat = features.reshape(-1, 5)
    np.testing.assert_allclose(np.asarray(gram(features, math_ops())), flat.T @ flat, rtol=1e-5)


def test_stand_ins_are_labelled_and_book_networks_have_no_smoke_case():
    for experiment_id in ("ch08.dream.mobilenet", "ch08.style.mobilenet"):
        assert get(experiment_id).params["stands_in_for"]
        assert get(experiment_id).profile("smoke").variants == ("book",)
    for experiment_id in ("ch08.dream.inception_v3", "ch08.style.vgg19"):
        assert get(experiment_id).params["stands_in_for"] is None
        assert get(experiment_id).profile("smoke").variants == ()


def test_stand_in_notes_reach_the_data(smoke_data):
    data = smoke_data(get("ch08.dream.mobilenet"))
    assert any("STAND-IN network" in note for note in data.notes)
    assert any("STAND-IN pictures" in note for note in data.notes)


def test_a_dream_that_takes_no_step_misses_its_rising_bar_and_the_run_goes_on(smoke_data, manifest):
    """Every octave past the cap from its start: no step to judge, so the seed records no
    rising share and the bar is missed; the runner records every seed."""
    from dlwp_suite.results.judge import judge
    from dlwp_suite.results.verdicts import Status
    from dlwp_suite.runner import run_case

    experiment = get("ch08.dream.mobilenet")
    case = experiment.case("book", "smoke")
    case = dataclasses.replace(case, params={**case.params, "max_loss": -1.0})
    written: list[dict] = []
    run_case(case, smoke_data(experiment), [0, 1], "run", ENV, {}, written.append)
    assert [r["seed"] for r in written] == [0, 1]
    assert all("dream_rising_step_share" not in r["metrics"] for r in written)
    assert all(r["metrics"]["dream_capped_octave_share"] == 1.0 for r in written)
    verdicts = [v for v in judge(written, manifest) if v.metric == "dream_rising_step_share"]
    assert [v.status for v in verdicts] == [Status.BAR_MISSED]
    assert verdicts[0].reason == "not measured on seed 0, 1"


def test_a_dream_that_descends_misses_the_bars_an_ascent_meets(smoke_data):
    """Steps against the gradient: the loss falls at each step, and the first octave ends
    below where random steps of the same size leave it."""
    from dlwp_suite.experiments.ch08_images import ASCENT_BEATS_RANDOM, DREAM_RISES
    from dlwp_suite.protocols import PROTOCOLS
    from dlwp_suite.runner import fit_baselines

    experiment = get("ch08.dream.mobilenet")
    case = experiment.case("book", "smoke")
    # A tenth of the step: at the declared one, the smoke network's small first octave
    # lets a descent overshoot its minimum and climb back (gain 1.65 against random's 1.14).
    step = case.params["step"] / 10
    case = dataclasses.replace(case, params={**case.params, "step": step})
    data = smoke_data(experiment)
    random_gain = fit_baselines(case, data, 0, ["random_steps"])["random_steps"].metrics[
        "dream_octave_gain"
    ]
    for signed, meets in ((step, True), (-step, False)):
        stepped = dataclasses.replace(case, params={**case.params, "step": signed})
        metrics = PROTOCOLS["deep_dream"].run(stepped, data, seed=0).metrics
        rises = DREAM_RISES.bar().check([metrics["dream_rising_step_share"]])
        gains = ASCENT_BEATS_RANDOM.bar().check([metrics["dream_octave_gain"]], random_gain)
        assert (rises.passed, gains.passed) == (meets, meets), (metrics, random_gain)


def test_a_style_transfer_whose_optimiser_stalls_misses_its_bar(smoke_data, monkeypatch):
    """An L-BFGS that never moves the image: no iteration lowers the loss, so the bar the
    stand-in declares (the loss falls at every iteration) is missed, where the real
    optimiser meets it."""
    import dlwp_suite.protocols.style_transfer as style_transfer
    from dlwp_suite.experiments.ch08_images import STYLE_FALLS
    from dlwp_suite.protocols import PROTOCOLS

    experiment = get("ch08.style.mobilenet")
    case = experiment.case("book", "smoke")
    assert STYLE_FALLS.metric in {t.metric for t in case.targets}
    data = smoke_data(experiment)

    def falls():
        metrics = PROTOCOLS["style_transfer"].run(case, data, seed=0).metrics
        return STYLE_FALLS.bar().check([metrics[STYLE_FALLS.metric]]).passed

    assert falls()
    monkeypatch.setattr(style_transfer, "fmin_l_bfgs_b", lambda f, x, maxfun: (x, f(x)[0], {}))
    assert not falls()
