"""Chapter 6 on text (1st edition 6.1-6.4): embeddings, recurrent and 1D-convolutional
models on IMDB word sequences.

Every model reads the reviews as ``pad_sequences(load_data(num_words=10000), maxlen)``
gives them (padded and cut at the front: a review keeps its last ``maxlen`` words) and
trains with ``validation_split=0.2`` (the last 5,000 training reviews validate; nothing
is tested), as the notebooks (Keras 2.0.8) do; the book reports the validation accuracy
of the printed logs, so that is what is asserted, at its best epoch. Three experiments,
because each reads its own input: 20 words (6.1's Embedding + Flatten), 500 words in
order (6.2's SimpleRNN and LSTM, 6.4's 1D convnet) and 500 words reversed before padding
(6.3's reversed LSTM, and its bidirectional LSTM: that notebook cell trains on the
reversed reviews the cell before left in ``x_train``). What the book says of them
across models is declared as claims.

6.4's notebook ends its convnet with ``Dense(1)``, no sigmoid, under binary
cross-entropy (the notebooks' issue #124). The ``conv1d`` variant runs that code as it
ran: Keras 2.0.8 clipped the raw output for the loss (as Keras 3 does) and scored
``acc`` as ``round(output) == label``, so a confident output above 1.5 counted as wrong;
Keras 3's ``"accuracy"`` thresholds at 0.5 instead, so the variant compiles the old
metric. ``conv1d_sigmoid`` is the corrected model beside it. Under a clipped loss a
sigmoid-less model whose first outputs all fall outside (1e-7, 1 - 1e-7) gets no
gradient: seeds 0, 2 and 6 start with every validation output below 0
(``benchmarks/conv1d_dead_start.py``), and seed 0 never moves off the negative share.
The book's run started inside the band; its number is a gamble on the initialisation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType as Frozen

from dlwp_suite import synthetic
from dlwp_suite.claims import Claim, Side, network
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Experiment, Params, ProfileSpec
from dlwp_suite.models.ch04 import column_labels
from dlwp_suite.models.ch06_text import (
    bag_of_words,
    build,
    load_glove_split,
    load_split,
    training_subset,
)
from dlwp_suite.results.calibration import Calibration
from dlwp_suite.targets import CALIBRATED_BAND, Target, book_band, held_out, quick_bar

SRC = "1e 6"
EMBEDDING = "ch06.imdb.embedding"
GLOVE = "ch06.imdb.glove"
SEQUENCES = "ch06.imdb.sequences"
REVERSED = "ch06.imdb.reversed"


def _best_val(
    value: float, cells: str, band: float | None = None, calibration: Calibration | None = None
) -> Target:
    """The best validation accuracy printed in ``cells``' log, within ``band`` where
    ``calibration`` measured it on held-out seeds, or the provisional band."""
    tolerance, basis = book_band() if band is None else (band, CALIBRATED_BAND)
    return Target(
        "best_val_accuracy",
        value=value,
        tolerance=tolerance,
        source=f"1e {cells} (best val acc in the printed log)",
        basis=basis,
        calibration=calibration,
    )


# Best validation accuracy in the notebooks' printed logs, with where it is printed
# (cN: the notebook's cell index, markdown included, from 0). The book profile's bands:
# 3 x the seed std of best val accuracy on held-out seeds where the book's own protocol
# ran here (the embedding's quick profile is that protocol: its JAX seeds ran as quick);
# elsewhere not yet measured (the book protocol's recurrent models take 10-20 minutes a
# seed on the 2-core CPU).
EMBEDDING_CALIBRATION = held_out(
    "book",
    "calibrate-ch06.imdb.embedding-book-book-tensorflow-seeds100-104",
    "calibrate-ch06.imdb.embedding-book-quick-jax-seeds100-104",
)
EMBEDDING_BEST_VAL = _best_val(
    value=0.7594,
    cells="6.1-using-word-embeddings c9 (epoch 6; text: ~76 %)",
    band=0.0088,  # JAX's; TF's 0.0051
    calibration=EMBEDDING_CALIBRATION,
)
SIMPLE_RNN_BEST_VAL = _best_val(
    value=0.846, cells="6.2-understanding-recurrent-neural-networks c11 (epoch 4)"
)
LSTM_BEST_VAL = _best_val(
    value=0.8928, cells="6.2-understanding-recurrent-neural-networks c16 (epoch 8)"
)
BIDIRECTIONAL_LSTM_BEST_VAL = _best_val(
    value=0.8856, cells="6.3-advanced-usage-of-rnns c52 (epoch 4)"
)
CONV1D_BEST_VAL = _best_val(
    value=0.8382, cells="6.4-sequence-processing-with-convnets c4 (epoch 6)"
)
REVERSED_LSTM_BEST_VAL = _best_val(value=0.877, cells="6.3-advanced-usage-of-rnns c47 (epoch 3)")

# Recorded without a bar in smoke. The book's sigmoid-less convnet: on generated data its
# raw outputs start outside [0, 1] for every review, where the clipped loss has no
# gradient, and it never moves (seen: loss 8.73, the minority share, on all 8 epochs).
# The SimpleRNN learns the generated reviews on some seeds only, on every backend: seeds
# 100-107 reached best val acc 0.52-0.98 (median 0.58) on Keras 3 + JAX and 0.55-0.97
# (median 0.60) on Keras 3 + TF against the majority's 0.52, and shorter reviews (30
# words), 8-10 epochs, batches of 8 or RMSprop at 1e-3 or 1e-2 left it as split; a
# bar the held-out seeds give would sit below chance. The LSTM checks the sequence path.
SMOKE_UNBARRED = ("conv1d", "simple_rnn")
SMOKE_TARGET = Target(
    "best_val_accuracy",
    source="smoke check",
    baseline="majority",
    tolerance=0.1,
    basis="generated data has a strong signal; any learning clears it",
)
QUICK_SANITY = Target(
    "best_val_accuracy",
    baseline="majority",
    tolerance=0.2,
    source=f"{SRC}: every model of the chapter peaks between 0.76 and 0.89 against 0.5",
    basis="a sanity bar for one seed of the shortened protocol",
)
# Quick bar from held-out seeds 100-104: "beats the majority class by m", m = the
# median's lead - 3 x std on the widest stack (JAX 0.2596, TF 0.2633), rounded down.
EMBEDDING_QUICK = quick_bar(
    "best_val_accuracy",
    0.25,
    held_out(
        "quick",
        "calibrate-ch06.imdb.embedding-book-quick-tensorflow-seeds100-104",
        "calibrate-ch06.imdb.embedding-book-quick-jax-seeds100-104",
    ),
    QUICK_SANITY.source,
)


def _experiment(
    id_: str,
    title: str,
    source: str,
    params: Params,
    variants: Params,
    quick: Params,
    quick_note: str,
    book_targets: Mapping[str, tuple[Target, ...]],
    quick_targets: Mapping[str, tuple[Target, ...]],
    load: Callable[[DataConfig, Params], TaskData] = load_split,
    write: Callable[[Path], None] = synthetic.write_imdb,
    smoke: Params = Frozen({}),
    case_inputs: Callable[[Params, TaskData], TaskData] = training_subset,
    quick_runs: tuple[str, ...] | None = None,
) -> Experiment:
    """One chapter-6 text experiment; ``quick_runs`` names the variants the quick profile
    runs (default: all)."""
    quick_runs = tuple(variants) if quick_runs is None else quick_runs
    names = tuple(variants)
    quick_names = tuple(v for v in names if v in quick_runs)
    return Experiment(
        id=id_,
        title=title,
        source=source,
        task="binary",
        protocol="curves",
        load_data=load,
        write_synthetic=write,
        build_model=build,
        encode_labels=column_labels,
        case_inputs=case_inputs,
        baseline_inputs=bag_of_words,
        params=Frozen(
            {
                "num_words": 10_000,
                "reverse": False,
                "output_activation": "sigmoid",
                "embedding": "learned",
                "accuracy": "threshold",  # Keras 3's: output > 0.5
                "learning_rate": 0.001,  # RMSprop's default
                "epochs": 10,
                "batch_size": 128,
                **params,
            }
        ),
        variants=Frozen({k: Frozen(v) for k, v in variants.items()}),
        profiles=Frozen(
            {
                "smoke": ProfileSpec(
                    variants=names,
                    targets={v: (SMOKE_TARGET,) for v in names if v not in SMOKE_UNBARRED},
                    # Whole generated reviews (at most 113 ids), so the reversed ones keep
                    # their signal words; a faster step for the convnet's 1e-4.
                    overrides=Frozen(
                        {
                            "epochs": 4,
                            "batch_size": 32,
                            "maxlen": min(params["maxlen"], 120),
                            "learning_rate": 0.003,
                            **smoke,
                        }
                    ),
                    synthetic_data=True,
                    note="generated data in the canonical Keras files; checks the pipeline "
                    "learns (4 epochs of batch 32, RMSprop 3e-3)",
                ),
                "quick": ProfileSpec(
                    variants=quick_names,
                    targets=quick_targets,
                    overrides=Frozen(quick),
                    note=quick_note,
                ),
                "book": ProfileSpec(variants=names, targets=book_targets),
            }
        ),
        baselines=(
            "majority",
            "naive_bayes",
            "logistic_regression",
            "tfidf_logistic_regression",
            "nb_logistic_regression",
        ),
    )


GLOVE_BEATS_CHANCE = Target(
    "best_val_accuracy",
    baseline="majority",
    tolerance=0.02,
    source="1e 6.1-using-word-embeddings c28 (GloVe, 200 reviews: best val acc 0.5723, "
    "epoch 8; text: ~57 %)",
    basis="7 points over chance on 200 reviews in the book; with the 50-d stand-in vectors "
    "(the mirror here) only claims may be held, so the bar is 'beats chance by 2 points', "
    "whichever vectors ran",
)

EXPERIMENTS = (
    _experiment(
        GLOVE,
        "IMDB from 200 reviews: GloVe's frozen vectors against a learned embedding",
        "1e 6.1 listings 6.8-6.17",
        params={
            "maxlen": 100,
            "embedding_dim": None,  # GloVe's width for both
            "body": "flatten_dense",
            "batch_size": 32,
            "train_samples": 200,
            "validation_samples": 10_000,
            "sample_seed": 0,
        },
        variants={"pretrained": {"embedding": "glove"}, "learned": {}},
        quick={},
        quick_note="the book's protocol (it is short)",
        # The learned embedding is recorded: the book's 0.528 is chance on 200 reviews.
        book_targets={"pretrained": (GLOVE_BEATS_CHANCE,)},
        quick_targets={"pretrained": (GLOVE_BEATS_CHANCE,)},
        load=load_glove_split,
        write=synthetic.write_imdb_text,
        smoke={"train_samples": 24, "validation_samples": 16},
        case_inputs=lambda params, data: data,  # its train_samples are drawn at loading
    ),
    _experiment(
        EMBEDDING,
        "IMDB: a learned Embedding(10000, 8) + Flatten on the last 20 words",
        "1e 6.1 listings 6.5-6.7",
        params={"maxlen": 20, "embedding_dim": 8, "body": "flatten", "batch_size": 32},
        variants={"book": {}},
        quick={},
        quick_note="the book's protocol (it is short)",
        book_targets={"book": (EMBEDDING_BEST_VAL,)},
        quick_targets={"book": (EMBEDDING_QUICK,)},
    ),
    _experiment(
        SEQUENCES,
        "IMDB on 500 words: SimpleRNN, LSTM and a 1D convnet",
        "1e 6.2 listings 6.22, 6.27; 6.4 listing 6.45",
        params={"maxlen": 500, "embedding_dim": 32},
        variants={
            "simple_rnn": {"body": "simple_rnn"},
            "lstm": {"body": "lstm"},
            # As it ran: no output activation, RMSprop(lr=1e-4), 128-d embedding, and
            # Keras 2.0.8's rounding accuracy.
            "conv1d": {
                "body": "conv1d",
                "embedding_dim": 128,
                "learning_rate": 1e-4,
                "output_activation": None,
                "accuracy": "rounded",
            },
            "conv1d_sigmoid": {"body": "conv1d", "embedding_dim": 128, "learning_rate": 1e-4},
        },
        quick={},
        # None in quick: a shortened protocol that judges these models' claims in minutes
        # was not found. 4 epochs of 5,000 reviews (156 steps) leave the recurrent models
        # unconverged and their order to chance: seeds 0-2 gave LSTM 0.771-0.781 against
        # SimpleRNN 0.569-0.742 (results/runs/20261127T1331Z-text-quick.main.jsonl), a
        # later seed 0 LSTM 0.717 against SimpleRNN 0.790 (TF on this CPU is not bitwise
        # repeatable from one process to the next; 20261127T185832Z-097d53); at 100 words
        # the SimpleRNN does as well as the LSTM (0.847 against 0.845, seed 0); RMSprop
        # 1e-4 barely moves the convnets in quick (0.53-0.62 on 2 epochs of 20,000); and
        # the four cost 4 minutes a seed, 40 % of the 10 chapters 4 and 6 have in quick.
        quick_runs=(),
        quick_note="not run: 4 epochs of 5,000 reviews leave the recurrent models "
        "unconverged, and which of LSTM and SimpleRNN wins changed from run to run "
        "(LSTM 0.771-0.781 against SimpleRNN 0.569-0.742 on seeds 0-2; 0.717 against 0.790 "
        "on a later seed 0); their claims are judged in the book profile",
        book_targets={
            "simple_rnn": (SIMPLE_RNN_BEST_VAL,),
            "lstm": (LSTM_BEST_VAL,),
            "conv1d": (CONV1D_BEST_VAL,),
            # The corrected convnet has no book number: a sanity bar only.
            "conv1d_sigmoid": (QUICK_SANITY,),
        },
        quick_targets={},
    ),
    _experiment(
        REVERSED,
        "IMDB on 500 words reversed: an LSTM and a bidirectional LSTM",
        "1e 6.3 listings 6.42-6.43",
        params={"maxlen": 500, "body": "lstm", "reverse": True},
        variants={
            "lstm": {"embedding_dim": 128},
            # The notebook's cell reuses the reversed reviews (c52-53).
            "bidirectional_lstm": {"embedding_dim": 32, "body": "bidirectional_lstm"},
        },
        quick={},
        quick_note="not run: its claims need the book's protocol (4 epochs of 5,000 reviews "
        "left every LSTM still climbing, the 128-d one reading the first words more slowly; "
        "0.74-0.79 on seeds 0-2), and its 5 minutes a seed bought no claim",
        book_targets={
            "lstm": (REVERSED_LSTM_BEST_VAL,),
            "bidirectional_lstm": (BIDIRECTIONAL_LSTM_BEST_VAL,),
        },
        quick_targets={},
        quick_runs=(),
    ),
)


def _claim(
    id_: str, says: str, source: str, metric: str, a: Side, relation: str, b: Side, **kw
) -> Claim:
    """A claim of the 1st edition's chapter 6 on text."""
    return Claim(
        id_,
        says=says,
        source=f"1e {source}",
        metric=metric,
        a=a,
        relation=relation,  # type: ignore[arg-type]
        b=b,
        **kw,
    )


CLAIMS = (
    _claim(
        "imdb-glove-beats-learned-embedding",
        "with only 200 training reviews, GloVe's pretrained vectors beat an embedding "
        "learned with the task (best val acc 0.572 against 0.528)",
        "6.1-using-word-embeddings c28, c32 and text",
        "best_val_accuracy",
        network(GLOVE, "pretrained"),
        "beats",
        network(GLOVE, "learned"),
        basis="the book's claim as stated; both sides train on the same 200 reviews and "
        "are paired by seed",
    ),
    _claim(
        "imdb-lstm-beats-simple-rnn",
        "the LSTM does much better than the SimpleRNN (best val acc 0.893 against 0.846: "
        "4.7 points)",
        "6.2-understanding-recurrent-neural-networks c14, c16 and text",
        "best_val_accuracy",
        network(SEQUENCES, "lstm"),
        "beats",
        network(SEQUENCES, "simple_rnn"),
        basis="the book's claim as stated; book profile only (quick's 4 epochs of 5,000 "
        "reviews left the order of the two to chance)",
        profiles=("book",),
    ),
    _claim(
        "imdb-reversed-lstm-near-identical",
        "the LSTM on reversed sequences performs nearly identically to the chronological "
        "one (best val acc 0.877 against 0.893), unlike the reversed GRU on the weather",
        "6.3-advanced-usage-of-rnns c47-48 and text",
        "best_val_accuracy",
        network(REVERSED, "lstm"),
        "within",
        network(SEQUENCES, "lstm"),
        margin=0.03,
        basis="'nearly identical' read as within 3 points of best val accuracy: the book's "
        "own pair differs by 1.6; provisional until the seed spread of both is measured. "
        "Book profile only: in quick (4 epochs of 5,000 reviews) every LSTM is still "
        "climbing, the 128-d one reading the first words more slowly",
        profiles=("book",),
    ),
    _claim(
        "imdb-bidirectional-lstm-as-good",
        "the bidirectional LSTM performs about as well as the regular LSTM (text: "
        "'slightly better'; the logs: 0.886 against 0.893; it trained on the reversed "
        "reviews, as the notebook's cell did)",
        "6.3-advanced-usage-of-rnns c52-53 and text",
        "best_val_accuracy",
        network(REVERSED, "bidirectional_lstm"),
        "within",
        network(SEQUENCES, "lstm"),
        margin=0.02,
        basis="the logs show no real gap, so 'slightly better' is checked as within 2 "
        "points of best val accuracy. Book profile only: in quick the bidirectional LSTM "
        "(twice the weights) is still far from converged after 4 epochs of 5,000 reviews",
        profiles=("book",),
    ),
    _claim(
        "imdb-conv1d-faster-than-lstm",
        "the 1D convnet runs faster than the LSTM (the logs: 3 s against 107 s an epoch, "
        "Keras 2.0.8 without cuDNN); checked on the corrected convnet, which trains",
        "6.4-sequence-processing-with-convnets c4-5 and text",
        "train_samples_per_s",
        network(SEQUENCES, "conv1d_sigmoid"),
        "faster",
        network(SEQUENCES, "lstm"),
        margin=1.3,
        basis="the book: 'runtime is faster on both CPU and GPU (the exact increase in "
        "speed will vary greatly depending on your exact configuration)'; its logs' 35x "
        "came from Keras 2.0.8's non-cuDNN LSTM. Checked as faster than the LSTM by more "
        "than the LSTM's own seed-to-seed timing spread (quick seeds 0-2: 291-386 "
        "samples/s, 1.3x); book profile only, as the LSTM",
        profiles=("book",),
    ),
    _claim(
        "imdb-conv1d-below-lstm",
        "... at a lower accuracy than the LSTM (best val acc 0.838 against 0.893); checked "
        "on the corrected convnet (with a sigmoid): the printed one often never trains",
        "6.4-sequence-processing-with-convnets c4-5 and text",
        "best_val_accuracy",
        network(SEQUENCES, "lstm"),
        "beats",
        network(SEQUENCES, "conv1d_sigmoid"),
        basis="the book's claim as stated; book profile only, as the LSTM",
        profiles=("book",),
    ),
)
