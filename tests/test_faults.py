"""Faults a long run meets: killed mid-case, then run again under the same run id."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dlwp_suite.report import write_report
from dlwp_suite.results import read_records
from dlwp_suite.results.judge import judge

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
    pytester: pytest.Pytester, tmp_path: Path, manifest
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
    case = "ch03.imdb.dense[book]"
    (verdict,) = [v for v in judge(read_records(results), manifest) if v.subject == case]
    assert verdict.status == "incomplete"
    assert verdict.reason == f"{len(survived)} of {SEEDS} seeds recorded"

    rerun = subprocess.run(command, cwd=pytester.path, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stdout[-2000:]
    (verdict,) = [v for v in judge(read_records(results), manifest) if v.subject == case]
    assert len(verdict.values) == SEEDS
    twice = ", ".join(f"seed {seed}" for seed in survived)
    assert verdict.reason.endswith(f"{twice} recorded twice (the latest counts)")
    write_report(read_records(results), tmp_path / "report", manifest)
    assert f"{twice} recorded twice" in (tmp_path / "report" / "ch03.md").read_text()
