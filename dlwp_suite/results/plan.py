"""The plan of a profile on a machine: one seed's time per case, measured (a run of the
profile recorded its seeds) or extrapolated (a time probe cut its training phases),
whether a seed fits a working session there, and what a GPU would take.

A machine is a stack, a device and, on a CPU, the kernels its records name
(``cpu_kernels``): times never cross them, since one CPU model string covered VMs 2-4x
apart on convolutions. Seeds recorded count on any machine of the stack and device, as
the judge counts them.

Free of Keras and of the experiments, like the rest of the results layer: it reads
records and the manifest, and returns data the renderers format.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, NamedTuple

from dlwp_suite.case_ids import record_case_id
from dlwp_suite.results.manifest import Manifest
from dlwp_suite.results.records import Record, newest
from dlwp_suite.results.store import recorded_in_run

#: Cases timed on both a CPU and a GPU set the CPU : GPU ratio only from this many
#: seconds a seed on the CPU (shorter ones measure overheads; see ``plan_rows``).
RATIO_MIN_S = 60.0

#: The reason of a row no probe or run timed on its machine (the report counts them).
NO_PROBE = "no time probe"

#: A case "fits" a machine when one seed takes at most this long there: the issue's
#: "one seed within about an hour", so three seeds fit a few sessions.
FITS_WITHIN_S = 3600.0


@dataclass(frozen=True)
class SeedEstimate:
    """One seed's seconds from a time probe: what it timed plus, for each phase it cut,
    the remaining steps at the rate of its steps after the first (the first also builds
    and compiles; a probe times at least two). A phase that stopped on its own (early
    stopping, a loss cap) is what it timed."""

    seconds: float
    timed_s: float
    phases_cut: int
    stopped: str | None  # the protocol's error after a cut; later work is not timed

    @property
    def how(self) -> str:
        """``extrapolated`` where a phase was cut, else ``measured`` (nothing was cut)."""
        return "extrapolated" if self.phases_cut else "measured"


def seed_estimate(record: Mapping[str, Any]) -> SeedEstimate:
    """The seed time a ``time_probe`` record extrapolates to."""
    plan = record["plan"]
    timed = float(record["timings"]["wall_s"])
    remaining, cut = 0.0, 0
    for phase in plan["phases"]:
        done, total = int(phase["done"]), int(phase["total"])
        if not phase.get("cut") or done >= total:
            continue
        cut += 1
        # The steps the first report covered also built and compiled: the rate is the
        # later ones' (probes before fused-step reports recorded no ``first_done``: 1).
        first = int(phase.get("first_done", 1))
        later = float(phase["seconds"]) - float(phase["first_step_s"])
        rate = later / (done - first) if done > first else float(phase["seconds"]) / done
        remaining += rate * (total - done)
        # Counted in batches, the steps hold no validation: one pass an epoch not run yet
        # (probes before 2026-12-07's third session timed none; nor does a pass of one
        # call, whose time is mostly compiling).
        if (per_epoch := phase.get("steps_per_epoch")) and "validation_s" in phase:
            epochs = -(-total // int(per_epoch))
            left = max(0, epochs - int(phase.get("validations", 0)))
            remaining += float(phase["validation_s"]) * left
    return SeedEstimate(timed + remaining, timed, cut, plan.get("stopped"))


class Machine(NamedTuple):
    """A machine as the plan keeps it apart."""

    stack: str
    device: str
    kernels: str  # ``records.cpu_kernels``; "" on a GPU and where records predate them

    @property
    def name(self) -> str:
        """``tf2.21.0 keras3.15.1 tensorflow CPU (AVX2, oneDNN off)``: how the plan and
        its ``--machine`` option name it."""
        return f"{self.stack} {self.device}" + (f" ({self.kernels})" if self.kernels else "")


def _machine_of(record: Mapping[str, Any]) -> Machine:
    """The machine of a record labelled by ``newest``."""
    return Machine(record["stack"], record["device"], record["kernels"])


@dataclass(frozen=True)
class PlanRow:
    """One case of the plan on one machine (stack, device and CPU kernels)."""

    case: str
    stack: str
    device: str
    kernels: str  # ``cpu_kernels`` of the records that timed it; "" where they predate them
    seed_s: float | None  # one seed's network time; None: not timed (``reason``)
    how: str  # "measured" | "extrapolated" | "reused" (timed in another case) | ""
    seeds_timed: int  # seeds of a run that measured it (0: a time probe)
    phases_cut: int
    baselines_s: float | None  # the experiment's baselines, fitted once (probe only)
    # seed_s within FITS_WITHIN_S, or riding with a trainer that fits (``fits_riding``)
    fits: bool | None
    gpu_s: float | None
    gpu_how: str  # "measured" | "estimated" | ""
    gpu_device: str  # the GPU that measured it, or that the estimate's ratio came from
    gpu_ratio: float | None  # the CPU : GPU seed-time ratio an estimate used
    gpu_ratio_cases: int
    reason: str = ""  # why it was not timed
    stopped: str | None = None
    # Seeds the newest run of the profile recorded on the stack and device (any kernels),
    # those that looked inside another case's trained model (untimed:
    # ``details.reused``) included: what a run still lacks.
    seeds_recorded: tuple[int, ...] = ()
    seeds_reused: int = 0  # of the timing run's seeds here, those on another case's model
    # The case whose training this one reuses (``CaseSpec.trained_by``): run scripts
    # select them together, so its own time is spent only when it runs alone.
    rides_with: str | None = None
    # It fits only riding with that trainer: its share (``riding_share``) fits.
    fits_riding: bool = False
    # Where runs measured the case, the seed time its time probe here extrapolated (or
    # timed uncut): how far the plan was off.
    probe_s: float | None = None
    # Asked at a machine's speed now (its canary, dlwp_suite/canary.py): the median
    # factor its timed seeds (or probe) were scaled by, now's canary over theirs, and how
    # many carried one (older records did not; where some did, seed_s is theirs alone).
    speed_ratio: float | None = None
    speed_scaled: int = 0

    @property
    def machine(self) -> Machine:
        """The machine the row plans."""
        return Machine(self.stack, self.device, self.kernels)

    def as_data(self) -> dict[str, Any]:
        """JSON-ready data (``verdicts.json`` carries it on a not-run verdict)."""
        return asdict(self)


_MISSING_FILE = re.compile(r"(?:dataset unavailable|data missing): (\S+)")


def missing_file(reason: str) -> str | None:
    """The data file a skip's reason ("dataset unavailable: FILE is not at hand ...") or
    a plan's ("data missing: FILE") names, if any."""
    found = _MISSING_FILE.search(reason)
    return found.group(1) if found else None


def riding_share(rider_s: float | None, trainer_s: float | None) -> float:
    """What a seed of a case costs riding with its trainer: its time alone, which holds
    the trainer's training, less the trainer's (its own views, say); nothing where either
    is untimed or the trainer takes longer."""
    if rider_s is None or trainer_s is None:
        return 0.0
    return max(0.0, rider_s - trainer_s)


def riders_by_trainer(
    trained_by: Mapping[str, str | None], selected: Iterable[str]
) -> dict[str, list[str]]:
    """Trainer -> the selected cases that reuse its training (``trained_by``), where it is
    selected too: they ride with it in the same process and cost no training of their
    own. The one rule the run scripts' selections, the run's opening plan and the
    report's not-run totals share."""
    chosen = set(selected)
    found: dict[str, list[str]] = {}
    for case in trained_by:
        if case in chosen and (trainer := trained_by[case]) in chosen:
            found.setdefault(trainer, []).append(case)
    return found


def quoted_machines(rows: Iterable[PlanRow]) -> dict[tuple[str, str], Machine]:
    """Per stack and device, the machine whose plan a not-run verdict there quotes: the
    one that timed the most cases (ties: the last by name), so that the front page's
    totals add up one machine's minutes."""
    timed: dict[Machine, int] = {}
    for row in rows:
        timed[row.machine] = timed.get(row.machine, 0) + (row.seed_s is not None)
    chosen: dict[tuple[str, str], Machine] = {}
    for machine in sorted(timed, key=lambda m: (timed[m], m.name)):
        chosen[(machine.stack, machine.device)] = machine
    return chosen


def _probe_records(records: Iterable[Mapping[str, Any]]) -> list[Record]:
    probes = (r for r in records if r.get("kind") == "time_probe" or r.get("time_probe"))
    return newest(probes, by_kernels=True)


def judged_records(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Records without the time probes' (which the judge never reads)."""
    return [r for r in records if r.get("kind") != "time_probe" and not r.get("time_probe")]


#: Per (case, stack, device, kernels): each timed seed's network seconds and the canary
#: beside it.
Walls = dict[tuple[str, str, str, str], list[tuple[float, float | None]]]


def _canary(record: Mapping[str, Any]) -> float | None:
    """The mean of a record's canary readings (before and after its seed), if it has."""
    timings = record.get("timings") or {}
    before, after = timings.get("canary_before_s"), timings.get("canary_after_s")
    return (float(before) + float(after)) / 2 if before and after else None


def _seed_walls(
    records: Iterable[Mapping[str, Any]], profile: str
) -> tuple[Walls, dict[tuple[str, str, str, str], int]]:
    """Each case's per-seed network seconds (with their canaries) of the newest run per
    (case, stack, device, kernels), and how many of that run's seeds looked inside a
    model another case trained (and timed: their records' ``details.reused``)."""
    walls: Walls = {}
    reused: dict[tuple[str, str, str, str], int] = {}
    # A time says what a machine with those kernels took, whichever run is newest on
    # another.
    for row in newest(records, by_kernels=True):
        if row["kind"] != "model" or row["profile"] != profile:
            continue
        key = (record_case_id(row), *_machine_of(row))
        wall = (row.get("timings") or {}).get("wall_s")
        if (row.get("details") or {}).get("reused"):
            reused[key] = reused.get(key, 0) + 1
        elif wall is not None:
            walls.setdefault(key, []).append((float(wall), _canary(row)))
    return walls, reused


def _seeds_recorded(
    records: Iterable[Mapping[str, Any]], profile: str
) -> dict[tuple[str, str, str], set[int]]:
    """Each case's seeds the newest run recorded per (case, stack, device), on any CPU
    kernels: whether a case is answered does not depend on them (the judge's count)."""
    seeds: dict[tuple[str, str, str], set[int]] = {}
    for row in newest(records):
        if row["kind"] == "model" and row["profile"] == profile:
            seeds.setdefault((record_case_id(row), row["stack"], row["device"]), set()).add(
                row["seed"]
            )
    return seeds


def _at_speed(
    seconds: float, canary_s: float | None, now_s: float | None, device: str
) -> tuple[float, float | None]:
    """``seconds`` timed beside a canary of ``canary_s``, at the speed the canary read now
    (``now_s``) says (a CPU's arithmetic; a GPU's time is not the host's), and the factor
    used (None: as timed)."""
    if now_s is None or canary_s is None or device.startswith("GPU"):
        return seconds, None
    return seconds * now_s / canary_s, now_s / canary_s


def plan_rows(
    records: Iterable[Mapping[str, Any]],
    manifest: Manifest,
    profile: str = "book",
    fits_within_s: float = FITS_WITHIN_S,
    canary_now_s: float | None = None,
) -> list[PlanRow]:
    """The plan of ``profile`` on every machine where a time probe ran.

    Each declared case gets a row per such machine: its seed time measured by the
    newest run of the profile there (the median over its seeds), else extrapolated
    from the newest time probe, else the reason the probe gave (a dataset missing).
    GPU time is measured where a GPU ran the case (any stack: the fastest GPU's),
    else estimated as the machine's time over the median CPU : GPU ratio of the cases
    timed on both that take at least ``RATIO_MIN_S`` a seed here (all of them if none is
    that long). With ``canary_now_s`` (a canary read now), CPU seed times that carry a
    canary are scaled to the speed it says: what they would take at this moment.
    """
    records = list(records)
    probes = _probe_records(records)
    machines: dict[Machine, None] = {
        _machine_of(r): None
        for r in probes
        if r["profile"] == profile and not r["device"].startswith("GPU")
    }
    if not machines or profile not in manifest.profiles:
        return []
    judged = judged_records(records)
    walls, reused = _seed_walls(judged, profile)
    recorded = _seeds_recorded(judged, profile)
    gpu: dict[str, tuple[float, str]] = {}
    for (case, _, device, _), seconds in walls.items():
        if device.startswith("GPU"):
            measured = statistics.median(wall for wall, _ in seconds)
            if case not in gpu or measured < gpu[case][0]:
                gpu[case] = (measured, device)
    trainers = {c.id: c.trained_by for c in manifest.profiles[profile].cases if c.baseline is None}
    cases = list(trainers)
    rows: list[PlanRow] = []
    for machine in machines:
        stack, device, kernels = machine
        timed = {c: _machine_time(c, machine, walls, probes, profile, canary_now_s) for c in cases}
        both = [c for c in cases if timed[c].seed_s and c in gpu and gpu[c][0] > 0]
        # Cases under a minute here time start-up and dispatch more than arithmetic, on
        # a GPU too; of the heavier ones, the median ratio (one Transformer, 100 times
        # faster on a GPU, would rule a total).
        heavy = [c for c in both if (timed[c].seed_s or 0.0) >= RATIO_MIN_S] or both
        ratio = (
            statistics.median((timed[c].seed_s or 0.0) / gpu[c][0] for c in heavy)
            if heavy
            else None
        )
        ratio_devices = sorted({gpu[c][1] for c in heavy})
        here: list[PlanRow] = []
        for case in cases:
            seed_s, how, seeds, cut, baselines_s, reason, stopped, speed = timed[case]
            probed = _probed(case, machine, probes, profile, canary_now_s) if seeds else None
            if case in gpu:
                gpu_s, gpu_how, gpu_device = gpu[case][0], "measured", gpu[case][1]
            elif seed_s is not None and ratio:
                gpu_s, gpu_how, gpu_device = seed_s / ratio, "estimated", ", ".join(ratio_devices)
            else:
                gpu_s, gpu_how, gpu_device = None, "", ""
            here.append(
                PlanRow(
                    case=case,
                    stack=stack,
                    device=device,
                    kernels=kernels,
                    seed_s=seed_s,
                    how=how,
                    seeds_timed=seeds,
                    phases_cut=cut,
                    baselines_s=baselines_s,
                    fits=None if seed_s is None else seed_s <= fits_within_s,
                    gpu_s=gpu_s,
                    gpu_how=gpu_how,
                    gpu_device=gpu_device,
                    gpu_ratio=ratio if gpu_how == "estimated" else None,
                    gpu_ratio_cases=len(heavy) if gpu_how == "estimated" else 0,
                    reason=reason,
                    stopped=stopped,
                    seeds_recorded=tuple(sorted(recorded.get((case, stack, device), ()))),
                    seeds_reused=reused.get((case, *machine), 0),
                    rides_with=trainers[case],
                    # Measured over probed at one speed: both scaled to now or both as timed.
                    probe_s=probed[0] if probed and probed[1] == bool(speed) else None,
                    speed_ratio=statistics.median(speed) if speed else None,
                    speed_scaled=len(speed),
                )
            )
        rows += _riding_fits(here, fits_within_s)
    return rows


def _riding_fits(rows: Sequence[PlanRow], fits_within_s: float) -> list[PlanRow]:
    """One machine's rows, a case that reuses another's training marked as fitting where
    that trainer fits, still lacks every seed it lacks, and its share riding
    (``riding_share``) fits too: the run scripts select them together (its time alone,
    which includes the training, would call it GPU-sized and send a GPU to train the
    same model again)."""
    by_case = {row.case: row for row in rows}
    fitted = []
    for row in rows:
        trainer = by_case.get(row.rides_with or "")
        if (
            row.fits is False
            and trainer is not None
            and trainer.fits
            # Every seed the trainer recorded, the rider has: those it lacks, both lack.
            and set(trainer.seeds_recorded) <= set(row.seeds_recorded)
            and riding_share(row.seed_s, trainer.seed_s) <= fits_within_s
        ):
            row = replace(row, fits=True, fits_riding=True)
        fitted.append(row)
    return fitted


def _probes_here(
    case: str, machine: Machine, probes: Sequence[Record], profile: str
) -> list[Record]:
    """The newest probe's records of ``case`` on the machine: its ``time_probe``, or the
    outcome that says why it timed nothing."""
    return [
        r
        for r in probes
        if _machine_of(r) == machine
        and r["profile"] == profile
        and (record_case_id(r) == case or r.get("test") == f"model:{case}")
    ]


def _probed(
    case: str,
    machine: Machine,
    probes: Sequence[Record],
    profile: str,
    now_s: float | None = None,
) -> tuple[float, bool] | None:
    """The seed time the newest time probe of ``case`` on the machine gives, if it timed
    a training phase of the case itself (a reused result times none), at the speed the
    canary read now (``now_s``) says where given; and whether it was scaled."""
    here = _probes_here(case, machine, probes, profile)
    probe = next((r for r in here if r["kind"] == "time_probe"), None)
    if probe is None or not probe["plan"]["phases"] or probe["plan"].get("reused"):
        return None
    seconds, factor = _at_speed(seed_estimate(probe).seconds, _canary(probe), now_s, machine.device)
    return seconds, factor is not None


@dataclass(frozen=True)
class ProbeAccuracy:
    """On one machine, measured seed time over the time probe's, for every case both
    timed: what the plan's extrapolations are worth there."""

    machine: Machine
    cases: int
    median: float
    low: float
    high: float


def probe_accuracy(rows: Iterable[PlanRow]) -> list[ProbeAccuracy]:
    """Per machine, the measured : probed seed-time ratios of the cases runs measured
    at ``RATIO_MIN_S`` or more a seed (shorter ones time start-up more than training)."""
    ratios: dict[Machine, list[float]] = {}
    for row in rows:
        heavy = row.seed_s is not None and row.seed_s >= RATIO_MIN_S
        if heavy and row.how == "measured" and row.seeds_timed and row.probe_s:
            ratios.setdefault(row.machine, []).append(row.seed_s / row.probe_s)
    return [
        ProbeAccuracy(machine, len(r), statistics.median(r), min(r), max(r))
        for machine, r in ratios.items()
    ]


class _Timed(NamedTuple):
    """One case's seed time on a machine, and where it came from."""

    seed_s: float | None
    how: str
    seeds_timed: int
    phases_cut: int
    baselines_s: float | None
    reason: str
    stopped: str | None
    speed: tuple[float, ...]  # the factors the canary scaled its readings by


def _machine_time(
    case: str,
    machine: Machine,
    walls: Walls,
    probes: Sequence[Record],
    profile: str,
    now_s: float | None = None,
) -> _Timed:
    """The case's seed time on a machine: its runs' median seed, else its probe's
    extrapolation, else why it has none; at the speed the canary read now (``now_s``)
    says where given. Where some seeds carry a canary, the median is theirs alone: a
    seed of unknown speed beside them would make the median a mix of two moments."""
    device = machine.device
    if seconds := walls.get((case, *machine)):
        timed = [_at_speed(wall, canary, now_s, device) for wall, canary in seconds]
        scaled = [(s, f) for s, f in timed if f is not None] or timed
        speed = tuple(f for _, f in scaled if f is not None)
        seed_s = statistics.median(s for s, _ in scaled)
        return _Timed(seed_s, "measured", len(seconds), 0, None, "", None, speed)
    here = _probes_here(case, machine, probes, profile)
    probe = next((r for r in here if r["kind"] == "time_probe"), None)
    if probe is not None and (reused := probe["plan"].get("reused")):
        return _Timed(0.0, "reused", 0, 0, None, f"reused: {reused}", None, ())
    if probe is not None:
        estimate = seed_estimate(probe)
        seed_s, factor = _at_speed(estimate.seconds, _canary(probe), now_s, device)
        baselines_s = probe["timings"].get("baselines_s")
        return _Timed(
            seed_s,
            estimate.how,
            0,
            estimate.phases_cut,
            baselines_s if baselines_s is None or factor is None else baselines_s * factor,
            "",
            estimate.stopped,
            () if factor is None else (factor,),
        )
    ended = next((r for r in here if r["kind"] == "outcome"), None)
    reason = f"{ended['outcome']}: {ended['reason']}" if ended else NO_PROBE
    if (missing := missing_file(reason)) is not None:  # the file's name is what one needs
        reason = f"data missing: {missing}"
    return _Timed(None, "", 0, 0, None, reason, None, ())


@dataclass(frozen=True)
class RunEstimate:
    """What a run about to start trains, and what earlier runs of the same cases on the
    same machine (stack, device and CPU kernels) took for it."""

    cases: int
    seeds: int  # seeds a case, as asked
    recorded: int  # (case, seed) pairs the resumed run recorded already: not trained again
    timed: int  # cases with an earlier time here
    extrapolated: int  # of those, timed only by a time probe
    riding: int  # cases whose seeds left all ride with their trainer's: no training of their own
    scaled: int  # timed cases whose time the canary scaled to the machine's speed now
    seconds: float  # the timed cases' seeds left


def seeds_left(
    recorded: Iterable[Mapping[str, Any]], cases: Iterable[str], seeds: Iterable[int]
) -> dict[str, set[int]]:
    """Each case's ``seeds`` that have no model record among ``recorded``."""
    done: dict[str, set[int]] = {}
    for r in recorded:
        if r.get("kind") == "model":
            done.setdefault(record_case_id(r), set()).add(r.get("seed"))
    return {case: set(seeds) - done.get(case, set()) for case in cases}


def run_estimate(
    records: Iterable[Mapping[str, Any]],
    trained_by: Mapping[str, str | None],
    profile: str,
    machine: Machine,
    seeds: Iterable[int],
    resumed: str | None = None,
    canary_now_s: float | None = None,
) -> RunEstimate:
    """The estimate of a run of the cases ``trained_by`` names (case -> its trainer) on
    ``machine`` (stack, device, CPU kernels), each case's seed as the plan times it there (measured,
    else its time probe's), times the seeds the resumed run has not recorded; a case
    riding with its trainer trains only the seeds its trainer does not. With
    ``canary_now_s``, at the speed it says (``plan_rows``)."""
    records = list(records)
    seeds = list(seeds)
    kept = recorded_in_run(records, resumed, profile, {"model"}) if resumed else []
    left = seeds_left(kept, trained_by, seeds)
    walls, _ = _seed_walls(judged_records(records), profile)
    probes = _probe_records(records)
    each: dict[str, float] = {}
    probed = scaled = 0
    for case in trained_by:
        timed = _machine_time(case, machine, walls, probes, profile, canary_now_s)
        if timed.seed_s is not None and timed.how != "reused":  # a reused one timed nothing
            each[case] = timed.seed_s
            probed += not timed.seeds_timed
            scaled += bool(timed.speed)
    trainer_of = {
        rider: trainer
        for trainer, group in riders_by_trainer(trained_by, trained_by).items()
        for rider in group
    }
    own = {case: left[case] - left.get(trainer_of.get(case), set()) for case in trained_by}
    shares = sum(
        riding_share(each.get(rider), each.get(trainer)) * len(left[rider] - own[rider])
        for rider, trainer in trainer_of.items()
    )
    return RunEstimate(
        cases=len(trained_by),
        seeds=len(seeds),
        recorded=sum(len(seeds) - len(s) for s in left.values()),
        timed=len(each),
        extrapolated=probed,
        riding=sum(1 for case in trainer_of if left[case] and not own[case]),
        scaled=scaled,
        seconds=sum(each[case] * len(own[case]) for case in each) + shares,
    )
