"""Chapter 4 (2nd edition: chapter 5): overfitting and regularisation on IMDB.

The 1st edition's notebook ``4.4-overfitting-and-underfitting`` (cN = notebook cell)
trains five networks on chapter 3's multi-hot IMDB inputs (top 10,000 words) for 20
epochs, rmsprop, batch 512, validating on the 25,000 test reviews after each epoch, and
compares their validation-loss curves: a smaller and a bigger network against the
original 16-16 one, then L2 weight regularisation and dropout against it. The book
prints those curves, not a test accuracy, so what is asserted here is what it says of
them, as claims across the five models of one run.

Keras' ``val_loss`` includes the L2 penalty, so the L2 claim compares the validation
cross-entropy alone (every model also records it), as the book's own caveat requires.
"""

from __future__ import annotations

from types import MappingProxyType as Frozen

from dlwp_suite import synthetic
from dlwp_suite.claims import Claim, network
from dlwp_suite.experiment import Experiment, ProfileSpec
from dlwp_suite.models.ch03 import sparse_rows
from dlwp_suite.models.ch04 import build, column_labels, load_validated_on_test
from dlwp_suite.results.calibration import Calibration
from dlwp_suite.targets import (
    CALIBRATED_BAND,
    HELD_OUT_SEEDS,
    JAX_STACK,
    TF_221_STACK,
    TF_KERAS_2_STACK,
    Target,
)

SRC = "1e 4.4-overfitting-and-underfitting"
EXPERIMENT = "ch04.imdb.overfitting"

VARIANTS = Frozen(
    {
        "original": {},  # c5, c9
        "smaller": {"hidden": (4, 4)},  # listing 4.4, c10
        "bigger": {"hidden": (512, 512)},  # listing 4.5, c15
        "l2": {"l2": 0.001},  # listing 4.6, c25
        "dropout": {"dropout": 0.5},  # listing 4.8, c39
    }
)


# Seeds 100-104 of the book protocol on Keras 3 + TF (2026-11-27: recorded as the quick
# profile, which then was the book's protocol unchanged; its fit replays one sample order
# every epoch), Keras 3 + JAX and tf.keras 2.15 (both reshuffle; 2026-12-06).
TF_RUN = "20261127T100514Z-d36cbe"


def _calibration(variant: str, tf_keras_2: bool = False) -> Calibration:
    runs = [TF_RUN, f"calibrate-{EXPERIMENT}-{variant}-book-jax-seeds100-104"]
    stacks = [TF_221_STACK, JAX_STACK]
    if tf_keras_2:
        runs.append(f"calibrate-{EXPERIMENT}-{variant}-book-tfkeras2-seeds100-104")
        stacks.append(TF_KERAS_2_STACK)
    return Calibration("book", HELD_OUT_SEEDS, tuple(stacks), tuple(runs))


def _best_val(variant: str, book: float, band: float, calibration: Calibration) -> Target:
    """The book's best validation accuracy of ``variant`` within ``band``: 3 x the seed
    std of the book protocol on held-out seeds, the widest of the stacks calibrated."""
    return Target(
        "best_val_accuracy",
        value=book,
        tolerance=band,
        source=f"{SRC} ({variant}: best val acc in the printed log)",
        basis=CALIBRATED_BAND,
        calibration=calibration,
    )


# The book's number: the best validation accuracy of each run in the notebook's logs
# (cells as in VARIANTS); its band from ``_calibration`` (records in results/tolerance/):
# the widest stack's 3 x std. The smaller network's spread comes from seeds that start
# with dead ReLUs in its 4 units (0.8700-0.8908 on TF).
ORIGINAL_BEST_VAL = _best_val("original", 0.8905, 0.0070, _calibration("original", True))
SMALLER_BEST_VAL = _best_val("smaller", 0.8899, 0.0272, _calibration("smaller"))
BIGGER_BEST_VAL = _best_val("bigger", 0.8901, 0.0108, _calibration("bigger", True))
L2_BEST_VAL = _best_val("l2", 0.8898, 0.0050, _calibration("l2"))
DROPOUT_BEST_VAL = _best_val("dropout", 0.8917, 0.0115, _calibration("dropout"))
BOOK_TARGETS = {
    "original": (ORIGINAL_BEST_VAL,),
    "smaller": (SMALLER_BEST_VAL,),
    "bigger": (BIGGER_BEST_VAL,),
    "l2": (L2_BEST_VAL,),
    "dropout": (DROPOUT_BEST_VAL,),
}
QUICK_SANITY = Target(
    "best_val_accuracy",
    baseline="majority",
    tolerance=0.3,
    source=f"{SRC}: every network peaks near 0.89 against 0.5 for the majority class",
    basis="a sanity bar for one seed (seeds 100-104 range 0.870-0.891 over all five)",
)

OVERFITTING = Experiment(
    id=EXPERIMENT,
    title="IMDB overfitting: network size, L2 and dropout against the 16-16 network",
    source=f"{SRC}; 2e ch5.4",
    task="binary",
    protocol="curves",
    load_data=load_validated_on_test,
    write_synthetic=synthetic.write_imdb,
    build_model=build,
    encode_labels=column_labels,
    baseline_inputs=sparse_rows,
    params=Frozen(
        {
            "hidden": (16, 16),
            "l2": None,
            "dropout": None,
            "epochs": 20,
            "batch_size": 512,
            "validation_reviews": None,  # None: all 25,000 test reviews, as the book
        }
    ),
    variants=VARIANTS,
    profiles=Frozen(
        {
            "smoke": ProfileSpec(
                variants=tuple(VARIANTS),
                targets={
                    v: (
                        Target(
                            "best_val_accuracy",
                            source="smoke check",
                            baseline="majority",
                            tolerance=0.1,
                            basis="generated data has a strong signal; any learning clears it",
                        ),
                    )
                    for v in VARIANTS
                },
                overrides=Frozen({"epochs": 8, "batch_size": 32}),
                synthetic_data=True,
                note="generated data in the canonical Keras files; checks the pipeline learns",
            ),
            # The book's protocol is already short (20 epochs of 25,000 multi-hot rows):
            # quick trains it unchanged (the same weights, seed for seed) and asserts the
            # book's claims about the curves, read on 10,000 of the 25,000 validation
            # reviews: validating on all of them took a quarter of chapter 4's quick time
            # (mostly the 512-512 network's). The book profile adds its printed
            # accuracies, on all 25,000.
            "quick": ProfileSpec(
                variants=tuple(VARIANTS),
                targets={v: (QUICK_SANITY,) for v in VARIANTS},
                overrides=Frozen({"validation_reviews": 10_000}),
                note="the book's training; validation curves on the first 10,000 of its "
                "25,000 validation reviews; its claims are asserted, its printed "
                "accuracies only in the book profile",
            ),
            "book": ProfileSpec(variants=tuple(VARIANTS), targets=BOOK_TARGETS),
        }
    ),
    baselines=("majority", "naive_bayes", "logistic_regression"),
)


def _claim(
    id_: str, says: str, cells: str, metric: str, a: str, relation: str, b: str, **kw
) -> Claim:
    return Claim(
        id_,
        says=says,
        source=f"{SRC} {cells}",
        metric=metric,
        a=network(EXPERIMENT, a),
        relation=relation,  # type: ignore[arg-type]
        b=network(EXPERIMENT, b),
        **kw,
    )


CLAIMS = (
    _claim(
        "ch04-smaller-overfits-later",
        "the smaller network starts overfitting later than the original (text: after 6 "
        "epochs rather than 4; the logs' validation-loss minima are at epochs 6 and 3)",
        "c13 and the logs of c9-c10",
        "best_val_loss_epoch",
        "smaller",
        "later",
        "original",
    ),
    _claim(
        "ch04-smaller-degrades-slower",
        "once it overfits, the smaller network's performance degrades more slowly "
        "(validation loss 0.474 against 0.769 at epoch 20)",
        "c13 and the logs of c9-c10",
        "last_val_loss",
        "smaller",
        "beats",
        "original",
    ),
    _claim(
        "ch04-bigger-overfits-sooner",
        "the bigger network starts overfitting almost right away (text: after one epoch; "
        "the logs' minimum is at epoch 2, the original's at 3)",
        "c18 and the logs of c9, c15",
        "best_val_loss_epoch",
        "original",
        "later",
        "bigger",
        # The onset is read at one-epoch resolution. Held-out seeds 100-104 (results/
        # tolerance/): on Keras 3 + JAX the bigger network bottoms out before the original
        # on 4 pairs of 5 (the fifth ties): the claim holds there, though JAX takes the
        # same RMSprop step (epsilon inside the root) as Keras 3 + TF and tf.keras 2.15,
        # where 3 and 2 pairs of 5 tie and one goes the other way (inconclusive). So that
        # step is no cause of a miss, and the divergence once declared for it is withdrawn.
        basis="the onset is read at one-epoch resolution, where single seeds tie or "
        "disagree: judged in the book profile only (run it with several seeds); no margin",
        profiles=("book",),
    ),
    _claim(
        "ch04-bigger-overfits-more",
        "the bigger network overfits much more severely (validation loss 0.890 against "
        "0.769 at epoch 20)",
        "c18 and the logs of c9, c15",
        "last_val_loss",
        "original",
        "beats",
        "bigger",
    ),
    _claim(
        "ch04-bigger-noisier",
        "the bigger network's validation loss is noisier",
        "c18",
        "val_loss_roughness",
        "original",
        "beats",
        "bigger",
        basis="'noisier' read as a larger mean absolute second difference of the "
        "validation-loss curve; no margin",
    ),
    _claim(
        "ch04-l2-resists-overfitting",
        "with L2 regularisation the model is much more resistant to overfitting than the "
        "original, though both have the same number of parameters",
        "c27 and the logs of c9, c25",
        "last_val_crossentropy",
        "l2",
        "beats",
        "original",
        basis="compared on the validation cross-entropy at the last epoch: Keras' "
        "val_loss adds the L2 penalty to it (the book's caveat); no margin",
    ),
    _claim(
        "ch04-dropout-improves",
        "dropout is a clear improvement over the original network "
        "(validation loss 0.536 against 0.769 at epoch 20)",
        "c42 and the logs of c9, c39",
        "last_val_loss",
        "dropout",
        "beats",
        "original",
    ),
)

EXPERIMENTS = (OVERFITTING,)
