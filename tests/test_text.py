"""Chapter 6 on text: the inputs, the book's metric and what the protocol records."""

import keras
import numpy as np

from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiments import get
from dlwp_suite.experiments.ch06_text import bag_of_words, rounded_accuracy
from dlwp_suite.protocols import PROTOCOLS


def test_baselines_count_the_words_the_network_reads():
    padded = np.array([[0, 0, 5, 7, 5], [3, 3, 3, 3, 9]], dtype=np.int32)
    data = TaskData(padded, np.array([0, 1]), None, None, source="t", x_val=padded[:1])
    counted = bag_of_words({"num_words": 10}, data)
    expected = np.zeros((2, 10))
    expected[0, [5, 7]] = [2, 1]  # padding (id 0) is not a word
    expected[1, [3, 9]] = [4, 1]
    np.testing.assert_array_equal(counted.x_train.toarray(), expected)
    np.testing.assert_array_equal(counted.x_val.toarray(), expected[:1])
    assert counted.x_test is None


def test_the_sigmoid_less_convnet_is_scored_as_keras_2_scored_it():
    """Keras 2.0.8's ``acc``: round(output) == label, so 1.7 is a wrong "1"."""
    y_true = np.array([[0.0], [1.0], [1.0], [0.0]])
    y_pred = np.array([[0.4], [0.6], [1.7], [-0.6]])
    rounded = keras.metrics.MeanMetricWrapper(rounded_accuracy)
    rounded.update_state(y_true, y_pred)
    threshold = keras.metrics.BinaryAccuracy()  # Keras 3's "accuracy" here
    threshold.update_state(y_true, y_pred)
    assert float(rounded.result()) == 0.5
    assert float(threshold.result()) == 1.0


def test_sequence_models_record_tokens_per_second(smoke_data):
    experiment = get("ch06.imdb.embedding")
    case = experiment.cases("smoke")[0]
    result = PROTOCOLS["curves"].run(case, smoke_data(experiment), seed=0)
    timings, maxlen = result.timings, case.params["maxlen"]
    assert timings["train_tokens_per_s"] == timings["train_samples_per_s"] * maxlen
    assert timings["inference_tokens_per_s"] == timings["inference_samples_per_s"] * maxlen
    assert 0.5 <= result.metrics["best_val_accuracy"] <= 1
