"""Chapter 8 (2nd edition: chapter 12), generative deep learning: character-level text
generation with an LSTM (1e 8.1, ``8.1-text-generation-with-lstm``, cN = notebook cell).

The book reads ``nietzsche.txt`` lower-cased (600,893 characters, 57 distinct), cuts it
into 60-character windows every 3 characters (200,278), one-hot encodes them, and trains
LSTM(128) + Dense softmax with RMSprop(0.01) and categorical cross-entropy, batch 128,
one epoch at a time for 59 epochs (c3-c14). After each epoch it prints 400 characters
generated at temperatures 0.2, 0.5, 1.0 and 1.2 after a random window of the text.
Its printed losses: 1.990 after the first epoch, 1.395 after the 10th, at best 1.301
(the 54th), then 1.60, 4.73, 12.6 and 14.6: the run diverges (RMSprop at 0.01 is too
high a rate by then). Its samples, counted: word type/token ratios 0.325 / 0.570 / 0.818
/ 0.871 at the four temperatures (mean of epochs 5-55; ``BOOK_TARGETS.md``).

Two experiments, one per text, so no result is ever about the other: ``char_lstm``
reads the book's ``nietzsche.txt`` where the mirror or the Keras cache has it and
carries the book's losses; ``char_lstm_stand_in`` reads the shared mirror's
``paradise_lost.txt`` (465,072 characters, 40 distinct once lower-cased), labelled
STAND-IN wherever its results appear, and carries only the book's claims (diversity
rises with temperature, real words fall) and the n-gram bar. Both hold out the last
10 % of the text (the book trains on all of it), so every model is scored on unseen
text. Today's LSTM gates use ``sigmoid``; the book's Keras 2.0 defaulted to
``hard_sigmoid`` (not established to matter here).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from types import MappingProxyType as Frozen

from dlwp_suite import synthetic
from dlwp_suite.claims import Claim, network
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import char_text
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Experiment, Params, ProfileSpec
from dlwp_suite.models.ch08 import build_char_lstm
from dlwp_suite.protocols.char_generation import TEMPERATURES, temperature_tag
from dlwp_suite.results.calibration import Calibration
from dlwp_suite.targets import TF_221_STACK, Target

SRC = "1e 8.1 (8.1-text-generation-with-lstm)"
EXPERIMENT = "ch08.text.char_lstm"
STAND_IN_EXPERIMENT = "ch08.text.char_lstm_stand_in"


BOOK_LOSS_AT_10 = Target(
    "loss_epoch_10",
    value=1.3947,
    comparison="at_most",
    tolerance=0.05,
    source=f"{SRC} c14 log, as printed: loss: 1.3947 in the 10th epoch (Nietzsche)",
    basis="provisional: no book run with 3 seeds yet; 0.05 nats",
    book_number=True,  # the book's printed loss, one-sided: lower is no miss
)
BOOK_BEST_LOSS = Target(
    "best_loss",
    value=1.3014,
    comparison="at_most",
    tolerance=0.05,
    source=f"{SRC} c14 log, as printed: lowest loss: 1.3014, epoch 54 (Nietzsche)",
    basis="provisional: no book run with 3 seeds yet; 0.05 nats",
    book_number=True,  # the book's printed loss, one-sided: lower is no miss
)


def beats_ngram(margin: float, basis: str) -> Target:
    """The network's best held-out cross-entropy beats the n-gram model's by ``margin``
    nats (its best: the book's run diverges after epoch 54)."""
    return Target(
        "best_val_loss",
        baseline="char_ngram",
        tolerance=margin,
        source="issue: a character n-gram model gives the cross-entropy a network must "
        "beat (the book compares with none)",
        basis=basis,
    )


def beats_unigram(margin: float, basis: str, calibration: Calibration | None = None) -> Target:
    """The network has learned more than character frequencies."""
    return Target(
        "val_loss",
        baseline="char_unigram",
        tolerance=margin,
        source=f"{SRC}: the network learns 'the statistical structure' of the text",
        basis=basis,
        calibration=calibration,
    )


NGRAM_BEATEN = beats_ngram(margin=0.0, basis="no margin")
SMOKE_TARGETS = (
    beats_unigram(margin=0.1, basis="generated text with word-to-word structure: beat frequencies"),
)
# Seeds 100-113 of the quick profile on the stand-in, TF 2.21 (results/tolerance/runs/
# ch08-calibration.main.jsonl, 100-102; ch08-calibration-seeds103-107 and -seeds108-113):
# training loss after 2 epochs median 1.870, std 0.0115 (1.853-1.891); held-out median
# 1.816, std 0.0143 (1.798-1.850) against the unigram's 2.980. Seeds 100-102 alone had
# put the loss bar at 1.896. TF's seed 2 is not bit-reproducible here: 1.917 in one run
# (above this bar too), 1.894 in another; seeds 0 and 1 repeat to 4 decimals.
# Seeds 100-102 ran before the stand-in case had its own name (same text, same protocol).
SEEDS_100_113 = Calibration(
    "quick",
    tuple(range(100, 114)),
    (TF_221_STACK,),
    ("20261128T040142Z-d0c690", "ch08-calibration-seeds103-107", "ch08-calibration-seeds108-113"),
    0.001,
    cases=(f"{EXPERIMENT}[1e]", f"{STAND_IN_EXPERIMENT}[1e]"),
)
QUICK_LOSS = Target(
    "loss",
    value=1.870,
    comparison="at_most",
    tolerance=0.034,
    source=f"{SRC}: the loss falls (1.990 after the book's first epoch on Nietzsche; the "
    "stand-in's bound is its own)",
    basis="quick, stand-in: median + 3 x std of seeds 100-113 (median 1.870, std 0.0115)",
    calibration=SEEDS_100_113,
)
QUICK_STAND_IN_BEATS_UNIGRAM = beats_unigram(
    margin=1.1,
    basis="quick: unigram - median - 3 x std of seeds 100-113 (2.980 - 1.816 - 0.043 = 1.12)",
    calibration=dataclasses.replace(SEEDS_100_113, granule=0.05),
)
QUICK_STAND_IN_TARGETS = (QUICK_LOSS, QUICK_STAND_IN_BEATS_UNIGRAM)
# The quick profile's 2 epochs of every 6th window see as many windows (200,278) as the
# book's first epoch, after which it printed 1.9895.
QUICK_BOOK_LOSS = Target(
    "loss",
    value=1.9895,
    comparison="at_most",
    tolerance=0.05,
    source=f"{SRC} c14 log, as printed: loss: 1.9895 in the first epoch (200,278 windows)",
    basis="provisional: never run on the book's text here; 0.05 nats. The quick loss is "
    "the second epoch's mean, the book's the first's (from the start): a fair upper bound",
)
BOOK_TARGETS = (BOOK_LOSS_AT_10, BOOK_BEST_LOSS, NGRAM_BEATEN)
PARAMS = Frozen(
    {
        "maxlen": 60,
        "step": 3,
        "held_out": 0.1,
        "units": 128,
        "learning_rate": 0.01,
        "batch_size": 128,
        "epochs": 59,  # c14: `for epoch in range(1, 60)`, one epoch each
        "sample_length": 400,
        "samples": 16,  # seed windows per temperature (the book: one per epoch)
        "ngram_order": 5,
    }
)
SMOKE = ProfileSpec(
    variants=("1e",),
    targets={"1e": SMOKE_TARGETS},
    overrides=Frozen({"epochs": 2, "samples": 4, "sample_length": 60}),
    synthetic_data=True,
    note="generated text: the network beats character frequencies",
)
QUICK_OVERRIDES = Frozen({"epochs": 2, "step": 6})
QUICK_NOTE = "2 epochs on every 6th window (the book: 59 on every 3rd)"


def _text_experiment(
    id: str,
    title: str,
    load: Callable[[DataConfig, Params], TaskData],
    quick: tuple[Target, ...],
    book: tuple[Target, ...],
    note: str,
) -> Experiment:
    """The book's character LSTM on one text, with its quick and book targets."""
    return Experiment(
        id=id,
        title=title,
        source=f"{SRC} c3-c14",
        task="multiclass",
        protocol="char_generation",
        load_data=load,
        write_synthetic=synthetic.write_char_text,
        build_model=build_char_lstm,
        params=PARAMS,
        variants=Frozen({"1e": {}}),
        profiles=Frozen(
            {
                "smoke": SMOKE,
                "quick": ProfileSpec(
                    variants=("1e",),
                    targets={"1e": quick},
                    overrides=QUICK_OVERRIDES,
                    note=f"{note}{QUICK_NOTE}",
                ),
                "book": ProfileSpec(variants=("1e",), targets={"1e": book}, note=note),
            }
        ),
        baselines=("char_unigram", "char_ngram"),
    )


CHAR_LSTM = _text_experiment(
    EXPERIMENT,
    "Character-level text generation, LSTM(128), on the book's text",
    load=char_text.load_book_text,
    quick=(QUICK_BOOK_LOSS,),
    book=BOOK_TARGETS,
    note="",
)
CHAR_LSTM_STAND_IN = _text_experiment(
    STAND_IN_EXPERIMENT,
    "Character-level text generation, LSTM(128), on a STAND-IN text (Paradise Lost)",
    load=char_text.load_stand_in,
    quick=QUICK_STAND_IN_TARGETS,
    book=(NGRAM_BEATEN,),  # the book's losses are Nietzsche's
    note="STAND-IN text (Paradise Lost for Nietzsche): the book's claims, not its losses; ",
)


def _rises(experiment: str, metric: str, low: float, high: float, says: str) -> Claim:
    """``metric`` at temperature ``high`` beats it at ``low``, in the same run."""
    hot, cold = (f"{metric}_{temperature_tag(t)}" for t in (high, low))
    return Claim(
        f"{CLAIM_PREFIX[experiment]}-{metric.replace('_', '-')}-{temperature_tag(low)}-"
        f"{temperature_tag(high)}",
        says=says,
        source=f"{SRC} c13-c14 logs; BOOK_TARGETS.md",
        metric=hot,
        a=network(experiment, "1e", hot),
        relation="beats",
        b=network(experiment, "1e", cold),
        basis="each temperature's mean over the seed windows; no margin",
    )


def _falls(experiment: str, low: float, high: float) -> Claim:
    """More of the words are real at temperature ``low`` than at ``high``."""
    cold, hot = (f"known_word_share_{temperature_tag(t)}" for t in (low, high))
    return Claim(
        f"{CLAIM_PREFIX[experiment]}-known-words-{temperature_tag(low)}-{temperature_tag(high)}",
        says=f"more of the generated words are real words at T = {low} than at T = {high} "
        "(low temperatures: 'all words ... are real English words'; higher ones 'may "
        "sometimes invent completely new words')",
        source="1e 8.1.4 text after the generated samples",
        metric=cold,
        a=network(experiment, "1e", cold),
        relation="beats",
        b=network(experiment, "1e", hot),
        basis="words found in the training text, share over all seed windows; no margin",
        # More real words at T = 0.2 than at 0.5 is a claim about a trained network:
        # after the quick profile's 2 epochs the T = 0.2 samples loop on a few
        # half-learnt words ("the serve the seare"), made up as often as at 0.5 (stand-in,
        # seeds 100-102: 0.762 / 0.718 / 0.639 against 0.736 / 0.744 / 0.650).
        profiles=("book",) if low == TEMPERATURES[0] else ("quick", "book"),
    )


CLAIM_PREFIX = {EXPERIMENT: "char", STAND_IN_EXPERIMENT: "char-stand-in"}
CLAIMS = tuple(
    claim
    for experiment in CLAIM_PREFIX
    for low, high in itertools.pairwise(TEMPERATURES)
    for claim in (
        _rises(
            experiment,
            "type_token_ratio",
            low,
            high,
            f"the samples are more varied at T = {high} than at T = {low} (the book's logs: "
            "type/token ratios 0.33 / 0.57 / 0.82 / 0.87 at 0.2 / 0.5 / 1.0 / 1.2)",
        ),
        _falls(experiment, low, high),
    )
)

EXPERIMENTS = (CHAR_LSTM, CHAR_LSTM_STAND_IN)
