"""Chapter 7 (1st edition 7.3.2; 2nd edition 13.1.1): hyperparameter optimisation with
KerasTuner, on chapter 3's IMDB network and Boston regressor.

The 2nd edition's search space (``chapter13_best-practices-for-the-real-world`` c7: units
16-64 by 16, rmsprop or adam) applied to each hidden layer of chapter 3's networks, on a
small budget: 6 Bayesian-optimisation trials of its 8 points (the book allows 100, in
3rd edition 20). Each is compared with the settings chapter 3 picked by hand (16 units
and rmsprop for IMDB, 64 and rmsprop for Boston), through the same best-epoch run and
refit (``dlwp_suite.protocols.tuning``). The book's claim is that tuning does at least
as well on the validation data; its warning, that the validation score then flatters
the tuned model, is recorded as each model's validation-over-test gap.
"""

from __future__ import annotations

from types import MappingProxyType as Frozen

from dlwp_suite import synthetic
from dlwp_suite.datasets.task_data import rejoined
from dlwp_suite.experiment import Experiment, Params, ProfileSpec
from dlwp_suite.experiments.ch03 import BOSTON_KFOLD, IMDB_DENSE, smoke_beats
from dlwp_suite.models.ch03 import build_boston, build_imdb, sparse_rows
from dlwp_suite.models.ch07_tuning import load_boston, load_imdb
from dlwp_suite.results.calibration import Calibration
from dlwp_suite.targets import HELD_OUT_SEEDS, JAX_STACK, TF_221_STACK, TORCH_STACK, Target

SRC = "2e chapter13_best-practices-for-the-real-world c7-c16; 1e 7.3.2 (text, no code)"
SEARCH_SPACE = Frozen({"units": (16, 64, 16), "optimizer": ("rmsprop", "adam")})
SEARCH = {
    "search_space": SEARCH_SPACE,
    "max_trials": 6,
    "search_patience": 5,  # c12: EarlyStopping(monitor="val_loss", patience=5)
    "best_epoch_patience": 10,  # c15
    "refit_factor": 1.2,  # c16: int(best_epoch * 1.2) epochs on training + validation
}


def _does_at_least_as_well(
    experiment: str, hand_picked: str, noise: float, stacks: dict[str, str]
) -> Target:
    """Not worse than the hand-picked settings beyond the search's ``noise``: 3 x the std
    of the gain over held-out seeds, the widest of the ``stacks`` (backend -> stack)
    calibrated. Which settings a 6-trial search ranks first flips between seeds (trials
    score within a few hundredths of each other), so a level search dips a little; a
    search that ends worse than that fails."""
    runs = (f"calibrate-{experiment}-2e-quick-{b}-seeds100-104" for b in stacks)
    return Target(
        "tuning_val_gain",
        value=0.0,
        comparison="at_least",
        tolerance=noise,
        source=f"{SRC}: automated search finds settings at least as good on the "
        f"validation data as hand tuning (against chapter 3's {hand_picked})",
        basis="each settings' best validation score in the same best-epoch run (same "
        "seed, patience 10), as the search scores a trial; the noise is 3 x the std of "
        "the gains of held-out seeds, the widest stack's",
        calibration=Calibration(
            "quick", HELD_OUT_SEEDS, tuple(stacks.values()), tuple(runs), noise_only=True
        ),
    )


def _profiles(
    book: Target, smoke: Target, smoke_overrides: Params, quick_overrides: Params
) -> Frozen:
    """The three profiles of one tuning experiment: its one variant, ``2e``."""
    return Frozen(
        {
            "smoke": ProfileSpec(
                variants=("2e",),
                targets={"2e": (smoke,)},
                overrides=Frozen(smoke_overrides),
                synthetic_data=True,
                note="generated data: the search, best epochs and refits run",
            ),
            "quick": ProfileSpec(
                variants=("2e",),
                targets={"2e": (book,)},
                overrides=Frozen(quick_overrides),
                note="the book's protocol on a small budget (6 trials)"
                + (", searched epochs capped at 40" if quick_overrides else ""),
            ),
            "book": ProfileSpec(variants=("2e",), targets={"2e": (book,)}),
        }
    )


# Gains on seeds 100-104: IMDB TF 0, 0.0012, 0.0004, 0, 0.0029 (noise 0.0037), JAX 0.0015,
# 0.0002, 0, 0.0018, 0.0005 (0.0024); Boston TF 0.0677, 0, -0.0134, 0, 0.1274 (0.1799),
# JAX 0, 0, -0.2809, -0.1208, 0 (0.3712): on JAX the search lost to the hand-picked 64
# units on two seeds of five.
_TF_AND_JAX = {"tensorflow": TF_221_STACK, "jax": JAX_STACK}
# torch too for IMDB: its seed-0 gain (-0.0043, 2026-11-28) fell past the noise of the
# other two; its own held-out seeds gave 3 x std 0.0021, so TF's 0.0037 stays the widest.
IMDB_TUNING_GAIN = _does_at_least_as_well(
    "ch07.imdb.tuning", "16 units, rmsprop", 0.0037, {**_TF_AND_JAX, "torch": TORCH_STACK}
)
BOSTON_TUNING_GAIN = _does_at_least_as_well(
    "ch07.boston.tuning", "64 units, rmsprop", 0.3712, _TF_AND_JAX
)

IMDB_TUNING = Experiment(
    id="ch07.imdb.tuning",
    title="IMDB: chapter 3's network tuned with KerasTuner against its hand-picked settings",
    source=SRC,
    task="binary",
    protocol="tuning",
    load_data=load_imdb,
    write_synthetic=synthetic.write_imdb,
    build_model=build_imdb,
    # The baselines fit what the refits fit: training and validation data together.
    baseline_inputs=lambda params, data: sparse_rows(params, rejoined(data)),
    params=Frozen(
        {
            **IMDB_DENSE.params,
            **SEARCH,
            "hand_picked": Frozen({"units": 16, "optimizer": "rmsprop"}),
            "search_epochs": 20,  # chapter 3's validation curve
        }
    ),
    variants=Frozen({"2e": {}}),
    profiles=_profiles(
        book=IMDB_TUNING_GAIN,
        smoke=smoke_beats("majority", "test_accuracy", 0.1),
        smoke_overrides={
            "validation_size": 200,
            "batch_size": 64,
            "search_epochs": 3,
            "max_trials": 2,
        },
        quick_overrides={},
    ),
    baselines=("majority", "logistic_regression"),
)
BOSTON_TUNING = Experiment(
    id="ch07.boston.tuning",
    title="Boston housing: chapter 3's regressor tuned with KerasTuner against its "
    "hand-picked settings",
    source=SRC,
    task="regression",
    protocol="tuning_regression",
    load_data=load_boston,
    write_synthetic=synthetic.write_boston,
    build_model=build_boston,
    baseline_inputs=lambda params, data: rejoined(data),
    params=Frozen(
        {
            **BOSTON_KFOLD.params,
            **SEARCH,
            "hand_picked": Frozen({"units": 64, "optimizer": "rmsprop"}),
            "validation_size": 101,  # the book's first fold of 4
            "batch_size": 16,  # the book's final training batch
            "search_epochs": 100,
        }
    ),
    variants=Frozen({"2e": {}}),
    profiles=_profiles(
        book=BOSTON_TUNING_GAIN,
        # Measured in smoke (20 searched epochs): 0.87 (JAX) to 1.05 (TF) below the mean.
        smoke=smoke_beats("mean", "test_mae", 0.5),
        smoke_overrides={"validation_size": 20, "search_epochs": 20, "max_trials": 2},
        # chapter 3's quick K-fold: 40 epochs at batch 16
        quick_overrides={"search_epochs": 40},
    ),
    baselines=("mean", "linear_regression"),
)

CLAIMS = ()
EXPERIMENTS = (IMDB_TUNING, BOSTON_TUNING)
