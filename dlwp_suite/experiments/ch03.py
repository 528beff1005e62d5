"""Chapter 3 (2nd edition: chapter 4): IMDB, Reuters and Boston housing.

Protocols and numbers follow the official notebooks (fchollet/deep-learning-with-python-
notebooks, ``first_edition/3.5``, ``3.6``, ``3.7``; cN = notebook cell) and the 2nd
edition's chapter 4.

Tolerance rule: the book's number is one training run, so a target's band is that of one
run: 3 x the single-seed standard deviation measured with the book protocol on seeds
100-104 (``--dlwp-first-seed 100 --dlwp-seeds 5``) on the development CPU (2 cores,
TF 2.21, Keras 3.15), 2026-11-26. The default seeds 0.. are therefore an independent
check, never the run the tolerance came from. Each target's ``basis`` gives the figures.
"""

from __future__ import annotations

from types import MappingProxyType as Frozen

from dlwp_suite import synthetic
from dlwp_suite.claims import Claim, baseline, network
from dlwp_suite.datasets import boston_housing, imdb, reuters
from dlwp_suite.divergence import Divergence, Probe, Stack
from dlwp_suite.experiment import Experiment, Params, ProfileSpec
from dlwp_suite.models.ch03 import (
    build_boston,
    build_imdb,
    build_reuters,
    encode_reuters_labels,
    sparse_rows,
    standardise,
)
from dlwp_suite.results.calibration import Calibration
from dlwp_suite.targets import CALIBRATED_BAND, Target, book_band, held_out

IMDB_SRC = "1e 3.5-classifying-movie-reviews"
REUTERS_SRC = "1e 3.6-classifying-newswires"
BOSTON_SRC = "1e 3.7-predicting-house-prices"
SMOKE_NOTE = "generated data in the canonical Keras files; checks the pipeline learns"


def smoke_beats(baseline: str, metric: str, margin: float) -> Target:
    """Smoke bar: beat ``baseline`` on generated data by ``margin``."""
    return Target(
        metric,
        source="smoke check",
        baseline=baseline,
        tolerance=margin,
        basis="generated data has a strong signal; any learning clears this margin",
    )


def _holdout_profiles(
    variants: Params,
    book_targets: dict[str, tuple[Target, ...]],
    quick_val_epochs: int,
    smoke_epochs: int,
) -> Params:
    """Profiles of the hold-out classifiers: quick runs the main variant, book all."""
    return Frozen(
        {
            "smoke": ProfileSpec(
                variants=tuple(variants),
                targets={v: (smoke_beats("majority", "test_accuracy", 0.1),) for v in variants},
                overrides=Frozen(
                    {
                        "validation_size": 200,
                        "val_epochs": smoke_epochs,
                        "final_epochs": smoke_epochs,
                        "batch_size": 64,
                    }
                ),
                synthetic_data=True,
                note=SMOKE_NOTE,
            ),
            "quick": ProfileSpec(
                variants=("book",),
                targets={"book": book_targets["book"]},
                overrides=Frozen({"val_epochs": quick_val_epochs}),
                note=f"validation curve cut to {quick_val_epochs} epochs; "
                "the tested model's protocol is the book's",
            ),
            "book": ProfileSpec(variants=tuple(variants), targets=book_targets),
        }
    )


# ---------------------------------------------------------------- IMDB
# Book-profile seeds 100-104 on Keras 3 + TF (2026-11-26) and Keras 3 + JAX (2026-12-06),
# records in results/tolerance/runs/: the widest stack's 3 x std is each band.
TF_BOOK_RUN = "20261126T132822Z-82e0a2"


def _held_out(experiment: str) -> Calibration:
    return held_out("book", TF_BOOK_RUN, f"calibrate-{experiment}-book-book-jax-seeds100-104")


IMDB_TEST_ACCURACY = Target(
    "test_accuracy",
    value=0.885,
    tolerance=0.011,  # TF's (0.875-0.885); JAX's 0.0095
    source=f"{IMDB_SRC} c39–41 (test acc 0.885, 4 epochs on all 25,000)",
    basis=CALIBRATED_BAND,
    calibration=_held_out("ch03.imdb.dense"),
)

# The variants the book's text explores (1e 3.5 "further experiments").
IMDB_VARIANTS = Frozen(
    {
        "book": {},
        "epochs20": {"final_epochs": 20},
        "layers1": {"hidden": (16,)},
        "layers3": {"hidden": (16, 16, 16)},
        "units32": {"hidden": (32, 32)},
        "units64": {"hidden": (64, 64)},
        "mse": {"loss": "mse"},
        "tanh": {"activation": "tanh"},
    }
)

IMDB_DENSE = Experiment(
    id="ch03.imdb.dense",
    title="IMDB sentiment, multi-hot top 10,000 words, dense network",
    source=f"{IMDB_SRC}; 2e ch4.1",
    task="binary",
    protocol="holdout",
    load_data=lambda config, params: imdb.load(config),
    write_synthetic=synthetic.write_imdb,
    build_model=build_imdb,
    baseline_inputs=sparse_rows,
    params=Frozen(
        {
            "hidden": (16, 16),
            "activation": "relu",
            "loss": "binary_crossentropy",
            "optimizer": "rmsprop",
            "batch_size": 512,
            "validation_size": 10_000,
            "val_epochs": 20,
            "final_epochs": 4,
            "final_on_full_train": True,
        }
    ),
    variants=IMDB_VARIANTS,
    profiles=_holdout_profiles(
        IMDB_VARIANTS, {"book": (IMDB_TEST_ACCURACY,)}, quick_val_epochs=6, smoke_epochs=3
    ),
    baselines=("majority", "naive_bayes", "logistic_regression"),
)


# ---------------------------------------------------------------- Reuters
# The protocol run here is the 2e/3e one (9 epochs on all 8,982 training newswires); the
# 1st edition evaluated a model trained on 7,982 and printed another number.
REUTERS_TEST_ACCURACY = Target(
    "test_accuracy",
    value=0.797,
    tolerance=book_band()[0],
    source="3e ch4 text: test accuracy 0.797 after 9 epochs on all 8,982 training "
    "newswires (the protocol run here; the notebooks print no output). Not the same "
    "protocol: 1e 3.6 c32-33 prints [0.9876, 0.7769] (loss, accuracy) after 8 epochs on "
    "7,982",
    basis=book_band()[1],
)

REUTERS_VARIANTS = Frozen(
    {
        "book": {},
        "sparse": {"labels": "sparse"},  # 1e listing 3.22: same model, integer labels
        "bottleneck4": {"hidden": (64, 4), "batch_size": 128},  # 1e listing 3.23
    }
)

REUTERS_ABOVE_RANDOM = Target(
    "test_accuracy",
    baseline="random_shuffle",
    tolerance=0.4,
    source=f"{REUTERS_SRC} (random-shuffle baseline 0.18-0.19 against test acc ~0.78)",
    basis="the book's claim 'well above random': at least two thirds of its 0.59 gap",
)

REUTERS_BOTTLENECK_VAL_ACCURACY = Target(
    "best_val_accuracy",
    value=0.71,
    tolerance=0.03,
    source=f"{REUTERS_SRC} c50–51 (val acc peaks at ~71%)",
    basis="not yet measured (no reuters.npz here): the book's 'about 71%'",
)

REUTERS_DENSE = Experiment(
    id="ch03.reuters.dense",
    title="Reuters topics (46), multi-hot top 10,000 words, dense network",
    source=f"{REUTERS_SRC}; 2e ch4.2",
    task="multiclass",
    protocol="holdout",
    load_data=lambda config, params: reuters.load(config),
    write_synthetic=synthetic.write_reuters,
    build_model=build_reuters,
    baseline_inputs=sparse_rows,
    encode_labels=encode_reuters_labels,
    params=Frozen(
        {
            "hidden": (64, 64),
            "labels": "one_hot",
            "batch_size": 512,
            "validation_size": 1_000,
            "val_epochs": 20,
            "final_epochs": 9,
            "final_on_full_train": True,
        }
    ),
    variants=REUTERS_VARIANTS,
    profiles=_holdout_profiles(
        REUTERS_VARIANTS,
        {
            "book": (REUTERS_TEST_ACCURACY, REUTERS_ABOVE_RANDOM),
            "sparse": (REUTERS_TEST_ACCURACY,),
            "bottleneck4": (REUTERS_BOTTLENECK_VAL_ACCURACY,),
        },
        quick_val_epochs=10,
        smoke_epochs=12,  # the 4-unit bottleneck needs more steps to clear the bar
    ),
    baselines=("majority", "random_shuffle", "naive_bayes", "logistic_regression"),
)


# ---------------------------------------------------------------- Boston housing
# Keras 3's TensorFlow data adapter shuffles with a seeded tf.random.shuffle inside a
# dataset it re-iterates every epoch: once keras.utils.set_random_seed has set a global
# seed (as the suite and any reproducible script do), every epoch and every fold's fit()
# sees the same order. At batch size 1 for 100 epochs that degrades SGD.
FROZEN_SHUFFLE = Divergence(
    id="tf-fixed-sample-order",
    stack=Stack(keras=">=3.0", backends=("tensorflow",)),
    reason="on Keras 3 with TensorFlow, a seeded model.fit(shuffle=True) replays one "
    "fixed sample order in every epoch and every fold (the TF data adapter re-iterates "
    "a dataset whose seeded tf.random.shuffle restarts with each iterator; Keras 2 "
    "repeated it across epochs), and batch-1 training for 100 epochs on a fixed order "
    "ends at a higher K-fold MAE.",
    evidence="benchmarks/BISECT.md, benchmarks/plain_boston_kfold.py (the book's plain "
    "code): the order probe shows one fixed order on every Keras 3 release on TF "
    "(3.0.0-3.15.1), fresh orders on tf.keras 2.15, Keras 3 + JAX and + torch. K-fold "
    "MAE, median [range]: Keras 3.15 + JAX 2.46 [2.39-2.67] (seeds 0-5); the same with "
    "one fixed order forced, the only change, 2.87 [2.67-3.14] (p = 0.002); Keras 3.15 + "
    "TF as is ~2.7 [2.63-2.96] (8 runs); TF with a fresh numpy order each epoch, the only "
    "change, 2.46 [2.30-2.75] (seeds 0-4); tf.keras 2.15 2.35 [2.32-2.58] (seeds 0-2).",
    probe=Probe(
        "epoch_order_repeats",
        "at_least",
        1.0,
        "a seeded fit(shuffle=True) replays one sample order in every epoch",
    ),
)

BOSTON_KFOLD_MAE = Target(
    "kfold_val_mae",
    value=2.38,
    tolerance=0.3247,  # JAX's (2.42-2.68, reshuffled); TF's fixed order 0.2337 (2.75-2.96)
    source=f"{BOSTON_SRC} c17–19 (folds 2.08, 2.12, 2.91, 2.43; mean 2.38)",
    basis=CALIBRATED_BAND,
    calibration=_held_out("ch03.boston.kfold"),
    divergence=FROZEN_SHUFFLE,
)
BOSTON_QUICK_KFOLD_MAE = Target(
    "kfold_val_mae",
    baseline="mean",
    tolerance=3.0,
    source=f"{BOSTON_SRC} c17-19: K-fold MAE ~2.4 k$ on ~22 k$ prices",
    basis="relaxed for 40 epochs at batch 16 (2e batch size): the "
    "network must cut the mean predictor's K-fold MAE (~6.6 k$) "
    "by over 3 k$, i.e. more than halve it",
)
BOSTON_TEST_MAE = Target(
    "test_mae",
    value=2.55,
    tolerance=0.6536,  # JAX's (2.61-3.12); TF's 0.4268 (2.54-2.86)
    source=f"{BOSTON_SRC} c30–31 (80 epochs, batch 16: test MAE 2.55)",
    basis=CALIBRATED_BAND,
    calibration=_held_out("ch03.boston.kfold"),
)

BOSTON_KFOLD = Experiment(
    id="ch03.boston.kfold",
    title="Boston housing prices, 4-fold validation, dense regression",
    source=f"{BOSTON_SRC}; 2e ch4.3",
    task="regression",
    protocol="kfold",
    load_data=lambda config, params: boston_housing.load(config),
    write_synthetic=synthetic.write_boston,
    build_model=build_boston,
    prepare=standardise,
    params=Frozen(
        {
            "hidden": (64, 64),
            "optimizer": "rmsprop",
            "k": 4,
            "epochs": 100,
            "batch_size": 1,
            "final_epochs": 80,
            "final_batch_size": 16,
        }
    ),
    # 2e listing 4.28 keeps the model but trains the folds at batch 16 (recorded only:
    # BOOK_TARGETS has no trustworthy 2e number), and the final model for 130 epochs.
    variants=Frozen({"book": {}, "2e": {"batch_size": 16, "final_epochs": 130}}),
    profiles=Frozen(
        {
            "smoke": ProfileSpec(
                variants=("book",),
                targets={"book": (smoke_beats("mean", "test_mae", 1.0),)},
                overrides=Frozen({"epochs": 20, "batch_size": 16, "final_epochs": 20}),
                synthetic_data=True,
                note=SMOKE_NOTE,
            ),
            "quick": ProfileSpec(
                variants=("book",),
                targets={"book": (BOSTON_QUICK_KFOLD_MAE, BOSTON_TEST_MAE)},
                overrides=Frozen({"epochs": 40, "batch_size": 16}),
                note="K-fold runs 40 epochs at batch 16 (2e batch size); final model as the book",
            ),
            "book": ProfileSpec(
                variants=("book", "2e"),
                targets={"book": (BOSTON_KFOLD_MAE, BOSTON_TEST_MAE)},
            ),
        }
    ),
    baselines=("mean", "linear_regression", "random_forest", "gradient_boosting"),
)

EXPERIMENTS = (IMDB_DENSE, REUTERS_DENSE, BOSTON_KFOLD)

CLAIMS = (
    Claim(
        "imdb-20-epochs-overfits",
        says="trained for 20 epochs the network overfits: the 4-epoch model tests better",
        source=f"{IMDB_SRC} c32–41 (val loss lowest at epoch ~4; 4 epochs on all data: 0.885)",
        metric="test_accuracy",
        a=network("ch03.imdb.dense", "book"),
        relation="beats",
        b=network("ch03.imdb.dense", "epochs20"),
    ),
    Claim(
        "imdb-beats-chance",
        says="a fairly naive network reaches 88 %, far above the 50 % of a coin",
        source=f"{IMDB_SRC} c39–41",
        metric="test_accuracy",
        a=network("ch03.imdb.dense", "book"),
        relation="beats",
        b=baseline("ch03.imdb.dense", "majority"),
        margin=0.1,
        basis="'far above chance' read as more than 10 points; holds on generated data too",
        profiles=("smoke", "quick", "book"),
    ),
)
