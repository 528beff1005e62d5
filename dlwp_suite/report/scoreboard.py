"""What the report's first screen counts, computed from verdicts (no formatting here)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dlwp_suite.results.plan import NO_PROBE, missing_file, riders_by_trainer, riding_share
from dlwp_suite.results.verdicts import Status, Verdict

PROFILE_ORDER = ("book", "quick", "smoke")


@dataclass(frozen=True)
class ScoreRow:
    """One profile on one software stack and device (MLPerf's rule: one row, one
    stack on one platform)."""

    profile: str
    stack: str
    device: str
    statuses: Counter[Status]
    book_numbers: int  # book numbers declared in the profile
    not_run: Counter[str]  # by reason category

    @property
    def answered(self) -> int:
        """Verdicts that say something (neither not run nor incomplete)."""
        return sum(
            n for s, n in self.statuses.items() if s not in (Status.NOT_RUN, Status.INCOMPLETE)
        )


def not_run_category(reason: str, fits: bool | None = None) -> str:
    """A not-run reason in a few words: which kind of gap it is (with a time probe's
    plan, whether the case fits the machine or is GPU-sized)."""
    if fits is not None:
        return "fit here" if fits else "GPU-sized"
    unavailable = "dataset unavailable" in reason or (
        "weights" in reason and "unavailable" in reason
    )
    if unavailable or "data missing" in reason:
        return "data missing"
    if "not attempted" in reason:
        return "not attempted"
    if "not selected" in reason or "deselected" in reason:
        return "deselected"
    if "--dlwp-book-code" in reason:
        return "needs --dlwp-book-code"
    return "skipped"


def _not_run_categories(group: Sequence[Verdict]) -> Counter[str]:
    """One stack's not-run verdicts by category. A probe's plan knows what the judge
    cannot (a dataset missing there, the case's size); a claim takes the category of the
    side it waits on; a verdict still "not attempted" (a baseline, or a side with no
    verdict of its own) is "data missing" where a case of its experiment says so."""

    def own(v: Verdict) -> str:
        plan = v.plan or {}
        return not_run_category(f"{v.reason} {plan.get('reason', '')}", plan.get("fits"))

    def experiment(subject: str) -> str:
        return subject.split("[", 1)[0].split(":", 1)[0]

    not_run = [v for v in group if v.status is Status.NOT_RUN]
    cases = {v.subject: own(v) for v in not_run if v.kind != "claim"}
    missing = {experiment(s) for s, c in cases.items() if c == "data missing"}

    def category(v: Verdict) -> str:
        found = cases.get(v.waits_on or v.subject) or own(v)
        if found == "not attempted" and experiment(v.waits_on or v.subject) in missing:
            return "data missing"
        return found

    return Counter(category(v) for v in not_run)


def _key(verdict: Verdict) -> tuple[str, str, str]:
    return verdict.profile, verdict.stack, verdict.device


def scoreboard(verdicts: Iterable[Verdict]) -> list[ScoreRow]:
    """One row per profile x stack x device, book profile first, most answered first."""
    groups: dict[tuple[str, str, str], list[Verdict]] = {}
    for verdict in verdicts:
        groups.setdefault(_key(verdict), []).append(verdict)
    rows = [
        ScoreRow(
            *key,
            statuses=Counter(v.status for v in group),
            book_numbers=sum(v.kind == "book number" for v in group),
            not_run=_not_run_categories(group),
        )
        for key, group in groups.items()
    ]
    order = {p: i for i, p in enumerate(PROFILE_ORDER)}
    return sorted(rows, key=lambda r: (order.get(r.profile, 9), -r.answered, r.stack, r.device))


def default_stack(verdicts: Sequence[Verdict], profile: str) -> tuple[str, str] | None:
    """The stack and device a profile's verdict table shows by default: the one with
    the most answers, ties to the newest run."""
    rows = [r for r in scoreboard(verdicts) if r.profile == profile]
    if not rows:
        return None
    newest = {
        (v.stack, v.device): max(v.runs, default="") for v in verdicts if v.profile == profile
    }
    best = max(rows, key=lambda r: (r.answered, newest.get((r.stack, r.device), "")))
    return best.stack, best.device


def chapter_counts(
    verdicts: Iterable[Verdict], profile: str, stack: str, device: str
) -> dict[str, Counter[Status]]:
    """Per chapter, the statuses of one profile on one stack and device."""
    counts: dict[str, Counter[Status]] = {}
    for v in verdicts:
        if (v.profile, v.stack, v.device) == (profile, stack, device):
            counts.setdefault(v.chapter, Counter())[v.status] += 1
    return dict(sorted(counts.items()))


def divergences_seen(verdicts: Iterable[Verdict]) -> dict[str, list[tuple[str, str, str]]]:
    """Each divergence id with the (profile, stack, device) where it showed, in order."""
    seen: dict[str, list[tuple[str, str, str]]] = {}
    for v in verdicts:
        if v.status is Status.KNOWN_DIVERGENCE and v.divergence:
            where = seen.setdefault(v.divergence, [])
            if _key(v) not in where:
                where.append(_key(v))
    return seen


def missing_files(verdicts: Iterable[Verdict]) -> list[str]:
    """The data files whose absence left cases not run somewhere, as the reasons (or the
    time probes' plans) name them, sorted."""
    found = {
        missing
        for v in verdicts
        if v.status is Status.NOT_RUN
        for reason in (v.reason, (v.plan or {}).get("reason", ""))
        if (missing := missing_file(reason)) is not None
    }
    return sorted(found)


def failures(verdicts: Iterable[Verdict]) -> list[Verdict]:
    """Misses without an established cause, and tests that broke."""
    return [v for v in verdicts if v.status.failing]


@dataclass(frozen=True)
class PlanGap:
    """What a machine where a time probe ran has not run yet of a profile: the cases
    that fit it and one seed of each, in all; those that are GPU-sized and a GPU's time
    for one seed of each, where estimated or measured."""

    profile: str
    stack: str
    device: str
    fit_cases: int
    fit_seed_s: float
    gpu_cases: int
    gpu_seed_s: float
    kernels: str = ""  # the CPU kernels of the machine whose plan the verdicts quote
    untimed_cases: int = 0  # not run, and neither a probe nor a run timed them there


def plan_gaps(verdicts: Iterable[Verdict]) -> list[PlanGap]:
    """Per profile and machine, the not-run cases its time probes planned (each once),
    and how many no probe timed there; a case that rides with another not-run case of
    its kind (fits, or GPU-sized) adds only its own share (``riding_share``)."""
    plans: dict[tuple[str, str, str], dict[str, dict]] = {}
    untimed: dict[tuple[str, str, str], set[str]] = {}
    kernels: dict[tuple[str, str, str], str] = {}
    for v in verdicts:
        if v.status is not Status.NOT_RUN or not v.plan:
            continue
        kernels.setdefault(_key(v), v.plan.get("kernels") or "")
        if v.plan.get("seed_s") is not None:
            plans.setdefault(_key(v), {})[v.subject] = dict(v.plan)
        elif v.plan.get("reason") == NO_PROBE:
            untimed.setdefault(_key(v), set()).add(v.subject)
    gaps = []
    for key in {**plans, **untimed}:
        cases = plans.get(key, {})
        fit = {c: p for c, p in cases.items() if p["fits"]}
        sized = {c: p for c, p in cases.items() if not p["fits"]}
        # Fitting and GPU-sized cases are selected apart: a rider is free only beside a
        # trainer of its kind.
        riding = {
            rider
            for kind in (fit, sized)
            for group in riders_by_trainer(
                {c: p.get("rides_with") for c, p in kind.items()}, kind
            ).values()
            for rider in group
        }
        spends = [p for c, p in cases.items() if c not in riding]
        # A rider's own share of a seed (its views, say), riding with its trainer.
        shares = {
            fits: sum(
                riding_share(cases[c].get(field), cases[cases[c]["rides_with"]].get(field))
                for c in riding
                if bool(cases[c]["fits"]) is fits
            )
            for fits, field in ((True, "seed_s"), (False, "gpu_s"))
        }
        gaps.append(
            PlanGap(
                *key,
                fit_cases=len(fit),
                fit_seed_s=sum(p["seed_s"] for p in spends if p["fits"]) + shares[True],
                gpu_cases=len(sized),
                gpu_seed_s=sum(p["gpu_s"] or 0.0 for p in spends if not p["fits"]) + shares[False],
                kernels=kernels[key],
                untimed_cases=len(untimed.get(key, ())),
            )
        )
    return gaps
