"""Chapter 6 on text: the inputs, the book's metric and what the protocol records."""

import keras
import numpy as np

from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiments import get
from dlwp_suite.models.ch06_text import bag_of_words, rounded_accuracy
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


def test_nb_features_weigh_words_by_their_log_count_ratio():
    from scipy import sparse

    from dlwp_suite.text_baselines import NBLogisticRegression

    # Word 0 only in positive reviews, word 1 only in negative ones, word 2 in both.
    x = sparse.csr_matrix(np.array([[3, 0, 1], [1, 0, 1], [0, 2, 1], [0, 1, 1]]))
    y = np.array([1, 1, 0, 0])
    model = NBLogisticRegression().fit(x, y)
    # Counts are binarised: p = 1 + [2, 0, 2], q = 1 + [0, 2, 2] (alpha 1).
    p, q = np.array([3, 1, 3]), np.array([1, 3, 3])
    np.testing.assert_allclose(model.ratio_, np.log((p / p.sum()) / (q / q.sum())))
    assert model.ratio_[0] > 0 > model.ratio_[1] and model.ratio_[2] == 0
    assert list(model.predict(x)) == [1, 1, 0, 0]
    assert model.predict_proba(x).shape == (4, 2)


def test_glove_rows_follow_the_tokenizers_ranks(data_config):
    """1e 6.1.3: the reviews' own word ranks; GloVe's vectors in those rows, row 0 zero."""
    from dlwp_suite import synthetic
    from dlwp_suite.datasets import glove, imdb

    synthetic.write_imdb_text(data_config.data_dir)
    _, splits = imdb.raw_texts(data_config)
    texts, labels = splits["train"]
    assert list(labels[:20]) == [0] * 20  # negative reviews first, as the notebook reads
    index = imdb.tokenizer_word_index(texts)
    assert len(index) == len({w for t in texts for w in imdb.tokenize(t)})
    vectors, stand_in = glove.locate_vectors(data_config)
    assert stand_in and vectors.vouched_by == "mirror SHA256SUMS"
    matrix, found = glove.embedding_matrix(vectors, index, num_words=6)
    assert matrix.shape == (6, 50) and found == 5 and not matrix[0].any()
    by_word = {
        line.split(" ", 1)[0]: np.array(line.split()[1:], dtype=np.float32)
        for line in vectors.path.read_text().splitlines()
    }
    top = min(index, key=index.get)
    np.testing.assert_array_equal(matrix[index[top]], by_word[top])


def test_missing_glove_names_both_files(data_config):
    import pytest

    from dlwp_suite.datasets import glove
    from dlwp_suite.errors import DatasetUnavailable

    with pytest.raises(DatasetUnavailable, match=r"glove\.6B\.100d\.txt.*glove\.6B\.50d"):
        glove.locate_vectors(data_config)


def test_tokenizer_follows_keras_text_to_word_sequence_and_tokenizer():
    from dlwp_suite.datasets import imdb

    # Filter characters break words; only the space splits: U+0085 and U+00A0 stay inside.
    assert imdb.tokenize("A,b\tc\x85d  e\xa0f!") == ["a", "b", "c\x85d", "e\xa0f"]
    # Ranks by count; a tie keeps the order of first appearance (b before a).
    index = imdb.tokenizer_word_index(["b a", "a c b", "d"])
    assert index == {"b": 1, "a": 2, "c": 3, "d": 4}
    # texts_to_sequences(num_words=3) keeps ranks 1 and 2 and drops the rest.
    assert imdb.tokenizer_sequences(["c b a d b"], index, num_words=3) == [[1, 2, 1]]
