"""The 2nd edition's chapter-11 group: split, vectorised inputs, checkpoint restore."""

import keras
import numpy as np
import pytest

from dlwp_suite.datasets import imdb_vectorized
from dlwp_suite.experiments import get
from dlwp_suite.experiments.ch06_text_2e import BAGS, SEQUENCES
from dlwp_suite.models.ch06_text_2e import case_inputs
from dlwp_suite.protocols import PROTOCOLS
from dlwp_suite.protocols.base import BestWeights


def test_the_split_validates_a_fifth_of_each_class_with_the_books_seed():
    labels = np.array([0] * 50 + [1] * 30)
    train, val = imdb_vectorized.split_2e(labels)
    assert len(val) == 10 + 6 and len(train) == 40 + 24
    assert set(train).isdisjoint(val) and set(train) | set(val) == set(range(80))
    again = imdb_vectorized.split_2e(labels)
    np.testing.assert_array_equal(val, again[1])
    # Shuffled once: a profile's first training reviews hold both classes.
    assert 0.2 < labels[train[:20]].mean() < 0.8


def test_loaded_reviews_carry_every_representation(smoke_data):
    experiment = get(BAGS)
    data = smoke_data(experiment)
    assert data.x_train.shape[0] == 96 and data.x_val.shape[0] == 24  # 60 a class, a fifth
    assert data.x_test.shape[0] == 120
    bags = data.extras["bags"]
    assert set(bags) == {"multi_hot_1", "multi_hot_2", "tf_idf_2"}
    assert bags["multi_hot_2"]["train"].shape[1] > bags["multi_hot_1"]["train"].shape[1]
    assert set(bags["multi_hot_1"]["train"].data) == {1.0}
    assert data.extras["data_metrics"]["samples_to_words_ratio"] == pytest.approx(96 / 35, 0.2)
    # A case reads its bag, or the first sequence_length ids with their token rate.
    bigrams = case_inputs(experiment.case("bigrams", "smoke").params, data)
    assert bigrams.x_train.shape == bags["multi_hot_2"]["train"].shape
    assert "tokens_per_sample" not in bigrams.extras
    sequences = get(SEQUENCES)
    case = sequences.case("transformer", "smoke")
    ids = case_inputs(case.params, smoke_data(sequences))
    assert ids.x_train.shape[1] == ids.extras["tokens_per_sample"] == 40
    short = case_inputs({**case.params, "train_samples": 10}, smoke_data(sequences))
    assert short.x_train.shape[0] == 10 and short.x_test.shape[0] == 120


def test_best_weights_restores_the_lowest_validation_loss_epoch():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    keep = BestWeights()
    keep.set_model(model)
    for epoch, loss in enumerate([0.5, 0.3, 0.4]):
        model.layers[0].kernel.assign([[float(epoch)]])
        keep.on_epoch_end(epoch, {"val_loss": loss})
    model.layers[0].kernel.assign([[9.0]])
    keep.restore(model)
    assert keep.best_epoch == 2 and float(model.layers[0].kernel.numpy()[0, 0]) == 1.0


def test_bag_model_tests_its_best_checkpoint_and_records_the_ratio(smoke_data):
    experiment = get(BAGS)
    case = experiment.case("tfidf_bigrams", "smoke")
    result = PROTOCOLS["fit_evaluate"].run(case, smoke_data(experiment), seed=0)
    assert 1 <= result.details["restored_epoch"] <= case.params["epochs"]
    assert result.details["restored_epoch"] == result.metrics["best_val_loss_epoch"]
    restored = int(result.details["restored_epoch"]) - 1
    assert result.metrics["val_accuracy"] == result.history["val_accuracy"][restored]
    assert result.metrics["samples_to_words_ratio"] > 0
    assert 0.5 <= result.metrics["test_accuracy"] <= 1
    assert result.test_predictions.shape == (120,)
    assert "train_tokens_per_s" not in result.timings


def test_the_ensemble_averages_the_declared_variant():
    assert get(BAGS).ensemble_case("book").variant == "bigrams"
    assert get(SEQUENCES).ensemble_case("book").variant == "positional_transformer"
    assert get(SEQUENCES).ensemble_case("quick") is None  # quick runs none of it yet
    assert get("ch03.imdb.dense").ensemble_case("book").variant == "book"
