"""Run a case over seeds, its baselines and ensemble, or judge a claim; make the records.

Free of pytest, so the CLI and notebooks can drive it the same way the benchmarks do.
The case's protocol plug-in (``dlwp_suite.protocols``) does the training.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dlwp_suite import progress, protocols
from dlwp_suite.baselines import BaselineResult
from dlwp_suite.canary import canary_s
from dlwp_suite.claims import Claim, ClaimCheck, Side
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.ensembles import average_with_best
from dlwp_suite.environment import accelerator_peak_memory_mb
from dlwp_suite.experiment import Case
from dlwp_suite.metrics import TIMING_METRICS
from dlwp_suite.results import make_record
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext


def peak_rss_mb() -> float:
    """The process' peak resident memory so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Outcome:
    """What running a case (or its comparisons) produced: its records (the judge,
    ``dlwp_suite.results.judge``, decides what they say)."""

    records: list[dict[str, Any]] = field(default_factory=list)
    # The first seed's tested model, so the comparisons can reuse it instead of retraining.
    tested: protocols.RunResult | None = None


def fit_baselines(
    case: Case, data: TaskData, seed: int, names: Iterable[str]
) -> dict[str, BaselineResult]:
    """Fit the named baselines of the case's experiment, with ``seed``, on its
    ``baseline_inputs`` (made once for all of them: some are conversions of the
    whole dataset)."""
    protocol = protocols.get(case.experiment.protocol)
    names = list(names)
    inputs = case.experiment.baseline_inputs(case.params, data) if names else data
    fitted = {}
    for name in names:
        # A long baseline (the dream's random steps) reports progress under its name.
        with progress.seed(f"{case.experiment.id} baseline {name}", seed, 0, 1):
            fitted[name] = protocol.baseline(name, case, inputs, seed)
    return fitted


def _baseline_score(result: BaselineResult, metric: str) -> float:
    # A baseline has one validation score: it is its best one too.
    return result.metrics.get(metric, result.metrics.get(metric.removeprefix("best_")))


def baseline_references(case: Case, baselines: Mapping[str, BaselineResult]) -> list[float | None]:
    """For each of the case's targets, the fitted baseline's value it compares with."""
    return [
        None if t.baseline is None else _baseline_score(baselines[t.baseline], t.metric)
        for t in case.targets
    ]


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


Write = Callable[[dict[str, Any]], None]


def run_case(
    case: Case,
    data: TaskData,
    seeds: Sequence[int],
    run_id: str,
    env: Mapping[str, Any],
    baselines: Mapping[str, BaselineResult],
    write: Write,
    probes: Mapping[str, float] | None = None,
    seeds_planned: int | None = None,
    context: RunContext = DEFAULT_CONTEXT,
) -> Outcome:
    """Train the case's model once per seed; check its targets on the medians.

    Each seed's record goes to ``write`` as soon as that seed finishes, so an interrupted
    run keeps the seeds it completed. It holds each target's declaration, the value it
    is checked against and the seed's value; the judge checks the bar on the seeds'
    median. ``baselines`` holds the fitted baselines its targets compare with (fitted
    once per experiment and seed, outside this timed call). ``probes`` are the readings
    of the probes of divergences declared for this stack, taken before the case; every
    record carries them. ``seeds_planned`` is the run's seed count where these
    ``seeds`` finish a resumed run. ``context`` says where pictures and TensorBoard logs
    go and how many steps a training call fuses (by default: none, none, the default).
    """
    protocol = protocols.get(case.experiment.protocol)
    references = baseline_references(case, baselines)
    runs, records = [], []
    after = canary_s()
    for index, seed in enumerate(seeds):
        # The machine's speed on each side of the seed, outside its timed region
        # (canary.py); one seed's "after" is the next one's "before".
        before = after
        with progress.seed(case.id, seed, index, len(seeds)):
            result = protocol.run(case, data, seed, context=context)
        after = canary_s()
        result.timings.update(canary_before_s=before, canary_after_s=after)
        # The process' peaks so far: the latest seed's are the case's upper bounds.
        result.timings["process_peak_rss_mb"] = peak_rss_mb()
        if (device_peak := accelerator_peak_memory_mb()) is not None:
            result.timings["device_peak_memory_mb"] = device_peak
        # A metric the protocol could not measure on this seed (a dream whose every
        # octave starts past the loss cap takes no step) is recorded as missing: the
        # judge counts the bar as missed, and the other seeds still run.
        targets = [
            {**t.as_record(reference), "seed_value": result.metrics.get(t.metric)}
            for t, reference in zip(case.targets, references, strict=True)
        ]
        record = _record(
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
            # So an interrupted case shows as incomplete.
            seeds_planned=seeds_planned or len(seeds),
            **({"probes": dict(probes)} if probes else {}),
        )
        write(record)
        runs.append(result)
        records.append(record)
    return Outcome(records, runs[0])


def time_case(
    case: Case,
    data: TaskData,
    seed: int,
    run_id: str,
    env: Mapping[str, Any],
    write: Write,
    context: RunContext,
    baselines_s: float | None = None,
) -> dict[str, Any]:
    """A time probe: run one seed with every training phase cut at the context's
    ``phase_budget_s``, and write a ``time_probe`` record of what each phase timed (the
    results layer extrapolates the seed's time from it), with ``baselines_s``, the
    experiment's baselines' seconds where this case fitted them. Nothing it trains is
    judged.

    A protocol that stops on its cut histories (a curve read at an epoch the cut never
    reached) still leaves its record, with ``stopped`` naming the error: the phases
    timed before it stand, what came after is not timed.
    """
    if context.phase_budget_s is None:
        raise ValueError("a time probe needs the context's phase_budget_s")
    protocol = protocols.get(case.experiment.protocol)
    stopped, reused = None, None
    before = canary_s()
    started = time.perf_counter()
    with progress.seed(case.id, seed, 0, 1):
        try:
            result = protocol.run(case, data, seed, context=context)
            reused = result.details.get("reused")  # timed inside another case
        except Exception as error:  # the phases timed so far are the result
            stopped = f"{type(error).__name__}: {error}"[:300]
        phases = progress.timed_phases()
    wall_s = time.perf_counter() - started
    record = _record(
        case,
        run_id,
        env,
        data,
        kind="time_probe",
        name="time_probe",
        seed=seed,
        metrics={},
        targets=[],
        timings={
            "wall_s": wall_s,
            "canary_before_s": before,
            "canary_after_s": canary_s(),
            **({} if baselines_s is None else {"baselines_s": baselines_s}),
        },
        plan={
            "budget_s": context.phase_budget_s,
            "phases": phases,
            "stopped": stopped,
            **({"reused": reused} if reused else {}),
        },
    )
    write(record)
    return record


def run_comparisons(
    case: Case,
    data: TaskData,
    seed: int,
    run_id: str,
    env: Mapping[str, Any],
    baselines: Mapping[str, BaselineResult],
    write: Write,
    network: protocols.RunResult | None = None,
    context: RunContext = DEFAULT_CONTEXT,
) -> Outcome:
    """Record the experiment's fitted baselines and the ensemble of the network with one.

    The baselines' records go to ``write`` before the ensemble's network is trained.
    ``network`` is the case's tested model for ``seed`` if it was already trained, else
    it is trained under ``context`` (as in `run_case`).
    """
    protocol = protocols.get(case.experiment.protocol)
    fitted = list(baselines.values())
    book = case.experiment.profile(case.profile).baseline_targets
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
            targets=[
                {**t.as_record(None), "seed_value": b.metrics[t.metric]}
                for t in book.get(b.name, ())
            ],
            timings=b.timings,
            trivial=b.trivial,
            **({"fitted_for": b.fitted_for} if b.fitted_for else {}),
        )
        for b in fitted
    ]
    for record in records:
        write(record)
    if data.y_test is None:  # no test split to ensemble on
        return Outcome(records)
    network = network or protocol.tested_model(case, data, seed, context=context)
    assert network.test_predictions is not None
    metric = protocol.reported_metric
    ensemble = average_with_best(
        case.experiment.task,
        metric,
        protocol.selection_metric,
        network.test_predictions,
        network.metrics[metric],
        fitted,
        data.y_test,
        case.experiment.ensemble_partner,
    )
    ensemble_record = _record(
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
    write(ensemble_record)
    return Outcome([*records, ensemble_record])


def side_values(side: Side, metric: str, records: Iterable[Mapping[str, Any]]) -> dict[int, float]:
    """``{seed: value}`` of one claim side in a run's records (timings for rates).

    The same seed recorded twice (two invocations sharing a run id) keeps its latest
    value, as the report does, whatever order the files were read in.
    """
    field_name = "timings" if metric in TIMING_METRICS else "metrics"
    values = {}
    for record in sorted(records, key=lambda r: r.get("recorded_at") or ""):
        if side.matches(record) and record[field_name].get(metric) is not None:
            values[int(record["seed"] or 0)] = float(record[field_name][metric])
    return values


def judge_claim(
    claim: Claim,
    records: Sequence[Mapping[str, Any]],
    run_id: str,
    profile: str,
    env: Mapping[str, Any],
) -> tuple[ClaimCheck, dict[str, Any]]:
    """Judge a claim on a run's records of its two sides; the check and its record."""
    a = side_values(claim.a, claim.a.metric or claim.metric, records)
    b = side_values(claim.b, claim.b.metric or claim.metric, records)
    check = claim.judge(a, b)
    # Side A's data provenance, so a claim judged on generated data says so.
    data = next((r.get("data") or {} for r in records if claim.a.matches(r)), {})
    record = make_record(
        run_id=run_id,
        experiment=claim.a.experiment,
        variant=claim.a.variant or "",
        kind="claim",
        name=claim.id,
        profile=profile,
        seed=None,
        params={},
        metrics={"a": check.weighed.a, "b": check.weighed.b},
        targets=[],
        timings={},
        environment=env,
        data=data,
        claim=check.as_record(),
    )
    return check, record
