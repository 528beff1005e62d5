"""Run a case over seeds, or its baselines and ensemble, and turn the outcome into records.

Free of pytest, so the CLI and notebooks can drive it the same way the benchmarks do.
"""

from __future__ import annotations

import resource
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dlwp_suite import protocols
from dlwp_suite.baselines import run_baseline
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.ensembles import average_with_best, reported_metric
from dlwp_suite.experiment import Case
from dlwp_suite.results import make_record
from dlwp_suite.targets import TargetCheck


def peak_rss_mb() -> float:
    """The process' peak resident memory so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Outcome:
    """What running a case (or its comparisons) produced: checks and records."""

    checks: list[TargetCheck] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    # The first seed's tested model, so the comparisons can reuse it instead of retraining.
    tested: protocols.RunResult | None = None

    @property
    def failures(self) -> list[TargetCheck]:
        """The targets that missed."""
        return [c for c in self.checks if not c.passed]


def check_targets(
    case: Case, per_seed: Sequence[Mapping[str, float]], data: TaskData, seed: int
) -> list[TargetCheck]:
    """Check each of the case's targets on the median over seeds."""
    checks = []
    for target in case.targets:
        reference = None
        if target.baseline is not None:
            scores = run_baseline(target.baseline, case, data, seed).metrics
            # A baseline has one validation score: it is its best one too.
            reference = scores.get(target.metric, scores.get(target.metric.removeprefix("best_")))
        checks.append(target.check([m[target.metric] for m in per_seed], reference))
    return checks


def _record(case: Case, run_id: str, env: Mapping[str, Any], data: TaskData, **fields: Any):
    return make_record(
        run_id=run_id,
        experiment=case.experiment.id,
        variant=case.variant,
        profile=case.profile,
        params=case.params,
        environment=env,
        data=data.provenance,
        **fields,
    )


def run_case(
    case: Case, data: TaskData, seeds: Sequence[int], run_id: str, env: Mapping[str, Any]
) -> Outcome:
    """Train the case's model once per seed; check its targets on the medians."""
    runs = [protocols.run(case, data, seed) for seed in seeds]
    for result in runs:  # the process-wide peak: an upper bound for this case
        result.timings["process_peak_rss_mb"] = peak_rss_mb()
    checks = check_targets(case, [r.metrics for r in runs], data, seeds[0])
    records = []
    for seed, result in zip(seeds, runs, strict=True):
        targets = [
            {**c.as_record(), "seed_value": result.metrics[c.target.metric], "seeds": len(seeds)}
            for c in checks
        ]
        records.append(
            _record(
                case,
                run_id,
                env,
                data,
                kind="model",
                name="network",
                seed=seed,
                metrics=result.metrics,
                targets=targets,
                timings=result.timings,
                history=result.history,
                details=result.details,
            )
        )
    return Outcome(checks, records, runs[0])


def run_comparisons(
    case: Case,
    data: TaskData,
    seed: int,
    run_id: str,
    env: Mapping[str, Any],
    network: protocols.RunResult | None = None,
) -> Outcome:
    """Fit the experiment's baselines and the ensemble of the network with the best one.

    ``network`` is the case's tested model for ``seed`` if it was already trained.
    """
    task = case.experiment.task
    baselines = [run_baseline(name, case, data, seed) for name in case.experiment.baselines]
    book = case.experiment.profile(case.profile).baseline_targets
    checks = {
        b.name: [t.check([b.metrics[t.metric]]) for t in book.get(b.name, ())] for b in baselines
    }
    records = [
        _record(
            case,
            run_id,
            env,
            data,
            kind="baseline",
            name=b.name,
            seed=seed,
            metrics=b.metrics,
            targets=[c.as_record() for c in checks[b.name]],
            timings=b.timings,
            trivial=b.trivial,
        )
        for b in baselines
    ]
    all_checks = [c for name in checks for c in checks[name]]
    if data.y_test is None:  # no test split to ensemble on
        return Outcome(all_checks, records)
    network = network or protocols.tested_model(case, data, seed)
    assert network.test_predictions is not None
    metric = reported_metric(task)
    ensemble = average_with_best(
        task,
        network.test_predictions,
        network.metrics[metric],
        baselines,
        data.y_test,
        case.experiment.ensemble_partner,
    )
    records.append(
        _record(
            case,
            run_id,
            env,
            data,
            kind="ensemble",
            name=ensemble.name,
            seed=seed,
            metrics={**ensemble.metrics, f"network_{metric}": network.metrics[metric]},
            targets=[],
            timings=network.timings,
            partner=ensemble.partner,
            beats_network=ensemble.beats_network,
            beats_partner=ensemble.beats_partner,
        )
    )
    return Outcome(all_checks, records)
