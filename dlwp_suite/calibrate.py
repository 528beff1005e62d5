"""Calibration: a case on held-out seeds (100 and up), and the bands their spread gives.

``dlwp-suite calibrate CASE --seeds 100-107`` runs the case through the runner (as a
notebook would, no pytest), writes the records under ``results/tolerance/`` and returns,
for each of the case's targets, the seeds' values and the bar the rule gives: a number's
band is 3 x the seeds' standard deviation; a one-sided bar sits at median -/+ 3 x std; a
bar over a baseline keeps the median's lead less 3 x std. The default seeds (0 and up)
judge runs and are never calibration seeds.
"""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dlwp_suite.datafiles import DataConfig
from dlwp_suite.results.calibration import FIRST_CALIBRATION_SEED, rule_name, rule_value
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext
from dlwp_suite.targets import Target


@dataclass(frozen=True)
class Band:
    """What held-out seeds say about one target's bar."""

    target: Target
    values: tuple[float, ...]
    reference: float | None  # the baseline's value for a bar over a baseline
    median: float
    std: float
    suggested: float  # the tolerance (a number) or margin (over a baseline) the rule gives
    rule: str


def parse_seeds(text: str) -> list[int]:
    """``100-107`` or ``100,101,105``: calibration seeds, refused below 100."""
    if "-" in text:
        first, last = (int(part) for part in text.split("-", 1))
        seeds = list(range(first, last + 1))
    else:
        seeds = [int(part) for part in text.split(",")]
    if len(seeds) < 2 or min(seeds) < FIRST_CALIBRATION_SEED:
        raise ValueError(
            f"calibration needs 2 or more seeds from {FIRST_CALIBRATION_SEED} up (the "
            "default seeds 0.. judge runs and must stay independent of their bars)"
        )
    return seeds


def band(target: Target, values: Sequence[float], reference: float | None) -> Band:
    """The bar ``values`` give ``target`` by the rule (3 x the seeds' std: results.calibration)."""
    bar = target.bar()
    suggested = rule_value(bar, values, reference)
    median, std = statistics.median(values), statistics.stdev(values)
    return Band(target, tuple(values), reference, median, std, round(suggested, 4), rule_name(bar))


def calibrate(
    case_id: str,
    profile: str,
    seeds: Sequence[int],
    results: Path,
    config: DataConfig,
    context: RunContext = DEFAULT_CONTEXT,
) -> tuple[str, list[Band]]:
    """Run ``case_id`` ("experiment[variant]") on ``seeds`` under ``context`` (by default
    no pictures, no TensorBoard logs, the default fused steps); its run id and bands."""
    from dlwp_suite import experiments
    from dlwp_suite.environment import fingerprint
    from dlwp_suite.results import ResultsStore
    from dlwp_suite.runner import baseline_references, fit_baselines, run_case

    experiment_id, variant = case_id.rstrip("]").split("[", 1)
    experiment = experiments.get(experiment_id)
    case = experiment.case(variant, profile)
    with tempfile.TemporaryDirectory() as scratch:
        if experiment.profile(profile).synthetic_data:  # smoke: the generated files
            experiment.write_synthetic(Path(scratch) / "mirror")
            config = DataConfig(Path(scratch) / "mirror", None, Path(scratch) / "cache", True)
        data = experiments.load_task_data(experiment, config, profile)
        needed = sorted({t.baseline for t in case.targets if t.baseline is not None})
        baselines = fit_baselines(case, data, seeds[0], needed)
        backend = fingerprint()["backend"]  # each backend's records in a file of their own
        run_id = f"calibrate-{experiment_id}-{variant}-{profile}-{backend}-seeds{seeds[0]}"
        run_id += f"-{seeds[-1]}"
        store = ResultsStore(results, run_id)
        outcome = run_case(
            case, data, seeds, run_id, fingerprint(), baselines, store.append, context=context
        )
    references = baseline_references(case, baselines)
    for target in case.targets:  # a band from the seeds that measured it would be biased
        if missing := [r["seed"] for r in outcome.records if target.metric not in r["metrics"]]:
            raise ValueError(f"{case.id}: seeds {missing} did not measure {target.metric}")
    bands = [
        band(target, [r["metrics"][target.metric] for r in outcome.records], reference)
        for target, reference in zip(case.targets, references, strict=True)
    ]
    return run_id, bands
