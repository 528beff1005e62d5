"""Faults a long run meets: killed mid-case, then run again under the same run id."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dlwp_suite.report import model_rows, newest_runs, write_report
from dlwp_suite.results import read_records

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SEEDS = 4


def model_seeds(results: Path) -> list[int]:
    seeds = []
    for path in sorted((results / "runs").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line torn by the kill
            if record["kind"] == "model":
                seeds.append(record["seed"])
    return seeds


def test_a_run_killed_mid_case_keeps_finished_seeds_and_the_rerun_counts_each_once(
    pytester: pytest.Pytester, tmp_path: Path
):
    shutil.copytree(BENCHMARKS, pytester.path / "benchmarks")
    results = pytester.path / "results"
    env = {**os.environ, "DLWP_RUN_ID": "interrupted", "DLWP_CACHE_DIR": str(tmp_path)}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "benchmarks/test_ch03.py",
        "--dlwp-profile=smoke",
        "-k",
        "imdb and book and test_model",
        f"--dlwp-seeds={SEEDS}",
        "--benchmark-disable",
        "-p",
        "no:cacheprovider",
    ]
    killed = subprocess.Popen(
        command, cwd=pytester.path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 600
    while not model_seeds(results) and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    killed.kill()  # SIGKILL: no clean-up runs
    killed.wait()
    survived = model_seeds(results)
    assert survived and len(survived) < SEEDS, (
        "the kill came before the first or after the last seed"
    )
    assert survived == list(range(len(survived)))  # each finished seed, whole
    (row,) = model_rows(newest_runs(read_records(results))).to_dict("records")
    assert row["result"] == f"incomplete ({len(survived)} of {SEEDS} seeds)"

    rerun = subprocess.run(command, cwd=pytester.path, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stdout[-2000:]
    (row,) = model_rows(newest_runs(read_records(results))).to_dict("records")
    assert row["seeds"] == SEEDS
    for seed in survived:
        assert f"seed {seed} recorded 2 times in this run" in row["notes"]
    report = write_report(read_records(results), tmp_path / "report").read_text()
    assert "seed 0 recorded 2 times in this run (duplicate" in report
