"""The registry of declared book experiments."""

from __future__ import annotations

from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Experiment
from dlwp_suite.experiments import ch03, ch05, ch06

EXPERIMENTS: dict[str, Experiment] = {
    e.id: e for e in (*ch03.EXPERIMENTS, *ch05.EXPERIMENTS, *ch06.EXPERIMENTS)
}


def get(experiment_id: str) -> Experiment:
    """The experiment declared under ``experiment_id``."""
    try:
        return EXPERIMENTS[experiment_id]
    except KeyError:
        raise KeyError(f"no experiment {experiment_id!r}; known: {sorted(EXPERIMENTS)}") from None


def in_chapter(chapter: str) -> list[Experiment]:
    """Experiments of one chapter group (``ch03``), in declaration order."""
    return [e for e in EXPERIMENTS.values() if e.chapter == chapter]


def load_task_data(experiment: Experiment, config: DataConfig, profile: str) -> TaskData:
    """Load and preprocess the experiment's data (raises the dataset errors)."""
    return experiment.prepare(experiment.load_data(config, experiment.data_params(profile)))
