"""Collate run records into Markdown tables (pandas + tabulate) and learning curves.

For each (profile, environment, experiment, variant, kind, name) only the newest run's
records count, so re-running an experiment replaces its row instead of mixing runs.
The report opens with the answer ("Does the book reproduce here?": one row per book
number or claim, with its verdict), then the findings, then the detail tables.
Targets and claims are rebuilt from the declarations the records store.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from dlwp_suite.claims import Claim
from dlwp_suite.divergence import Divergence
from dlwp_suite.environment import label
from dlwp_suite.results import run_starts
from dlwp_suite.targets import Target, bar_text

_KEY = ["profile", "env", "experiment", "variant", "kind", "name"]
MODEL_COLUMNS = [
    "profile",
    "environment",
    "experiment",
    "variant",
    "metric",
    "median",
    "book",
    "delta",
    "tolerance",
    "result",
    "seeds",
    "spread",
    "wall s",
    "train samples/s",
    "infer samples/s",
    "time to target s",
    "peak RSS MiB",
    "notes",
    "source",
    "data",
    "divergence",
]
CLAIM_COLUMNS = [
    "profile",
    "environment",
    "experiment",
    "claim",
    "the book says",
    "as checked",
    "A",
    "B",
    "held on seeds",
    "result",
    "source",
    "basis",
    "divergence",
    "data",
]


def still_declared(record: dict[str, Any]) -> bool:
    """Whether today's declarations still run this record's case or claim in its profile."""
    from dlwp_suite import experiments

    experiment = experiments.EXPERIMENTS.get(record.get("experiment", ""))
    profile = record.get("profile")
    if experiment is None or profile not in experiment.profiles:
        return record.get("kind") == "outcome"  # pytest outcomes name tests, not cases
    if record.get("kind") == "claim":
        return any(c.id == record.get("name") for c in experiments.claims(profile))
    if record.get("kind") == "model":
        return record.get("variant") in experiment.profile(profile).variants
    return True


def newest_runs(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Records as a frame: the newest run of each case and environment, each seed once.

    "Newest" is the run that started last (its first invocation), whatever its id. A
    seed recorded more than once in one run (two invocations sharing ``DLWP_RUN_ID``)
    counts once, its latest record; ``times_recorded`` says how often it was recorded.
    """
    records = list(records)
    starts = run_starts(records)
    rows = [{**r, "env": label(r["environment"]), "_start": starts[r["run_id"]]} for r in records]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    # Ties between runs that started in the same second go to the larger id.
    frame["_order"] = frame["_start"] + "|" + frame["run_id"]
    frame = frame[frame["_order"] == frame.groupby(_KEY)["_order"].transform("max")]
    once = [*_KEY, "run_id", "_seed"]
    frame = frame.assign(_seed=frame["seed"].fillna(-1))
    frame["times_recorded"] = frame.groupby(once)["run_id"].transform("size")
    frame = frame.sort_values("recorded_at", kind="stable").drop_duplicates(once, keep="last")
    # Seeds are ints (or None for claims and outcomes), whatever pandas made of the column.
    frame["seed"] = pd.Series(
        [None if pd.isna(seed) else int(seed) for seed in frame["seed"]],
        index=frame.index,
        dtype=object,
    )
    return frame.drop(columns=["_start", "_order", "_seed"]).reset_index(drop=True)


def _fmt(value: float | None, digits: int = 4) -> str:
    if value is None or pd.isna(value):
        return ""
    if float(value).is_integer():
        return str(int(value))  # counts (parameters, epochs) in full
    return f"{value:.{digits}g}"


def _spread(values: list[float]) -> str:
    return f"{_fmt(min(values))}–{_fmt(max(values))}" if len(values) > 1 else ""


def _median_timing(group: pd.DataFrame, key: str) -> float | None:
    values = [t.get(key) for t in group["timings"] if t.get(key) is not None]
    return float(pd.Series(values).median()) if values else None


def _max_timing(group: pd.DataFrame, key: str) -> float | None:
    values = [t.get(key) for t in group["timings"] if t.get(key) is not None]
    return float(max(values)) if values else None


def planned_seeds(group: pd.DataFrame) -> int:
    """The most seeds one invocation set out to train for this case (0: not recorded)."""
    if "seeds_planned" not in group:
        return 0
    return int(max((n for n in group["seeds_planned"] if not pd.isna(n)), default=0))


def _details_of(record: Any) -> dict[str, Any]:
    """A record's ``details`` (empty where it has none: the frame fills NaN)."""
    details = record.get("details")
    return details if isinstance(details, dict) else {}


def _details(group: pd.DataFrame) -> str:
    """Per-fold MAE or the best validation epoch, per seed; seeds recorded twice."""
    notes = []
    for _, record in group.sort_values("seed").iterrows():
        if record.get("times_recorded", 1) > 1:
            notes.append(
                f"seed {record['seed']} recorded {record['times_recorded']} times in this run "
                "(duplicate: counted once, the latest)"
            )
        details = _details_of(record)
        if details.get("reused"):
            notes.append(f"seed {record['seed']}: {details['reused']}, not trained again")
        if "fold_val_mae" in details:
            folds = ", ".join(f"{v:.2f}" for v in details["fold_val_mae"])
            notes.append(f"seed {record['seed']} folds {folds}")
        elif "best_val_epoch" in details:
            notes.append(f"seed {record['seed']} best val epoch {details['best_val_epoch']}")
    return "; ".join(notes)


def _verdict(target: dict[str, Any], values: list[float], environment: dict) -> str:
    """pass / FAIL / known divergence, on the median of every seed the run recorded.

    A run merged from several invocations (xdist workers, ``DLWP_RUN_ID``) checked its
    targets per invocation; the report re-checks them on all its seeds.
    """
    if "declared" not in target:
        return ""
    declared = Target.from_declared(target["declared"])
    if declared.check(values, target.get("reference")).passed:
        return "pass"
    return "known divergence" if _diverges(target["declared"], environment) else "FAIL"


def _diverges(declared: dict[str, Any], environment: dict) -> bool:
    stored = declared.get("divergence")
    return bool(stored) and Divergence.from_record(stored).stack.matches(environment)


def _book_column(target: dict[str, Any]) -> str:
    """The bar as checked: ``0.885 ± 0.011``, ``≥ 0.78 (0.8 - 0.02)``, ``beats majority by 0.1``
    or ``—`` (recorded only)."""
    declared = target.get("declared")
    if not declared:
        return "—"
    comparison, margin = declared["comparison"], declared["tolerance"] or 0
    if declared["baseline"]:
        if comparison == "at_most":
            return f"beats {declared['baseline']} by ≤ {margin:g}"
        return f"beats {declared['baseline']}" + (f" by {margin:g}" if margin else "")
    return bar_text(comparison, declared["value"], margin)


def model_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (case, target): median, book number, delta, pass/fail, seeds, times."""
    rows = []
    models = frame[frame["kind"] == "model"]
    for (profile, env, experiment, variant), group in models.groupby(_KEY[:4], sort=False):
        first = group.iloc[-1]  # the latest record: its declaration is the current one
        targets = first["targets"] or [
            {"metric": m, "book": None}
            for m in first["metrics"]
            if m.startswith("test_") or m == "kfold_val_mae"
        ]
        for target in targets:
            values = [m[target["metric"]] for m in group["metrics"]]
            measured = float(pd.Series(values).median())
            book = target.get("book")
            verdict = _verdict(target, values, first["environment"])
            if len(values) < planned_seeds(group):  # an interrupted run left fewer seeds
                verdict = f"incomplete ({len(values)} of {planned_seeds(group)} seeds)"
            rows.append(
                {
                    "profile": profile,
                    "environment": env,
                    "experiment": experiment,
                    "variant": variant,
                    "metric": target["metric"],
                    "median": _fmt(measured),
                    "book": _book_column(target),
                    "delta": _fmt(measured - book, 3) if book is not None else "",
                    "tolerance": _fmt(target.get("tolerance")) if "declared" in target else "",
                    "result": verdict,
                    "seeds": len(values),
                    "spread": _spread(values),
                    "wall s": _fmt(_median_timing(group, "wall_s"), 3),
                    "train samples/s": _fmt(_median_timing(group, "train_samples_per_s"), 3),
                    "infer samples/s": _fmt(_median_timing(group, "inference_samples_per_s"), 3),
                    "time to target s": _fmt(_median_timing(group, "time_to_target_s"), 3),
                    "peak RSS MiB": _fmt(_max_timing(group, "process_peak_rss_mb"), 3),
                    "notes": _details(group),
                    "source": target.get("source", ""),
                    "data": _data_label(first["data"]),
                    "divergence": (target.get("declared") or {}).get("divergence"),
                }
            )
    return pd.DataFrame(rows, columns=MODEL_COLUMNS)


def environment_matrix(models: pd.DataFrame) -> pd.DataFrame:
    """Cases as rows, environments as columns: median [spread] verdict, samples/s."""
    if models.empty:
        return models
    cell = (
        models["median"]
        + models["spread"].map(lambda s: f" [{s}]" if s else "")
        + models["result"].map(lambda r: f" {r}" if r else "")
        + models["train samples/s"].map(lambda t: f", {t}/s" if t else "")
    )
    table = models.assign(cell=cell).pivot_table(
        index=["experiment", "variant", "metric", "book"],
        columns="environment",
        values="cell",
        aggfunc="first",
        sort=False,
    )
    return table.fillna("").reset_index()


def plot_throughput(models: pd.DataFrame, path: Path) -> Path | None:
    """Bar chart of steady-state training samples/s per case and environment."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rates = models[models["train samples/s"] != ""].drop_duplicates(
        ["experiment", "variant", "environment"]
    )
    if rates.empty:
        return None
    table = rates.assign(
        case=rates["experiment"] + " [" + rates["variant"] + "]",
        rate=rates["train samples/s"].astype(float),
    ).pivot_table(index="case", columns="environment", values="rate", sort=False)
    axis = table.plot.barh(
        figsize=(11, 0.6 * len(table) * len(table.columns) ** 0.5 + 1.5), logx=True
    )
    axis.set_xlabel("training samples/s (steady state, log scale)")
    axis.set_ylabel("")
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axis.figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    axis.figure.savefig(path, dpi=80)
    plt.close(axis.figure)
    return path


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
        row["note"] = "; ".join(
            f"{t['metric']} book {t['book']:g}: {'pass' if t['passed'] else 'FAIL'}"
            for t in record.get("targets") or []
        )
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
                    "data": _data_label(first["data"]),
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
        data = _data_label(first.get("data"))  # a stand-in's picture says so
        for name, path in (_details_of(first).get("images") or {}).items():
            label = f"{experiment} [{variant}] seed {first['seed']}, {name} ({env})"
            label += f", {data}" if data else ""
            lines.append(f"![{label}]({link_prefix}{path})")
    return lines


def _markdown(table: pd.DataFrame) -> str:
    return table.to_markdown(index=False) if not table.empty else "_no records_"


def summary(records: Iterable[dict[str, Any]]) -> str:
    """The report's tables as plain text, for the pytest terminal summary."""
    frame = newest_runs(records)
    if frame.empty:
        return "no records"
    parts = []
    models = model_rows(frame)
    if not models.empty:
        columns = [
            "experiment",
            "variant",
            "metric",
            "median",
            "book",
            "delta",
            "tolerance",
            "result",
            "seeds",
            "spread",
            "wall s",
            "train samples/s",
        ]
        parts.append(models[columns].to_markdown(index=False, tablefmt="simple"))
    comparisons = comparison_rows(frame)
    if not comparisons.empty:
        dropped = [c for c in ("profile", "environment") if c in comparisons]
        parts.append(comparisons.drop(columns=dropped).to_markdown(index=False, tablefmt="simple"))
    return "\n\n".join(parts)


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
CURVE_OF_METRIC = {
    "best_val_loss": "val_loss",
    "best_val_loss_epoch": "val_loss",
    "last_val_loss": "val_loss",
    "val_loss_roughness": "val_loss",
    "best_val_crossentropy": "val_crossentropy",
    "best_val_crossentropy_epoch": "val_crossentropy",
    "last_val_crossentropy": "val_crossentropy",
    "best_val_accuracy": "val_accuracy",
}


def plot_claim_curves(frame: pd.DataFrame, directory: Path) -> list[Path]:
    """For each judged claim about curves, both sides' validation curves on one plot.

    Side A is drawn with dots and side B with crosses (the book's figures), first seed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    written: list[Path] = []
    if "history" not in frame:
        return written
    models = frame[(frame["kind"] == "model") & frame["history"].notna()]
    for _, record in frame[frame["kind"] == "claim"].iterrows():
        claim = Claim.from_declared(record["claim"]["declared"])
        curve = CURVE_OF_METRIC.get(claim.metric)
        if curve is None:
            continue
        same_run = models[
            (models["profile"] == record["profile"]) & (models["env"] == record["env"])
        ]
        figure, axis = plt.subplots(figsize=(6, 3.8))
        for side, marker in ((claim.a, "o"), (claim.b, "+")):
            matched = same_run[[side.matches(r) for r in same_run.to_dict("records")]]
            if matched.empty or curve not in matched.sort_values("seed").iloc[0]["history"]:
                continue
            values = matched.sort_values("seed").iloc[0]["history"][curve]
            axis.plot(range(1, len(values) + 1), values, marker, label=side.label)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_ylabel(curve.replace("_", " "))
        axis.legend(fontsize=8)
        axis.set_title(
            f"{claim.id}: {claim.metric}\n{record['profile']}, {record['env']}", fontsize=8
        )
        profile, env = record["profile"], record["env"]
        written.append(
            _save(figure, directory / f"{_slug(f'claim_{profile}_{claim.id}_{env}')}.png")
        )
    return written


def _data_and_gaps(frame: pd.DataFrame) -> list[str]:
    """Which data each experiment ran on, and which declared experiments have no records."""
    from dlwp_suite.experiments import EXPERIMENTS

    frame = frame[frame["kind"].isin(["model", "baseline", "ensemble"])]
    lines = ["### Data", ""]
    for experiment, group in frame.groupby("experiment", sort=False):
        data = group.iloc[0]["data"] or {}
        files = ", ".join(
            f"`{name}` ({info['location']}, {info['vouched_by']}, sha256 {info['sha256'][:12]}…)"
            for name, info in data.get("files", {}).items()
        )
        note = EXPERIMENTS[experiment].profiles[group.iloc[0]["profile"]].note
        lines.append(f"- {experiment}: {data.get('source', '?')}; {files}")
        for data_note in sorted({n for d in group["data"] for n in (d or {}).get("notes", [])}):
            lines.append(f"  - data: {data_note}")
        if note:
            lines.append(f"  - profile note: {note}")
    missing = [e for e in EXPERIMENTS if e not in set(frame["experiment"])]
    if missing:
        lines.append(
            f"- not run (skipped, usually because the dataset is unavailable; see the run's "
            f"skip reasons): {', '.join(missing)}"
        )
    return [*lines, ""]


def _data_label(data: dict[str, Any] | None) -> str:
    notes = (data or {}).get("notes") or []
    for kind in ("GENERATED", "STAND-IN"):  # the loaders' notes say so in capitals
        if any(kind in note for note in notes):
            return f"{kind} data"
    return ""


def claim_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per judged claim: the book's words, both medians, paired seeds, verdict."""
    rows = []
    for _, record in frame[frame["kind"] == "claim"].iterrows():
        stored = record["claim"]
        claim = Claim.from_declared(stored["declared"])
        check = claim.holds(stored["a"], stored["b"])
        verdict = "pass" if check else "FAIL"
        if not check and _diverges(stored["declared"], record["environment"]):
            verdict = "known divergence"
        held = sum(p["held"] for p in stored["per_seed"])
        rows.append(
            {
                "profile": record["profile"],
                "environment": record["env"],
                "experiment": claim.a.experiment,
                "claim": claim.id,
                "the book says": claim.says,
                "as checked": claim.describe(),
                "A": _fmt(stored["a"]),
                "B": _fmt(stored["b"]),
                "held on seeds": f"{held} of {len(stored['per_seed'])}",
                "result": verdict,
                "source": claim.source,
                "basis": claim.basis,
                "divergence": stored["declared"].get("divergence"),
                "data": _data_label(record["data"]),
            }
        )
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def _main_environment(frame: pd.DataFrame, profile: str) -> str:
    """The stack with the most records in a profile: the top table's measured column."""
    return frame[frame["profile"] == profile]["env"].value_counts().index[0]


def _verdict_cell(verdict: str, divergence: dict | None) -> str:
    if verdict == "pass":
        return "reproduces"
    if verdict == "known divergence" and divergence:
        return f"known divergence: {divergence['reason']}"
    return "fails" if verdict == "FAIL" else verdict


def _first_clause(reason: str, limit: int = 160) -> str:
    """A skip reason up to its first parenthesis or sentence: the table's cell, not the log."""
    cut = min((i for i in (reason.find(" ("), reason.find(". ")) if i > 0), default=len(reason))
    short = reason[: min(cut, limit)]
    return short if len(short) == len(reason) else short + " …"


def _not_run(frame: pd.DataFrame, profile: str, seen: set[tuple[str, str]]) -> list[dict]:
    """Declared book targets and claims of a profile with no records, and why."""
    from dlwp_suite import experiments

    outcomes = frame[(frame["kind"] == "outcome") & (frame["profile"] == profile)]
    reasons = {
        r["test"]: f"{r['outcome']}: {_first_clause(r['reason'])}" for _, r in outcomes.iterrows()
    }
    rows = []
    for experiment in experiments.EXPERIMENTS.values():
        for case in experiment.cases(profile):
            for target in case.targets:
                if (case.id, target.metric) in seen or target.source == "smoke check":
                    continue
                why = reasons.get(f"model:{case.id}", "no run of this case is recorded")
                rows.append(
                    {
                        "chapter": experiment.chapter,
                        "what the book says": f"{case.id} {target.metric} {target.describe()}",
                        "source": target.source,
                        "measured": "",
                        "verdict": f"not run ({why})",
                        "other stacks": "",
                    }
                )
    for claim in experiments.claims(profile):
        if ("claim", claim.id) in seen:
            continue
        rows.append(
            {
                "chapter": claim.chapter,
                "what the book says": f"{claim.says} ({claim.describe()})",
                "source": claim.source,
                "measured": "",
                "verdict": "not run (a case it compares has no records: see the skips)",
                "other stacks": "",
            }
        )
    return rows


def reproduction_table(frame: pd.DataFrame, profile: str) -> pd.DataFrame:
    """ "Does the book reproduce here?": one row per book number or claim of a profile."""
    main = _main_environment(frame, profile)
    models = model_rows(frame[frame["kind"] == "model"])
    models = models[(models["profile"] == profile) & (models["result"] != "")]
    models = models[models["source"] != "smoke check"]
    claims = claim_rows(frame)
    claims = claims[claims["profile"] == profile]
    rows, seen = [], set()

    def others(matching: pd.DataFrame, value: str) -> str:
        rest = matching[matching["environment"] != main]
        return "; ".join(
            f"{r['environment']}: {r[value]} {r['result']}" for _, r in rest.iterrows()
        )

    for (experiment, variant, metric), group in models.groupby(
        ["experiment", "variant", "metric"], sort=False
    ):
        here = group[group["environment"] == main]
        row = here.iloc[0] if not here.empty else group.iloc[0]
        seen.add((f"{experiment}[{variant}]", metric))
        label = f" ({row['data']})" if row["data"] else ""
        spread = f" [{row['spread']}]" if row["spread"] else ""
        rows.append(
            {
                "chapter": experiment.split(".", 1)[0],
                "what the book says": f"{experiment}[{variant}] {metric} {row['book']}{label}",
                "source": row["source"],
                "measured": f"{row['median']}{spread}, {row['seeds']} seed(s)",
                "verdict": _verdict_cell(row["result"], row["divergence"]),
                "other stacks": others(group, "median"),
            }
        )
    for claim_id, group in claims.groupby("claim", sort=False) if not claims.empty else []:
        here = group[group["environment"] == main]
        row = here.iloc[0] if not here.empty else group.iloc[0]
        seen.add(("claim", claim_id))
        rows.append(
            {
                "chapter": row["experiment"].split(".", 1)[0],
                "what the book says": f"{row['the book says']} ({row['as checked']})"
                + (f" ({row['data']})" if row["data"] else ""),
                "source": row["source"],
                "measured": f"{row['A']} vs {row['B']}, held on {row['held on seeds']}",
                "verdict": _verdict_cell(row["result"], row["divergence"]),
                "other stacks": others(group, "A"),
            }
        )
    rows += _not_run(frame, profile, seen)
    table = pd.DataFrame(rows)
    return table.sort_values("chapter", kind="stable") if not table.empty else table


def _range(values: list[float]) -> str:
    """``low–high`` as whole numbers with thousands separators; one number if equal."""
    if not values:
        return ""
    low, high = f"{min(values):,.0f}", f"{max(values):,.0f}"
    return low if low == high else f"{low}–{high}"


def _declared_cases(profile: str) -> dict[str, int]:
    """How many cases each chapter declares for ``profile``."""
    from dlwp_suite import experiments

    counts: dict[str, int] = {}
    for experiment in experiments.EXPERIMENTS.values():
        counts[experiment.chapter] = counts.get(experiment.chapter, 0) + len(
            experiment.cases(profile)
        )
    return counts


def _maxima(group: pd.DataFrame, key: str) -> list[float]:
    peak = _max_timing(group, key)
    return [] if peak is None else [peak]


def time_table(frame: pd.DataFrame, profile: str = "book") -> pd.DataFrame:
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
        device=[e.get("device") or "?" for e in timed["environment"]],
        chapter=timed["experiment"].str.split(".", n=1).str[0],
    )
    declared = _declared_cases(profile)
    rows = []
    for (env, device), stack in timed.groupby(["env", "device"], sort=False):
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
                    "stack": env,
                    "device": device,
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
        (p, e, f"{x}[{v}]")
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
                "case": f"{record['experiment']}[{record['variant']}]",
                "seed": record["seed"],
                "metric": run["metric"],
                "suite": _fmt(run["suite"]),
                "book's code": _fmt(run["book_code"]),
                "agree": f"{'yes' if run['agree'] else 'NO'} (±{_fmt(run['tolerance'])})",
                "suite s": f"{run['suite_s']:,.1f}",
                "book's code s": f"{run['book_code_s']:,.1f}",
                "ratio": f"{run['ratio']:.2f}",
                "speed": speed,
                "data": _data_label(record.get("data")),
                # What the book's side needed to run the book's protocol, where it says.
                "note": run.get("note", "") if goal is not None else "",
            }
        )
    table = pd.DataFrame(rows).astype(object).fillna("")
    if "note" in table and not (table["note"] != "").any():
        table = table.drop(columns="note")
    return table


def findings(frame: pd.DataFrame) -> list[str]:
    """Known divergences with their evidence, and every miss without an established cause."""
    lines = []
    models = model_rows(frame[frame["kind"] == "model"])
    claims = claim_rows(frame)
    divergent = [
        *(r for _, r in models.iterrows() if r["result"] == "known divergence"),
        *(r for _, r in claims.iterrows() if r["result"] == "known divergence"),
    ]
    for row in divergent:
        what = row.get("claim") if "claim" in row else f"{row['experiment']}[{row['variant']}]"
        d = row["divergence"]
        lines.append(
            f"- **Known divergence**, {what} ({row['profile']}, {row['environment']}; applies "
            f"to {d['applies_to']}): {d['reason']} Evidence: {d['evidence']}"
        )
    fails = [
        *(
            f"{r['experiment']}[{r['variant']}] {r['metric']} {r['median']} against {r['book']} "
            f"({r['profile']}, {r['environment']})"
            for _, r in models.iterrows()
            if r["result"] == "FAIL"
        ),
        *(
            f"claim {r['claim']}: {r['as checked']}"
            for _, r in claims.iterrows()
            if r["result"] == "FAIL"
        ),
    ]
    for fail in fails:
        lines.append(f"- **Fails, cause not established**: {fail}")
    return lines or ["- none: every recorded book number and claim reproduces"]


def write_report(
    records: Iterable[dict[str, Any]], out_dir: Path, results_dir: Path | None = None
) -> Path:
    """Write ``report.md`` (answer, findings, claims, detail tables) and ``curves/*.png``
    into ``out_dir``; ``results_dir`` is where the records and their pictures are, when
    that is another folder (the pictures are linked from there).

    ``curves/`` is generated output: figures of an earlier report are removed first, so
    none outlives the records or the labels it was drawn from. Records of cases and
    claims the declarations no longer run in their profile are left out (they stay in
    ``runs/``, and ``compare`` still sees them).
    """
    frame = newest_runs(r for r in records if still_declared(r))
    path = out_dir / "report.md"
    # Pictures are saved under the results folder the records came from.
    link_prefix = "" if results_dir is None else os.path.relpath(results_dir, out_dir) + "/"
    link_prefix = "" if link_prefix == "./" else link_prefix
    for stale in (out_dir / "curves").glob("*.png"):
        stale.unlink()
    lines = [
        "# dlwp-suite results",
        "",
        "Generated by `dlwp-suite report` from `runs/*.jsonl`; the newest run of each "
        "case and stack counts. Medians are over seeds, `[a–b]` is the min–max across "
        "seeds.",
        "",
    ]
    if frame.empty:
        lines.append("_no records yet_")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines))
        return path
    profiles = [p for p in ("book", "quick", "smoke") if p in set(frame["profile"])]
    lines += ["## Does the book reproduce here?", ""]
    for profile in [p for p in profiles if p != "smoke"]:
        main = _main_environment(frame, profile)
        lines += [f"### Profile `{profile}` (measured on {main})", ""]
        lines += [_markdown(reproduction_table(frame, profile)), ""]
    lines += ["## Findings", "", *findings(frame), ""]
    claims = claim_rows(frame)
    lines += ["## Claims", ""]
    if claims.empty:
        lines += ["_no claim judged yet_", ""]
    else:
        shown = ["profile", "environment", "claim", "as checked", "A", "B", "held on seeds"]
        lines += [_markdown(claims[[*shown, "result", "basis"]]), ""]
        figures = plot_claim_curves(frame, out_dir / "curves")
        if figures:
            lines += ["Claims about curves, both sides on one plot (first seed):", ""]
            lines += [f"![{p.stem}](curves/{p.name})" for p in figures]
            lines.append("")
    if not (against := book_code_table(frame)).empty:
        lines += ["## Speed against the book's own code", ""]
        lines += [
            "Each case trained twice in one process, same seed: by the book's plain code "
            "(`benchmarks/plain_*.py`, the declaration's hyperparameters, data as "
            "`keras.datasets` or the book's folder gives it) and by the suite (reading its "
            "cached inputs inside the clock). `agree`: both measured the metric within the "
            "case's tolerance; `ratio`: the suite's wall time over the book's code's "
            "(`pytest benchmarks/ --dlwp-book-code -k test_suite_against_book_code`).",
            "",
        ]
        lines += [_markdown(against), ""]
    if not (times := time_table(frame)).empty:
        lines += ["## Time to reproduce the book", ""]
        lines += [
            "The book profile's measured time per stack and device: the networks' wall time "
            "summed over the cases and seeds each run recorded, plus the baselines' fits "
            "(data loading and start-up excluded). `cases` counts the chapter's cases a run "
            "recorded against those the suite declares: fewer is a partial run (missing "
            "data or an interrupted run; the tables above say which).",
            "",
        ]
        lines += [_markdown(times), ""]
    curves = plot_curves(frame, out_dir / "curves")
    models, comparisons = model_rows(frame[frame["kind"] == "model"]), comparison_rows(frame)
    # The detail table keeps what a reader uses; the rest stays in the records.
    hidden = {"profile", "delta", "infer samples/s", "source", "data", "divergence"}
    detail = [c for c in MODEL_COLUMNS if c not in hidden]
    for profile in profiles:
        lines += [f"## Profile `{profile}` in detail", "", "### Networks", ""]
        in_profile = models[models["profile"] == profile] if not models.empty else models
        lines += [_markdown(in_profile[detail] if not in_profile.empty else in_profile), ""]
        lines += ["### Environments side by side", ""]
        lines += [_markdown(environment_matrix(in_profile)), ""]
        chart = plot_throughput(in_profile, out_dir / "curves" / f"throughput_{profile}.png")
        if chart is not None:
            lines += [f"![training throughput, {profile}](curves/{chart.name})", ""]
        if not comparisons.empty:
            lines += ["### Baselines and ensembles", ""]
            lines += [
                _markdown(comparisons[comparisons["profile"] == profile].drop(columns="profile")),
                "",
            ]
        samples = sample_rows(frame[frame["profile"] == profile])
        if not samples.empty:
            lines += ["### Generated samples (measured, not judged)", ""]
            lines += [_markdown(samples.drop(columns="profile")), ""]
        if drawn := pictures(frame[frame["profile"] == profile], link_prefix):
            lines += ["### Pictures", "", *drawn, ""]
        lines += _data_and_gaps(frame[frame["profile"] == profile])
        lines += ["### Learning curves", ""]
        lines += [
            f"![{p.stem}](curves/{p.name})" for p in curves if p.name.startswith(f"{profile}_")
        ]
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path
