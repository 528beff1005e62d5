"""Durations for pytest-split, from the records: shards balanced by recorded wall time;
and the book run scripts' selections, from the plan.

``pytest benchmarks/ --splits N --group i`` (pytest-split) runs shard i of N; it balances
the shards by a durations file. The suite's records already hold each case's wall time
on each stack, so ``dlwp-suite durations`` writes that file from them instead of a
first unbalanced run with ``--store-durations``. Nothing here imports Keras.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dlwp_suite.results.manifest import CaseSpec, Manifest
from dlwp_suite.results.plan import PlanRow, riders_by_trainer, riding_share, seed_estimate
from dlwp_suite.results.records import newest


def model_test(chapter: str, experiment: str, variant: str) -> str:
    """The node id of a case's test (``benchmarks/test_<chapter>.py``, the plugin's ids)."""
    return f"benchmarks/test_{chapter}.py::test_model[{experiment}-{variant}]"


def comparisons_test(chapter: str, experiment: str) -> str:
    """The node id of an experiment's baselines-and-ensemble test."""
    return f"benchmarks/test_{chapter}.py::test_baselines_and_ensemble[{experiment}]"


def test_durations(
    records: Iterable[Mapping[str, Any]],
    manifest: Manifest,
    profile: str,
    stack: str,
    device: str,
    seeds: int = 1,
) -> dict[str, float]:
    """Seconds per test of ``profile`` as the newest runs on ``stack`` and ``device``
    measured them: a case's median wall time a seed times ``seeds``, an experiment's
    baselines' fit time. Tests never timed there are left out (pytest-split gives them
    the average); a time probe's extrapolation stands in for a case no run timed, or
    whose seeds looked inside another case's model (a shard may have to train it)."""
    chapters = {c.experiment: c.chapter for c in manifest.profiles[profile].cases}
    walls: dict[str, list[float]] = {}
    probed: dict[str, float] = {}
    fits: dict[str, float] = {}
    for record in newest(records):
        if (record["profile"], record["stack"], record["device"]) != (profile, stack, device):
            continue
        chapter = chapters.get(record["experiment"])
        timings = record.get("timings") or {}
        if chapter is None:
            continue
        # A seed on another case's model timed only its views (``details.reused``).
        reused = (record.get("details") or {}).get("reused")
        if record["kind"] == "model" and timings.get("wall_s") and not reused:
            test = model_test(chapter, record["experiment"], record["variant"])
            walls.setdefault(test, []).append(timings["wall_s"])
        elif record["kind"] == "time_probe":
            test = model_test(chapter, record["experiment"], record["variant"])
            probed[test] = seed_estimate(record).seconds
        elif record["kind"] == "baseline" and timings.get("fit_s"):
            test = comparisons_test(chapter, record["experiment"])
            fits[test] = fits.get(test, 0.0) + timings["fit_s"]
    seconds = {**probed, **{test: statistics.median(v) for test, v in walls.items()}}
    return {**{test: s * seeds for test, s in seconds.items()}, **fits}


@dataclass(frozen=True)
class Selection:
    """One pytest invocation of a run script: ``FILE -k EXPR`` and the seconds the plan
    expects it to take on the rows' machine (the seeds it lacks, with the experiment's
    baselines where it fits them; 0 for claims, which train nothing)."""

    line: str
    seconds: float


def plan_selections(
    rows: Iterable[PlanRow],
    manifest: Manifest,
    which: str,
    profile: str = "book",
    seeds: int = 3,
) -> list[Selection]:
    """What a run script runs next (``FILE -k EXPR``, one a case, then one a chapter for
    the claims whose every side is among the cases), cheapest first.

    ``which="gpu-sized"``: the cases GPU-sized on any machine planned, by one seed's GPU
    estimate, unknown last (``benchmarks/gpu_book.sh``: a short lease records whole
    cases first). ``which="fits"``: the cases that fit the rows' machine and lack
    ``seeds`` measured seeds there, by the seconds each invocation is planned to take
    there (``benchmarks/cpu_book.sh``: with a time budget it stops at the first that
    would overrun). A claim judges the cases its run recorded in earlier selections. A
    case ``trained_by`` another joins that case's selection and reuses its training on
    the seeds both lack (the views, or a fine-tuned case's first phase): only its seeds
    beyond those are counted.
    """
    rows = list(rows)
    missing, per_seed, sides = _lacking(rows, which, seeds)
    lacking = {case: per_seed[case] * len(left) for case, left in missing.items()}
    declared = [c for c in manifest.profiles[profile].cases if c.baseline is None]
    chapters = {c.id: c.chapter for c in declared}
    experiments = sorted({c.experiment for c in declared})
    # After their trainer in the same process (the registry checks pytest collects it
    # first, from the same chapter's file).
    riders = riders_by_trainer({c.id: c.trained_by for c in declared}, lacking)
    riding = {rider for group in riders.values() for rider in group}
    comparing = _comparisons_homes(declared, lacking, rows, which)
    ensembled = {c.experiment: c.id for c in declared if c.ensembled}
    # An experiment's baselines, timed here by the probe that fitted them (a GPU lease
    # fits them on its own CPU: not counted there).
    baselines: dict[str, float] = {}
    for r in rows if which == "fits" else ():
        experiment = r.case.split("[", 1)[0]
        baselines[experiment] = max(baselines.get(experiment, 0.0), r.baselines_s or 0.0)
    seed_times = {r.case: (r.gpu_s if which == "gpu-sized" else r.seed_s) or 0.0 for r in rows}
    selections: list[Selection] = []
    for case in (c for c in lacking if c not in riding):
        seconds, terms = lacking[case], []
        for selected in (case, *riders.get(case, ())):
            if selected != case:  # seeds the trainer does not train: the rider trains them
                seconds += len(missing[selected] - missing[case]) * per_seed[selected]
                # On the seeds both train, the rider's own share (its views, say).
                share = riding_share(per_seed[selected], per_seed[case])
                seconds += len(missing[selected] & missing[case]) * share
            experiment = selected.split("[", 1)[0]
            # pytest's ids hold "experiment-variant" where the suite writes "experiment[variant]".
            test_id = selected.replace("[", "-").rstrip("]")
            terms.append(f"test_model and {_only(test_id, declared)}")
            if comparing.get(experiment) == selected:
                seconds += baselines.get(experiment, 0.0)
                if (network := ensembled.get(experiment)) not in (None, *lacking):
                    seconds += seed_times.get(network, 0.0)  # trained again, one seed
                terms.append(f"test_baselines_and_ensemble and {_only(experiment, experiments)}")
        expression = terms[0] if len(terms) == 1 else " or ".join(f"({t})" for t in terms)
        selections.append(Selection(f"{chapters[case]}.py -k {expression}", seconds))
    if which == "fits":  # stable: ties keep the cases' order
        selections.sort(key=lambda s: s.seconds)
    claims: dict[str, list[str]] = {}
    for claim in manifest.profiles[profile].claims:
        labels = {claim.a.label, claim.b.label}
        if labels <= sides and labels & set(lacking):
            claims.setdefault(claim.chapter, []).append(claim.id)
    selections += [
        Selection(f"{chapter}.py -k {' or '.join(ids)}", 0.0) for chapter, ids in claims.items()
    ]
    return selections


def _lacking(
    rows: list[PlanRow], which: str, seeds: int
) -> tuple[dict[str, set[int]], dict[str, float], set[str]]:
    """The cases to run, in the order of one seed's time (gpu-sized: on a GPU, unknown
    last): the seeds of ``range(seeds)`` (what a run trains) each lacks, and one seed's
    seconds on the rows' machine (gpu-sized: on a GPU); and the cases a claim may compare
    (those that run or ran there)."""

    def lacks(row: PlanRow) -> set[int]:
        return set(range(seeds)) - set(row.seeds_recorded)

    if which == "gpu-sized":
        chosen = sorted(
            (r for r in rows if r.fits is False),
            key=lambda r: (r.gpu_s is None, r.gpu_s or 0.0, r.case),
        )
        sides = {r.case for r in chosen}
    elif which == "fits":
        fitting = [r for r in rows if r.fits]
        chosen = sorted(
            (r for r in fitting if lacks(r)),
            key=lambda r: (r.seed_s or 0.0, r.case),
        )
        sides = {r.case for r in fitting}
    else:
        raise ValueError(f"which is 'gpu-sized' or 'fits', not {which!r}")
    missing: dict[str, set[int]] = {}
    per_seed: dict[str, float] = {}
    for r in chosen:
        if r.case not in missing:
            missing[r.case] = lacks(r)
            per_seed[r.case] = (r.gpu_s if which == "gpu-sized" else r.seed_s) or 0.0
    return missing, per_seed, sides


def _comparisons_homes(
    declared: list[CaseSpec], lacking: Mapping[str, float], rows: list[PlanRow], which: str
) -> dict[str, str]:
    """Experiment -> the selected case its baselines and ensemble run with: its
    ensembled case where that is selected (the comparisons test takes the network that
    case trained in the process), else its first selected case (which then trains that
    network again). Left out where the ensemble's network does not fit the machine
    (GPU-sized, or its data missing): the GPU run compares them."""
    ensembled = {c.experiment: c.id for c in declared if c.ensembled}
    unfit = {r.case for r in rows if not r.fits}
    homes: dict[str, str] = {}
    for case in lacking:
        experiment = case.split("[", 1)[0]
        network = ensembled.get(experiment)
        if network in lacking:
            homes[experiment] = network
        elif network not in unfit or which == "gpu-sized":
            homes.setdefault(experiment, case)
    return homes


def _only(name: str, names: Iterable[Any]) -> str:
    """A ``-k`` term for ``name`` alone: pytest matches substrings, so the names that
    contain it (``conv1d_sigmoid`` for ``conv1d``) are excluded."""
    ids = {str(getattr(n, "id", n)).replace("[", "-").rstrip("]") for n in names}
    longer = sorted(i for i in ids if name in i and i != name)
    return " and ".join([name, *(f"not {i}" for i in longer)])
