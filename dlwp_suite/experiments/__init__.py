"""The registry of declared book experiments and claims, checked when it loads."""

from __future__ import annotations

import importlib

from dlwp_suite import protocols
from dlwp_suite.case_ids import case_id
from dlwp_suite.claims import Claim, Side
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import PROFILES, Case, Experiment

# One module per chapter part, each with EXPERIMENTS and CLAIMS, in the report's order.
_CHAPTERS = tuple(
    importlib.import_module(f"dlwp_suite.experiments.{name}")
    for name in (
        "ch03",
        "ch04",
        "ch05",
        "ch05_views",
        "ch06",
        "ch06_text",
        "ch06_text_2e",
        "ch07",
        "ch07_ensemble",
        "ch07_tuning",
        "ch08",
        "ch08_images",
        "ch08_vae",
        "ch08_gan",
        "ch08_lm",
    )
)
EXPERIMENTS: dict[str, Experiment] = {e.id: e for m in _CHAPTERS for e in m.EXPERIMENTS}
CLAIMS: dict[str, Claim] = {c.id: c for m in _CHAPTERS for c in m.CLAIMS}


def _check_experiment(experiment: Experiment) -> None:
    """A declaration error (unknown protocol, metric or baseline) fails at import."""
    protocol = protocols.get(experiment.protocol)
    if experiment.ensemble_variant not in (None, *experiment.variants):
        raise ValueError(f"{experiment.id}: no variant {experiment.ensemble_variant!r} to ensemble")
    unknown = set(experiment.baselines) - protocol.baseline_names
    if unknown:
        raise ValueError(f"{experiment.id}: {protocol.name} fits no baseline {sorted(unknown)}")
    for name, spec in experiment.profiles.items():
        for variant, targets in spec.targets.items():
            for target in targets:
                if target.metric not in protocol.metrics:
                    raise ValueError(
                        f"{experiment.id} [{variant}] {name}: {protocol.name} records no "
                        f"{target.metric!r}"
                    )
                if target.baseline and target.baseline not in experiment.baselines:
                    raise ValueError(f"{experiment.id}: no baseline {target.baseline!r}")


def _check_shared_baselines(experiment: Experiment) -> None:
    """An experiment that takes another's baselines must fit the same ones the same way
    (that their inputs are equal is tested on generated data)."""
    owner = EXPERIMENTS.get(experiment.baselines_of or "")
    if owner is None:
        raise ValueError(f"{experiment.id}: baselines_of names no experiment")
    for name in ("protocol", "task", "baseline_inputs", "baselines"):
        if getattr(owner, name) != getattr(experiment, name):
            raise ValueError(f"{experiment.id}: baselines_of {owner.id}, whose {name} differs")
    for profile in experiment.profiles:
        if profile not in owner.profiles or not owner.cases(profile):
            raise ValueError(f"{experiment.id}: {owner.id} runs no {profile} case to share")


def case_by_id(case_id: str, profile: str) -> Case:
    """The case ``experiment[variant]`` of ``profile``."""
    experiment_id, variant = case_id.rstrip("]").split("[", 1)
    if experiment_id not in EXPERIMENTS:
        raise KeyError(f"no experiment {experiment_id!r} (case {case_id!r})")
    return EXPERIMENTS[experiment_id].case(variant, profile)


def _check_trained_by(experiment: Experiment) -> None:
    """A variant that looks inside another case's trained model must train the same way:
    settings both declare are equal, and a setting one lacks is off in the other (None,
    False) or only says what to look at (the viewer protocol's ``view_params``)."""
    viewing = protocols.get(experiment.protocol).view_params
    for profile, spec in experiment.profiles.items():
        for variant, trainer_id in spec.trained_by.items():
            if not viewing:
                raise ValueError(f"{experiment.id}: {experiment.protocol} looks inside no model")
            if variant not in spec.variants:
                raise ValueError(f"{experiment.id} {profile}: trained_by names no run variant")
            trainer = case_by_id(trainer_id, profile)
            if trainer.variant not in trainer.experiment.profile(profile).variants:
                raise ValueError(f"{experiment.id} {profile}: {trainer_id} does not run there")
            viewer = experiment.case(variant, profile).params
            for key in sorted((set(viewer) | set(trainer.params)) - viewing):
                mine, theirs = viewer.get(key), trainer.params.get(key)
                one_sided = (key in viewer) != (key in trainer.params)
                if mine != theirs and not (one_sided and not (mine or theirs)):
                    raise ValueError(
                        f"{case_id(experiment.id, variant)} {profile}: trained_by {trainer_id}, "
                        f"whose {key!r} differs ({mine!r} against {theirs!r})"
                    )


def viewed_cases(profile: str) -> set[str]:
    """The cases of ``profile`` whose trained models other cases look inside."""
    return set(_trainers(profile))


def _trainers(profile: str) -> list[str]:
    return [
        trainer
        for e in EXPERIMENTS.values()
        if profile in e.profiles
        for trainer in e.profile(profile).trained_by.values()
    ]


def trainer_of(case: Case) -> str | None:
    """The case whose training ``case`` reuses where that one ran first in the process
    with the seed: the model it looks inside (``ProfileSpec.trained_by``), or the
    fine-tuned case whose first phase it is (its protocol's ``reuses``)."""
    return case.trained_by or protocols.get(case.experiment.protocol).reuses(case)


def first_trainer(case: Case) -> Case:
    """The case that trains what ``case`` reuses, followed to one that reuses nothing
    (``case`` itself where it trains its own model)."""
    while (trainer := trainer_of(case)) is not None:
        case = case_by_id(trainer, case.profile)
    return case


def _check_trainers_run_first() -> None:
    """pytest runs a chapter's cases in declaration order: a case reuses another's
    training only where that one runs before it, in the same chapter's file."""
    for profile in PROFILES:
        cases = [c for e in EXPERIMENTS.values() for c in e.cases(profile)]
        position = {c.id: i for i, c in enumerate(cases)}
        for case in cases:
            trainer = trainer_of(case)
            if trainer is None:
                continue
            if position.get(trainer, len(cases)) >= position[case.id]:
                raise ValueError(f"{case.id} {profile}: {trainer} does not run before it")
            if case_by_id(trainer, profile).experiment.chapter != case.experiment.chapter:
                raise ValueError(f"{case.id} {profile}: {trainer} runs in another chapter")


def _check_one_viewer_each() -> None:
    """A kept model is taken once (a view may change it: Grad-CAM's check permutes the
    classifier), so no two cases look inside the same one."""
    for profile in PROFILES:
        trainers = _trainers(profile)
        if shared := sorted({t for t in trainers if trainers.count(t) > 1}):
            raise ValueError(f"{profile}: several cases are trained_by {shared}")


def _check_side(claim: Claim, side: Side) -> None:
    experiment = EXPERIMENTS.get(side.experiment)
    if experiment is None:
        raise ValueError(f"claim {claim.id}: no experiment {side.experiment!r}")
    if side.variant is not None and side.variant not in experiment.variants:
        raise ValueError(f"claim {claim.id}: {experiment.id} has no variant {side.variant!r}")
    if side.baseline is not None and side.baseline not in experiment.baselines:
        raise ValueError(f"claim {claim.id}: {experiment.id} has no baseline {side.baseline!r}")
    if side.metric is not None and side.metric not in protocols.get(experiment.protocol).metrics:
        raise ValueError(f"claim {claim.id}: {experiment.protocol} records no {side.metric!r}")


for _experiment in EXPERIMENTS.values():
    _check_experiment(_experiment)
    if _experiment.baselines_of is not None:
        _check_shared_baselines(_experiment)
    _check_trained_by(_experiment)
_check_one_viewer_each()
_check_trainers_run_first()
for _claim in CLAIMS.values():
    _check_side(_claim, _claim.a)
    _check_side(_claim, _claim.b)


def get(experiment_id: str) -> Experiment:
    """The experiment declared under ``experiment_id``."""
    try:
        return EXPERIMENTS[experiment_id]
    except KeyError:
        raise KeyError(f"no experiment {experiment_id!r}; known: {sorted(EXPERIMENTS)}") from None


def in_chapter(chapter: str) -> list[Experiment]:
    """Experiments of one chapter group (``ch03``), in declaration order."""
    return [e for e in EXPERIMENTS.values() if e.chapter == chapter]


def protocol_samples(profile: str) -> set[str]:
    """The id of the first case of each protocol in ``profile``: one case per protocol,
    enough to see each code path run on another backend within CI's time."""
    first: dict[str, str] = {}
    for experiment in EXPERIMENTS.values():
        for case in experiment.cases(profile):
            first.setdefault(experiment.protocol, case.id)
    return set(first.values())


def side_runs(side: Side, profile: str) -> bool:
    """Whether the profile runs this side: its variant, or its experiment's baselines."""
    experiment = EXPERIMENTS[side.experiment]
    variants = experiment.profile(profile).variants
    return side.variant in variants if side.variant is not None else bool(variants)


def claims(profile: str, chapter: str | None = None) -> list[Claim]:
    """The claims a profile judges (both sides run in it), optionally of one chapter."""
    if profile not in PROFILES:
        raise KeyError(f"no profile {profile!r}")
    return [
        c
        for c in CLAIMS.values()
        if (chapter is None or c.chapter == chapter)
        and side_runs(c.a, profile)
        and side_runs(c.b, profile)
        and profile in c.profiles
    ]


def load_task_data(experiment: Experiment, config: DataConfig, profile: str) -> TaskData:
    """Load and preprocess the experiment's data (raises the dataset errors)."""
    return experiment.prepare(experiment.load_data(config, experiment.data_params(profile)))
