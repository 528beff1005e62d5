"""Markdown renderers: the report's first screen and one page per chapter.

They only format what the judge and ``scoreboard`` computed. The first screen stays
within 100 lines of at most 160 characters; the detail lives on the chapter pages.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from dlwp_suite.report.scoreboard import (
    ScoreRow,
    chapter_counts,
    divergences_seen,
    failures,
    missing_files,
    plan_gaps,
    scoreboard,
)
from dlwp_suite.results.manifest import DivergenceSpec
from dlwp_suite.results.plan import NO_PROBE, Machine, PlanRow, ProbeAccuracy
from dlwp_suite.results.verdicts import Status, Verdict
from dlwp_suite.words import describe_bar

WIDTH = 100  # prose is wrapped here; tables stay under 160 characters
# One short mark per verdict for the matrix of stacks.
MARKS = {
    Status.REPRODUCES: "R",
    Status.PROVISIONAL: "P",
    Status.HOLDS: "H",
    Status.BAR_MET: "M",
    Status.INCONCLUSIVE: "?",
    Status.KNOWN_DIVERGENCE: "D",
    Status.FAILS: "F",
    Status.BAR_MISSED: "X",
    Status.DOES_NOT_HOLD: "N",
    Status.INCOMPLETE: "i",
    Status.NOT_RUN: "·",
}
LEGEND = (
    "R reproduces · P inside a provisional band · H holds · M bar met · ? inconclusive · "
    "D known divergence · F fails · X bar missed · N does not hold · i incomplete · · not run"
)
WORDS = (
    "repro: book numbers that reproduce, of those declared; provis: book numbers inside a "
    "provisional band; claims H/?/N: hold, inconclusive, do not hold; bars M/X: met, "
    "missed; diverge, fails, incompl, not run: verdicts (one a book number, claim or bar) "
    "that are a known divergence, fail without an established cause, have fewer seeds than "
    "planned, or have no answer there yet (why, most first; the lines below count cases "
    "instead; the provis, diverge, fails and incompl columns show only where some verdict "
    "is one). **reproduces**: a book number, on the book's real data, inside its band "
    "measured on held-out seeds (or, for a number no seed moves, the book's rounding); "
    "inside a band not measured yet it is **inside a provisional band**. "
    "A claim **holds**, is **inconclusive** or **does not hold** on paired seeds (a sign "
    "test: three seeds that agree are the least that concludes). A suite **bar** (over "
    "a baseline, an invariant, a pipeline check, or any bar on stand-in or generated "
    "data) is **met** or **missed**. A **known divergence** is a miss with an "
    "established, declared cause."
)


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, subsequent_indent=indent, break_on_hyphens=False) or [""]


def _table(rows: Sequence[Mapping[str, Any]]) -> str:
    return pd.DataFrame(list(rows)).to_markdown(index=False) if rows else "_none_"


def number(value: float | None) -> str:
    """A measured value: whole numbers in full, others to 4 significant digits."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def measured(v: Verdict) -> str:
    """``0.882 [0.88–0.884], 3 seeds`` (a claim: ``A 0.88 vs B 0.86, 3 pairs``)."""
    if v.median is None:
        return ""
    if v.kind == "claim":
        pairs = len(v.evidence.get("pairs", ()))
        return (
            f"{number(v.median)} vs {number(v.b)}, {pairs} pair(s) ({v.evidence.get('held')} hold)"
        )
    measured_seeds = len(v.measured_values)
    spread = f" [{number(v.low)}–{number(v.high)}]" if measured_seeds > 1 else ""
    if measured_seeds < len(v.values):  # the reason names the seeds that measured nothing
        return f"{number(v.median)}{spread}, {measured_seeds} of {len(v.values)} seed(s)"
    return f"{number(v.median)}{spread}, {measured_seeds} seed(s)"


def minutes(seconds: float) -> str:
    """``12 min`` under two hours, ``3.4 h`` from there."""
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def plan_text(plan: Mapping[str, Any]) -> str:
    """A not-run case's plan: ``fits: ~12 min a seed here (extrapolated)`` or
    ``GPU-sized: ~3.4 h a seed here with AVX2, oneDNN off (measured), ~9 min on a GPU
    (estimated)`` (the CPU kernels where the records name them); a
    case that reuses another's training says so first (``fits: rides with
    ch05.dogs.scratch[augmented] where both run; alone ~34 min a seed here
    (extrapolated)``)."""
    if plan.get("seed_s") is None:
        return ""
    kernels = f" with {plan['kernels']}" if plan.get("kernels") else ""
    here = f"~{minutes(plan['seed_s'])} a seed here{kernels} ({plan['how']})"
    if plan.get("rides_with"):
        rides = f"rides with {plan['rides_with']} where both run"
        # A probe that reused the trainer's work timed nothing of its own.
        here = rides if plan["how"] == "reused" else f"{rides}; alone {here}"
    if plan.get("fits"):
        return f"fits: {here}"
    gpu = f", ~{minutes(plan['gpu_s'])} on a GPU ({plan['gpu_how']})" if plan.get("gpu_s") else ""
    return f"GPU-sized: {here}{gpu}"


def unprobed_lines(rows: Sequence[PlanRow]) -> list[str]:
    """Per machine, how many declared cases neither a probe nor a run timed there (left
    out of the plan's table), and a blank line after, or nothing."""
    declared = Counter(row.machine.name for row in rows)
    untimed = Counter(row.machine.name for row in rows if row.reason == NO_PROBE)
    parts = [f"{machine}: {n} of {declared[machine]}" for machine, n in untimed.items()]
    if not parts:
        return []
    text = "Left out above, cases no time probe or run timed on the machine: " + "; ".join(parts)
    return [*_wrap(text + "."), ""]


def probe_accuracy_lines(accuracies: Sequence[ProbeAccuracy]) -> list[str]:
    """What the plan's extrapolations are worth: per machine, measured over probed."""
    if not accuracies:
        return []
    parts = [
        f"{a.machine.name}: x {a.median:.2f} ({a.low:.2f}-{a.high:.2f}, {a.cases} case(s))"
        for a in accuracies
    ]
    return _wrap(
        "How far the probes' estimates were off, where book runs then measured the case: "
        "measured seed time over the probe's, median (range), over cases of a minute or "
        "more: " + "; ".join(parts) + "."
    )


def status_text(v: Verdict) -> str:
    """The status with what qualifies it: its divergence, its data, a changed bar, a
    not-run case's plan."""
    text = str(v.status)
    if v.plan and (planned := plan_text(v.plan)):
        text += f" ({planned})"
    if v.divergence:
        text += f" ({v.divergence})"
    if v.data_kind != "real" and v.status not in (Status.NOT_RUN,):
        text += f", {v.data_kind} data"
    if v.bar_changed and v.status is not Status.NOT_RUN:
        text += "; bar changed since this run: rerun"
    return text


def _short(reason: str, limit: int = 70) -> str:
    return reason if len(reason) <= limit else reason[: limit - 1].rstrip() + "…"


def _score_cells(row: ScoreRow) -> dict[str, Any]:
    s = row.statuses
    not_run = ", ".join(f"{n} {why}" for why, n in row.not_run.most_common())
    return {
        "profile": row.profile,
        "stack": row.stack,
        "device": row.device,
        "repro": f"{s[Status.REPRODUCES]} of {row.book_numbers}",
        "provis": s[Status.PROVISIONAL],
        "claims H/?/N": f"{s[Status.HOLDS]}/{s[Status.INCONCLUSIVE]}/{s[Status.DOES_NOT_HOLD]}",
        "bars M/X": f"{s[Status.BAR_MET]}/{s[Status.BAR_MISSED]}",
        "diverge": s[Status.KNOWN_DIVERGENCE],
        "fails": s[Status.FAILS],
        "incompl": s[Status.INCOMPLETE],
        "not run": f"{s[Status.NOT_RUN]}" + (f" ({_short(not_run, 48)})" if not_run else ""),
    }


def _scoreboard_table(rows: Sequence[ScoreRow]) -> str:
    """The scoreboard, leaving out count columns that are 0 on every row."""
    cells = pd.DataFrame([_score_cells(r) for r in rows])
    empty = [c for c in ("provis", "diverge", "fails", "incompl") if not cells[c].any()]
    return cells.drop(columns=empty).to_markdown(index=False)


def _span(runs: Sequence[str]) -> str:
    """A few run ids, or the first and last."""
    return ", ".join(runs) if len(runs) <= 3 else f"{runs[0]} … {runs[-1]}"


def provenance_lines(provenance: Mapping[str, Any]) -> list[str]:
    """When, from which revision and which records the report was made."""
    runs = provenance.get("runs") or []
    declared_at = provenance.get("manifest_revision") or "?"
    return _wrap(
        f"Made {provenance.get('generated_at', '?')} by `dlwp-suite report` at revision "
        f"{provenance.get('revision') or '?'} from {provenance.get('records', 0):,} records "
        f"of {len(runs)} runs in `runs/` ({_span(runs)}), judged at the "
        f"bars declared in `manifest.json` (revision {declared_at}). "
        "Each row is one software stack on one device: values never cross stacks."
    )


def front_page(
    verdicts: Sequence[Verdict],
    divergences: Mapping[str, DivergenceSpec],
    provenance: Mapping[str, Any],
    shown: Mapping[str, tuple[str, str]],
) -> str:
    """``report.md``: provenance, scoreboard, divergences once each, failures, and per
    chapter the counts of each profile's shown stack, with links to the chapter pages."""
    lines = ["# dlwp-suite results", "", *provenance_lines(provenance), ""]
    if not verdicts:
        return "\n".join([*lines, "No verdicts yet: no records of a declared case.", ""])
    lines += ["## Scoreboard", "", _scoreboard_table(scoreboard(verdicts)), ""]
    lines += [*_wrap(WORDS), ""]
    if missing := missing_files(verdicts):
        lines += _wrap(
            f"Data missing where the suite ran, leaving its cases not run: {', '.join(missing)}. "
            "`dlwp-suite data --data-dir DIR` locates and verifies each file (docs/data.md)."
        )
        lines.append("")
    for gap in plan_gaps(verdicts):
        gpu = (
            f"{gap.gpu_cases} are GPU-sized (one seed of each: ~{minutes(gap.gpu_seed_s)} "
            "on a GPU, measured or estimated)"
            if gap.gpu_cases
            else "none is GPU-sized"
        )
        machine = Machine(gap.stack, gap.device, gap.kernels).name
        if not gap.kernels and gap.device == "CPU":
            machine += " (a CPU of records before 2026-12-07, which name no kernels)"
        untimed = (
            f"; {gap.untimed_cases} more were never timed there (no time probe)"
            if gap.untimed_cases
            else ""
        )
        fit = (
            f"{gap.fit_cases} case(s) fit there (one seed of each: ~{minutes(gap.fit_seed_s)})"
            if gap.fit_cases
            else "none fits there"
        )
        lines += _wrap(
            f"Not run yet in `{gap.profile}` on {machine}: {fit}, {gpu}{untimed}. "
            "The plan, case by case: [time.md](time.md)."
        )
        lines.append("")
    seen = divergences_seen(verdicts)
    lines += ["## Known divergences", ""]
    for number_, (key, where) in enumerate(seen.items(), 1):
        spec = divergences.get(key)
        stacks = "; ".join(sorted({f"{stack} {device}" for _, stack, device in where}))
        reason = spec.reason if spec else "(no longer declared)"
        lines += _wrap(f"{number_}. **{key}**, seen on {stacks}: {reason}", "   ")
        if spec:
            lines += _wrap(f"   Evidence: {spec.evidence}", "   ")
    if not seen:
        lines.append("none seen")
    missed = failures(verdicts)
    lines += [
        "",
        "## Bars missed, claims that do not hold and failures, without an established cause "
        f"({len(missed)})",
        "",
    ]
    for v in missed:
        what = v.subject if v.kind == "claim" else f"{v.subject} {v.metric}"
        lines += _wrap(
            f"- {what}: {status_text(v)}, {measured(v)} against "
            f"{_short(describe_bar(v.bar), 50)} ({v.profile}, {v.stack} {v.device})",
            "  ",
        )
    if not missed:
        lines.append("none")
    lines.append("")
    for profile, (stack, device) in shown.items():
        counts = chapter_counts(verdicts, profile, stack, device)
        lines += [f"## Profile `{profile}` on {stack} {device}", ""]
        rows = [
            {
                "chapter": f"[{chapter}]({chapter}.md)",
                **{str(s): c[s] for s in Status if any(k[s] for k in counts.values())},
            }
            for chapter, c in counts.items()
        ]
        lines += [_table(rows), ""]
    others = "; ".join(f"`{p}`: {s} {d}" for p, (s, d) in shown.items())
    lines += _wrap(
        f"Shown above: {others} (the stack with the most answers; the chapter pages open on "
        "it too; `dlwp-suite report --stack NAME` picks another). Every other stack is in "
        "the chapter pages' matrices and their folded tables, `verdicts.json` (the verdicts "
        "as data) and `index.html` (sortable, filterable); time and speed per stack in "
        "[time.md](time.md)."
    )
    return "\n".join(lines) + "\n"


def verdict_rows(verdicts: Sequence[Verdict]) -> list[dict[str, str]]:
    """One table row per verdict of one stack: what, measured, bar, verdict, why."""
    return [
        {
            "case or claim": v.subject,
            "metric": v.metric,
            "measured": measured(v),
            "bar": _short(describe_bar(v.bar), 60),
            "verdict": status_text(v),
            "why / source": _short(v.reason or v.source, 80),
        }
        for v in verdicts
    ]


def matrix_rows(verdicts: Sequence[Verdict]) -> list[dict[str, str]]:
    """One row per declared bar or claim, one short mark per stack and device."""
    columns = sorted({f"{v.stack} {v.device}" for v in verdicts})
    cells: dict[tuple[str, str, str], dict[str, str]] = {}
    for v in verdicts:
        key = (v.subject, v.metric, _short(describe_bar(v.bar), 40))
        row = cells.setdefault(key, {c: "" for c in columns})
        row[f"{v.stack} {v.device}"] = MARKS[v.status]
    return [{"case or claim": s, "metric": m, "bar": b, **row} for (s, m, b), row in cells.items()]


def chapter_page(
    chapter: str,
    verdicts: Sequence[Verdict],
    shown: Mapping[str, tuple[str, str]],
    details: Mapping[str, list[str]],
    provenance: Mapping[str, Any],
) -> str:
    """``<chapter>.md``: per profile, the shown stack's verdicts, every stack's marks,
    the shown stack's detail blocks (curves with captions, baselines, samples, data, each
    heading naming the stack), then each other stack's verdicts folded (``<details>``;
    most answers first)."""
    lines = [
        f"# {chapter}",
        "",
        *provenance_lines(provenance),
        "",
        "[back to the report](report.md)",
        "",
    ]
    mine = [v for v in verdicts if v.chapter == chapter]
    for profile in dict.fromkeys(v.profile for v in mine):
        in_profile = [v for v in mine if v.profile == profile]
        stack, device = shown.get(profile, (in_profile[0].stack, in_profile[0].device))
        here = [v for v in in_profile if (v.stack, v.device) == (stack, device)]
        counts = Counter(str(v.status) for v in here)
        lines += [f"## Profile `{profile}` on {stack} {device}", ""]
        lines += [", ".join(f"{n} {s}" for s, n in counts.most_common()), ""]
        lines += [_table(verdict_rows(here)), ""]
        others = Counter(
            (v.stack, v.device)
            for v in in_profile
            if (v.stack, v.device) != (stack, device) and v.status is not Status.NOT_RUN
        )
        if len({(v.stack, v.device) for v in in_profile}) > 1:
            lines += [f"### `{profile}` on every stack", "", LEGEND, ""]
            lines += [_table(matrix_rows(in_profile)), ""]
        lines += details.get(profile, [])
        if others:
            lines += [f"### `{profile}` on the other stacks", ""]
        for other, _ in others.most_common():
            theirs = [v for v in in_profile if (v.stack, v.device) == other]
            tally = Counter(str(v.status) for v in theirs)
            summary = ", ".join(f"{n} {s}" for s, n in tally.most_common())
            lines += [
                "<details>",
                f"<summary><code>{profile}</code> on {' '.join(other)}: {summary}</summary>",
                "",
                _table(verdict_rows(theirs)),
                "",
                "</details>",
                "",
            ]
    return "\n".join(lines) + "\n"
