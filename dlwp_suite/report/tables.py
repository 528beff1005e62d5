"""Detail tables (pandas) and figures (matplotlib) from records: what a chapter page
shows beside its verdicts. Nothing here judges: the verdicts come from the judge.
For each case, stack and device only the newest run's records count, so re-running an
experiment replaces its row instead of mixing runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from dlwp_suite.case_ids import case_id, record_case_id
from dlwp_suite.results.manifest import ClaimSpec, Manifest
from dlwp_suite.results.plan import PlanRow
from dlwp_suite.results.records import data_kind, newest

_KEY = ["profile", "env", "experiment", "variant", "kind", "name"]


def newest_runs(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """The newest run of each case per stack and device (``results.records.newest``) as a
    frame, with ``env`` = "stack device" for the detail tables."""
    rows = newest(records)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["env"] = frame["stack"] + " " + frame["device"]
    frame["seed"] = pd.Series(
        [None if pd.isna(seed) else int(seed) for seed in frame["seed"]],
        index=frame.index,
        dtype=object,
    )
    return frame


def _fmt(value: float | None, digits: int = 4) -> str:
    if value is None or pd.isna(value):
        return ""
    if float(value).is_integer():
        return str(int(value))  # counts (parameters, epochs) in full
    return f"{value:.{digits}g}"


def _median_timing(group: pd.DataFrame, key: str) -> float | None:
    values = [t.get(key) for t in group["timings"] if t.get(key) is not None]
    return float(pd.Series(values).median()) if values else None


def _max_timing(group: pd.DataFrame, key: str) -> float | None:
    values = [t.get(key) for t in group["timings"] if t.get(key) is not None]
    return float(max(values)) if values else None


def _details_of(record: Any) -> dict[str, Any]:
    """A record's ``details`` (empty where it has none: the frame fills NaN)."""
    details = record.get("details")
    return details if isinstance(details, dict) else {}


def comparison_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Baselines, the network and the ensemble side by side, on the test metric."""
    rows = []
    others = frame[frame["kind"].isin(["baseline", "ensemble"])]
    for _, record in others.iterrows():
        metrics = record["metrics"]
        row = {
            "profile": record["profile"],
            "environment": record["env"],
            "experiment": record["experiment"],
            "kind": record["kind"],
            "name": record["name"],
            "note": "",
        }
        for metric in (
            "val_accuracy",
            "kfold_val_mae",
            "val_mae",
            "val_loss",  # a character model's held-out cross-entropy
            "val_cross_entropy",  # a word model's, nats a word
            "reconstruction_bce",  # an autoencoder's, per pixel
            "dream_octave_gain",  # DeepDream's loss over an octave (random steps: ~1)
            "frechet_distance",  # a GAN's samples (and a baseline's images) to real ones
            "class_score",
            "test_accuracy",
            "test_mae",
        ):
            row[metric] = _fmt(metrics.get(metric))
        if record["kind"] == "ensemble":
            network = next(v for k, v in metrics.items() if k.startswith("network_"))
            row["note"] = (
                f"network alone {network:.4g}; beats network: "
                f"{'yes' if record['beats_network'] else 'no'}, beats "
                f"{record['partner']}: {'yes' if record['beats_partner'] else 'no'}"
            )
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table = table[[c for c in table.columns if c != "note"] + ["note"]]
    return table.loc[:, (table != "").any(axis=0)]


def sample_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """What generative models wrote, at each sampling temperature: the first recorded
    seed's sample of each case (newlines shown as ``/``), beside its measures."""
    rows = []
    models = frame[frame["kind"] == "model"]
    for (profile, env, experiment, variant), group in models.groupby(_KEY[:4], sort=False):
        first = group.sort_values("seed").iloc[0]
        samples = _details_of(first).get("samples") or {}
        for temperature, text in samples.items():
            tag = f"t{round(float(temperature) * 10):02d}"
            rows.append(
                {
                    "profile": profile,
                    "environment": env,
                    "case": f"{experiment} [{variant}] seed {first['seed']}",
                    "T": temperature,
                    "type/token": _fmt(first["metrics"].get(f"type_token_ratio_{tag}"), 3),
                    "known words": _fmt(first["metrics"].get(f"known_word_share_{tag}"), 3),
                    "sample": " / ".join(text.splitlines()).replace("|", "\\|"),
                    "data": _data_label(first),
                }
            )
    return pd.DataFrame(rows)


def pictures(frame: pd.DataFrame, link_prefix: str = "") -> list[str]:
    """Markdown images of the pictures generative models saved (``details["images"]``,
    paths relative to the results directory, which ``link_prefix`` leads to from the
    report's folder): each case's first recorded seed."""
    lines = []
    models = frame[frame["kind"] == "model"]
    for (_, env, experiment, variant), group in models.groupby(_KEY[:4], sort=False):
        first = group.sort_values("seed").iloc[0]
        data = _data_label(first)  # a stand-in's picture says so
        for name, path in (_details_of(first).get("images") or {}).items():
            label = f"{experiment} [{variant}] seed {first['seed']}, {name} ({env})"
            label += f", {data}" if data else ""
            lines.append(f"![{label}]({link_prefix}{path})")
    return lines


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", text).strip("_")


def _save(figure: Any, path: Path) -> Path:
    """Lay out, write as PNG and close a matplotlib figure."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


def plot_curves(frame: pd.DataFrame, directory: Path) -> list[Path]:
    """Train/validation loss and metric per epoch for each case (first seed), as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    written: list[Path] = []
    if "history" not in frame:
        return written
    models = frame[(frame["kind"] == "model") & frame["history"].notna()]
    for key, group in models.groupby(_KEY[:4], sort=False):
        history = group.sort_values("seed").iloc[0]["history"]
        metric = "accuracy" if "val_accuracy" in history else "mae"
        if f"val_{metric}" not in history:
            continue
        figure, axes = plt.subplots(1, 2, figsize=(10, 3.6))
        for axis, name in zip(axes, ("loss", metric), strict=True):
            epochs = range(1, len(history[f"val_{name}"]) + 1)
            axis.plot(epochs, history[name], "o", markersize=3, label=f"training {name}")
            axis.plot(epochs, history[f"val_{name}"], "-", label=f"validation {name}")
            axis.set_xlabel("epoch")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.set_ylabel(name)
            axis.legend()
        profile, env, experiment, variant = key
        figure.suptitle(f"{experiment} [{variant}] — {profile}, {env}", fontsize=9)
        name = f"{_slug(f'{profile}_{experiment}_{variant}_{env}')}.png"
        written.append(_save(figure, directory / name))
    return written


# Claims on these metrics compare the shape of two validation curves: the report draws
# both on one plot, as the book's figures do (which curve each metric is read from).
def plot_claim_curves(
    frame: pd.DataFrame, claims: Iterable[ClaimSpec], directory: Path, env: str
) -> dict[str, Path]:
    """For each claim about curves, both sides' validation curves on one plot, one stack.

    Side A is drawn with dots and side B with crosses (the book's figures), first seed.
    Returns ``{claim id: figure}``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    written: dict[str, Path] = {}
    if "history" not in frame:
        return written
    models = frame[(frame["kind"] == "model") & frame["history"].notna() & (frame["env"] == env)]
    for claim in claims:
        curves = []
        for side, marker in ((claim.a, "o"), (claim.b, "+")):
            matched = models[[side.matches(r) for r in models.to_dict("records")]]
            if claim.curve is None or matched.empty:
                continue
            history = matched.sort_values("seed").iloc[0]["history"]
            if claim.curve in history:
                curves.append((side.label, marker, history[claim.curve]))
        if len(curves) < 2:
            continue
        figure, axis = plt.subplots(figsize=(6, 3.8))
        for name, marker, values in curves:
            axis.plot(range(1, len(values) + 1), values, marker, label=name)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_ylabel(claim.curve.replace("_", " "))
        axis.legend(fontsize=8)
        profile = models["profile"].iloc[0]
        axis.set_title(f"{claim.id}: {claim.metric}\n{profile}, {env}", fontsize=8)
        name = f"{_slug(f'claim_{profile}_{claim.id}_{env}')}.png"
        written[claim.id] = _save(figure, directory / name)
    return written


def _data_label(record: Any) -> str:
    kind = data_kind(record)
    return "" if kind == "real" else f"{kind.upper()} data"


def _first_clause(reason: str, limit: int = 160) -> str:
    """A skip reason up to its first parenthesis or sentence: the table's cell, not the log."""
    cut = min((i for i in (reason.find(" ("), reason.find(". ")) if i > 0), default=len(reason))
    short = reason[: min(cut, limit)]
    return short if len(short) == len(reason) else short + " …"


def _range(values: list[float]) -> str:
    """``low–high`` as whole numbers with thousands separators; one number if equal."""
    if not values:
        return ""
    low, high = f"{min(values):,.0f}", f"{max(values):,.0f}"
    return low if low == high else f"{low}–{high}"


def _maxima(group: pd.DataFrame, key: str) -> list[float]:
    peak = _max_timing(group, key)
    return [] if peak is None else [peak]


def time_table(frame: pd.DataFrame, manifest: Manifest, profile: str = "book") -> pd.DataFrame:
    """Time to reproduce a profile: per stack and device, per chapter and in total.

    Sums what the newest run of each case measured: the networks' wall time over every
    seed recorded (each seed's ``wall_s``: its whole protocol) and the baselines' fit
    time. Throughput is the range of the cases' median training samples/s; memory is the
    largest process peak any seed saw (accelerator: the backend allocator's peak).
    """
    timed = frame[(frame["profile"] == profile) & frame["kind"].isin(["model", "baseline"])]
    if timed.empty:
        return pd.DataFrame()
    timed = timed.assign(
        machine=[e.get("device") or "?" for e in timed["environment"]],
        chapter=timed["experiment"].str.split(".", n=1).str[0],
    )
    declared: dict[str, int] = {}
    for case in manifest.profiles[profile].cases if profile in manifest.profiles else ():
        if case.baseline is None:
            declared[case.chapter] = declared.get(case.chapter, 0) + 1
    rows = []
    for (stack_name, machine), stack in timed.groupby(["stack", "machine"], sort=False):
        chapters = [*stack.groupby("chapter", sort=True), ("all", stack)]
        for chapter, group in chapters:
            planned = sum(n for c, n in declared.items() if chapter in (c, "all"))
            models = group[group["kind"] == "model"]
            by_case = models.groupby(["experiment", "variant"], sort=False)
            # A result reused from another case's phase was timed inside that case.
            network_s = sum(
                record["timings"].get("wall_s", 0.0)
                for _, record in models.iterrows()
                if not _details_of(record).get("reused")
            )
            baselines = group[group["kind"] == "baseline"]
            if "fitted_for" in baselines:  # fitted once for another experiment: count once
                owned = set(zip(baselines["experiment"], baselines["name"], strict=True))
                counted = [
                    not isinstance(owner, str) or (owner, name) not in owned
                    for owner, name in zip(baselines["fitted_for"], baselines["name"], strict=True)
                ]
                baselines = baselines[pd.Series(counted, index=baselines.index, dtype=bool)]
            baseline_s = sum(t.get("fit_s", 0.0) for t in baselines["timings"])
            rates = [r for _, g in by_case if (r := _median_timing(g, "train_samples_per_s"))]
            seeds = [len(g) for _, g in by_case]
            rows.append(
                {
                    "stack": stack_name,
                    "machine": machine,
                    "chapter": chapter,
                    "cases": f"{len(seeds)} of {planned}",
                    "seeds per case": _range([float(n) for n in seeds]),
                    "networks s": f"{network_s:,.0f}",
                    "baselines s": f"{baseline_s:,.0f}",
                    "total min": _fmt((network_s + baseline_s) / 60, 3),
                    "train samples/s": _range(rates),
                    "peak accelerator MiB": _range(_maxima(models, "device_peak_memory_mb")),
                    "peak RSS MiB": _range(_maxima(models, "process_peak_rss_mb")),
                }
            )
    return pd.DataFrame(rows)


def book_code_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The suite against the book's own code: one row per pairing and stack (newest run).

    Both sides trained the same case with the same seed in one process; ``agree`` says
    whether their measurements are within the case's tolerance, ``ratio`` is the suite's
    wall time over the book's code's, judged against the pairing's goal.
    """
    # Generated smoke data measures start-up, not the two codes: left out.
    pairs = frame[(frame["kind"] == "reference") & (frame["profile"] != "smoke")]
    measured = {
        (p, e, case_id(x, v))
        for p, e, x, v in pairs[["profile", "env", "experiment", "variant"]].values
    }
    ended = (
        frame[
            (frame["kind"] == "outcome")
            & (frame["profile"] != "smoke")
            & frame["test"].fillna("").str.startswith("book_code:")
        ]
        if "test" in frame
        else frame.iloc[0:0]
    )
    rows = [
        {
            "profile": o["profile"],
            "environment": o["env"],
            "case": o["test"].removeprefix("book_code:"),
            "speed": f"not measured ({o['outcome']}: {_first_clause(o['reason'])})",
        }
        for _, o in ended.iterrows()
        if (o["profile"], o["env"], o["test"].removeprefix("book_code:")) not in measured
        and o["outcome"] != "passed"
    ]
    for _, record in pairs.iterrows():
        run = record["book_code"]
        goal = run.get("time_goal")
        if goal is None:
            speed = "no goal: " + (run.get("note") or "the book's code is as fast")
        else:
            speed = f"{'met' if run['ratio'] <= goal else 'MISSED'} (goal <= {goal})"
        rows.append(
            {
                "profile": record["profile"],
                "environment": record["env"],
                "case": record_case_id(record),
                "seed": record["seed"],
                "metric": run["metric"],
                "suite": _fmt(run["suite"]),
                "book's code": _fmt(run["book_code"]),
                "agree": f"{'yes' if run['agree'] else 'NO'} (±{_fmt(run['tolerance'])})",
                "suite s": f"{run['suite_s']:,.1f}",
                "book's code s": f"{run['book_code_s']:,.1f}",
                "ratio": f"{run['ratio']:.2f}",
                "speed": speed,
                "data": _data_label(record),
                # What the book's side needed to run the book's protocol, where it says.
                "note": run.get("note", "") if goal is not None else "",
            }
        )
    table = pd.DataFrame(rows).astype(object).fillna("")
    if "note" in table and not (table["note"] != "").any():
        table = table.drop(columns="note")
    return table


def _plan_minutes(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds / 60:.1f}" if seconds >= 60 else f"{seconds / 60:.2f}"


def plan_table(rows: Iterable[PlanRow]) -> pd.DataFrame:
    """The plan: per case and machine, one seed's minutes (measured or extrapolated),
    whether it fits there, the baselines' once-per-experiment minutes, and a GPU's."""
    cells = []
    for row in rows:
        if row.seed_s is None or row.how == "reused":
            how = row.reason
        elif row.how == "measured" and row.seeds_timed:
            how = f"measured ({row.seeds_timed} seeds)"
            if row.probe_s:
                how += (
                    f"; its probe said {_plan_minutes(row.probe_s)} min "
                    f"(x {row.seed_s / row.probe_s:.2f})"
                )
        elif row.how == "measured":
            how = "measured (time probe, nothing cut)"
        else:
            how = f"extrapolated ({row.phases_cut} phase(s) cut)"
        if row.speed_ratio is not None:
            scaled = row.speed_scaled if row.speed_scaled < row.seeds_timed else None
            how += f"; x {row.speed_ratio:.2f} to the machine's speed now" + (
                f" (the {scaled} of {row.seeds_timed} seeds with a canary)" if scaled else ""
            )
        if row.stopped:
            how += f"; after the cut: {row.stopped[:60]} (not timed)"
        if row.seeds_reused:
            how += f"; {row.seeds_reused} seed(s) on another case's model"
        if row.rides_with:
            how += f"; rides with {row.rides_with} where both run, adding its time less that case's"
        if row.gpu_how == "estimated":
            gpu_how = f"estimated: CPU / {row.gpu_ratio:.3g} ({row.gpu_ratio_cases} cases on both)"
        else:
            gpu_how = f"{row.gpu_how} ({row.gpu_device})" if row.gpu_how else ""
        cells.append(
            {
                "case": row.case,
                "machine": row.machine.name,
                "min a seed": _plan_minutes(row.seed_s),
                "how": how,
                "fits its machine": _fits_cell(row),
                "baselines min": _plan_minutes(row.baselines_s),
                "GPU min a seed": _plan_minutes(row.gpu_s),
                "GPU": gpu_how,
            }
        )
    return pd.DataFrame(cells)


def _fits_cell(row: PlanRow) -> str:
    """``yes``, ``GPU-sized``, or ``with its trainer`` for a case that fits only riding
    with the case whose training it reuses (``PlanRow.fits_riding``)."""
    if row.fits is None:
        return ""
    if not row.fits:
        return "GPU-sized"
    return "with its trainer" if row.fits_riding else "yes"
