"""``dlwp-suite``: list experiments, check dataset files, write the results report."""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
from pathlib import Path

# Set before TensorFlow loads (the commands import it lazily): its C++ start-up notes
# would drown the command's own output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from dlwp_suite.datafiles import MANIFEST_NAME, DataConfig, locate
from dlwp_suite.errors import DatasetCorrupt, DatasetUnavailable
from dlwp_suite.experiment import PROFILES


def _list(args: argparse.Namespace) -> int:
    if args.format == "md":
        return _list_markdown(args)
    if args.update is not None:
        print("dlwp-suite list: --update writes the table of --format md", file=sys.stderr)
        return 2
    from dlwp_suite import experiments
    from dlwp_suite.results.calibration import rule_name
    from dlwp_suite.words import calibration_text

    for experiment in experiments.EXPERIMENTS.values():
        print(f"{experiment.id}: {experiment.title}  ({experiment.source})")
        if note := experiment.profile(args.profile).note:
            print(f"  profile note: {note}")
        for case in experiment.cases(args.profile):
            if not case.targets:
                print(f"  [{case.variant}] no target: recorded only")
            for target in case.targets:
                print(f"  [{case.variant}] {target.metric} {target.describe()} [{target.source}]")
                noise = target.calibration is not None and target.calibration.noise_only
                rule = rule_name(target.bar(), noise)
                print(f"    {calibration_text(target.calibration, rule, target.basis)}")
                if target.divergence is not None:
                    d = target.divergence
                    print(f"    known divergence on {d.stack.describe()}: {d.reason}")
    print(
        f"\nclaims ({args.profile} profile): A <relation> B, weighed on paired seeds "
        "(holds, inconclusive or does not hold)"
    )
    for claim in experiments.claims(args.profile):
        print(f"  {claim.id}: {claim.says}")
        print(f"    {claim.describe()}  [{claim.source}; margin: {claim.basis}]")
        if claim.divergence is not None:
            d = claim.divergence
            print(f"    known divergence on {d.stack.describe()}: {d.reason}")
    return 0


def _list_markdown(args: argparse.Namespace) -> int:
    from dlwp_suite.listing import experiment_rows, markdown_table, with_table

    table = markdown_table(experiment_rows(args.profile))
    if args.update is None:
        print(table)
        return 0
    try:
        args.update.write_text(with_table(args.update.read_text(), table))
    except (OSError, ValueError) as error:
        print(f"dlwp-suite list: {args.update}: {error}", file=sys.stderr)
        return 2
    print(f"wrote the experiments table into {args.update}")
    return 0


def _data(args: argparse.Namespace) -> int:
    from dlwp_suite.datasets import CANONICAL_FILES, LOCAL_ONLY_FILES, dogs_vs_cats
    from dlwp_suite.pretrained import BASES

    config = DataConfig.from_settings(args.data_dir, offline=not args.download)
    if config.data_dir is not None and not config.data_dir.is_dir():
        print(f"dlwp-suite data: the mirror {config.data_dir} is no directory", file=sys.stderr)
        return 2
    status = 0
    try:
        root, _, source = dogs_vs_cats.find_layout(config)
        splits = [s for s in dogs_vs_cats.SPLITS if (root / s).is_dir()]
        folder = dogs_vs_cats.check_folder(root, splits)
        verdict = "CORRUPT " if folder.failing else "ok      "
        status = 1 if folder.failing else status
        print(f"{verdict} dogs vs cats: {root} ({source}; {folder.vouched_by})")
        for note in folder.notes:
            print(f"         {note}")
        for name in folder.failing:
            print(f"         fails {MANIFEST_NAME}: {name}")
    except DatasetUnavailable as error:
        print(f"missing  dogs vs cats: {error}")
    except DatasetCorrupt as error:
        print(f"CORRUPT  dogs vs cats: {error}")
        status = 1
    local = dataclasses.replace(config, offline=True)
    for spec in (*CANONICAL_FILES, *(base.weights for base in BASES.values()), *LOCAL_ONLY_FILES):
        try:
            found = locate(spec, local if spec in LOCAL_ONLY_FILES else config)
            print(f"ok       {spec.name}: {found.path} ({found.location}, {found.vouched_by})")
        except DatasetUnavailable as error:
            why = (
                f"neither in the mirror nor in {config.keras_cache(spec).parent}; it is never "
                f"downloaded (from {spec.origin}: put it in either place)"
                if spec in LOCAL_ONLY_FILES
                else str(error)
            )
            print(f"missing  {spec.name}: {why}")
        except DatasetCorrupt as error:
            print(f"CORRUPT  {spec.name}: {error}")
            status = 1
    return status


def _report(args: argparse.Namespace) -> int:
    from dlwp_suite.report import write_report
    from dlwp_suite.results import read_records
    from dlwp_suite.results.manifest import Manifest, find_manifest

    folders = args.results or [Path("results")]
    found = args.manifest or next(filter(None, map(find_manifest, folders)), None)
    if found is None:
        print(
            f"dlwp-suite report: no manifest.json in {', '.join(map(str, folders))}: write "
            "one with `dlwp-suite manifest --out DIR` (a run writes it too), or give "
            "--manifest FILE",
            file=sys.stderr,
        )
        return 2
    # Shards of one run write separate folders: their records are judged together.
    records = [record for folder in folders for record in read_records(folder)]
    path = write_report(
        records,
        args.out or folders[0],
        Manifest.read(found),
        folders[0],
        stack=args.stack,
        provenance={"revision": _revision()},
    )
    print(f"wrote {path}, the chapter pages, verdicts.json and index.html")
    return 0


def _revision() -> str:
    from dlwp_suite.environment import git_revision

    return git_revision(Path.cwd())


def _durations(args: argparse.Namespace) -> int:
    import json

    from dlwp_suite.results import read_records
    from dlwp_suite.results.manifest import Manifest, find_manifest
    from dlwp_suite.shards import test_durations

    found = find_manifest(args.results)
    if found is None:
        print(f"dlwp-suite durations: no manifest.json in {args.results}", file=sys.stderr)
        return 2
    durations = test_durations(
        read_records(args.results),
        Manifest.read(found),
        args.profile,
        args.stack,
        args.device,
        args.seeds,
    )
    args.out.write_text(json.dumps(durations, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.out}: {len(durations)} tests, {sum(durations.values()) / 60:.0f} min")
    return 0


def _plan(args: argparse.Namespace) -> int:
    from dlwp_suite.report.tables import plan_table
    from dlwp_suite.results import read_records
    from dlwp_suite.results.manifest import Manifest, find_manifest
    from dlwp_suite.results.plan import plan_rows
    from dlwp_suite.shards import plan_selections

    found = find_manifest(args.results)
    if found is None:
        print(f"dlwp-suite plan: no manifest.json in {args.results}", file=sys.stderr)
        return 2
    manifest = Manifest.read(found)
    machine, canary = args.machine, None
    if machine == "here":
        from dlwp_suite.canary import canary_s
        from dlwp_suite.environment import fingerprint
        from dlwp_suite.results.plan import Machine
        from dlwp_suite.results.records import cpu_kernels, device_label, stack_label

        here = fingerprint()
        machine = Machine(stack_label(here), device_label(here), cpu_kernels(here)).name
        canary = canary_s()  # here means now too: earlier seeds at this moment's speed
    rows = plan_rows(read_records(args.results), manifest, args.profile, canary_now_s=canary)
    planned = sorted({r.machine.name for r in rows})
    if machine:
        rows = [r for r in rows if r.machine.name == machine]
    if not rows:
        print(
            f"dlwp-suite plan: no time probe of the {args.profile} profile in {args.results}"
            f"{' on ' + machine if machine else ''}: run "
            f"`pytest benchmarks/ --dlwp-profile {args.profile} --dlwp-time-probe 30`"
            + (f" (planned: {'; '.join(planned)})" if planned else ""),
            file=sys.stderr,
        )
        return 2
    machines = sorted({r.machine.name for r in rows})
    if args.selections == "fits" and len(machines) > 1:
        print(
            f"dlwp-suite plan: what fits depends on the machine: give --machine (one of: "
            f"{'; '.join(machines)}; or 'here')",
            file=sys.stderr,
        )
        return 2
    if canary is not None:  # on stderr: the selections on stdout are what scripts read
        factors = [r.speed_ratio for r in rows if r.speed_ratio is not None]
        print(
            f"dlwp-suite plan: canary {canary * 1000:.1f} ms now; {len(factors)} of "
            f"{sum(r.seed_s is not None for r in rows)} timed cases scaled to it"
            + (f" (median x {statistics.median(factors):.2f})" if factors else ""),
            file=sys.stderr,
        )
    if args.selections:
        selections = plan_selections(rows, manifest, args.selections, args.profile)
        for selection in selections:
            prefix = f"{selection.seconds:.0f}\t" if args.seconds else ""
            print(f"{prefix}{selection.line}")
        return 0
    print(plan_table(rows).to_markdown(index=False))
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from dlwp_suite.calibrate import calibrate, parse_seeds

    try:
        seeds = parse_seeds(args.seeds)
    except ValueError as error:
        print(f"dlwp-suite calibrate: {error}", file=sys.stderr)
        return 2
    config = DataConfig.from_settings(args.data_dir)
    try:
        run_id, bands = calibrate(args.case, args.profile, seeds, args.results, config)
    except (DatasetUnavailable, DatasetCorrupt) as error:
        print(f"dlwp-suite calibrate: {error}", file=sys.stderr)
        return 2
    rows = [
        [
            b.target.metric,
            b.target.describe(),
            ", ".join(f"{v:.4g}" for v in b.values),
            f"{b.median:.4g}",
            f"{b.std:.3g}",
            b.rule,
            f"{b.suggested:g}",
        ]
        for b in bands
    ]
    headers = ["metric", "bar now", "seeds' values", "median", "std", "rule", "the rule gives"]
    print(f"{args.case} ({args.profile}), seeds {seeds[0]}-{seeds[-1]}: run {run_id}")
    print(tabulate(rows, headers, "simple") if rows else "no target: recorded only")
    print(f"records: {args.results / 'runs' / run_id}.main.jsonl")
    return 0


def _manifest(args: argparse.Namespace) -> int:
    from dlwp_suite.declarations import build_manifest
    from dlwp_suite.results.manifest import MANIFEST_NAME

    path = build_manifest(_revision()).write(args.out / MANIFEST_NAME)
    print(f"wrote {path}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from dlwp_suite.compare import as_table, compare
    from dlwp_suite.results import read_records
    from dlwp_suite.results.manifest import Manifest, find_manifest

    for name, directory in (("old", args.old), ("new", args.new)):
        if not (directory / "runs").is_dir():
            print(
                f"dlwp-suite compare: the {name} results directory {directory} has no runs/ "
                "folder of records: give a directory that a run wrote into (--dlwp-results)",
                file=sys.stderr,
            )
            return 2
    found = args.manifest or find_manifest(args.new) or find_manifest(args.old)
    if found is None:
        print(
            "dlwp-suite compare: neither results directory has a manifest.json: give the "
            "declarations to judge by with --manifest FILE (`dlwp-suite manifest` writes one)",
            file=sys.stderr,
        )
        return 2
    comparison = compare(
        read_records(args.old), read_records(args.new), Manifest.read(found), args.threshold
    )
    print(as_table(comparison))
    failures = comparison.failures(args.allow_missing)
    print(
        f"\n{len(comparison.regressions)} regression(s) in {len(comparison.changes)} "
        f"comparison(s); {len(comparison.missing_cases)} case(s) of the old run missing"
        + (" (allowed)" if args.allow_missing and comparison.missing_cases else "")
    )
    for reason in failures:
        print(f"FAIL: {reason}")
    return 1 if failures else 0


def _generate(args: argparse.Namespace) -> int:
    from dlwp_suite import synthetic
    from dlwp_suite.datasets.weather import JENA_ROWS

    # Only series have a full-size generator: other datasets are real in every profile.
    synthetic.write_jena(args.directory, rows=args.rows or JENA_ROWS)
    print(f"wrote a GENERATED jena_climate_2009_2016.csv.zip into {args.directory}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dlwp-suite`` console script."""
    parser = argparse.ArgumentParser(prog="dlwp-suite", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="experiments, variants and targets")
    listing.add_argument("--profile", choices=PROFILES, default="book")
    listing.add_argument(
        "--format",
        choices=("text", "md"),
        default="text",
        help="md: one Markdown table row per experiment (docs/experiments.md's index)",
    )
    listing.add_argument(
        "--update",
        type=Path,
        default=None,
        help="with --format md: write the table between FILE's generated-block markers",
    )
    listing.set_defaults(run=_list)
    data = commands.add_parser("data", help="locate and verify the canonical dataset files")
    data.add_argument("--data-dir", default=None, help="mirror directory ($DLWP_DATA_DIR)")
    data.add_argument("--download", action="store_true", help="download what is missing")
    data.set_defaults(run=_data)
    report = commands.add_parser(
        "report",
        help="verdicts of run records: report.md, chapter pages, verdicts.json, index.html",
    )
    report.add_argument(
        "--results",
        type=Path,
        action="append",
        help="a results folder (default: results); give several to merge shards",
    )
    report.add_argument("--out", type=Path, default=None, help="default: the first --results")
    report.add_argument(
        "--manifest", type=Path, default=None, help="default: <results>/manifest.json"
    )
    report.add_argument(
        "--stack", default=None, help="show this stack first (part of 'stack device')"
    )
    report.set_defaults(run=_report)
    manifest = commands.add_parser(
        "manifest", help="write manifest.json: every profile's bars, claims and divergences"
    )
    manifest.add_argument("--out", type=Path, default=Path("results"))
    manifest.set_defaults(run=_manifest)
    calibrating = commands.add_parser(
        "calibrate",
        help="run a case on held-out seeds (100 and up) and print the bands their spread gives",
    )
    calibrating.add_argument("case", help="experiment[variant], e.g. 'ch03.imdb.dense[book]'")
    calibrating.add_argument("--seeds", default="100-107", help="e.g. 100-107 (from 100)")
    calibrating.add_argument("--profile", choices=PROFILES, default="quick")
    calibrating.add_argument("--results", type=Path, default=Path("results/tolerance"))
    calibrating.add_argument("--data-dir", default=None, help="mirror directory ($DLWP_DATA_DIR)")
    calibrating.set_defaults(run=_calibrate)
    durations = commands.add_parser(
        "durations",
        help="write pytest-split's durations file from the records' wall times, so "
        "`pytest benchmarks/ --splits N --group i` balances shards",
    )
    durations.add_argument("--profile", choices=PROFILES, default="quick")
    durations.add_argument("--stack", required=True, help="e.g. 'tf2.21.0 keras3.15.1 tensorflow'")
    durations.add_argument("--device", default="CPU", help="CPU or e.g. 'GPU H100'")
    durations.add_argument("--seeds", type=int, default=1, help="seeds the shards will run")
    durations.add_argument("--results", type=Path, default=Path("results"))
    durations.add_argument("--out", type=Path, default=Path(".test_durations"))
    durations.set_defaults(run=_durations)
    planning = commands.add_parser(
        "plan",
        help="one seed's time per case on each machine a time probe ran on (measured or "
        "extrapolated), whether it fits there, and a GPU's",
    )
    planning.add_argument("--profile", choices=PROFILES, default="book")
    planning.add_argument("--results", type=Path, default=Path("results"))
    planning.add_argument(
        "--machine",
        default=None,
        help="only this machine's rows: its stack, device and CPU kernels as the report "
        "names them ('tf2.21.0 keras3.15.1 tensorflow CPU (AVX2, oneDNN off)'; no kernels "
        "where the records predate them), or 'here': this stack, device and kernels, its "
        "CPU times scaled to its speed now (a canary read beside each seed)",
    )
    planning.add_argument(
        "--selections",
        choices=("fits", "gpu-sized"),
        default=None,
        help="print a run script's selections instead (FILE -k EXPR a line, cheapest "
        "first): the cases that fit the machine and lack 3 seeds there "
        "(benchmarks/cpu_book.sh), or the GPU-sized ones (benchmarks/gpu_book.sh)",
    )
    planning.add_argument(
        "--seconds",
        action="store_true",
        help="with --selections: start each line with the seconds the plan expects it "
        "to take there (the seeds it lacks and its baselines; GPU-sized: on a GPU) and a tab",
    )
    planning.set_defaults(run=_plan)
    comparing = commands.add_parser(
        "compare",
        help="flag regressions between two result sets (exit 1 on any, on nothing "
        "comparable, or on old cases missing from the new set)",
    )
    comparing.add_argument("old", type=Path, help="results dir of the reference run")
    comparing.add_argument("new", type=Path, help="results dir of the run under test")
    comparing.add_argument(
        "--threshold", type=float, default=0.10, help="throughput drop that counts (0.10)"
    )
    comparing.add_argument(
        "--allow-missing",
        action="store_true",
        help="pass although cases or checked metrics of the old run are missing from the new",
    )
    comparing.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="the declarations to judge both sets by (default: the new set's manifest.json, "
        "else the old one's)",
    )
    comparing.set_defaults(run=_compare)
    generate = commands.add_parser(
        "generate-jena",
        help="write a generated Jena-format series (marked GENERATED) into a mirror dir, "
        "to run the weather experiments where the real file is missing",
    )
    generate.add_argument("directory", type=Path)
    generate.add_argument("--rows", type=int, default=None, help="default: 420,551")
    generate.set_defaults(run=_generate)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
