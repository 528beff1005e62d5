"""Chapter 8 (2nd edition: chapter 12): the 1st edition's deep convolutional GAN.

1st edition, ``8.5-introduction-to-gans`` (cN = notebook cell): latent vectors of 32;
the generator is Dense to 16 x 16 x 128, Conv2D 256 (5), Conv2DTranspose 256 (4,
stride 2), two Conv2D 256 (5), a tanh Conv2D (7) to the image's channels, LeakyReLU
after each hidden layer: 6,264,579 parameters (c5); the discriminator is Conv2D 128 (3)
and three Conv2D 128 (4, stride 2), each with LeakyReLU, Flatten, Dropout 0.4 and a
sigmoid unit: 790,913 parameters (c7), compiled with RMSprop(lr 8e-4, clipvalue 1.0,
decay 1e-8); then ``discriminator.trainable = False`` and the combined model compiled
with RMSprop(lr 4e-4, clipvalue 1.0, decay 1e-8) (c9); 10,000 steps of batch 20 on
CIFAR-10's 5,000 frogs scaled to [0, 1] (c11). Its log, every 100 steps (100 lines),
hovers: discriminator loss median 0.6925 (ln 2 = 0.693: neither side wins; 0.657-1.508,
three lines above 0.76), adversarial loss median 0.760 (0.514-1.141). Keras 2's
``decay`` is ``lr / (1 + decay x step)``, ``InverseTimeDecay`` here (Keras 3 dropped
the argument); the generator ends in tanh (-1 to 1) while the images are in [0, 1], as
written.

Two experiments, one per dataset: ``dcgan`` on the frogs where the mirror or the Keras
cache has ``cifar-10-python.tar.gz`` (else skipped with the reason), and
``dcgan_stand_in`` on MNIST (the mirror has no CIFAR-10), the same architecture at 28 x
28 x 1, labelled STAND-IN wherever its results appear and held to the book's claims
(no collapse, samples better than noise and an untrained generator), not its numbers.

Each runs two variants: ``1e``, the book's code as written, and ``1e_frozen_copy``, the
one change Keras 3 needs (``protocols/gan.py``). On Keras 3 the book's freezing leaves
the discriminator with no trainable weights when its optimizer is built, at its first
step, so it never trains (``benchmarks/plain_gan_trainable.py``: TensorFlow and JAX;
tf.keras 2.15 trains it): a known divergence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType as Frozen

from dlwp_suite import synthetic
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.divergence import Divergence, Probe, Stack
from dlwp_suite.experiment import Experiment, Params, ProfileSpec
from dlwp_suite.models.ch08_gan import build_gan, load_digits, load_frogs
from dlwp_suite.results.calibration import Calibration
from dlwp_suite.targets import TF_221_STACK, Target

SRC = "1e 8.5 (8.5-introduction-to-gans)"
PARAMS_1E = (6_264_579, 790_913)  # 1e c5, c7 (generator, discriminator) on 32 x 32 x 3


FROZEN_IN_VAIN = Divergence(
    id="gan-frozen-discriminator",
    stack=Stack(keras=">=3.0"),
    reason="the book sets discriminator.trainable = False before the discriminator's "
    "first step; Keras 3 builds an optimizer's variables at its first step from the "
    "trainable weights then, none, so discriminator.train_on_batch never changes a weight "
    "(Keras 2 fixed the trainable set at compile)",
    evidence="benchmarks/plain_gan_trainable.py (2026-11-28): the discriminator's step "
    "moves its weights on tf.keras 2.15 and moves nothing on Keras 3.15.1 with TensorFlow "
    "and with JAX; this experiment's 1e variant records a weight change of 0 on Keras 3",
    probe=Probe(
        "metric:discriminator_weight_change",
        "at_most",
        0.0,
        "the discriminator's own steps left every one of its weights where it was",
    ),
)


def discriminator_trains(divergence: Divergence | None) -> Target:
    """The discriminator's own steps change its weights, on every seed."""
    return Target(
        "discriminator_weight_change",
        value=0.01,
        comparison="at_least",
        over="worst",
        source=f"{SRC} c11: 'Train the discriminator' (discriminator.train_on_batch)",
        basis="any training moves the weights by far more than 1 % of their norm; a "
        "discriminator that never trains moves them by exactly 0",
        divergence=divergence,
    )


def no_collapse(
    gap: float,
    loss: float,
    basis: str,
    calibrations: tuple[Calibration | None, Calibration | None] = (None, None),
) -> tuple[Target, Target]:
    """Neither side wins: the discriminator's median loss stays within ``gap`` of ln 2
    and the adversarial loss's median below ``loss`` (each with its ``calibrations``)."""
    source = (
        f"{SRC} c11 log (100 lines): discriminator loss median 0.6925 = ln 2 (0.657-1.508), "
        "adversarial median 0.760 (0.514-1.141)"
    )
    return (
        Target(
            "d_loss_ln2_gap",
            value=gap,
            comparison="at_most",
            source=source,
            basis=basis,
            calibration=calibrations[0],
        ),
        Target(
            "a_loss_median",
            value=loss,
            comparison="at_most",
            source=source,
            basis=basis,
            calibration=calibrations[1],
        ),
    )


def beats_noise(basis: str) -> Target:
    """The samples are nearer the real images than pure noise is (an untrained
    generator's are further still: beating it proves nothing)."""
    return Target(
        "frechet_distance",
        baseline="noise",
        source=f"{SRC} c13 (samples that look like the training images)",
        basis=basis,
    )


def progress(metric: str, bar: float, basis: str, calibration: Calibration | None = None) -> Target:
    """The samples' score is at least ``bar`` of the way from noise's to real images'."""
    return Target(
        metric,
        value=bar,
        comparison="at_least",
        source=f"{SRC} c13 (samples that look like the training images); issue 12: beat "
        "noise by a margin, in a trained convnet's features",
        basis=basis,
        calibration=calibration,
    )


# Quick runs of 1e_frozen_copy on the stand-in, Keras 3.15 / TF 2.21, seeds 100-113
# (results/tolerance/runs/ch08-gan-calibration.main.jsonl, 100-102; ch08-calibration-
# seeds103-107 and -seeds108-113): Fréchet distances 36.9-52.3 against noise's 168 on Keras
# 3's scorer (157 on Keras 2's: the scale is the scorer's, hence bars on progress from
# noise to held-out digits). The book's code as written (1e) on tf.keras 2.15, where its
# discriminator trains, seed 100 (ch08-gan-calibration-keras2): gap 0.139, adversarial
# 0.987, progress 0.789 and 0.338, inside every bar. The bars from seeds 100-102 and that
# seed (0.186, 1.41, 0.661, 0.199) were missed by TF's seed 2 (gap 0.195). Seeds 0-2 run
# again at 512b6ef did not repeat those numbers, and seed 2 fell to progress 0.626 and
# 0.164, below these bars too (4 std under the median; the 3-seed median passes).
SEEN = "seeds 100-113 of 1e_frozen_copy on Keras 3.15"
STAND_IN_ID = "ch08.gan.dcgan_stand_in"


def _seen(granule: float) -> Calibration:
    """Those seeds as a calibration, the bar rounded to ``granule``: 1e_frozen_copy's runs,
    for its bars and for the book's code as written, whose discriminator never trains on
    Keras 3 (what a GAN that trains reaches is the bar for both)."""
    return Calibration(
        "quick",
        tuple(range(100, 114)),
        (TF_221_STACK,),
        (
            "20261128T101819Z-01e01d",
            "ch08-calibration-seeds103-107",
            "ch08-calibration-seeds108-113",
        ),
        granule,
        cases=(f"{STAND_IN_ID}[1e_frozen_copy]",),
    )


QUICK_NO_COLLAPSE = no_collapse(
    gap=0.206,
    loss=1.44,
    basis=f"quick: median + 3 x std of {SEEN} (gap median 0.153, std 0.018; adversarial "
    "median 1.094, std 0.115): the discriminator ahead, not collapsed",
    calibrations=(_seen(0.001), _seen(0.01)),
)
QUICK_FRECHET_PROGRESS = progress(
    "frechet_progress",
    bar=0.660,
    basis=f"quick: median - 3 x std of {SEEN} (median 0.739, std 0.026; 0.679-0.774)",
    calibration=_seen(0.001),
)
QUICK_CLASS_SCORE_PROGRESS = progress(
    "class_score_progress",
    bar=0.175,
    basis=f"quick: median - 3 x std of {SEEN} (median 0.268, std 0.031; 0.215-0.325)",
    calibration=_seen(0.001),
)
QUICK_BEATS_NOISE = beats_noise(
    "no margin: the Fréchet scale is the scorer's (the margin is in frechet_progress); "
    f"{SEEN}: 36.9-52.3 against noise's 168"
)
QUICK_BARS = (
    *QUICK_NO_COLLAPSE,
    QUICK_FRECHET_PROGRESS,
    QUICK_CLASS_SCORE_PROGRESS,
    QUICK_BEATS_NOISE,
)
BOOK_NO_COLLAPSE = no_collapse(
    gap=0.07,
    loss=1.15,
    basis="provisional: the book's own log (median 0.6925; adversarial median 0.760, up to "
    "1.141); no book run with 3 seeds yet",
)
BOOK_BEATS_NOISE = beats_noise("provisional: no book run yet")
BOOK_BARS = (*BOOK_NO_COLLAPSE, BOOK_BEATS_NOISE)
STAND_IN_BOOK_NO_COLLAPSE = no_collapse(
    gap=0.206, loss=1.44, basis="provisional: the quick profile's bars; no book run yet"
)
STAND_IN_BOOK_BARS = (
    *STAND_IN_BOOK_NO_COLLAPSE,
    QUICK_FRECHET_PROGRESS,
    QUICK_CLASS_SCORE_PROGRESS,
    QUICK_BEATS_NOISE,
)


PARAMS = Frozen(
    {
        "latent_dim": 32,
        "generator_filters": 256,
        "dense_channels": 128,
        "discriminator_filters": 128,
        "decay": 1e-8,
        "batch_size": 20,
        "steps": 10_000,
        "label_noise": 0.05,
        "scorer_rows": 10_000,
        "train_rows": None,
    }
)
VARIANTS = Frozen(
    {
        "1e": Frozen({"discriminator_update": "book"}),
        "1e_frozen_copy": Frozen({"discriminator_update": "frozen_copy"}),
    }
)
# The book's networks take seconds a step on the 2-core CPU: the quick profile keeps
# the architecture at a quarter of its widths (a sixteenth of the convolutions' work).
QUICK = Frozen(
    {"generator_filters": 64, "dense_channels": 32, "discriminator_filters": 32, "steps": 200}
)
# Smoke checks the plumbing and that the discriminator trains: a sixteenth of the widths
# and 20 steps do (60 steps at a quarter took 75-130 s a case, a fifth of CI's smoke run).
SMOKE = Frozen(
    {
        "generator_filters": 16,
        "dense_channels": 8,
        "discriminator_filters": 8,
        "steps": 20,
        "scorer_rows": 600,
    }
)


def _targets(bars: tuple[Target, ...]) -> dict[str, tuple[Target, ...]]:
    """The book's code as written carries the known divergence on every target: a
    discriminator that never trains leaves the generator nothing to learn from. Its bars
    are 1e_frozen_copy's, calibrated on that case's seeds (``_seen``)."""
    return {
        "1e": tuple(
            dataclasses.replace(t, divergence=FROZEN_IN_VAIN)
            for t in (discriminator_trains(None), *bars)
        ),
        "1e_frozen_copy": (discriminator_trains(None), *bars),
    }


SMOKE_TARGETS = _targets(())


def _experiment(
    name: str,
    title: str,
    load: Callable[[DataConfig, Params], TaskData],
    write: Callable[[Path], None],
    quick_targets: dict[str, tuple[Target, ...]],
    book_targets: dict[str, tuple[Target, ...]],
) -> Experiment:
    """The book's DCGAN, both variants, on one dataset."""
    return Experiment(
        id=f"ch08.gan.{name}",
        title=title,
        source=f"{SRC} c5-c13",
        task="regression",  # images; there is no class to predict
        protocol="gan",
        load_data=load,
        write_synthetic=write,
        build_model=build_gan,
        params=PARAMS,
        variants=VARIANTS,
        profiles=Frozen(
            {
                "smoke": ProfileSpec(
                    variants=tuple(VARIANTS),
                    targets=SMOKE_TARGETS,
                    overrides=SMOKE,
                    synthetic_data=True,
                    note="generated images, a sixteenth of the widths, 20 steps: the discriminator "
                    "trains",
                ),
                "quick": ProfileSpec(
                    variants=tuple(VARIANTS),
                    targets=quick_targets,
                    overrides=QUICK,
                    note="the book's networks at a quarter of their widths, 200 steps of "
                    "batch 20 (the book: 10,000)",
                ),
                "book": ProfileSpec(variants=tuple(VARIANTS), targets=book_targets),
            }
        ),
        baselines=("noise", "untrained_generator", "gaussian_mixture", "real"),
    )


STAND_IN = _experiment(
    STAND_IN_ID.removeprefix("ch08.gan."),
    "DCGAN, MNIST digits (STAND-IN for CIFAR-10 frogs)",
    load=load_digits,
    write=synthetic.write_mnist,
    quick_targets=_targets(QUICK_BARS),
    book_targets=_targets(STAND_IN_BOOK_BARS),
)
# The frogs' quick bars would come from frogs' seeds, which no machine here has run:
# its quick profile asserts the discriminator trains and the samples beat the untrained
# generator's.
FROGS = _experiment(
    "dcgan",
    "DCGAN, CIFAR-10 frogs",
    load=load_frogs,
    write=synthetic.write_cifar10,
    quick_targets=_targets((BOOK_BEATS_NOISE,)),
    book_targets=_targets(BOOK_BARS),
)

CLAIMS = ()
EXPERIMENTS = (FROGS, STAND_IN)
