"""Chapter 5 (2nd edition: chapter 8): MNIST, dogs vs cats, pretrained conv bases.

Protocols follow the official notebooks (fchollet/deep-learning-with-python-notebooks,
``first_edition/2.1``, ``5.1``, ``5.2``, ``5.3``; cN = notebook cell) and the 2nd
edition's chapter 8 where it departs. Augmentation is the 1e ``ImageDataGenerator`` of
Keras 2.0.8, exactly (``dlwp_suite.augmentation``; the fit-evaluate protocol streams it
at the book's 100 steps per epoch), not Keras' preprocessing layers.

Tolerance rule as in chapter 3: 3 x the single-seed standard deviation measured with
seeds 100.. where such runs exist (each target's ``basis`` says which); otherwise the
basis names the spread the book itself reports.
"""

from __future__ import annotations

from types import MappingProxyType as Frozen

from dlwp_suite import synthetic
from dlwp_suite.augmentation import BOOK_GENERATOR, BOOK_STEPS_PER_EPOCH
from dlwp_suite.claims import Claim, network
from dlwp_suite.datasets import mnist
from dlwp_suite.experiment import Experiment, ProfileSpec
from dlwp_suite.models.ch05 import (
    build_mnist,
    build_scratch,
    build_transfer,
    features_inputs,
    flat_pixels,
    load_dogs,
    load_with_weights,
    pooled_features,
    unfreeze_top_block,
)
from dlwp_suite.pretrained import BASES, ConvBase
from dlwp_suite.targets import (
    CALIBRATED_BAND,
    Target,
    book_band,
    held_out,
    quick_bar,
)

MNIST_SRC = "1e 2.1-a-first-look-at-a-neural-network / 5.1-introduction-to-convnets"
SCRATCH_SRC = "1e 5.2-using-convnets-with-small-datasets"
TRANSFER_SRC = "1e 5.3-using-a-pretrained-convnet"
SMOKE_NOTE = "generated images in the canonical layouts; checks the pipeline learns"


def beats_majority(metric: str = "test_accuracy", margin: float = 0.1) -> Target:
    """Smoke bar: beat the majority class on generated images by ``margin``."""
    return Target(
        metric,
        source="smoke check",
        baseline="majority",
        tolerance=margin,
        basis="generated images have a strong signal; any learning clears this margin",
    )


# ---------------------------------------------------------------- MNIST
def _mnist(model: str, hidden: int, epochs: int, batch: int, book: Target, cell: str) -> Experiment:
    """One MNIST network of the book: its Dense layer's units, epochs, batch and number."""
    return Experiment(
        # Both networks read the same digits: the convnet's baselines are the Dense one's.
        baselines_of=None if model == "dense" else "ch05.mnist.dense",
        id=f"ch05.mnist.{model}",
        title=f"MNIST digits, {'small convnet' if model == 'convnet' else 'Dense 512'}",
        source=f"{MNIST_SRC} {cell}",
        task="multiclass",
        protocol="fit_evaluate",
        load_data=lambda config, params: mnist.load(config),
        write_synthetic=synthetic.write_mnist,
        build_model=build_mnist,
        baseline_inputs=flat_pixels,
        params=Frozen(
            {
                "model": model,
                "hidden": hidden,
                "epochs": epochs,
                "batch_size": batch,
                "validation_size": 10_000,  # baselines' held-out slice to pick a partner
                "baseline_train_size": None,
            }
        ),
        variants=Frozen({"book": {}}),
        profiles=Frozen(
            {
                "smoke": ProfileSpec(
                    variants=("book",),
                    targets={"book": (beats_majority(),)},
                    overrides=Frozen(
                        {"epochs": 3, "validation_size": 100, "baseline_train_size": None}
                    ),
                    synthetic_data=True,
                    note=SMOKE_NOTE,
                ),
                "quick": ProfileSpec(
                    variants=("book",),
                    targets={"book": (book,)},
                    # The network runs the book's protocol; the pixel baselines fit on
                    # the first 10,000 digits (a random forest on 60,000 takes minutes).
                    overrides=Frozen({"baseline_train_size": 10_000}),
                    note="baselines fit on 10,000 of the 60,000 training digits",
                ),
                "book": ProfileSpec(variants=("book",), targets={"book": (book,)}),
            }
        ),
        baselines=("majority", "logistic_regression", "random_forest"),
    )


# Book-profile seeds 100-104 on Keras 3 + TF (2026-11-26; its fit replays one sample
# order, which hides part of the spread) and Keras 3 + JAX (reshuffles); records in
# results/tolerance/runs/: the widest stack's 3 x std is each band.
TF_BOOK_RUN = "20261126T162252Z-f1bbc6"
DENSE_ID = "ch05.mnist.dense"
MNIST_DENSE_TEST_ACCURACY = Target(
    "test_accuracy",
    value=0.978,
    tolerance=0.006,  # TF's (0.9759-0.9810); JAX's 0.0033
    source="1e 2.1 c24–25 (test acc 0.978 after 5 epochs, batch 128)",
    basis=CALIBRATED_BAND,
    calibration=held_out(
        "book", TF_BOOK_RUN, "calibrate-ch05.mnist.dense-book-book-jax-seeds100-104"
    ),
)
MNIST_CONVNET_TEST_ACCURACY = Target(
    "test_accuracy",
    value=0.991,
    tolerance=0.0037,  # JAX's (0.9903-0.9931); TF's 0.0025
    source="1e 5.1 c14–15 (test acc 0.991; the text says 99.3 %); 2e/3e 0.991",
    basis=CALIBRATED_BAND,
    calibration=held_out("book", TF_BOOK_RUN, "mnist-convnet-calibration-jax"),
)
MNIST_DENSE = _mnist(
    model="dense",
    hidden=512,
    epochs=5,
    batch=128,
    book=MNIST_DENSE_TEST_ACCURACY,
    cell="listing 2.3",
)
MNIST_CONVNET = _mnist(
    model="convnet",
    hidden=64,
    epochs=5,
    batch=64,
    book=MNIST_CONVNET_TEST_ACCURACY,
    cell="listing 5.1",
)


# ---------------------------------------------------------------- dogs vs cats
# 1e listings 5.11 and 5.20: rotation 40°, shifts, shear and zoom 0.2, horizontal flip.
BOOK_AUGMENTATION = BOOK_GENERATOR

SCRATCH_VAL = Target(
    "best_val_accuracy",
    value=0.71,
    tolerance=0.03,
    source=f"{SCRATCH_SRC} c26 (val acc 0.70–0.72 at its plateau, 30 epochs)",
    basis="provisional: the book's own 0.70–0.72 band widened by one point each side "
    "(to be replaced by 3 x the seed std from seeds 100..)",
)
AUGMENTED_VAL = Target(
    "best_val_accuracy",
    value=0.846,
    tolerance=book_band()[0],
    source=f"{SCRATCH_SRC} c39 log: best val_acc 0.846 in 100 epochs (last 0.8439); the "
    "text reads the curve as '82 %'. (2e's 0.835 is a test accuracy: another metric)",
    basis=book_band()[1],
)
SCRATCH_LEARNS = quick_bar(
    "best_val_accuracy",
    0.10,
    held_out(
        "quick",
        "calibrate-ch05.dogs.scratch-book-quick-tensorflow-seeds100-104",
        "calibrate-ch05.dogs.scratch-book-quick-jax-seeds100-104",
    ),
    f"{SCRATCH_SRC} c26: ~0.70-0.72 against 0.5 for a coin",
)
AUGMENTATION_HELPS = quick_bar(
    "best_val_accuracy",
    0.10,  # JAX's 0.1212 (TF's 0.1259), rounded down
    held_out(
        "quick",
        "calibrate-ch05.dogs.scratch-augmented-quick-tensorflow-seeds100-104",
        "calibrate-ch05.dogs.scratch-augmented-quick-jax-seeds100-104",
    ),
    f"{SCRATCH_SRC}: 'we get to 82 %', against 50 % for a coin",
)

SCRATCH = Experiment(
    id="ch05.dogs.scratch",
    title="Dogs vs cats, 2,000 training images, convnet trained from scratch",
    source=f"{SCRATCH_SRC} listings 5.5–5.14; 2e ch8.2",
    task="binary",
    protocol="fit_evaluate",
    load_data=load_dogs,
    write_synthetic=synthetic.write_dogs_vs_cats,
    build_model=build_scratch,
    baseline_inputs=flat_pixels,
    params=Frozen(
        {
            "image_size": 150,
            "epochs": 30,
            "batch_size": 20,
            "learning_rate": 1e-4,
            "augmentation": None,
            "steps_per_epoch": None,  # None: one pass over the training images
            "dropout": 0.0,
            "baseline_train_size": None,
        }
    ),
    variants=Frozen(
        {
            "book": {},
            # 1e listings 5.11-5.14: augmentation, dropout 0.5, 100 epochs of 100 batches
            # of 32 (3,200 augmented images an epoch).
            "augmented": {
                "augmentation": BOOK_AUGMENTATION,
                "dropout": 0.5,
                "epochs": 100,
                "batch_size": 32,
                "steps_per_epoch": BOOK_STEPS_PER_EPOCH,
            },
        }
    ),
    profiles=Frozen(
        {
            "smoke": ProfileSpec(
                variants=("book", "augmented"),
                targets={
                    "book": (beats_majority("best_val_accuracy"),),
                    "augmented": (beats_majority("best_val_accuracy", 0.05),),
                },
                overrides=Frozen(
                    {"image_size": 48, "epochs": 8, "learning_rate": 1e-3, "steps_per_epoch": None}
                ),
                synthetic_data=True,
                note=SMOKE_NOTE,
            ),
            "quick": ProfileSpec(
                variants=("book", "augmented"),
                targets={
                    "book": (SCRATCH_LEARNS,),
                    "augmented": (AUGMENTATION_HELPS,),
                },
                # Rebalanced for minutes (96 px and 40 augmented epochs of 100 batches
                # took 35 minutes a seed): both variants still climb when they stop.
                overrides=Frozen({"image_size": 64, "epochs": 8}),
                variant_overrides=Frozen(
                    {"augmented": Frozen({"epochs": 20, "steps_per_epoch": 50})}
                ),
                note="64 px instead of 150 px; 8 epochs instead of 30 (augmented: 20 "
                "epochs of 50 batches of 32, 32,000 images, instead of 100 of 100)",
            ),
            "book": ProfileSpec(
                variants=("book", "augmented"),
                targets={"book": (SCRATCH_VAL,), "augmented": (AUGMENTED_VAL,)},
            ),
        }
    ),
    baselines=("majority", "logistic_regression"),
)


# ---------------------------------------------------------------- pretrained bases
TRANSFER_VARIANTS = Frozen(
    {
        # 1e listings 5.17-5.18: features computed once, Dense 256 + dropout on top.
        "features": {"method": "features"},
        # 1e listings 5.20-5.21: the frozen base inside the model, augmented inputs,
        # 100 steps of 20 an epoch.
        "augmented": {
            "method": "end_to_end",
            "augmentation": BOOK_AUGMENTATION,
            "steps_per_epoch": BOOK_STEPS_PER_EPOCH,
        },
        # 1e listings 5.22-5.23: then unfreeze the top block and train on, slowly.
        "finetune": {
            "method": "end_to_end",
            "augmentation": BOOK_AUGMENTATION,
            "steps_per_epoch": BOOK_STEPS_PER_EPOCH,
            "finetune": True,
        },
    }
)

FEATURES_VAL = Target(
    "best_val_accuracy",
    value=0.90,
    tolerance=0.02,
    source=f"{TRANSFER_SRC} c12 (VGG16 features: val acc ≈ 0.90)",
    basis="provisional: the book's '~90 %' read as 0.88-0.92",
)
AUGMENTED_TRANSFER_VAL = Target(
    "best_val_accuracy",
    value=0.979,
    tolerance=book_band()[0],
    source=f"{TRANSFER_SRC} c24 log: best val_acc 0.979 in 30 epochs (last 0.951); the "
    "text reads the curve as 'about 96 %'",
    basis=book_band()[1],
)
FINETUNE_TEST = Target(
    "test_accuracy",
    value=0.968,
    tolerance=0.015,
    source=f"{TRANSFER_SRC} c35, c42 (VGG16 fine-tuned: test acc 0.967-0.968)",
    basis="provisional: half the gap to the frozen model's ~0.94 (seed std not measured)",
)
# The book has numbers for VGG16 only: other bases, and short runs, are held to its claims
# (``finetuning_adds``: weighed on paired seeds, not a bar that allows a loss).
ORDERING_ONLY = Frozen({})


def transfer(base: ConvBase, book_targets: dict, smoke: bool) -> Experiment:
    """The book's three ways to use a pretrained base, for one conv base."""
    return Experiment(
        id=f"ch05.dogs.{base.name}",
        title=f"Dogs vs cats with a pretrained {base.application} base "
        "(feature extraction, augmented frozen base, fine-tuning)",
        source=f"{TRANSFER_SRC} listings 5.16–5.23; 2e ch8.3",
        task="binary",
        protocol="fit_evaluate",
        load_data=load_with_weights,
        write_synthetic=synthetic.write_dogs_vs_cats_with_mobilenet,
        build_model=build_transfer,
        case_inputs=features_inputs,
        baseline_inputs=pooled_features,
        finetune=unfreeze_top_block,
        params=Frozen(
            {
                "base": base.name,
                "image_size": 150,
                "epochs": 30,
                "batch_size": 20,
                "learning_rate": 2e-5,
                "finetune_learning_rate": 1e-5,
                "augmentation": None,
                "steps_per_epoch": None,
                "finetune": False,
                "finetune_epochs": 100,
            }
        ),
        variants=TRANSFER_VARIANTS,
        profiles=Frozen(
            {
                "smoke": ProfileSpec(
                    # Generated VGG16/Xception weights would be 58/83 MB: the MobileNet
                    # base covers the same code in smoke.
                    variants=("finetune", "features") if smoke else (),
                    targets={
                        "finetune": (beats_majority("best_val_accuracy", 0.05),),
                        "features": (beats_majority("best_val_accuracy", 0.05),),
                    },
                    overrides=Frozen(
                        {
                            "image_size": 32,
                            "epochs": 4,
                            "finetune_epochs": 2,
                            "learning_rate": 1e-3,
                            "steps_per_epoch": None,
                        }
                    ),
                    synthetic_data=True,
                    note=SMOKE_NOTE,
                ),
                "quick": ProfileSpec(
                    variants=("finetune", "features", "augmented"),
                    targets=ORDERING_ONLY,
                    # Issue 13: the frozen phases 5 epochs (were 10; 5 of fine-tuning
                    # left seed 0's best validation accuracy level with the frozen
                    # phase's, 0.897 both, so fine-tuning keeps its 10). Calibrated on
                    # seeds 100-102.
                    overrides=Frozen({"epochs": 5, "finetune_epochs": 10}),
                    note="frozen-base phases 5 epochs (book 30), fine-tuning 10 (book 100)",
                ),
                "book": ProfileSpec(
                    variants=("finetune", "features", "augmented"), targets=book_targets
                ),
            }
        ),
        baselines=("majority", "logistic_regression"),
    )


VGG16_TRANSFER = transfer(
    BASES["vgg16"],
    book_targets={
        "features": (FEATURES_VAL,),
        "augmented": (AUGMENTED_TRANSFER_VAL,),
        "finetune": (FINETUNE_TEST,),
    },
    smoke=False,
)
XCEPTION_TRANSFER = transfer(BASES["xception"], book_targets=ORDERING_ONLY, smoke=False)
MOBILENET_TRANSFER = transfer(BASES["mobilenet"], book_targets=ORDERING_ONLY, smoke=True)


def pretrained_beats_scratch(base: str) -> Claim:
    """1e 5.3: features from a pretrained base beat training from scratch, widely."""
    return Claim(
        f"{base}-features-beat-scratch",
        says="pretrained features beat a convnet trained from scratch by a wide margin",
        source=f"{TRANSFER_SRC} c12 (VGG16 features ≈ 0.90) against {SCRATCH_SRC} c26 "
        "(0.70–0.72), both on 2,000 images",
        metric="best_val_accuracy",
        a=network(f"ch05.dogs.{base}", "features"),
        relation="beats",
        b=network("ch05.dogs.scratch", "book"),
        margin=0.1,
        basis="'a wide margin' read as more than 10 points (the book's gap is 18-20)",
    )


def finetuning_adds(base: str) -> Claim:
    """1e 5.3: fine-tuning the top block lifts the frozen, augmented model."""
    return Claim(
        f"{base}-finetuning-adds",
        says="fine-tuning the top block adds to feature extraction with augmentation",
        source=f"{TRANSFER_SRC} c24, c35 (frozen + augmented ≈ 0.96, fine-tuned ≈ 0.97)",
        metric="best_val_accuracy",
        a=network(f"ch05.dogs.{base}", "finetune"),
        relation="beats",
        b=network(f"ch05.dogs.{base}", "augmented"),
    )


CLAIMS = (
    Claim(
        "mnist-convnet-beats-dense",
        says="the small convnet beats the densely connected network (0.991 vs 0.978)",
        source="1e 5.1 c14–15 against 1e 2.1 c24–25",
        metric="test_accuracy",
        a=network("ch05.mnist.convnet", "book"),
        relation="beats",
        b=network("ch05.mnist.dense", "book"),
    ),
    pretrained_beats_scratch("vgg16"),
    pretrained_beats_scratch("mobilenet"),
    finetuning_adds("vgg16"),
    finetuning_adds("mobilenet"),
    finetuning_adds("xception"),
    Claim(
        "augmentation-beats-plain-scratch",
        says="data augmentation with dropout beats the plain convnet trained from scratch "
        "(best val_acc 0.846 against 0.731; the text: about 82 % against 71 %)",
        source=f"{SCRATCH_SRC} c26, c39 logs and text",
        metric="best_val_accuracy",
        a=network("ch05.dogs.scratch", "augmented"),
        relation="beats",
        b=network("ch05.dogs.scratch", "book"),
        profiles=("book",),  # the quick profile shortens the two protocols differently
    ),
    Claim(
        "vgg16-augmented-beats-features",
        says="running the frozen base end to end with augmentation beats fast feature "
        "extraction (0.96 against 0.90)",
        source=f"{TRANSFER_SRC} c12, c24",
        metric="best_val_accuracy",
        a=network("ch05.dogs.vgg16", "augmented"),
        relation="beats",
        b=network("ch05.dogs.vgg16", "features"),
        profiles=("book",),  # 10 quick epochs need not show it
    ),
)

EXPERIMENTS = (
    MNIST_DENSE,
    MNIST_CONVNET,
    SCRATCH,
    MOBILENET_TRANSFER,
    VGG16_TRANSFER,
    XCEPTION_TRANSFER,
)
