"""Every declared case is complete and its model builds."""

import keras
import pytest

from dlwp_suite.experiment import PROFILES
from dlwp_suite.experiments import EXPERIMENTS, claims, get, in_chapter
from dlwp_suite.protocols import PROTOCOLS

CASES = [c for e in EXPERIMENTS.values() for p in PROFILES for c in e.cases(p)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.profile}-{c.id}")
def test_case_builds_its_model(case, smoke_data):
    """Every case of every profile builds on its experiment's smoke data."""
    if not case.experiment.profile("smoke").variants:
        pytest.skip(f"{case.experiment.id}: its weights are not generated for smoke")
    settings = [case.params]
    if "member_params" in case.params:  # a weighted ensemble builds each member network
        members = case.params["member_params"]
        settings = [
            {**case.params, **members[name]}
            for name in dict.fromkeys(case.params["members"])
            if "shallow" not in members[name]
        ]
    for params in settings:
        data = case.experiment.case_inputs(params, smoke_data(case.experiment))
        model = case.experiment.build_model(params, data)
        assert isinstance(model, keras.Model)
        if PROTOCOLS[case.experiment.protocol].trains_model:  # not a frozen feature extractor
            assert model.optimizer is not None


@pytest.mark.parametrize("experiment", EXPERIMENTS.values(), ids=lambda e: e.id)
def test_declaration_is_complete(experiment):
    assert set(experiment.profiles) == set(PROFILES)
    assert experiment.profiles["smoke"].synthetic_data
    assert set(experiment.baselines) <= PROTOCOLS[experiment.protocol].baseline_names
    book = experiment.profiles["book"]
    compared = {side.experiment for c in claims("book") for side in (c.a, c.b)}
    assert book.targets or experiment.id in compared, "the book profile must assert the book"
    for targets in book.targets.values():
        for target in targets:
            assert target.source and target.basis
            # An absolute "≈ book" target needs a band; "beats a baseline" may use 0.
            assert target.tolerance > 0 or target.comparison != "approx" or target.baseline
            if target.baseline is not None:
                assert target.baseline in experiment.baselines


def test_registry_lookups():
    assert [e.id for e in in_chapter("ch03")] == [
        "ch03.imdb.dense",
        "ch03.reuters.dense",
        "ch03.boston.kfold",
    ]
    with pytest.raises(KeyError, match="no experiment"):
        get("ch99.nothing")
    with pytest.raises(KeyError, match="no profile 'fast'"):
        get("ch03.imdb.dense").case("book", "fast")


def test_variant_overrides_and_profile_shortening():
    imdb = get("ch03.imdb.dense")
    assert imdb.case("layers3", "book").params["hidden"] == (16, 16, 16)
    assert imdb.case("book", "book").params["val_epochs"] == 20
    assert imdb.case("book", "quick").params["val_epochs"] == 6


def test_an_experiments_tests_share_a_worker_with_the_case_training_their_model():
    """Under --dist loadgroup: a view goes with the case it looks inside, a fine-tuned
    case's first phase with it, and comparisons with their ensembled case's trainer."""
    from dlwp_suite.experiments import case_by_id, first_trainer
    from dlwp_suite.xdist_groups import worker_groups

    for case_id, trainer in [
        ("ch05.dogs.views[scratch]", "ch05.dogs.scratch[augmented]"),
        ("ch05.dogs.views[mobilenet_finetune]", "ch05.dogs.mobilenet[finetune]"),
        ("ch05.dogs.mobilenet[augmented]", "ch05.dogs.mobilenet[finetune]"),
        ("ch05.dogs.scratch[book]", "ch05.dogs.scratch[book]"),
    ]:
        assert first_trainer(case_by_id(case_id, "book")).id == trainer
    groups = worker_groups("book")
    assert groups["ch05.dogs.views-scratch"] == "ch05.dogs.scratch"
    assert groups["ch05.dogs.mobilenet-augmented"] == "ch05.dogs.mobilenet"
    assert groups["ch03.imdb.dense"] == groups["ch03.imdb.dense-layers3"] == "ch03.imdb.dense"
