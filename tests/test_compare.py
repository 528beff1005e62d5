from pathlib import Path

import pytest

from dlwp_suite.cli import main
from dlwp_suite.compare import Change, compare
from dlwp_suite.results import ResultsStore, make_record


def run(
    accuracy: float, rate: float, keras: str = "3.15.1", experiment: str = "ch03.imdb.dense"
) -> list[dict]:
    target = {"metric": "test_accuracy", "book": 0.885, "tolerance": 0.011, "passed": True}
    return [
        make_record(
            run_id=f"run-{keras}",
            experiment=experiment,
            variant="book",
            kind="model",
            name="network",
            profile="quick",
            seed=seed,
            params={},
            metrics={"test_accuracy": accuracy + 0.001 * seed},
            targets=[target],
            timings={"train_samples_per_s": rate},
            data={},
            environment={"keras": keras, "backend": "tensorflow", "device": "CPU"},
        )
        for seed in range(3)
    ]


def test_planted_metric_regression_is_flagged():
    changes = compare(run(0.885, 50_000), run(0.870, 50_000)).changes
    metric = next(c for c in changes if c.quantity == "test_accuracy")
    assert metric.regression  # 0.015 worse, tolerance 0.011


def test_change_within_tolerance_and_improvements_pass():
    assert not compare(run(0.885, 50_000), run(0.878, 47_000)).regressions
    assert not compare(run(0.870, 40_000), run(0.900, 90_000)).regressions


def test_planted_throughput_regression_is_flagged():
    changes = compare(run(0.885, 50_000), run(0.885, 40_000)).changes
    rate = next(c for c in changes if c.quantity == "train samples/s")
    assert rate.regression
    assert not compare(run(0.885, 50_000), run(0.885, 40_000), threshold=0.25).regressions


@pytest.mark.parametrize(("new_accuracy", "exit_code"), [(0.884, 0), (0.860, 1)])
def test_cli_exit_code_gates_ci(tmp_path: Path, capsys, new_accuracy: float, exit_code: int):
    for name, records in (("old", run(0.885, 50_000)), ("new", run(new_accuracy, 50_000, "3.16"))):
        store = ResultsStore(tmp_path / name, f"run-{name}")
        for record in records:
            store.append(record)
    assert main(["compare", str(tmp_path / "old"), str(tmp_path / "new")]) == exit_code
    assert "quick/ch03.imdb.dense/book" in capsys.readouterr().out


def write(directory: Path, records: list[dict]) -> Path:
    store = ResultsStore(directory, records[0]["run_id"] if records else "empty")
    for record in records:
        store.append(record)
    return directory


def test_a_new_directory_without_records_is_a_usage_error(tmp_path: Path, capsys):
    old = write(tmp_path / "old", run(0.885, 50_000))
    assert main(["compare", str(old), str(tmp_path / "does-not-exist")]) == 2
    assert "has no runs/ folder of records" in capsys.readouterr().err


def test_nothing_in_common_fails_the_gate(tmp_path: Path, capsys):
    old = write(tmp_path / "old", run(0.885, 50_000))
    new = write(tmp_path / "new", run(0.885, 50_000, experiment="ch03.reuters.dense"))
    assert main(["compare", str(old), str(new), "--allow-missing"]) == 1
    assert "FAIL: nothing comparable" in capsys.readouterr().out


def test_cases_missing_from_the_new_run_are_listed_and_fail_unless_allowed(tmp_path, capsys):
    old = write(tmp_path / "old", run(0.885, 50_000) + run(0.80, 9_000, experiment="ch03.x"))
    new = write(tmp_path / "new", run(0.885, 50_000))
    assert main(["compare", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "- quick/ch03.x/book" in out and "FAIL: MISSING case quick/ch03.x/book" in out
    assert main(["compare", str(old), str(new), "--allow-missing"]) == 0


def test_an_old_value_of_zero_and_a_missing_metric_do_not_crash(tmp_path: Path, capsys):
    old = write(tmp_path / "old", run(0.0, 50_000))
    records = run(0.0, 50_000, "3.16")
    for record in records:
        del record["metrics"]["test_accuracy"]
    new = write(tmp_path / "new", records)
    assert main(["compare", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "FAIL: MISSING quick/ch03.imdb.dense/book test_accuracy" in out and "n/a" in out
    # Allowing missing values must not turn "nothing compared" into a pass.
    for record in records:
        record["timings"] = {}
    bare = write(tmp_path / "bare", records)
    assert main(["compare", str(old), str(bare), "--allow-missing"]) == 1
    assert "FAIL: nothing comparable" in capsys.readouterr().out
    assert Change("c", "test_mae", 0.0, 0.1, "± 0.1", False).relative == "n/a"


def test_a_one_sided_bar_regresses_only_when_a_run_falls_past_it():
    def gains(value: float) -> list[dict]:
        records = run(0.885, 50_000, experiment="ch07.imdb.ensemble")
        bar = {
            "metric": "ensemble_gain",
            "value": 0.0,
            "comparison": "at_least",
            "source": "s",
            "basis": "b",
        }
        for record in records:
            record["metrics"] = {"ensemble_gain": value}
            record["targets"] = [
                {
                    "metric": "ensemble_gain",
                    "book": 0.0,
                    "tolerance": 0.0,
                    "declared": bar,
                    "passed": value >= 0,
                }
            ]
        return records

    def verdict(old: float, new: float) -> bool:
        changes = compare(gains(old), gains(new)).changes
        return next(c for c in changes if c.quantity == "ensemble_gain").regression

    assert not verdict(0.012, 0.003)  # smaller, still past the bar: seed noise
    assert verdict(0.012, -0.002)
