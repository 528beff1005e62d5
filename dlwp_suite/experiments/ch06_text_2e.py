"""Chapter 6 on text, as the 2nd edition's chapter 11 does it: IMDB from the raw reviews,
as bags of words (11.3.2) and as sequences (11.3.3: recurrent; 11.4: the Transformer).

Every model reads ``TextVectorization(max_tokens=20000)`` outputs adapted to the 20,000
training reviews (``datasets.imdb_vectorized``: the layer's rules in numpy, the same on
every backend), trains watching the 5,000 validation reviews, and is tested on the
25,000 test reviews with the weights of its lowest validation loss, as the book's
``ModelCheckpoint(save_best_only=True)`` then ``load_model`` do. The book prints test
accuracies, so that is what is asserted.

Bag rows reach TensorFlow as scipy sparse matrices into a sparse ``Input`` (Keras feeds
them as ``tf.SparseTensor``: no 20,000-column dense copy); other backends get them
dense (about 4 GB for the three splits), since JAX's sparse path (BCOO) was more than
50 times slower here.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType as Frozen

import keras

from dlwp_suite import synthetic
from dlwp_suite.claims import Claim, network
from dlwp_suite.compat import tensorflow_backend
from dlwp_suite.datasets import imdb_vectorized
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Experiment, Params, ProfileSpec
from dlwp_suite.experiments.ch04 import column_labels
from dlwp_suite.experiments.ch06_text import training_subset
from dlwp_suite.targets import Target, book_band, quick_bar
from dlwp_suite.text_models import OneHot, PositionalEmbedding, TransformerEncoder

BAGS = "ch06.imdb2e.bag_of_words"
SEQUENCES = "ch06.imdb2e.sequences"
BAG_SRC = "2e 11.3.2 (chapter11_part01_introduction)"
SEQUENCE_SRC = "2e 11.3.3 (chapter11_part02_sequence-models)"
TRANSFORMER_SRC = "2e 11.4.3 (chapter11_part03_transformer)"


def _dense_unless_tensorflow(matrix):
    """Sparse rows for TensorFlow; dense float32 for the other backends."""
    return matrix if tensorflow_backend() else matrix.toarray()


def case_inputs(params: Params, data: TaskData) -> TaskData:
    """The case's representation of the reviews: a bag (``params["bag"]``, e.g.
    ``multi_hot_2``) or the first ``sequence_length`` word ids; then the first
    ``train_samples`` training reviews where a profile asks for fewer."""
    if bag := params.get("bag"):
        rows = {s: _dense_unless_tensorflow(m) for s, m in data.extras["bags"][bag].items()}
        data = dataclasses.replace(
            data, x_train=rows["train"], x_val=rows["val"], x_test=rows["test"]
        )
    else:
        length = params["sequence_length"]
        data = dataclasses.replace(
            data,
            x_train=data.x_train[:, :length],
            x_val=data.x_val[:, :length],
            x_test=data.x_test[:, :length],
            extras={**data.extras, "tokens_per_sample": length},
        )
    return training_subset(params, data)


def bigram_counts(params: Params, data: TaskData) -> TaskData:
    """Uni- and bigram counts of the 20,000-token vocabulary, for the shallow baselines
    (TF-IDF logistic regression, NB-LR, multinomial naive Bayes)."""
    counts = data.extras["bag_counts"]
    return dataclasses.replace(
        data, x_train=counts["train"], x_val=counts["val"], x_test=counts["test"]
    )


def build_bag(params: Params, data: TaskData) -> keras.Model:
    """11.3.2's ``get_model``: Dense(16, relu), Dropout(0.5), Dense(1, sigmoid), on rows
    as wide as the vocabulary (``max_tokens`` once the texts have that many words)."""
    inputs = keras.Input(shape=(data.x_train.shape[1],), sparse=tensorflow_backend())
    x = keras.layers.Dense(params["hidden_dim"], activation="relu")(inputs)
    x = keras.layers.Dropout(0.5)(x)
    return _compiled(inputs, keras.layers.Dense(1, activation="sigmoid")(x))


def build_sequence(params: Params, data: TaskData) -> keras.Model:
    """11.3.3's bidirectional LSTMs (one-hot or embedded ids, masked or not) and 11.4.3's
    Transformer encoders (with or without positional embedding)."""
    length, tokens = params["sequence_length"], params["max_tokens"]
    inputs = keras.Input(shape=(length,), dtype="int64")
    kind, dim = params["body"], params["embed_dim"]
    if kind == "one_hot_bilstm":
        x = OneHot(tokens)(inputs)
    elif kind == "positional_transformer":
        x = PositionalEmbedding(length, tokens, dim)(inputs)
    else:
        x = keras.layers.Embedding(tokens, dim, mask_zero=params["mask_zero"])(inputs)
    if kind.endswith("bilstm"):
        x = keras.layers.Bidirectional(keras.layers.LSTM(32))(x)
    else:
        x = TransformerEncoder(dim, params["dense_dim"], params["num_heads"])(x)
        x = keras.layers.GlobalMaxPooling1D()(x)
    x = keras.layers.Dropout(0.5)(x)
    return _compiled(inputs, keras.layers.Dense(1, activation="sigmoid")(x))


def _compiled(inputs: keras.KerasTensor, outputs: keras.KerasTensor) -> keras.Model:
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


# What the book's text says each model tests at. The notebooks print nothing (every
# cell's outputs are empty), so these come from readers' transcriptions of the text
# that agree with each other; the bag-of-words figures could not be confirmed (readers
# replaced them with their own runs), so those models are held to the book's claims
# and to a bar over chance only.
BOOK = {
    (SEQUENCES, "one_hot_bilstm"): (0.87, "'the model only gets to 87% test accuracy'"),
    (SEQUENCES, "embedding_bilstm"): (0.87, "'its test accuracy is comparable (87%)'"),
    (SEQUENCES, "masked_embedding_bilstm"): (0.88, "'This time we get to 88% test accuracy'"),
    (SEQUENCES, "transformer"): (0.875, "'It gets to 87.5% test accuracy'"),
    (SEQUENCES, "positional_transformer"): (0.883, "'We get to 88.3% test accuracy'"),
}
BOOK_SOURCES = {
    "one_hot_bilstm": f"{SEQUENCE_SRC} c10-12 and text",
    "embedding_bilstm": f"{SEQUENCE_SRC} c18 and text",
    "masked_embedding_bilstm": f"{SEQUENCE_SRC} c21 and text",
    "transformer": f"{TRANSFORMER_SRC} c15-17 and text",
    "positional_transformer": f"{TRANSFORMER_SRC} c20-23 and text",
}


def _book_target(experiment: str, variant: str) -> Target:
    if (experiment, variant) not in BOOK:
        return BAG_BEATS_CHANCE
    value, words = BOOK[experiment, variant]
    tolerance, basis = book_band(None)  # GPU-sized: no book run has 3 seeds yet
    return Target(
        "test_accuracy",
        value=value,
        tolerance=tolerance,
        source=f"{BOOK_SOURCES[variant]}: {words} (the text, as readers transcribe it; the "
        "notebook prints no output)",
        basis=basis,
    )


BAG_BEATS_CHANCE = Target(
    "test_accuracy",
    baseline="majority",
    tolerance=0.35,
    source=f"{BAG_SRC} c36-48 and text: 'This gets us to a test accuracy of ...: not bad!' "
    "against the 50 % of a coin",
    basis="the text's figures could not be confirmed (the notebook prints nothing; readers "
    "substituted their own runs, 0.885-0.90), so the bar is what every version of them "
    "clears: 85 %, 35 points over chance",
)
SMOKE_TARGET = Target(
    "test_accuracy",
    baseline="majority",
    tolerance=0.1,
    source="smoke check",
    basis="generated reviews carry a strong signal; any learning clears it",
)
QUICK_SANITY = Target(
    "test_accuracy",
    baseline="majority",
    tolerance=0.2,
    source="2e 11.3-11.4: every model's test accuracy is in the high 80s (the sequence "
    "models' 87-88.3 %) against 0.5",
    basis="a sanity bar for the shortened protocol, until its seed spread is measured",
)


# Quick bars from the quick profile's own seeds 0-2 (results/runs/
# 20261127T161624Z-5f980f.main.jsonl): "beats the majority class by m", m = (median -
# 3 x std - majority) rounded down to 0.05: (m, the seeds' test accuracies).
QUICK_MEASURED = {
    (BAGS, "unigrams"): (0.35, "0.8876, 0.8864, 0.8822"),
    (BAGS, "bigrams"): (0.35, "0.8964, 0.8973, 0.8898"),
    (BAGS, "tfidf_bigrams"): (0.35, "0.8806, 0.8890, 0.8838"),
}


def _quick_target(experiment: str, variant: str) -> Target:
    if (experiment, variant) not in QUICK_MEASURED:
        return QUICK_SANITY
    return quick_bar("test_accuracy", *QUICK_MEASURED[experiment, variant], QUICK_SANITY.source)


def _profiles(
    experiment: str,
    names: tuple[str, ...],
    quick_variants: tuple[str, ...],
    quick: Params,
    quick_note: str,
    smoke: Params,
) -> Frozen:
    return Frozen(
        {
            "smoke": ProfileSpec(
                variants=names,
                targets={v: (SMOKE_TARGET,) for v in names},
                # A vocabulary of 100 (the generated reviews use about 10 words) keeps
                # the one-hot LSTM's inputs small.
                overrides=Frozen({"epochs": 4, "batch_size": 8, "max_tokens": 100, **smoke}),
                synthetic_data=True,
                note="generated reviews in the canonical archive; checks the pipeline "
                "learns (4 epochs of batch 8, a 100-word vocabulary)",
            ),
            "quick": ProfileSpec(
                variants=quick_variants,
                targets={v: (_quick_target(experiment, v),) for v in quick_variants},
                overrides=Frozen(quick),
                note=quick_note,
            ),
            "book": ProfileSpec(
                variants=names,
                targets={v: (_book_target(experiment, v),) for v in names},
            ),
        }
    )


def _write_reviews(directory) -> None:
    # 60 reviews a class and split: the validation fifth keeps 12 a class.
    synthetic.write_aclimdb(directory, per_class=60)


_COMMON = {
    "max_tokens": 20_000,
    "max_sequence_length": 600,  # the longest any case reads (the cache holds these)
    "batch_size": 32,  # text_dataset_from_directory's default
    "epochs": 10,
    "restore_best": True,
}
# What both experiments share: the data, the labels, the baselines and the ensemble's
# shallow member (the TF-IDF logistic regression, beside the declared variant).
_SHARED = {
    "task": "binary",
    "protocol": "fit_evaluate",
    "load_data": imdb_vectorized.load,
    "write_synthetic": _write_reviews,
    "encode_labels": column_labels,
    "case_inputs": case_inputs,
    "baseline_inputs": bigram_counts,
    "baselines": (
        "majority",
        "naive_bayes",
        "logistic_regression",
        "tfidf_logistic_regression",
        "nb_logistic_regression",
    ),
    "ensemble_partner": "tfidf_logistic_regression",
}

EXPERIMENTS = (
    Experiment(
        id=BAGS,
        title="IMDB from the raw reviews as bags of words: unigrams, bigrams, TF-IDF bigrams",
        source=f"{BAG_SRC} listings 11.3-11.9",
        build_model=build_bag,
        **_SHARED,
        params=Frozen({**_COMMON, "hidden_dim": 16}),
        variants=Frozen(
            {
                "unigrams": Frozen({"bag": "multi_hot_1"}),
                "bigrams": Frozen({"bag": "multi_hot_2"}),
                "tfidf_bigrams": Frozen({"bag": "tf_idf_2"}),
            }
        ),
        profiles=_profiles(
            BAGS,
            ("unigrams", "bigrams", "tfidf_bigrams"),
            ("unigrams", "bigrams", "tfidf_bigrams"),
            quick={"epochs": 3},
            quick_note="3 epochs instead of 10; the baselines fit the same 20,000 reviews",
            smoke={},
        ),
        ensemble_variant="bigrams",
    ),
    Experiment(
        id=SEQUENCES,
        title="IMDB from the raw reviews as word sequences: bidirectional LSTMs and "
        "Transformer encoders",
        source=f"{SEQUENCE_SRC} listings 11.12-11.17; {TRANSFORMER_SRC} listings 11.21-11.25",
        build_model=build_sequence,
        **_SHARED,
        params=Frozen(
            {
                **_COMMON,
                "sequence_length": 600,
                "embed_dim": 256,
                "mask_zero": False,
                "dense_dim": 32,
                "num_heads": 2,
            }
        ),
        variants=Frozen(
            {
                "one_hot_bilstm": Frozen({"body": "one_hot_bilstm"}),
                "embedding_bilstm": Frozen({"body": "embedding_bilstm"}),
                "masked_embedding_bilstm": Frozen({"body": "embedding_bilstm", "mask_zero": True}),
                "transformer": Frozen({"body": "transformer", "epochs": 20}),
                "positional_transformer": Frozen({"body": "positional_transformer", "epochs": 20}),
            }
        ),
        profiles=_profiles(
            SEQUENCES,
            (
                "one_hot_bilstm",
                "embedding_bilstm",
                "masked_embedding_bilstm",
                "transformer",
                "positional_transformer",
            ),
            # None in quick: GPU-sized here. One seed of 5,000 reviews x 3 epochs at 200
            # words took 291 s for the masked BiLSTM (test 0.802) and 783 s for the
            # positional Transformer (0.831; most of it testing on 25,000 reviews), more
            # than the 10 minutes chapters 4 and 6 have together in quick.
            (),
            quick={"sequence_length": 200, "train_samples": 5000, "epochs": 3},
            quick_note="not run: GPU-sized on the 2-core CPU (one seed of 5,000 reviews x "
            "3 epochs at 200 words: 291 s for the masked BiLSTM, 783 s for the positional "
            "Transformer); the book profile runs them on a GPU",
            smoke={"sequence_length": 40, "embed_dim": 16},
        ),
        ensemble_variant="positional_transformer",
    ),
)


def _claim(id_: str, says: str, source: str, a, relation: str, b, **kw) -> Claim:
    return Claim(
        id_,
        says=says,
        source=source,
        metric="test_accuracy",
        a=a,
        relation=relation,  # type: ignore[arg-type]
        b=b,
        **kw,
    )


CLAIMS = (
    _claim(
        "imdb2e-bigrams-beat-unigrams",
        "adding bigrams improves the bag of words ('a marked improvement'; the text's "
        "figures are unconfirmed)",
        f"{BAG_SRC} c39-41 and text",
        network(BAGS, "bigrams"),
        "beats",
        network(BAGS, "unigrams"),
        basis="the book's claim as stated; both sides read the same reviews, paired by seed",
    ),
    _claim(
        "imdb2e-tfidf-no-better-than-bigrams",
        "TF-IDF weighting 'doesn't seem to be particularly helpful in this case' against "
        "the multi-hot bigrams",
        f"{BAG_SRC} c46-48 and text",
        network(BAGS, "tfidf_bigrams"),
        "no_better",
        network(BAGS, "bigrams"),
        margin=0.01,
        basis="'not particularly helpful' read as not better by more than one point of "
        "test accuracy; provisional until the pair's seed spread is measured",
    ),
    _claim(
        "imdb2e-positional-embedding-helps",
        "word order helps the Transformer: 'a solid improvement that clearly demonstrates "
        "the value of word order information' (test acc 0.883 against 0.875)",
        f"{TRANSFORMER_SRC} c17, c23 and text",
        network(SEQUENCES, "positional_transformer"),
        "beats",
        network(SEQUENCES, "transformer"),
        basis="the book's claim as stated (a 0.8-point gap); book profile only: the quick "
        "profile does not run the order-blind Transformer",
        profiles=("book",),
    ),
    _claim(
        "imdb2e-bigrams-beat-transformer",
        "here the bag of bigrams beats the sequence models: 20,000 reviews of 233 words "
        "on average (20,000 / 233 = 86, far below 1,500; every record carries the "
        "measured samples_to_words_ratio) favour it, 'which confirms what "
        "we found in practice' (the Transformer's best: 0.883)",
        "2e 11.4.4 text (the samples-to-words rule)",
        network(BAGS, "bigrams"),
        "beats",
        network(SEQUENCES, "positional_transformer"),
        basis="the book's rule of thumb as stated, against its best sequence model; book "
        "profile only: the quick sequence models are cut to 200 words and 5,000 reviews",
        profiles=("book",),
    ),
    _claim(
        "imdb2e-bigrams-beat-bilstm",
        "... and the bag of bigrams beats the masked bidirectional LSTM (0.88)",
        "2e 11.4.4 text (the samples-to-words rule)",
        network(BAGS, "bigrams"),
        "beats",
        network(SEQUENCES, "masked_embedding_bilstm"),
        basis="as above; book profile only",
        profiles=("book",),
    ),
)
