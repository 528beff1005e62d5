"""The arrays an experiment trains on, with where they came from."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dlwp_suite.datafiles import ResolvedFile

# A case's settings, as a loader or a model builder reads them (``Case.params``).
Params = Mapping[str, Any]


@dataclass
class TaskData:
    """Train/test arrays in the split the book uses, plus their provenance.

    ``x_val``/``y_val`` hold a validation split where the dataset ships one (dogs vs
    cats); ``x_test`` is None where it ships no test split. ``assets`` are other
    verified files a model needs (pretrained weights); ``notes`` say how the data
    departs from the book's, for the report.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    source: str
    files: list[ResolvedFile] = field(default_factory=list)
    from_cache: bool = False
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    assets: dict[str, ResolvedFile] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    derived_dir: Path | None = None  # where derived arrays (base features) are cached
    timings: dict[str, float | bool] = field(default_factory=dict)  # of deriving inputs
    extras: dict[str, Any] = field(default_factory=dict)  # task-specific (window geometry)

    @property
    def file_hashes(self) -> dict[str, str]:
        """``{file name: sha256}`` for the files the arrays were built from."""
        return {f.path.name: f.sha256 for f in self.files}

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one input sample."""
        return tuple(self.x_train.shape[1:])

    @property
    def provenance(self) -> dict[str, object]:
        """What a results record says about the data."""
        return {
            "source": self.source,
            "files": {
                f.path.name: {
                    "sha256": f.sha256,
                    "location": f.location,
                    "vouched_by": f.vouched_by,
                }
                for f in [*self.files, *self.assets.values()]
            },
            "vectorised_from_cache": self.from_cache,
            "notes": self.notes,
        }


def first_as_validation(data: TaskData, n: int) -> TaskData:
    """The first ``n`` training samples validate, the rest train (1e listing 3.7's slice)."""
    return dataclasses.replace(
        data,
        x_train=data.x_train[n:],
        y_train=data.y_train[n:],
        x_val=data.x_train[:n],
        y_val=data.y_train[:n],
    )


def rejoined(data: TaskData) -> TaskData:
    """``first_as_validation`` undone: the validation samples back in front of the
    training ones, as the models that refit on both see them."""
    assert data.x_val is not None and data.y_val is not None
    return dataclasses.replace(
        data,
        x_train=np.concatenate([data.x_val, data.x_train]),
        y_train=np.concatenate([data.y_val, data.y_train]),
        x_val=None,
        y_val=None,
    )
