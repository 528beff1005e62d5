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

from collections.abc import Mapping
from types import MappingProxyType as Frozen

from dlwp_suite.claims import Claim, Side, network
from dlwp_suite.datasets import imdb_vectorized
from dlwp_suite.experiment import Experiment, Params, ProfileSpec
from dlwp_suite.models.ch04 import column_labels
from dlwp_suite.models.ch06_text_2e import (
    bigram_counts,
    build_bag,
    build_sequence,
    case_inputs,
    write_reviews,
)
from dlwp_suite.targets import Target, book_band, held_out, quick_bar

BAGS = "ch06.imdb2e.bag_of_words"
SEQUENCES = "ch06.imdb2e.sequences"
BAG_SRC = "2e 11.3.2 (chapter11_part01_introduction)"
SEQUENCE_SRC = "2e 11.3.3 (chapter11_part02_sequence-models)"
TRANSFORMER_SRC = "2e 11.4.3 (chapter11_part03_transformer)"


def _book_test(value: float, source: str, words: str) -> Target:
    """The test accuracy the book's text gives (``words``, quoted) where ``source`` is."""
    tolerance, basis = book_band()  # GPU-sized: no book run has 3 seeds yet
    return Target(
        "test_accuracy",
        value=value,
        tolerance=tolerance,
        source=f"{source}: {words} (the text, as readers transcribe it; the notebook prints "
        "no output)",
        basis=basis,
    )


# What the book's text says each model tests at. The notebooks print nothing (every
# cell's outputs are empty), so these come from readers' transcriptions of the text
# that agree with each other; the bag-of-words figures could not be confirmed (readers
# replaced them with their own runs), so those models are held to the book's claims
# and to a bar over chance only (BAG_BEATS_CHANCE).
ONE_HOT_BILSTM_TEST = _book_test(
    value=0.87,
    source=f"{SEQUENCE_SRC} c10-12 and text",
    words="'the model only gets to 87% test accuracy'",
)
EMBEDDING_BILSTM_TEST = _book_test(
    value=0.87,
    source=f"{SEQUENCE_SRC} c18 and text",
    words="'its test accuracy is comparable (87%)'",
)
MASKED_EMBEDDING_BILSTM_TEST = _book_test(
    value=0.88,
    source=f"{SEQUENCE_SRC} c21 and text",
    words="'This time we get to 88% test accuracy'",
)
TRANSFORMER_TEST = _book_test(
    value=0.875,
    source=f"{TRANSFORMER_SRC} c15-17 and text",
    words="'It gets to 87.5% test accuracy'",
)
POSITIONAL_TRANSFORMER_TEST = _book_test(
    value=0.883,
    source=f"{TRANSFORMER_SRC} c20-23 and text",
    words="'We get to 88.3% test accuracy'",
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


# Quick bars from held-out seeds 100-104: "beats the majority class by m", m = the
# median's lead - 3 x std on the widest stack, rounded down to 0.05 (unigrams: TF 0.3802,
# JAX 0.3837; bigrams: JAX 0.3880, TF 0.3916; tf-idf bigrams: TF 0.3479, JAX 0.3846).
def _bag_quick(variant: str, margin: float) -> Target:
    runs = (f"calibrate-{BAGS}-{variant}-quick-{b}-seeds100-104" for b in ("tensorflow", "jax"))
    return quick_bar("test_accuracy", margin, held_out("quick", *runs), QUICK_SANITY.source)


UNIGRAMS_QUICK = _bag_quick("unigrams", 0.35)
BIGRAMS_QUICK = _bag_quick("bigrams", 0.35)
TFIDF_BIGRAMS_QUICK = _bag_quick("tfidf_bigrams", 0.30)


def _profiles(
    names: tuple[str, ...],
    quick_variants: tuple[str, ...],
    quick: Params,
    quick_note: str,
    smoke: Params,
    book_targets: Mapping[str, tuple[Target, ...]],
    quick_targets: Mapping[str, tuple[Target, ...]],
) -> Frozen:
    """The three profiles of one experiment over the variants ``names``."""
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
                targets=quick_targets,
                overrides=Frozen(quick),
                note=quick_note,
            ),
            "book": ProfileSpec(variants=names, targets=book_targets),
        }
    )


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
    "write_synthetic": write_reviews,
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
            ("unigrams", "bigrams", "tfidf_bigrams"),
            ("unigrams", "bigrams", "tfidf_bigrams"),
            quick={"epochs": 3},
            quick_note="3 epochs instead of 10; the baselines fit the same 20,000 reviews",
            smoke={},
            book_targets={
                "unigrams": (BAG_BEATS_CHANCE,),
                "bigrams": (BAG_BEATS_CHANCE,),
                "tfidf_bigrams": (BAG_BEATS_CHANCE,),
            },
            quick_targets={
                "unigrams": (UNIGRAMS_QUICK,),
                "bigrams": (BIGRAMS_QUICK,),
                "tfidf_bigrams": (TFIDF_BIGRAMS_QUICK,),
            },
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
            book_targets={
                "one_hot_bilstm": (ONE_HOT_BILSTM_TEST,),
                "embedding_bilstm": (EMBEDDING_BILSTM_TEST,),
                "masked_embedding_bilstm": (MASKED_EMBEDDING_BILSTM_TEST,),
                "transformer": (TRANSFORMER_TEST,),
                "positional_transformer": (POSITIONAL_TRANSFORMER_TEST,),
            },
            quick_targets={},
        ),
        ensemble_variant="positional_transformer",
    ),
)


def _claim(id_: str, says: str, source: str, a: Side, relation: str, b: Side, **kw) -> Claim:
    """A claim on test accuracy of the 2nd edition's chapter 11."""
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
