"""One xdist worker for each experiment's tests, under ``--dist loadgroup``.

An experiment's comparisons ensemble the network its case's test trained in the same
process, a view looks inside a model trained there, and cases share the data loaded
there: on another worker they are trained and loaded again. pytest-xdist groups tests
by their ``xdist_group`` marks, but on pytest 9.2 its workers no longer pass the groups
on (pytest-dev/pytest-xdist#1386), so the controller groups by the declarations instead:
the scheduler is xdist's own, told each test's group from its parameter's id.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadGroupScheduling

from dlwp_suite.experiments import EXPERIMENTS, first_trainer
from dlwp_suite.session import case_test_id


def worker_groups(profile: str) -> dict[str, str]:
    """Test parameter ids (a case's ``experiment-variant``, an experiment's id) to the
    experiment whose process should run them: that of the case training the model they
    use (a view's trainer, a fine-tuned case's first phase; the ensembled case's for an
    experiment's comparisons)."""
    groups = {}
    for experiment in EXPERIMENTS.values():
        for case in experiment.cases(profile):
            groups[case_test_id(case)] = first_trainer(case).experiment.id
        ensembled = experiment.ensemble_case(profile)
        trainer = experiment if ensembled is None else first_trainer(ensembled).experiment
        groups[experiment.id] = trainer.id
    return groups


class ExperimentGroupScheduling(LoadGroupScheduling):
    """xdist's ``loadgroup`` scheduling, each benchmark test in its experiment's group
    (other tests as xdist groups them)."""

    def __init__(
        self, config: pytest.Config, log: Producer | None, groups: Mapping[str, str]
    ) -> None:
        super().__init__(config, log)
        self.groups = groups

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.endswith("]"):
            group = self.groups.get(nodeid[nodeid.rfind("[") + 1 : -1])
            if group is not None:
                return f"experiment:{group}"
        return super()._split_scope(nodeid)
