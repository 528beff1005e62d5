"""How a book experiment is declared, once, for the benchmark, report and CLI to read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from dlwp_suite.case_ids import case_id
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets.task_data import Params, TaskData
from dlwp_suite.targets import Target

if TYPE_CHECKING:
    import keras

PROFILES = ("smoke", "quick", "book")


@dataclass(frozen=True)
class ProfileSpec:
    """What one profile runs: which variants, shortened how, checked against what.

    ``overrides`` change protocol settings (epochs, folds) for every variant; ``note``
    says why the profile differs from the book, for the report. ``baseline_targets``
    are the book's numbers for its baselines (the common-sense forecast).
    """

    variants: tuple[str, ...]
    targets: Mapping[str, tuple[Target, ...]]
    overrides: Params = field(default_factory=lambda: MappingProxyType({}))
    baseline_targets: Mapping[str, tuple[Target, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # Per-variant settings on top of ``overrides`` (a slower-learning variant's epochs).
    variant_overrides: Mapping[str, Params] = field(default_factory=lambda: MappingProxyType({}))
    synthetic_data: bool = False
    note: str = ""
    # Variant -> the case (``experiment[variant]``) of this profile that trains the same
    # model with the same settings: the variant looks inside that case's trained model
    # where it ran first in the process with the seed, as the book's 5.4 loads the
    # models 5.2 and 5.3 saved, instead of training it again (the registry checks the
    # settings agree).
    trained_by: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Experiment:
    """One book experiment: data, model, protocol, explored variants and targets."""

    id: str
    title: str
    source: str
    task: Literal["binary", "multiclass", "regression"]
    protocol: str  # a name in dlwp_suite.protocols.PROTOCOLS
    load_data: Callable[[DataConfig, Params], TaskData]
    write_synthetic: Callable[[Path], None]
    build_model: Callable[[Params, TaskData], keras.Model]
    params: Params
    variants: Mapping[str, Params]
    profiles: Mapping[str, ProfileSpec]
    baselines: tuple[str, ...]
    prepare: Callable[[TaskData], TaskData] = field(default=lambda data: data)
    encode_labels: Callable[[Params, Any], Any] = field(default=lambda params, y: y)
    # The inputs one case trains on (a transfer case's frozen-base features), and the
    # flat inputs the shallow baselines fit; both receive the loaded data.
    case_inputs: Callable[[Params, TaskData], TaskData] = field(default=lambda params, d: d)
    baseline_inputs: Callable[[Params, TaskData], TaskData] = field(default=lambda params, d: d)
    # Fine-tuning's second phase: unfreeze and recompile a trained model in place.
    finetune: Callable[[keras.Model, Params], None] | None = None
    # The ensemble's shallow member; None: the best non-trivial baseline on validation.
    ensemble_partner: str | None = None
    # The variant whose network the ensemble averages, where the profile runs it; None:
    # the profile's first variant.
    ensemble_variant: str | None = None
    # Another experiment whose baselines these are: the same data and baseline inputs
    # (two networks on one dataset), so one process fits them once.
    baselines_of: str | None = None

    @property
    def chapter(self) -> str:
        """The chapter group of the id (``ch03`` for ``ch03.imdb.dense``)."""
        return self.id.split(".", 1)[0]

    def profile(self, name: str) -> ProfileSpec:
        """The spec for profile ``name``; a clear error for an unknown one."""
        if name not in self.profiles:
            raise KeyError(f"{self.id} has no profile {name!r}; it has {sorted(self.profiles)}")
        return self.profiles[name]

    def data_params(self, profile: str) -> Params:
        """The settings the data loader sees under ``profile`` (image size, rows)."""
        return MappingProxyType({**self.params, **self.profile(profile).overrides})

    def case(self, variant: str, profile: str) -> Case:
        """The fully resolved settings for one variant under one profile."""
        spec = self.profile(profile)
        if variant not in self.variants:
            raise KeyError(f"{self.id} has no variant {variant!r}; it has {sorted(self.variants)}")
        params = {
            **self.params,
            **self.variants[variant],
            **spec.overrides,
            **spec.variant_overrides.get(variant, {}),
        }
        return Case(self, variant, profile, MappingProxyType(params), spec.targets.get(variant, ()))

    def ensemble_case(self, profile: str) -> Case | None:
        """The case whose network joins the ensemble under ``profile`` (None: no case)."""
        variants = self.profile(profile).variants
        if not variants:
            return None
        wanted = self.ensemble_variant if self.ensemble_variant in variants else variants[0]
        return self.case(wanted, profile)

    def cases(self, profile: str) -> list[Case]:
        """Every case the profile runs, in declaration order."""
        return [self.case(variant, profile) for variant in self.profile(profile).variants]


@dataclass(frozen=True)
class Case:
    """An experiment variant under a profile: what a benchmark test runs."""

    experiment: Experiment
    variant: str
    profile: str
    params: Params
    targets: tuple[Target, ...]

    @property
    def id(self) -> str:
        """``<experiment id>[<variant>]``, the name used in records and test ids."""
        return case_id(self.experiment.id, self.variant)

    @property
    def trained_by(self) -> str | None:
        """The case whose trained model this one looks inside (``ProfileSpec.trained_by``)."""
        return self.experiment.profile(self.profile).trained_by.get(self.variant)
