"""The report: verdicts from the judge, rendered as Markdown pages, JSON and one web page.

``write_report`` judges the records by the manifest (``dlwp_suite.results``) and writes
``report.md`` (the first screen), one page per chapter, ``verdicts.json`` and
``index.html`` beside the figures under ``curves/``. It needs neither Keras nor the
experiments.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from dlwp_suite.report import markdown, tables
from dlwp_suite.report.html import render_html
from dlwp_suite.report.scoreboard import PROFILE_ORDER, default_stack
from dlwp_suite.results.judge import judge
from dlwp_suite.results.manifest import Manifest
from dlwp_suite.results.plan import (
    FITS_WITHIN_S,
    NO_PROBE,
    RATIO_MIN_S,
    plan_rows,
    probe_accuracy,
)
from dlwp_suite.results.verdicts import Verdict

PLAN_NOTE = (
    "One seed of each book-profile case on each machine where a time probe ran "
    "(`pytest benchmarks/ --dlwp-profile book --dlwp-time-probe SECONDS`; a machine is a "
    "stack, a device and, on a CPU, its kernels where the records name them: the highest "
    "vector extension and whether TensorFlow ran oneDNN): measured where "
    "a book run recorded its seeds there (their median), else extrapolated from the probe, "
    "which cut each training phase after SECONDS (and two epochs or steps) and added the "
    "remaining ones at the rate of those after the first (a phase counted in batches, plus "
    "one validation pass an epoch, timed apart: probes since 2026-12-07's third session). "
    "A case fits when a seed takes at "
    f"most {FITS_WITHIN_S / 3600:.0f} h there, or, riding with the case whose training it "
    "reuses, when that case fits and its own share (its time less that case's) is within "
    'the same (fits "with its trainer"). GPU time is measured where a GPU ran the '
    "case (the fastest), else estimated as the CPU time over the median CPU : GPU ratio "
    f"of the cases timed on both that take at least {RATIO_MIN_S:.0f} s a seed on the CPU: "
    "a rough figure (a GPU speeds a recurrence on short batches far less than convolutions "
    "and attention). Baselines are fitted once "
    "per experiment, with the first case the probe timed. A measured row gives what its "
    "probe had said and measured over probed."
)
CURVE_CAPTION = (
    "training (dots) and validation (line) loss and metric per epoch, first recorded seed"
)


def choose_stacks(verdicts: list[Verdict], stack: str | None = None) -> dict[str, tuple[str, str]]:
    """Per profile, the stack and device shown first: ``stack`` where it has verdicts
    (matched against "stack device"), else the one with the most answers."""
    shown = {}
    for profile in PROFILE_ORDER:
        chosen = default_stack(verdicts, profile)
        if chosen is None:
            continue
        if stack is not None:
            named = [
                (v.stack, v.device)
                for v in verdicts
                if v.profile == profile and stack in f"{v.stack} {v.device}"
            ]
            chosen = named[0] if named else chosen
        shown[profile] = chosen
    return shown


def _details(
    frame: pd.DataFrame,
    manifest: Manifest,
    out_dir: Path,
    profile: str,
    env: str,
    chapter: str,
    link_prefix: str,
) -> list[str]:
    """A chapter page's detail blocks for one profile on its shown stack."""
    if frame.empty:
        return []
    here = frame[
        (frame["profile"] == profile)
        & (frame["env"] == env)
        & (frame["experiment"].str.split(".", n=1).str[0] == chapter)
    ]
    lines: list[str] = []
    curves = tables.plot_curves(here, out_dir / "curves")
    claims = [c for c in manifest.profiles[profile].claims if c.chapter == chapter]
    claim_curves = tables.plot_claim_curves(
        frame[frame["profile"] == profile], claims, out_dir / "curves", env
    )
    if curves or claim_curves:
        lines += [f"### Curves on {env}", ""]
        for path in curves:
            lines += [
                f"![{path.stem}](curves/{path.name})",
                "",
                f"*{path.stem}: {CURVE_CAPTION}.*",
                "",
            ]
        for claim_id, path in claim_curves.items():
            lines += [
                f"![{claim_id}](curves/{path.name})",
                "",
                f"*Claim {claim_id}: both sides' validation curves, first seed (side A dots, "
                "side B crosses).*",
                "",
            ]
    comparisons = tables.comparison_rows(here)
    if not comparisons.empty:
        shown = comparisons.drop(
            columns=[c for c in ("profile", "environment") if c in comparisons]
        )
        lines += [f"### Baselines and ensembles on {env}", "", shown.to_markdown(index=False), ""]
    samples = tables.sample_rows(here)
    if not samples.empty:
        shown = samples.drop(columns=["profile", "environment"])
        lines += [
            f"### Generated samples on {env} (measured, not judged)",
            "",
            shown.to_markdown(index=False),
            "",
        ]
    if drawn := tables.pictures(here, link_prefix):
        lines += [f"### Pictures on {env}", "", *drawn, ""]
    return lines


def write_report(
    records: Iterable[dict[str, Any]],
    out_dir: Path,
    manifest: Manifest,
    results_dir: Path | None = None,
    stack: str | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> Path:
    """Judge ``records`` by ``manifest`` and write the report's files into ``out_dir``.

    ``results_dir`` is where the records and their pictures are, when that is another
    folder; ``stack`` picks the stack shown first; ``provenance`` adds to (or, in
    tests, fixes) what the report says it was made from. Figures and chapter pages of
    an earlier report are removed first, so none outlives its records.
    """
    records = list(records)
    verdicts = judge(records, manifest)
    runs = sorted({r["run_id"] for r in records})
    facts = {
        "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "revision": "",
        "manifest_revision": manifest.revision,
        "runs": runs,
        "records": len(records),
        **(provenance or {}),
    }
    shown = choose_stacks(verdicts, stack)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in (*(out_dir / "curves").glob("*.png"), *out_dir.glob("ch[0-9]*.md")):
        stale.unlink()
    link_prefix = "" if results_dir is None else os.path.relpath(results_dir, out_dir) + "/"
    link_prefix = "" if link_prefix == "./" else link_prefix
    frame = tables.newest_runs(records)
    chapters = sorted({v.chapter for v in verdicts})
    for chapter in chapters:
        # A chapter page opens on the front page's stack, so its links land on the rows
        # the front page counted; the other stacks' verdicts fold below.
        details = {
            profile: _details(frame, manifest, out_dir, profile, f"{s} {d}", chapter, link_prefix)
            for profile, (s, d) in shown.items()
        }
        page = markdown.chapter_page(chapter, verdicts, shown, details, facts)
        (out_dir / f"{chapter}.md").write_text(page)
    front = markdown.front_page(verdicts, manifest.divergences, facts, shown)
    timing = ["# Time and speed", "", *markdown.provenance_lines(facts), ""]
    if not frame.empty and not (times := tables.time_table(frame, manifest)).empty:
        timing += ["## Time to reproduce the book", "", times.to_markdown(index=False), ""]
    if plan := plan_rows(records, manifest):
        timing += [
            "## The book profile's plan",
            "",
            PLAN_NOTE,
            "",
            tables.plan_table(r for r in plan if r.reason != NO_PROBE).to_markdown(index=False),
            "",
            *markdown.unprobed_lines(plan),
        ]
        if accuracy := markdown.probe_accuracy_lines(probe_accuracy(plan)):
            timing += [*accuracy, ""]
    if not frame.empty and not (pairs := tables.book_code_table(frame)).empty:
        timing += ["## Speed against the book's own code", "", pairs.to_markdown(index=False), ""]
    (out_dir / "time.md").write_text("\n".join(timing))
    path = out_dir / "report.md"
    path.write_text(front)
    divergences = {k: vars(d) for k, d in manifest.divergences.items()}
    (out_dir / "verdicts.json").write_text(
        json.dumps(
            {
                "provenance": facts,
                "divergences": divergences,
                "verdicts": [v.as_data() for v in verdicts],
            },
            indent=1,
            default=list,
            allow_nan=False,  # strict JSON: as_data writes an unmeasured seed as null
        )
        + "\n"
    )
    (out_dir / "index.html").write_text(render_html(verdicts, facts, divergences))
    return path
