"""The numpy TextVectorization against Keras' own layer, where TensorFlow is installed."""

import numpy as np
import pytest

from dlwp_suite.datasets import text_vectorization as tv

TEXTS = [
    "This movie was GREAT, great fun!<br /><br />I'd watch it again.",
    "Awful.  The plot... what plot?\tNo\nplot at all; awful awful.",
    "Great cast, awful script: it's a mixed bag (6/10).",
    "Café crème — ÉCLAIR and a great great film",
    "the the the movie movie plot",
]
UNSEEN = ["a great plot, never seen words zyzzyva", ""]


def test_tokens_follow_the_layers_rules():
    assert tv.tokens("It's GREAT,great!  Fun\tfilm", ngrams=2) == [
        "its",
        "greatgreat",
        "fun",
        "film",
        "its greatgreat",
        "greatgreat fun",
        "fun film",
    ]
    # ASCII-only lower case, as tf.strings.lower; non-breaking spaces do not split.
    assert tv.tokens("ÉCLAIR Café\xa0au lait") == ["Éclair", "café\xa0au", "lait"]


def test_vocabulary_ranks_by_count_then_token_descending():
    vocabulary = tv.adapt(["b a", "a c", "c"], max_tokens=3)
    assert vocabulary.tokens == ("[UNK]", "c", "a")
    assert tv.adapt(["b a"], max_tokens=4, mode="int").tokens == ("", "[UNK]", "b", "a")


def test_bag_modes_put_unknown_words_in_column_zero():
    vocabulary = tv.adapt(TEXTS, max_tokens=6, mode="tf_idf")
    counts = tv.counts_matrix(["great great zyzzyva"], vocabulary)
    great = vocabulary.index["great"]
    assert counts[0, great] == 2 and counts[0, 0] == 1
    assert tv.bag(counts, "multi_hot")[0, great] == 1
    tfidf = tv.bag(counts, "tf_idf", vocabulary.idf)
    assert tfidf[0, great] == pytest.approx(2 * vocabulary.idf[great])
    assert vocabulary.idf[0] == pytest.approx(vocabulary.idf[1:].mean())


def test_int_sequences_cut_and_pad_at_the_end():
    vocabulary = tv.adapt(TEXTS, max_tokens=50, mode="int")
    out = tv.int_sequences(["great plot zyzzyva", "the " * 10], vocabulary, 4)
    great, plot = vocabulary.index["great"], vocabulary.index["plot"]
    assert out.tolist()[0] == [great, plot, 1, 0]
    assert (out[1] == vocabulary.index["the"]).all()


@pytest.mark.parametrize(
    ("mode", "ngrams", "max_tokens"),
    [("multi_hot", 1, 12), ("multi_hot", 2, 30), ("tf_idf", 2, 30), ("int", 1, 15)],
)
def test_matches_keras_text_vectorization(mode, ngrams, max_tokens):
    pytest.importorskip("tensorflow", reason="Keras' TextVectorization needs TensorFlow")
    import keras

    layer = keras.layers.TextVectorization(
        max_tokens=max_tokens,
        ngrams=ngrams,
        output_mode=mode,
        output_sequence_length=9 if mode == "int" else None,
    )
    layer.adapt(TEXTS)
    ours = tv.adapt(TEXTS, max_tokens, ngrams, mode)
    assert tuple(layer.get_vocabulary()) == ours.tokens
    expected = np.asarray(layer(TEXTS + UNSEEN))
    if mode == "int":
        got = tv.int_sequences(TEXTS + UNSEEN, ours, 9)
    else:
        got = tv.bag(tv.counts_matrix(TEXTS + UNSEEN, ours), mode, ours.idf).toarray()
    np.testing.assert_allclose(got, expected, rtol=1e-6)
