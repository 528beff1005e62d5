"""The arrays an experiment trains on, with where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dlwp_suite.datafiles import ResolvedFile


@dataclass
class TaskData:
    """Train/test arrays in the split the book uses, plus their provenance."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    files: list[ResolvedFile] = field(default_factory=list)
    from_cache: bool = False

    @property
    def file_hashes(self) -> dict[str, str]:
        """``{file name: sha256}`` for the files the arrays were built from."""
        return {f.path.name: f.sha256 for f in self.files}

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
                for f in self.files
            },
            "vectorised_from_cache": self.from_cache,
        }
