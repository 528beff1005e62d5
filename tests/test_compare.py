from pathlib import Path

import pytest
from factory import model

from dlwp_suite.cli import main
from dlwp_suite.compare import Change, compare
from dlwp_suite.experiments.ch07_ensemble import BEATS_BEST_MEMBER
from dlwp_suite.results import ResultsStore

# Declared in the quick profile: test_accuracy ≈ 0.978 ± 0.006 (a book number).
MNIST = "ch05.mnist.dense[book]"
ENSEMBLE = "ch07.imdb.ensemble[diverse]"  # ensemble_gain ≥ a held-out bound (a suite bar)


def run(accuracy: float, rate: float, keras: str = "3.15.1", case: str = MNIST) -> list[dict]:
    env = {"keras": keras, "backend": "tensorflow", "device": "CPU"}
    return [
        model(
            case,
            seed,
            {"test_accuracy": accuracy + 0.001 * seed},
            run_id=f"run-{keras}",
            env=env,
            timings={"train_samples_per_s": rate},
        )
        for seed in range(3)
    ]


def test_planted_metric_regression_is_flagged(manifest):
    changes = compare(run(0.978, 50_000), run(0.965, 50_000), manifest).changes
    metric = next(c for c in changes if c.quantity == "test_accuracy")
    assert metric.regression  # 0.013 worse, band 0.006


def test_change_within_tolerance_and_improvements_pass(manifest):
    assert not compare(run(0.978, 50_000), run(0.975, 47_000), manifest).regressions
    assert not compare(run(0.970, 40_000), run(0.980, 90_000), manifest).regressions


def test_planted_throughput_regression_is_flagged(manifest):
    changes = compare(run(0.978, 50_000), run(0.978, 40_000), manifest).changes
    rate = next(c for c in changes if c.quantity == "train samples/s")
    assert rate.regression
    assert not compare(run(0.978, 50_000), run(0.978, 40_000), manifest, 0.25).regressions


def write(directory: Path, records: list[dict], manifest=None) -> Path:
    store = ResultsStore(directory, records[0]["run_id"] if records else "empty")
    for record in records:
        store.append(record)
    if manifest is not None:
        manifest.write(directory / "manifest.json")
    return directory


@pytest.mark.parametrize(("new_accuracy", "exit_code"), [(0.977, 0), (0.960, 1)])
def test_cli_exit_code_gates_ci(tmp_path: Path, capsys, manifest, new_accuracy, exit_code):
    old = write(tmp_path / "old", run(0.978, 50_000))
    new = write(tmp_path / "new", run(new_accuracy, 50_000, "3.16"), manifest)
    assert main(["compare", str(old), str(new)]) == exit_code
    assert f"quick/{MNIST}" in capsys.readouterr().out


def test_a_new_directory_without_records_is_a_usage_error(tmp_path: Path, capsys):
    old = write(tmp_path / "old", run(0.978, 50_000))
    assert main(["compare", str(old), str(tmp_path / "does-not-exist")]) == 2
    assert "has no runs/ folder of records" in capsys.readouterr().err


def test_without_a_manifest_compare_says_what_to_give(tmp_path: Path, capsys):
    old = write(tmp_path / "old", run(0.978, 50_000))
    new = write(tmp_path / "new", run(0.978, 50_000))
    assert main(["compare", str(old), str(new)]) == 2
    assert "--manifest FILE" in capsys.readouterr().err


def test_nothing_in_common_fails_the_gate(tmp_path: Path, capsys, manifest):
    old = write(tmp_path / "old", run(0.978, 50_000), manifest)
    new = write(tmp_path / "new", run(0.991, 50_000, case="ch05.mnist.convnet[book]"), manifest)
    assert main(["compare", str(old), str(new), "--allow-missing"]) == 1
    assert "FAIL: nothing comparable" in capsys.readouterr().out


def test_cases_missing_from_the_new_run_are_listed_and_fail_unless_allowed(
    tmp_path, capsys, manifest
):
    both = run(0.978, 50_000) + run(0.991, 9_000, case="ch05.mnist.convnet[book]")
    old = write(tmp_path / "old", both, manifest)
    new = write(tmp_path / "new", run(0.978, 50_000), manifest)
    assert main(["compare", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    case = "quick/ch05.mnist.convnet[book]"
    assert f"- {case}" in out and f"FAIL: MISSING case {case}" in out
    assert main(["compare", str(old), str(new), "--allow-missing"]) == 0


def test_a_missing_metric_fails_and_an_old_zero_does_not_crash(tmp_path, capsys, manifest):
    old = write(tmp_path / "old", run(0.0, 50_000), manifest)
    records = run(0.0, 50_000, "3.16")
    for record in records:
        del record["metrics"]["test_accuracy"]
    new = write(tmp_path / "new", records, manifest)
    assert main(["compare", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert f"FAIL: MISSING quick/{MNIST} test_accuracy" in out and "n/a" in out
    # Allowing missing values must not turn "nothing compared" into a pass.
    for record in records:
        record["timings"] = {}
    bare = write(tmp_path / "bare", records, manifest)
    assert main(["compare", str(old), str(bare), "--allow-missing"]) == 1
    assert "FAIL: nothing comparable" in capsys.readouterr().out
    assert Change("c", "test_mae", 0.0, 0.1, "± 0.1", False).relative == "n/a"


def test_a_one_sided_bar_regresses_only_when_a_run_falls_past_it(manifest):
    def gains(value: float) -> list[dict]:
        return [model(ENSEMBLE, seed, {"ensemble_gain": value}) for seed in range(3)]

    def regressed(old: float, new: float) -> bool:
        changes = compare(gains(old), gains(new), manifest).changes
        return next(c for c in changes if c.quantity == "ensemble_gain").regression

    bound = BEATS_BEST_MEMBER.value
    assert bound is not None
    assert not regressed(bound + 0.005, bound + 0.001)  # smaller, still past the bar: noise
    assert regressed(bound + 0.005, bound - 0.001)
