"""Chapter 8 (2nd edition: chapter 12): variational autoencoders on MNIST.

1st edition (``8.4-generating-images-with-vaes``, cN = notebook cell): a convolutional
encoder to a 2-d latent space (z_mean, z_log_var), a sampling layer, a
Conv2DTranspose decoder, 550,629 parameters in all (c12-c15); the loss is the per-pixel
binary cross-entropy plus 5e-4 times the KL term averaged over the latent dimensions
(c16), rmsprop, batch 16, 10 epochs on the 60,000 training digits, validated on the
10,000 test digits (c17): validation loss 0.1966 after the first epoch, **0.1801** after
the tenth. Its sampling is ``z_mean + exp(z_log_var) * epsilon``: the standard deviation
of a Gaussian with log-variance ``z_log_var`` is ``exp(0.5 * z_log_var)``, so variant
``1e`` runs the code as written and ``1e_corrected`` with the 0.5, side by side.

2nd edition (``chapter12_part04_variational-autoencoders``): a smaller encoder (two
strided convolutions, Dense 16), the same sampling with the 0.5, the binary
cross-entropy summed over the pixels plus the KL term averaged over batch and latent
dimensions, Adam, batch 128, 30 epochs, on all 70,000 digits with no validation. Here
it trains on the 60,000 training digits so the test digits stay unseen, and prints
no number to assert: its targets are the baselines'.
"""

from __future__ import annotations

from types import MappingProxyType as Frozen

from dlwp_suite import synthetic
from dlwp_suite.experiment import Experiment, ProfileSpec
from dlwp_suite.models.ch08_vae import build_vae, load_digits
from dlwp_suite.results.calibration import Calibration
from dlwp_suite.targets import TF_221_STACK, Target

SRC_1E = "1e 8.4 (8.4-generating-images-with-vaes)"
SRC_2E = "2e 12.4 (chapter12_part04_variational-autoencoders)"
EXPERIMENT = "ch08.mnist.vae"

PARAM_COUNT_1E = 550_629  # 1e c15 (vae.summary()), checked by the tests
BOOK_VAL_LOSS = Target(
    "val_loss",
    value=0.1801,
    comparison="at_most",
    tolerance=0.005,
    source=f"{SRC_1E} c17 log: val_loss 0.1801 after the 10th epoch (as written)",
    basis="provisional: no book run with 3 seeds yet; 0.005 above the book's number",
    book_number=True,  # the book's printed loss, one-sided: lower is no miss
)


LEARNS = Target(
    "val_loss_fall",
    value=0.3,
    comparison="at_least",
    source=f"{SRC_1E} c17 log: the validation loss falls as training goes on",
    basis="smoke, generated digits, seed 0: 2 epochs took 0.47 / 0.62 / 0.61 of the "
    "untrained model's validation loss off (1e, 1e_corrected, 2e; Keras 3.15 on TF 2.21), "
    "3 epochs 0.53-0.62 on JAX and tf.keras 2.15; a run that learns nothing takes off 0",
)


def beats_mean_image(
    margin: float, basis: str, source: str, calibration: Calibration | None = None
) -> Target:
    """The decoded test digits are closer to the digits than the mean training image."""
    return Target(
        "reconstruction_bce",
        baseline="mean_image",
        tolerance=margin,
        source=f"{source}; issue: reconstructions beat the mean-image baseline",
        basis=basis,
        calibration=calibration,
    )


_1E = {
    "architecture": "1e",
    "sampling_scale": 1.0,
    "kl_weight": 1e-3,
    "reconstruction": "mean",
    "optimizer": "rmsprop",
    "learning_rate": 1e-3,  # rmsprop's default, as c16 compiles it
    "batch_size": 16,
    "epochs": 10,
}
VARIANTS = Frozen(
    {
        "1e": _1E,
        "1e_corrected": {**_1E, "sampling_scale": 0.5},
        "2e": {
            "architecture": "2e",
            "sampling_scale": 0.5,
            "kl_weight": 1.0,
            "reconstruction": "sum",
            "optimizer": "adam",
            "learning_rate": 1e-3,  # Adam's default, as the notebook compiles it
            "batch_size": 128,
            "epochs": 30,
        },
    }
)

# Seeds 100-107 of the quick profile on TF 2.21 (results/tolerance/runs/
# ch08-calibration.main.jsonl, 100-102 as run 20261128T043607Z-899c9e, and
# ch08-calibration-seeds103-107.main.jsonl):
# the decoded means' per-pixel cross-entropy against the mean image's 0.2627 (PCA: 0.2309),
# and the margin each variant's bar allows (mean image - median - 3 x std: the median's
# lead over the mean image less 3 x std, rounded down to 0.001). Seeds 100-102 alone had
# put 1e_corrected's bar at 0.049, which TF's seed 1 missed.
CALIBRATION = Calibration(
    "quick",
    tuple(range(100, 108)),
    (TF_221_STACK,),
    ("20261128T043607Z-899c9e", "ch08-calibration-seeds103-107"),
    granule=0.001,
)
MARGIN_1E = 0.038
SEEN_1E = "0.2111, 0.2106, 0.2186, 0.2078, 0.2080, 0.2112, 0.2121, 0.2194"
MARGIN_1E_CORRECTED = 0.047
SEEN_1E_CORRECTED = "0.2098, 0.2075, 0.2095, 0.2103, 0.2091, 0.2103, 0.2124, 0.2134"
MARGIN_2E = 0.014
SEEN_2E = "0.2151, 0.2343, 0.2109, 0.2092, 0.2217, 0.2216, 0.2131, 0.2344"


def _mean_image_bars(profile: str) -> dict[str, tuple[Target, ...]]:
    """Each variant's bar against the mean image in ``profile``, from the quick seeds."""

    def bar(margin: float, seen: str, source: str) -> tuple[Target, ...]:
        basis = f"{profile}: mean image - median - 3 x std of quick seeds 100-107 ({seen})"
        suffix = "" if profile == "quick" else "; a book run trains longer"
        return (beats_mean_image(margin, basis + suffix, source, CALIBRATION),)

    return {
        "1e": bar(MARGIN_1E, SEEN_1E, SRC_1E),
        "1e_corrected": bar(MARGIN_1E_CORRECTED, SEEN_1E_CORRECTED, SRC_1E),
        "2e": bar(MARGIN_2E, SEEN_2E, SRC_2E),
    }


QUICK_MEAN_IMAGE_BARS = _mean_image_bars("quick")
BOOK_MEAN_IMAGE_BARS = _mean_image_bars("book")


VAE = Experiment(
    id=EXPERIMENT,
    title="MNIST variational autoencoder, 2-d latent space",
    source=f"{SRC_1E} c12-c18; {SRC_2E}",
    task="regression",  # reconstructions; there is no class to predict
    protocol="vae",
    load_data=load_digits,
    write_synthetic=synthetic.write_mnist,
    build_model=build_vae,
    params=Frozen({"latent_dim": 2, "train_rows": None}),
    variants=VARIANTS,
    profiles=Frozen(
        {
            "smoke": ProfileSpec(
                variants=tuple(VARIANTS),
                targets={v: (LEARNS,) for v in VARIANTS},
                overrides=Frozen({"epochs": 2, "batch_size": 16}),
                synthetic_data=True,
                note="generated digits: the validation loss falls (600 digits do not beat "
                "the mean image's 0.2605: seed 0 measured 0.264-0.269 after 3 epochs on "
                "tf.keras 2.15, 0.261-0.319 after 5 on Keras 3)",
            ),
            # 2 epochs of all 60,000 digits took 12 minutes for 1e here (3 runs sharing
            # the 2-core CPU; val loss 0.1948, the book's 0.1966 after one epoch).
            "quick": ProfileSpec(
                variants=tuple(VARIANTS),
                targets=QUICK_MEAN_IMAGE_BARS,
                overrides=Frozen({"epochs": 2, "train_rows": 10_000}),
                variant_overrides=Frozen({"2e": Frozen({"epochs": 10})}),
                note="the first 10,000 training digits; 2 epochs of 1e's batches of 16, 10 "
                "of 2e's batches of 128 (the book: 10 and 30 epochs of 60,000 and 70,000)",
            ),
            "book": ProfileSpec(
                variants=tuple(VARIANTS),
                targets={
                    **BOOK_MEAN_IMAGE_BARS,
                    "1e": (BOOK_VAL_LOSS, *BOOK_MEAN_IMAGE_BARS["1e"]),
                },
            ),
        }
    ),
    baselines=("mean_image", "pca"),
)

CLAIMS = ()
EXPERIMENTS = (VAE,)
