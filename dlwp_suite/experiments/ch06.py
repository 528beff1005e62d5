"""Chapter 6, weather forecasting (2nd edition: chapter 10): Jena climate, and Seattle.

Protocols follow the 1st edition's notebook (``first_edition/6.3-advanced-usage-of-
recurrent-neural-networks``, cN = cell) and the 2nd edition's chapter 10. Window
geometry is declared in hours, so the same protocol runs on any hourly or 10-minute
series in the same layout (`dlwp_suite.datasets.windows`). The Jena file is not on the
development machine: its absolute targets have provisional tolerances, said so in
their ``basis``; the claims relative to the common-sense baseline are checked on every
series.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType as Frozen

from dlwp_suite import synthetic
from dlwp_suite.book_code import MeasuredBand
from dlwp_suite.claims import Claim, network
from dlwp_suite.experiment import Experiment, Params, ProfileSpec
from dlwp_suite.models.ch06 import build_forecaster, series_loader
from dlwp_suite.protocols.forecast import FORECAST_BASELINES
from dlwp_suite.results.calibration import Calibration
from dlwp_suite.targets import TF_221_STACK, Target

SRC_1E = "1e 6.3-advanced-usage-of-recurrent-neural-networks"
SRC_2E = "2e ch10.2 (book text)"
SMOKE_NOTE = "generated Jena-format data (120 days); checks the pipeline runs and learns"


MODEL_DEFAULTS = {
    "units": 32,
    "dropout": 0.0,
    "recurrent_dropout": 0.0,
    "reverse": False,
    "output_dropout": 0.0,
    "second_units": 64,
    "second_activation": "relu",
    "conv": (),
    "global_pool": "max",
}
CONV_1E = ((32, 5, 3), (32, 5, 3), (32, 5, 0))

PROTOCOL_1E = Frozen(
    {
        **MODEL_DEFAULTS,
        "split": "rows",
        "train_rows": 200_000,
        "val_rows": 300_000,
        "lookback_hours": 240,  # 1440 rows of 10 minutes
        "step_hours": 1,  # step 6
        "delay_hours": 24,  # delay 144
        "target": "normalised",
        "loss": "mae",
        "batch_size": 128,
        "epochs": 20,
        "steps_per_epoch": 500,
        "eval_stride": 1,
        "pipeline_batches": 50,
        "baseline_train_stride": 6,  # shallow models fit one window an hour
    }
)
VARIANTS_1E = Frozen(
    {
        "gru": {"model": "gru"},  # listing 6.39
        "dense": {"model": "dense"},  # listing 6.37
        "reversed_gru": {"model": "gru", "reverse": True},  # listing 6.44
        "gru_dropout": {  # listing 6.40
            "model": "gru",
            "dropout": 0.2,
            "recurrent_dropout": 0.2,
            "epochs": 40,
        },
        "stacked_gru": {  # listing 6.41
            "model": "stacked_gru",
            "dropout": 0.1,
            "recurrent_dropout": 0.5,
            "epochs": 40,
        },
        "bidirectional_gru": {"model": "bidirectional_gru", "epochs": 40},  # listing 6.45
        "conv1d": {"model": "conv1d", "conv": CONV_1E},  # listing 6.46
        "conv1d_gru": {  # listing 6.47-6.48: step 3, conv front end, GRU
            "model": "conv1d_gru",
            "step_hours": 0.5,
            "conv": ((32, 5, 3), (32, 5, 0)),
            "dropout": 0.1,
            "recurrent_dropout": 0.5,
        },
        "lookback720": {"model": "gru", "lookback_hours": 120},  # the text's lookback 720
    }
)

PROTOCOL_2E = Frozen(
    {
        **MODEL_DEFAULTS,
        "split": "fraction",
        "train_fraction": 0.5,
        "val_fraction": 0.25,
        "lookback_hours": 120,  # sequence_length 120 at sampling_rate 6
        "step_hours": 1,
        "delay_hours": 23,  # delay = 6 * (120 + 24 - 1) rows from the window's start
        "target": "celsius",
        "loss": "mse",
        "batch_size": 256,
        "epochs": 10,
        "steps_per_epoch": None,  # full passes
        "eval_stride": 1,
        "pipeline_batches": 50,
        "baseline_train_stride": 6,
    }
)
VARIANTS_2E = Frozen(
    {
        "lstm16": {"model": "lstm", "units": 16},  # listing 10.12
        "dense": {"model": "dense", "units": 16},  # listing 10.9
        "conv1d": {  # listing 10.11
            "model": "conv1d",
            "conv": ((8, 24, 2), (8, 12, 2), (8, 6, 0)),
            "global_pool": "average",
        },
        "lstm32_dropout": {  # listing 10.22
            "model": "lstm",
            "recurrent_dropout": 0.25,
            "output_dropout": 0.5,
            "epochs": 50,
        },
        "stacked_gru": {  # listing 10.23
            "model": "stacked_gru",
            "recurrent_dropout": 0.5,
            "second_units": 32,
            "second_activation": "tanh",
            "output_dropout": 0.5,
            "epochs": 50,
        },
        "bidirectional_lstm": {"model": "bidirectional_lstm", "units": 16},  # listing 10.24
    }
)


def _relative(metric: str, comparison: str, tolerance: float, source: str, basis: str) -> Target:
    """A bar on ``metric`` against the common-sense forecast."""
    return Target(
        metric,
        baseline="common_sense",
        comparison=comparison,
        tolerance=tolerance,
        source=source,
        basis=basis,
    )


def beats_common_sense(source: str, margin: float = 0.0, basis: str = "") -> Target:
    """'Beats the common-sense baseline' on validation MAE (°C), by ``margin``."""
    return _relative(
        "best_val_mae",
        "approx",
        margin,
        source,
        basis or "the book's claim; any improvement counts",
    )


def no_better_than_common_sense(source: str, slack: float, basis: str) -> Target:
    """'Does not beat the common-sense baseline' (by more than ``slack`` °C)."""
    return _relative("best_val_mae", "at_most", slack, source, basis)


GRU_BEATS = beats_common_sense(f"{SRC_1E} c29, c32: GRU best 0.2644 vs baseline 0.2897")
DENSE_NOT_MUCH = no_better_than_common_sense(
    f"{SRC_1E} c24: Flatten-Dense best 0.299 vs baseline 0.2897",
    slack=0.1,
    basis="'does not beat it by much': at most 0.1 °C (about 4 %) better",
)
REVERSED_WORSE = no_better_than_common_sense(
    f"{SRC_1E} c45: the reversed-order GRU does worse than the common-sense baseline",
    slack=0.0,
    basis="the book's claim, strictly",
)
PIPELINE_KEEPS_UP = Target(
    "pipeline_share",
    value=0.5,
    comparison="at_most",
    source="suite requirement (issue 3), not a book claim: the input pipeline must not "
    "be the bottleneck",
    basis="share = training windows/s / pipeline-only windows/s, i.e. the part of a step "
    "the pipeline would take unoverlapped; at most half leaves the model the bottleneck",
)
PROVISIONAL = "provisional: no Jena file on the development machine to measure seed spread"
GRU_1E_BEST_VAL_MAE_NORM = Target(
    "best_val_mae_norm",
    value=0.2644,
    tolerance=0.01,
    source=f"{SRC_1E} c29, c32 (best 0.2644)",
    basis=PROVISIONAL,
)
BOOK_1E = {
    "gru": (GRU_1E_BEST_VAL_MAE_NORM, GRU_BEATS, PIPELINE_KEEPS_UP),
    "dense": (DENSE_NOT_MUCH,),
    "reversed_gru": (REVERSED_WORSE,),
    "conv1d": (),
    "conv1d_gru": (GRU_BEATS,),
    "lookback720": (GRU_BEATS,),
}
COMMON_SENSE_1E_BEST_VAL_MAE_NORM = Target(
    "best_val_mae_norm",
    value=0.2897,
    tolerance=0.005,
    source=f"{SRC_1E} c21–22 (evaluate_naive_method: 0.2897)",
    basis="deterministic given the data; half a hundredth for the row bookkeeping",
    deterministic=True,
)
LSTM_2E_TEST = Target(
    "test_mae",
    value=2.55,
    tolerance=0.12,
    source=f"{SRC_2E}: LSTM(16) test MAE 2.55 °C",
    basis="half the spread of readers' reruns, 2.41–2.64 °C (BOOK_TARGETS.md)",
)
LSTM_2E_BEATS = beats_common_sense(f"{SRC_2E}: val 2.36 vs 2.44 °C")
DENSE_2E_NOT_MUCH = no_better_than_common_sense(
    f"{SRC_2E}: the densely connected model does not beat the baseline",
    slack=0.1,
    basis="'not much better': at most 0.1 °C",
)
LSTM_DROPOUT_2E_BEATS = beats_common_sense(f"{SRC_2E}: val 2.27, test 2.45 vs 2.44/2.62 °C")
STACKED_GRU_2E_BEATS = beats_common_sense(f"{SRC_2E}: stacked GRU beats the baseline")
BOOK_2E = {
    "lstm16": (LSTM_2E_TEST, LSTM_2E_BEATS, PIPELINE_KEEPS_UP),
    "dense": (DENSE_2E_NOT_MUCH,),
    "conv1d": (),
    "lstm32_dropout": (LSTM_DROPOUT_2E_BEATS,),
    "stacked_gru": (STACKED_GRU_2E_BEATS,),
    "bidirectional_lstm": (),
}
COMMON_SENSE_2E_VAL_MAE = Target(
    "val_mae",
    value=2.44,
    tolerance=0.02,
    source=f"{SRC_2E}: common-sense baseline val MAE 2.44 °C",
    basis="deterministic given the data; the book rounds to 0.01",
    deterministic=True,
)
COMMON_SENSE_2E_TEST_MAE = Target(
    "test_mae",
    value=2.62,
    tolerance=0.02,
    source=f"{SRC_2E}: common-sense baseline test MAE 2.62 °C",
    basis="deterministic given the data; the book rounds to 0.01",
    deterministic=True,
)


# The book-code pairing's band on Seattle (no book number for this file): 500 steps
# leave the raw-°C output unconverged, so seeds spread widely (0.63-1.50 °C on seeds
# 100-104; seed 0 gave 2.70): the check catches gross pipeline errors only. TensorFlow
# alone, where the pairing runs (the book's code windows with tf.data).
SEATTLE_DENSE_PAIRING_BAND = MeasuredBand(
    "best_val_mae",
    1.1194,
    Calibration(
        "quick",
        (100, 101, 102, 103, 104),
        (TF_221_STACK,),
        ("calibrate-ch06.seattle.2e-dense-quick-tensorflow-seeds100-104",),
    ),
)


def weather_experiment(
    series: str,
    edition: str,
    protocol: Params,
    variants: Params,
    quick_variants: tuple[str, ...],
    quick_targets: dict,
    book_targets: dict,
    book_baseline_targets: dict,
    quick_overrides: Params,
    write_synthetic: Callable[[Path], None],
) -> Experiment:
    """One edition's protocol on one series, declared once."""
    smoke_variants = quick_variants[:1]
    return Experiment(
        id=f"ch06.{series}.{edition}",
        title=f"Temperature 24 h ahead, {edition} protocol, {series} series",
        source=SRC_1E if edition == "1e" else SRC_2E,
        task="regression",
        protocol="forecast",
        load_data=series_loader(series),
        write_synthetic=write_synthetic,
        build_model=build_forecaster,
        params=protocol,
        variants=variants,
        ensemble_partner="gradient_boosting",
        profiles=Frozen(
            {
                "smoke": ProfileSpec(
                    variants=smoke_variants,
                    targets={
                        v: (
                            Target(
                                "best_val_mae",
                                baseline="ridge",
                                tolerance=-1.5,
                                source="smoke check",
                                basis="a few dozen steps on generated data: the net must "
                                "come within 1.5 °C of ridge regression (it learns)",
                            ),
                        )
                        for v in smoke_variants
                    },
                    overrides=Frozen(
                        {
                            "epochs": 4,
                            "steps_per_epoch": 40,
                            "target": "normalised",  # learns in few steps, unlike raw °C
                            "eval_stride": 12,
                            "pipeline_batches": 5,
                            **({"split": "fraction", "train_fraction": 0.5, "val_fraction": 0.25}),
                        }
                    ),
                    synthetic_data=True,
                    note=SMOKE_NOTE,
                ),
                "quick": ProfileSpec(
                    variants=quick_variants,
                    targets=quick_targets,
                    overrides=quick_overrides,
                    note=", ".join(f"{k}={v}" for k, v in quick_overrides.items()),
                ),
                "book": ProfileSpec(
                    variants=tuple(variants),
                    targets=book_targets,
                    baseline_targets=book_baseline_targets,
                ),
            }
        ),
        baselines=FORECAST_BASELINES,
    )


QUICK_JENA = Frozen({"epochs": 5, "steps_per_epoch": 100, "eval_stride": 24})
JENA_1E = weather_experiment(
    "jena",
    "1e",
    protocol=PROTOCOL_1E,
    variants=VARIANTS_1E,
    quick_variants=("gru", "dense", "reversed_gru"),
    quick_targets={
        "gru": (GRU_BEATS, PIPELINE_KEEPS_UP),
        "dense": (DENSE_NOT_MUCH,),
        "reversed_gru": (REVERSED_WORSE,),
    },
    book_targets=BOOK_1E,
    book_baseline_targets={"common_sense": (COMMON_SENSE_1E_BEST_VAL_MAE_NORM,)},
    quick_overrides=QUICK_JENA,
    write_synthetic=synthetic.write_jena,
)
JENA_2E = weather_experiment(
    "jena",
    "2e",
    protocol=PROTOCOL_2E,
    variants=VARIANTS_2E,
    quick_variants=("lstm16", "dense"),
    quick_targets={"lstm16": (LSTM_2E_BEATS, PIPELINE_KEEPS_UP), "dense": (DENSE_2E_NOT_MUCH,)},
    book_targets=BOOK_2E,
    book_baseline_targets={"common_sense": (COMMON_SENSE_2E_VAL_MAE, COMMON_SENSE_2E_TEST_MAE)},
    # The 2e learns raw °C (mse): the output has to grow to ~10 °C, which takes
    # thousands of steps; 100-step epochs leave it far off (3.8 °C MAE after 400).
    quick_overrides=Frozen({**QUICK_JENA, "epochs": 4, "steps_per_epoch": 400}),
    write_synthetic=synthetic.write_jena,
)
# A real hourly file, run with the 2e protocol (its fractional split fits any length).
# Its temperatures are hourly climate normals, not weather: the same smooth daily cycle
# every day (24-h persistence error 0.09 °C against a 0.52 °C hourly change), so the
# book's claims about beating the common-sense forecast do not apply and only the
# pipeline is asserted. Its time-ordered split validates on July-September, warmer
# (mean 17.5 °C, up to 24.4) than the whole training half (3.7-21.7), and tests on
# October-December, inside it: validation MAEs far above test ones are the file's, not a
# pipeline fault. 4,380 training hours are 17 batches: an epoch is 200 steps
# over the repeated data (as the 1e's are 500), else 10 epochs would be 170 steps. The
# quick profile's epochs are 50 steps: the pipeline's share of a step is the same at
# any length, and 200-step epochs spent 84 s of the LSTM on it (issue 13).
SEATTLE_ONLY_PIPELINE = {"lstm16": (PIPELINE_KEEPS_UP,), "dense": ()}
SEATTLE_2E = weather_experiment(
    "seattle",
    "2e",
    protocol=Frozen({**PROTOCOL_2E, "baseline_train_stride": 1, "steps_per_epoch": 200}),
    variants=VARIANTS_2E,
    quick_variants=("lstm16", "dense"),
    quick_targets=SEATTLE_ONLY_PIPELINE,
    book_targets=SEATTLE_ONLY_PIPELINE,
    book_baseline_targets={},
    quick_overrides=Frozen({"epochs": 10, "steps_per_epoch": 50}),
    write_synthetic=synthetic.write_seattle_temps,
)

EXPERIMENTS = (JENA_1E, JENA_2E, SEATTLE_2E)


def as_good_as_gru(variant: str, cell: str, best: str) -> Claim:
    """1e 6.3: a regularised or larger recurrent model is at least as good as GRU(32)."""
    return Claim(
        f"jena-1e-{variant.replace('_', '-')}-as-good-as-gru",
        says=f"the {variant.replace('_', ' ')} model does as well as the plain GRU ({best} "
        "against 0.2644)",
        source=f"{SRC_1E} {cell}",
        metric="best_val_mae",
        a=network("ch06.jena.1e", "gru"),
        relation="no_better",
        b=network("ch06.jena.1e", variant),
        margin=0.05,
        basis="'as good as' read as the GRU beating it by at most 0.05 °C (0.006 "
        "normalised); provisional: no Jena file here to measure seed spread",
    )


CLAIMS = (
    Claim(
        "jena-1e-reversed-gru-worse",
        says="the GRU reading the sequence in reverse order does much worse than in order",
        source=f"{SRC_1E} c45 (reversed-order GRU below even the common-sense baseline)",
        metric="best_val_mae",
        a=network("ch06.jena.1e", "gru"),
        relation="beats",
        b=network("ch06.jena.1e", "reversed_gru"),
    ),
    as_good_as_gru("gru_dropout", cell="c34", best="0.262"),
    as_good_as_gru("stacked_gru", cell="c38", best="0.263"),
    as_good_as_gru("bidirectional_gru", cell="c54", best="0.2615"),
    Claim(
        "jena-1e-conv1d-gru-faster",
        says="the Conv1D front end before the GRU is significantly faster than the GRU",
        source="1e 6.4-sequence-processing-with-convnets (combining CNNs and RNNs)",
        metric="train_samples_per_s",
        a=network("ch06.jena.1e", "conv1d_gru"),
        relation="faster",
        b=network("ch06.jena.1e", "gru"),
        margin=1.5,
        basis="'significantly faster' read as at least 1.5x the windows per second; "
        "provisional: not measured here (no Jena file)",
    ),
    Claim(
        "jena-1e-conv1d-gru-comparable",
        says="... at an MAE comparable to the regularised GRU's",
        source="1e 6.4-sequence-processing-with-convnets (combining CNNs and RNNs)",
        metric="best_val_mae",
        a=network("ch06.jena.1e", "gru_dropout"),
        relation="no_better",
        b=network("ch06.jena.1e", "conv1d_gru"),
        margin=0.3,
        basis="'not as good as the regularised GRU, but comparable' read as within 0.3 °C "
        "(0.035 normalised); provisional: no Jena file here",
    ),
)
