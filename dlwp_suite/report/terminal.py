"""The end of a pytest run, compactly: a header, counts per chapter, each failure and
divergence on one line, and where the records are (at most 100 characters a line)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from tabulate import tabulate

from dlwp_suite.report.markdown import measured, status_text
from dlwp_suite.results.verdicts import Status, Verdict
from dlwp_suite.words import describe_bar

WIDTH = 100
COLUMNS = {
    Status.REPRODUCES: "repro",
    Status.PROVISIONAL: "provis",
    Status.HOLDS: "holds",
    Status.INCONCLUSIVE: "inconcl",
    Status.DOES_NOT_HOLD: "not held",
    Status.BAR_MET: "met",
    Status.BAR_MISSED: "missed",
    Status.KNOWN_DIVERGENCE: "diverge",
    Status.FAILS: "fails",
    Status.INCOMPLETE: "incompl",
    Status.NOT_RUN: "not run",
}


def _clip(line: str) -> str:
    return line if len(line) <= WIDTH else line[: WIDTH - 1] + "…"


def verdict_line(v: Verdict) -> str:
    """``ch03.boston.kfold[book] kfold_val_mae 2.701, 1 seed(s) vs ≈ 2.38 ± 0.23: fails``."""
    what = v.subject if v.kind == "claim" else f"{v.subject} {v.metric}"
    if v.median is None:
        return f"{what}: {status_text(v)} ({v.reason})"
    why = f" ({v.reason})" if v.reason and v.status.failing else ""
    return f"{what} {measured(v)} vs {describe_bar(v.bar)}: {status_text(v)}{why}"


def touched(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """The verdicts a run says something about: what it ran, skipped or broke (cases it
    never selected are left out)."""
    return [v for v in verdicts if "not attempted on this stack" not in v.reason]


def run_summary(
    verdicts: Sequence[Verdict], run: Mapping[str, Any], verbose: bool = False
) -> list[str]:
    """The lines that end a run: the header, per-chapter counts, failures, divergences,
    where the records are; with ``verbose``, one line per verdict as well."""
    shown = touched(verdicts)
    header = (
        f"dlwp-suite · {run['profile']} · {run['stack']} · {run['device']} · "
        f"seeds {run['seeds']} · run {run['run_id']}"
    )
    lines = [_clip(header)]
    counts: dict[str, Counter[Status]] = {}
    for v in shown:
        counts.setdefault(v.chapter, Counter())[v.status] += 1
    used = [s for s in COLUMNS if any(c[s] for c in counts.values())]
    if counts:
        rows = [[chapter, *(c[s] or "" for s in used)] for chapter, c in sorted(counts.items())]
        lines += tabulate(rows, ["chapter", *(COLUMNS[s] for s in used)], "simple").splitlines()
    else:
        lines.append("no verdicts: no case of a declared bar or claim ran")
    for v in shown:
        if v.status.failing or v.status is Status.INCOMPLETE:
            lines.append(_clip(f"FAIL {verdict_line(v)}"))
    diverging: dict[tuple[str, str], list[str]] = {}
    for v in shown:
        if v.status is Status.KNOWN_DIVERGENCE:
            diverging.setdefault((str(v.divergence), v.subject), []).append(v.metric)
    for (divergence, subject), metrics in diverging.items():
        lines.append(_clip(f"DIVERGENCE {divergence}: {subject} ({', '.join(metrics)})"))
    if verbose:
        lines += [_clip(f"  {verdict_line(v)}") for v in shown]
    lines.append(_clip(f"records: {run['records']}"))
    lines.append(_clip(f"report:  dlwp-suite report --results {run['results']}"))
    return lines
