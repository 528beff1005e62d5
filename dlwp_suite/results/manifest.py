"""What each profile declares, as plain data: cases, bars, claims and divergences.

A run writes the manifest of the code it ran beside its records, and the committed
``results/manifest.json`` is today's (``dlwp-suite manifest`` rewrites it; a test keeps
it in step with the declarations). The judge, the report and ``compare`` read this, never
the declarations, so they need neither Keras nor the experiments.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from dlwp_suite.case_ids import baseline_id, case_id, side_id
from dlwp_suite.results.bars import Bar, RelationRule
from dlwp_suite.results.calibration import Calibration

# 2: a target says whether it is deterministic, a calibration the case ids it recorded.
MANIFEST_SCHEMA = 2
MANIFEST_NAME = "manifest.json"
DataKind = Literal["real", "stand-in", "generated"]


@dataclass(frozen=True)
class DivergenceSpec:
    """An established reason why a book number or claim fails on some stacks."""

    id: str
    keras: str  # a PEP 440 specifier; empty: any version
    backends: tuple[str, ...]  # empty: any backend
    reason: str
    evidence: str
    # The probe that shows the mechanism: a named probe's reading the records carry
    # ("probes"), or "metric:<name>", one of the case's metrics; shown at or past
    # ``probe_value`` on the side ``probe_comparison`` says.
    probe_measure: str
    probe_comparison: str  # "at_least" | "at_most"
    probe_value: float
    probe_says: str

    def shows(self, reading: float) -> bool:
        """Whether a probe's reading shows the mechanism."""
        if self.probe_comparison == "at_least":
            return reading >= self.probe_value
        return reading <= self.probe_value

    def matches(self, environment: Mapping[str, Any]) -> bool:
        """Whether a record's environment is a stack this divergence applies to."""
        version = str(environment.get("keras") or "0")
        if self.keras and Version(version) not in SpecifierSet(self.keras):
            return False
        return not self.backends or environment.get("backend") in self.backends


@dataclass(frozen=True)
class TargetSpec:
    """One bar of a case (or of one of its experiment's baselines), with its source.

    ``book_number``: the bar is the book's printed number, the only kind of bar whose
    pass on real data says "reproduces", where its band is measured (``band_measured``).
    """

    bar: Bar
    book_number: bool
    source: str
    basis: str
    divergence: str | None = None  # a DivergenceSpec id
    calibration: Calibration | None = None  # where a number measured on seeds came from
    deterministic: bool = False  # no seed moves the number: its band is the book's rounding

    @property
    def band_measured(self) -> bool:
        """Whether the band is measured: on held-out seeds, or needs none (deterministic).
        Else it is provisional, and a book number inside it does not "reproduce"."""
        return self.calibration is not None or self.deterministic


@dataclass(frozen=True)
class CaseSpec:
    """One case of a profile: an experiment's variant, or one of its baselines
    (``baseline`` set: its bars are checked on the baseline's record)."""

    experiment: str
    variant: str
    chapter: str
    title: str
    data_kind: DataKind
    targets: tuple[TargetSpec, ...]
    baseline: str | None = None
    # The case whose training this one reuses where it ran first in the process with
    # the seed (it looks inside that model, or is its first phase): run scripts select
    # the two together.
    trained_by: str | None = None
    # Its network joins its experiment's ensemble: the comparisons test trains it again
    # unless this case ran first in the process (run scripts select the two together).
    ensembled: bool = False

    @property
    def id(self) -> str:
        """``ch03.imdb.dense[book]`` or ``ch06.jena.2e:common_sense``."""
        if self.baseline is not None:
            return baseline_id(self.experiment, self.baseline)
        return case_id(self.experiment, str(self.variant))


@dataclass(frozen=True)
class SideSpec:
    """One side of a claim: a case's network or a baseline, on a metric."""

    experiment: str
    variant: str | None = None
    baseline: str | None = None
    metric: str | None = None

    @property
    def label(self) -> str:
        """``ch06.jena.1e[gru]`` or ``ch06.jena.1e:common_sense``."""
        return side_id(self.experiment, self.variant, self.baseline)

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Whether a record holds this side's values."""
        if record.get("experiment") != self.experiment:
            return False
        if self.variant is not None:
            return record.get("kind") == "model" and record.get("variant") == self.variant
        return record.get("kind") == "baseline" and record.get("name") == self.baseline


@dataclass(frozen=True)
class ClaimSpec:
    """A book comparison: A <relation> B on a metric, judged on paired seeds."""

    id: str
    says: str
    source: str
    basis: str
    chapter: str
    metric: str
    a: SideSpec
    b: SideSpec
    rule: RelationRule
    as_checked: str  # the declaration's own wording of the relation
    divergence: str | None = None
    curve: str | None = None  # the history key whose curves show it, if any

    @property
    def timing(self) -> bool:
        """Whether the sides are read from timings (rates), not metrics."""
        return self.rule.relation == "faster"


@dataclass(frozen=True)
class ProfileSpec:
    """Everything one profile runs and checks."""

    cases: tuple[CaseSpec, ...]
    claims: tuple[ClaimSpec, ...]


def _json_text(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


@dataclass(frozen=True)
class Manifest:
    """Every profile's declarations and the divergences they cite."""

    profiles: Mapping[str, ProfileSpec]
    divergences: Mapping[str, DivergenceSpec]
    revision: str = ""
    schema: int = MANIFEST_SCHEMA

    def case(self, profile: str, case_id: str) -> CaseSpec | None:
        """The declared case ``case_id`` of ``profile``, if any."""
        spec = self.profiles.get(profile)
        return next((c for c in spec.cases if c.id == case_id), None) if spec else None

    def as_data(self) -> dict[str, Any]:
        """The manifest as JSON-ready data; a bar set without seeds has no calibration key,
        and one that seeds move no deterministic key."""
        data = asdict(self)
        for profile in data["profiles"].values():
            for case in profile["cases"]:
                for target in case["targets"]:
                    if target["calibration"] is None:
                        del target["calibration"]
                    if not target["deterministic"]:
                        del target["deterministic"]
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Manifest:
        """The manifest :meth:`as_data` wrote; a newer schema is refused."""
        if data.get("schema", 0) > MANIFEST_SCHEMA:
            raise ValueError(
                f"manifest schema {data.get('schema')} is newer than this dlwp-suite "
                f"reads ({MANIFEST_SCHEMA}): upgrade dlwp-suite"
            )
        return cls(
            profiles={
                name: ProfileSpec(
                    tuple(_case(c) for c in spec["cases"]),
                    tuple(_claim(c) for c in spec["claims"]),
                )
                for name, spec in data["profiles"].items()
            },
            divergences={
                key: DivergenceSpec(**{**d, "backends": tuple(d["backends"])})
                for key, d in data["divergences"].items()
            },
            revision=data.get("revision", ""),
            schema=data.get("schema", MANIFEST_SCHEMA),
        )

    def write(self, path: Path) -> Path:
        """Write as indented JSON (stable order, so a diff shows what changed). A file
        that declares the same already is left as it is, with the revision that wrote
        it: every run writes its manifest, and one that changed no declaration should
        not dirty a checkout's committed copy."""
        text = _json_text(self.as_data())
        try:
            written = json.loads(path.read_text(encoding="utf-8"))
            if _json_text({**written, "revision": self.revision}) == text:
                return path
        except (OSError, ValueError, TypeError):
            pass  # none yet, or unreadable: written anew
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """Read a manifest file."""
        return cls.from_data(json.loads(path.read_text(encoding="utf-8")))


def _target(data: Mapping[str, Any]) -> TargetSpec:
    calibration = data.get("calibration")
    return TargetSpec(
        **{
            **data,
            "bar": Bar.from_data(data["bar"]),
            "calibration": Calibration.from_dict(calibration) if calibration else None,
        }
    )


def _case(data: Mapping[str, Any]) -> CaseSpec:
    return CaseSpec(**{**data, "targets": tuple(_target(t) for t in data["targets"])})


def _claim(data: Mapping[str, Any]) -> ClaimSpec:
    return ClaimSpec(
        **{
            **data,
            "a": SideSpec(**data["a"]),
            "b": SideSpec(**data["b"]),
            "rule": RelationRule(**data["rule"]),
        }
    )


def find_manifest(results_dir: Path) -> Path | None:
    """The manifest a report of ``results_dir`` judges by: its ``manifest.json``."""
    path = results_dir / MANIFEST_NAME
    return path if path.is_file() else None
