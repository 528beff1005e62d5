"""The one judge: records and a manifest in, one Verdict per declared bar or claim and
stack out. The plugin's assertions, the report and ``compare`` all read its verdicts.

Every verdict is one stack's (software stack and device): values never cross stacks.
Bars and claims are judged as the manifest declares them now, on the newest run of
each case on that stack.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dlwp_suite.case_ids import baseline_id, record_case_id
from dlwp_suite.results.bars import weigh
from dlwp_suite.results.manifest import (
    CaseSpec,
    ClaimSpec,
    DivergenceSpec,
    Manifest,
    SideSpec,
    TargetSpec,
)
from dlwp_suite.results.plan import NO_PROBE, judged_records, plan_rows, quoted_machines
from dlwp_suite.results.records import Record, data_kind, newest
from dlwp_suite.results.verdicts import Status, Verdict

TIMINGS = ("train_samples_per_s", "inference_samples_per_s", "train_tokens_per_s")
_KIND_ORDER = {"real": 0, "stand-in": 1, "generated": 2}

#: The reason of a case its stack has no record or outcome of.
NOT_ATTEMPTED = "not attempted on this stack"


def judge(
    records: Iterable[Mapping[str, Any]],
    manifest: Manifest,
    profiles: Sequence[str] | None = None,
) -> list[Verdict]:
    """Judge every declared bar and claim on every stack that has records of its profile.

    A stack that recorded anything in a profile gets a verdict for each of the
    profile's bars and claims: what it ran is judged, what it did not is ``not run``
    with the reason its outcome records give.
    """
    records = list(records)
    rows = newest(judged_records(records))
    by_stack: dict[tuple[str, str, str], list[Record]] = defaultdict(list)
    for row in rows:
        by_stack[(row["profile"], row["stack"], row["device"])].append(row)
    verdicts = []
    for (profile, stack, device), stack_rows in by_stack.items():
        spec = manifest.profiles.get(profile)
        if spec is None or (profiles is not None and profile not in profiles):
            continue
        view = _StackView(profile, stack, device, stack_rows, manifest)
        for case in spec.cases:
            verdicts += [view.target(case, target) for target in case.targets]
        verdicts += [view.claim(claim) for claim in spec.claims]
    return _with_plans(verdicts, records, manifest)


def _with_plans(
    verdicts: list[Verdict], records: list[Mapping[str, Any]], manifest: Manifest
) -> list[Verdict]:
    """A case not run where a time probe ran carries the plan's row: its time there;
    where CPUs with different kernels were planned, the row of the one that timed the
    most cases (``quoted_machines``; the plan table has all)."""
    plans: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for profile in {v.profile for v in verdicts if v.status is Status.NOT_RUN}:
        rows = plan_rows(records, manifest, profile)
        quoted = quoted_machines(rows)
        for row in rows:
            if row.machine == quoted[(row.stack, row.device)]:
                plans[(row.case, row.stack, row.device, profile)] = row.as_data()
    return [
        dataclasses.replace(v, plan=plan, reason=_with_probe_reason(v.reason, plan))
        if v.status is Status.NOT_RUN
        and (plan := plans.get((v.subject, v.stack, v.device, v.profile))) is not None
        else v
        for v in verdicts
    ]


def _with_probe_reason(reason: str, plan: Mapping[str, Any]) -> str:
    """A case never attempted, with what its time probe there found where it timed
    nothing (a data file missing): the reason a reader needs, not only "not attempted"."""
    found = plan.get("reason") or NO_PROBE
    if reason != NOT_ATTEMPTED or plan.get("seed_s") is not None or found == NO_PROBE:
        return reason
    return f"{found} where its time probe ran; {reason}"


class _StackView:
    """One profile on one stack: its records, indexed for the judge."""

    def __init__(
        self, profile: str, stack: str, device: str, rows: list[Record], manifest: Manifest
    ) -> None:
        self.profile, self.stack, self.device, self.manifest = profile, stack, device, manifest
        self.models: dict[str, list[Record]] = defaultdict(list)
        self.baselines: dict[str, list[Record]] = defaultdict(list)
        self.outcomes: dict[str, Record] = {}
        for row in rows:
            if row["kind"] == "model":
                self.models[record_case_id(row)].append(row)
            elif row["kind"] == "baseline":
                self.baselines[baseline_id(row["experiment"], row["name"])].append(row)
            elif row["kind"] == "outcome":
                self.outcomes[row["test"]] = row
        for group in (*self.models.values(), *self.baselines.values()):
            group.sort(key=lambda r: r["seed"] if r["seed"] is not None else -1)
        self.environment = rows[0]["environment"]

    def _base(self, chapter: str, subject: str, **fields: Any) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "stack": self.stack,
            "device": self.device,
            "chapter": chapter,
            "subject": subject,
            **fields,
        }

    def _not_run_reason(self, test: str) -> tuple[Status, str]:
        ended = self.outcomes.get(test)
        if ended is None:
            return Status.NOT_RUN, NOT_ATTEMPTED
        if ended["outcome"] == "failed":
            return Status.FAILS, f"the test failed before recording: {ended['reason']}"
        return Status.NOT_RUN, f"{ended['outcome']}: {ended['reason']}".rstrip(": ")

    def _records_of(self, case: CaseSpec) -> list[Record]:
        return self.baselines[case.id] if case.baseline else self.models[case.id]

    def target(self, case: CaseSpec, target: TargetSpec) -> Verdict:
        """One bar of one case on this stack."""
        bar = target.bar
        kind = "book number" if target.book_number else "bar"
        found = self._records_of(case)
        base = self._base(
            case.chapter,
            case.id,
            kind=kind,
            metric=bar.metric,
            source=target.source,
            bar=bar.as_data(),
        )
        if not found:
            test = f"comparisons:{case.experiment}" if case.baseline else f"model:{case.id}"
            status, reason = self._not_run_reason(test)
            return Verdict(**base, status=status, data_kind=case.data_kind, reason=reason)
        kinds = {case.data_kind, *(data_kind(r) for r in found)}
        data = max(kinds, key=_KIND_ORDER.__getitem__)
        seeds = tuple(int(r["seed"] or 0) for r in found)
        values = tuple(float(r["metrics"].get(bar.metric, math.nan)) for r in found)
        planned = max((int(r.get("seeds_planned") or 0) for r in found), default=0)
        stored = _stored_target(found[-1], bar.metric)
        common = {
            **base,
            "data_kind": data,
            "seeds": seeds,
            "values": values,
            "seeds_planned": planned,
            "runs": tuple(sorted({r["run_id"] for r in found})),
            "bar_changed": stored is None or _bar_of(stored["declared"]) != _bar_of(bar.as_data()),
            **_spread(values),
        }
        if stored is None and all(math.isnan(v) for v in values):
            # A bar declared after the run, on a metric the run did not measure yet: no
            # miss, nothing to judge. (A fresh run's records hold every bar they measure.)
            return Verdict(
                **common,
                status=Status.INCOMPLETE,
                reason="not measured: the records predate this bar; rerun the case",
            )
        reference = None
        if bar.baseline is not None:
            reference = self._baseline_value(case, found, bar.baseline, bar.metric, stored)
            if reference is None:
                return Verdict(
                    **common,
                    status=Status.INCOMPLETE,
                    reason=f"its baseline {bar.baseline} has no record on this stack",
                )
        check = bar.check(list(values), reference)
        status, reason = self._status(check.passed, target, data, found)
        if len(values) < planned:
            status, reason = Status.INCOMPLETE, f"{len(values)} of {planned} seeds recorded"
        twice = [f"seed {r['seed']}" for r in found if r.get("times_recorded", 1) > 1]
        if twice:  # two invocations sharing a run id: each seed counted once, its latest
            reason = "; ".join(
                filter(None, [reason, f"{', '.join(twice)} recorded twice (the latest counts)"])
            )
        if unmeasured := [str(s) for s, v in zip(seeds, values, strict=True) if math.isnan(v)]:
            # The protocol could not measure it there (a dream that took no step).
            reason = "; ".join(
                filter(None, [reason, f"not measured on seed {', '.join(unmeasured)}"])
            )
        return Verdict(
            **common,
            status=status,
            reason=reason,
            reference=check.reference,
            margin=check.margin,
            divergence=target.divergence if status is Status.KNOWN_DIVERGENCE else None,
        )

    def _status(
        self, passed: bool, target: TargetSpec, data: str, found: list[Record]
    ) -> tuple[Status, str]:
        divergence = self._applying(target.divergence)
        if passed:
            status = Status.BAR_MET
            if target.book_number and data == "real":
                status = Status.REPRODUCES if target.band_measured else Status.PROVISIONAL
            if divergence is None:
                return status, ""
            return status, f"the declared divergence {divergence.id} did not show on this bar"
        reason = ""
        if divergence is not None:
            shown, reason = self._excused(divergence, found)
            if shown:
                return Status.KNOWN_DIVERGENCE, reason
        if target.book_number and data == "real":
            missed = (
                "the book's number missed"
                if target.band_measured
                else "the book's number missed a provisional band (not measured on held-out seeds)"
            )
            return Status.FAILS, reason or f"{missed}, cause not established"
        return Status.BAR_MISSED, reason

    def _applying(self, key: str | None) -> DivergenceSpec | None:
        """The declared divergence ``key`` where it applies to this stack."""
        divergence = self.manifest.divergences.get(key or "")
        return divergence if divergence and divergence.matches(self.environment) else None

    def _excused(self, divergence: DivergenceSpec, found: list[Record]) -> tuple[bool, str]:
        """Whether a miss where a divergence is declared is that divergence: only where
        its probe, read from the records, shows the mechanism (else it fails as any miss
        does); and why."""
        readings = [value for r in found if (value := probe_reading(divergence, r)) is not None]
        if not readings:
            return False, (
                f"{divergence.id} is declared for this stack, but this run recorded no "
                f"reading of its probe ({divergence.probe_measure}): rerun"
            )
        reading = statistics.median(readings)
        if not divergence.shows(reading):
            return False, (
                f"{divergence.id} is declared, but its probe did not show the mechanism "
                f"({divergence.probe_measure} = {reading:g})"
            )
        return True, (
            f"{divergence.reason} Probe: {divergence.probe_measure} = {reading:g} "
            f"({divergence.probe_says})."
        )

    def _baseline_value(
        self,
        case: CaseSpec,
        found: list[Record],
        baseline: str,
        metric: str,
        stored: Mapping[str, Any] | None,
    ) -> float | None:
        """The baseline's value a case's bar compares with: as the run stored it beside
        the bar, else from the baseline's own record on this stack."""
        if (
            stored is not None
            and stored["declared"].get("baseline") == baseline
            and stored.get("reference") is not None
        ):
            return float(stored["reference"])
        for record in self.baselines.get(baseline_id(case.experiment, baseline), []):
            metrics = record["metrics"]
            value = metrics.get(metric, metrics.get(metric.removeprefix("best_")))
            if value is not None:
                return float(value)
        return None

    def _side(self, side: SideSpec, metric: str, timing: bool) -> tuple[dict[int, float], list]:
        found = self.models[side.label] if side.variant else self.baselines[side.label]
        field = "timings" if timing else "metrics"
        values = {
            int(r["seed"] or 0): float(r[field][metric])
            for r in found
            if r.get(field, {}).get(metric) is not None
        }
        return values, found

    def claim(self, claim: ClaimSpec) -> Verdict:
        """One claim on this stack, on the paired seeds of its two sides."""
        base = self._base(
            claim.chapter,
            claim.id,
            kind="claim",
            metric=claim.metric,
            source=claim.source,
            bar={**claim.rule.__dict__, "as_checked": claim.as_checked},
        )
        a, a_rows = self._side(claim.a, claim.a.metric or claim.metric, claim.timing)
        b, b_rows = self._side(claim.b, claim.b.metric or claim.metric, claim.timing)
        kinds = {data_kind(r) for r in (*a_rows, *b_rows)} or {"real"}
        data = max(kinds, key=_KIND_ORDER.__getitem__)
        if not a or not b:
            side = claim.a if not a else claim.b
            test = f"model:{side.label}" if side.variant else f"comparisons:{side.experiment}"
            status, why = self._not_run_reason(test)
            return Verdict(
                **base,
                status=status,
                data_kind=data,
                reason=f"{side.label} {why}",
                waits_on=side.label,
            )
        weighed = weigh(claim.rule, a, b, (claim.a.variant is None, claim.b.variant is None))
        status = {
            "holds": Status.HOLDS,
            "inconclusive": Status.INCONCLUSIVE,
            "does not hold": Status.DOES_NOT_HOLD,
        }[weighed.evidence]
        divergence = self._applying(claim.divergence)
        reason = ""
        if status is Status.DOES_NOT_HOLD and divergence is not None:
            shown, reason = self._excused(divergence, [*a_rows, *b_rows])
            status = Status.KNOWN_DIVERGENCE if shown else status
        elif status is Status.INCONCLUSIVE:
            tied = f" ({weighed.ties} tied at the bar)" if weighed.ties else ""
            reason = (
                f"{weighed.held} of {len(weighed.pairs)} seed pairs hold{tied}: too few "
                "seeds or pairs that disagree (a sign test needs 3 of 3)"
            )
        # Side A as weighed: its paired seeds (all of them where none pair).
        paired = {seed: x for seed, x, _, _ in weighed.pairs} or dict(a)
        values = tuple(paired.values())
        return Verdict(
            **base,
            status=status,
            data_kind=data,
            seeds=tuple(paired),
            values=values,
            **_spread(values),
            b=weighed.b,
            margin=weighed.slack,
            reason=reason,
            divergence=claim.divergence if status is Status.KNOWN_DIVERGENCE else None,
            runs=tuple(sorted({r["run_id"] for r in (*a_rows, *b_rows)})),
            evidence={
                "pairs": [list(p) for p in weighed.pairs],
                "held": weighed.held,
                "p_holds": weighed.p_holds,
                "p_fails": weighed.p_fails,
                "ties": weighed.ties,
            },
        )


def probe_reading(divergence: DivergenceSpec, record: Mapping[str, Any]) -> float | None:
    """The reading of a divergence's probe one record carries, if any."""
    measure = divergence.probe_measure
    if measure.startswith("metric:"):
        value = (record.get("metrics") or {}).get(measure.removeprefix("metric:"))
    else:
        value = (record.get("probes") or {}).get(measure)
    return None if value is None else float(value)


def _spread(values: Sequence[float]) -> dict[str, float | None]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return {"median": None, "low": None, "high": None}
    return {"median": statistics.median(finite), "low": min(finite), "high": max(finite)}


def _stored_target(record: Mapping[str, Any], metric: str) -> Mapping[str, Any] | None:
    """The target a record stored for ``metric`` when it ran: the bar it was checked at
    (``declared``) and the value it was checked against (``reference``)."""
    for stored in record.get("targets") or []:
        if stored.get("metric") == metric and stored.get("declared"):
            return stored
    return None


def _bar_of(fields: Mapping[str, Any]) -> tuple:
    """What makes two bars the same bar (not their wording)."""
    return tuple(fields.get(k) for k in ("value", "tolerance", "comparison", "baseline", "over"))
