"""The declarations as a manifest: what the results layer judges by, without Keras."""

from __future__ import annotations

from dlwp_suite import experiments
from dlwp_suite.claims import Claim, Side
from dlwp_suite.divergence import Divergence
from dlwp_suite.experiment import PROFILES, Experiment
from dlwp_suite.results.manifest import (
    CaseSpec,
    ClaimSpec,
    DataKind,
    DivergenceSpec,
    Manifest,
    ProfileSpec,
    SideSpec,
    TargetSpec,
)
from dlwp_suite.targets import Target

# Claims on these metrics compare the shape of two validation curves: the report draws
# both on one plot, as the book's figures do (which curve each metric is read from).
CURVE_OF_METRIC = {
    "best_val_loss": "val_loss",
    "best_val_loss_epoch": "val_loss",
    "last_val_loss": "val_loss",
    "val_loss_roughness": "val_loss",
    "best_val_crossentropy": "val_crossentropy",
    "best_val_crossentropy_epoch": "val_crossentropy",
    "last_val_crossentropy": "val_crossentropy",
    "best_val_accuracy": "val_accuracy",
}


def divergence_spec(divergence: Divergence) -> DivergenceSpec:
    """A declared divergence as the manifest carries it (what the judge applies)."""
    return DivergenceSpec(
        divergence.id,
        divergence.stack.keras,
        tuple(divergence.stack.backends),
        divergence.reason,
        divergence.evidence,
        divergence.probe.measure,
        divergence.probe.comparison,
        divergence.probe.value,
        divergence.probe.says,
    )


def _target(target: Target) -> TargetSpec:
    return TargetSpec(
        target.bar(),
        target.is_book_number,
        target.source,
        target.basis,
        target.divergence.id if target.divergence else None,
        target.calibration,
        target.deterministic,
    )


def data_kind(experiment: Experiment, profile: str) -> DataKind:
    """What a profile runs an experiment on, as declared (a run's records may say more:
    a mirror's generated file)."""
    spec = experiment.profile(profile)
    if spec.synthetic_data:
        return "generated"
    return "stand-in" if "STAND-IN" in f"{experiment.title} {spec.note}" else "real"


def _cases(experiment: Experiment, profile: str) -> list[CaseSpec]:
    kind = data_kind(experiment, profile)
    ensembled = experiment.ensemble_case(profile)
    cases = [
        CaseSpec(
            experiment.id,
            case.variant,
            experiment.chapter,
            experiment.title,
            kind,
            tuple(_target(t) for t in case.targets),
            trained_by=experiments.trainer_of(case),
            ensembled=ensembled is not None and case.variant == ensembled.variant,
        )
        for case in experiment.cases(profile)
    ]
    for name, targets in experiment.profile(profile).baseline_targets.items():
        cases.append(
            CaseSpec(
                experiment.id,
                "",
                experiment.chapter,
                experiment.title,
                kind,
                tuple(_target(t) for t in targets),
                baseline=name,
            )
        )
    return cases


def _side(side: Side) -> SideSpec:
    return SideSpec(side.experiment, side.variant, side.baseline, side.metric)


def _claim(claim: Claim) -> ClaimSpec:
    return ClaimSpec(
        id=claim.id,
        says=claim.says,
        source=claim.source,
        basis=claim.basis,
        chapter=claim.chapter,
        metric=claim.metric,
        a=_side(claim.a),
        b=_side(claim.b),
        rule=claim.rule(),
        as_checked=claim.describe(),
        divergence=claim.divergence.id if claim.divergence else None,
        curve=CURVE_OF_METRIC.get(claim.metric),
    )


def build_manifest(revision: str = "") -> Manifest:
    """Every profile's cases, bars, claims and divergences, from the declarations."""
    divergences: dict[str, DivergenceSpec] = {}
    for experiment in experiments.EXPERIMENTS.values():
        for spec in experiment.profiles.values():
            for targets in (*spec.targets.values(), *spec.baseline_targets.values()):
                for target in targets:
                    if target.divergence is not None:
                        divergences[target.divergence.id] = divergence_spec(target.divergence)
    for claim in experiments.CLAIMS.values():
        if claim.divergence is not None:
            divergences[claim.divergence.id] = divergence_spec(claim.divergence)
    profiles = {
        profile: ProfileSpec(
            tuple(
                case
                for experiment in experiments.EXPERIMENTS.values()
                if profile in experiment.profiles
                for case in _cases(experiment, profile)
            ),
            tuple(_claim(c) for c in experiments.claims(profile)),
        )
        for profile in PROFILES
    }
    return Manifest(profiles, divergences, revision)
