"""The 2nd edition's Transformer language model (ch12.1): data, decoder, scoring."""

import keras
import numpy as np
import pytest

from dlwp_suite.char_ngram import CharNGram
from dlwp_suite.datasets import imdb_lm
from dlwp_suite.experiments import get
from dlwp_suite.models.ch08_lm import build_language_model
from dlwp_suite.protocols.language_model import (
    cross_entropy,
    distinct_share,
    generate_words,
    next_word_pairs,
    stream,
    target_probabilities,
)
from dlwp_suite.synthetic import write_aclimdb

TINY = {
    "max_tokens": 30,
    "sequence_length": 8,
    "embed_dim": 8,
    "dense_dim": 16,
    "num_heads": 2,
}


def _model() -> keras.Model:
    keras.utils.set_random_seed(0)
    return build_language_model(TINY, None)


IDS = np.array([[5, 6, 7, 0, 0, 0, 0, 0], [9, 8, 7, 6, 5, 4, 3, 2], [4, 0, 0, 0, 0, 0, 0, 0]])


def test_the_stream_scores_the_positions_the_loss_counts():
    rows, positions = next_word_pairs(IDS)
    codes, targets = stream(IDS)
    # Row 0: 6, 7 and the padding that ends it; row 1: seven next words; row 2: the end.
    assert IDS[rows, positions + 1].tolist() == codes[targets].tolist()
    assert codes[targets].tolist() == [6, 7, 0, 8, 7, 6, 5, 4, 3, 2, 0]
    # Each target's context in the stream is the word before it in its own row.
    assert codes[targets - 1].tolist() == IDS[rows, positions].tolist()


def test_target_probabilities_are_the_softmax_at_the_next_word():
    model = _model()
    predicted = model.predict(IDS[:, :-1], verbose=0)
    rows, positions = next_word_pairs(IDS)
    expected = predicted[rows, positions, IDS[rows, positions + 1]]
    np.testing.assert_allclose(target_probabilities(model, IDS), expected, rtol=1e-4)


def test_the_decoder_never_looks_ahead():
    model = _model()
    changed = IDS[:, :-1].copy()
    changed[:, 4:] = 3  # later words differ
    before, after = (model.predict(x, verbose=0) for x in (IDS[:, :-1], changed))
    real = IDS[:, :4] != 0  # a padded position's output is never scored
    np.testing.assert_allclose(before[:, :4][real], after[:, :4][real], rtol=1e-4, atol=1e-6)


def test_word_ngrams_score_the_same_targets():
    codes, targets = stream(IDS)
    unigram = CharNGram(1, 30).fit(codes)
    assert unigram.cross_entropy(codes, targets) == pytest.approx(
        cross_entropy(unigram.probabilities(codes, targets))
    )


def test_generation_writes_after_the_prompt_and_never_pads():
    words = generate_words(_model(), np.array([2, 3]), (0.2, 1.5), 3, 5, np.random.default_rng(0))
    assert words.shape == (2, 3, 5) and (words > 0).all()
    assert distinct_share(np.array([[1, 1, 1, 1], [1, 2, 3, 4]])) == pytest.approx(0.625)


def test_reviews_are_read_whole_and_held_out_once(data_config):
    write_aclimdb(data_config.data_dir, per_class=10)
    params = {"max_tokens": 15, "sequence_length": 12, "train_rows": None, "val_rows": None}
    data = imdb_lm.load(data_config, params)
    assert len(data.x_train) + len(data.x_val) == 40  # train and test, pos and neg
    assert len(data.x_val) == 4 and data.x_train.shape[1] == 12
    vocabulary = data.extras["vocabulary"]
    assert vocabulary[:2] == ["", "[UNK]"] and len(vocabulary) <= 15
    assert "br" not in vocabulary  # <br /> became a space
    assert imdb_lm.load(data_config, params).from_cache


def test_the_experiment_declares_the_books_model():
    experiment = get("ch08.imdb.transformer_lm")
    model = experiment.build_model(experiment.params, None)
    assert model.output_shape == (None, 99, 15_000)
    # The notebook prints no summary; counted by hand: embeddings 15,000 x 256 + 100 x
    # 256, two attentions of 2 heads of 256 (526,080 each), the 2,048 projection
    # (1,050,880), three layer norms (1,536), the softmax 256 x 15,000 + 15,000.
    assert model.count_params() == 9_825_176
