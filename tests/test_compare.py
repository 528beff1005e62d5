from pathlib import Path

import pytest

from dlwp_suite.cli import main
from dlwp_suite.compare import compare
from dlwp_suite.results import ResultsStore, make_record


def run(accuracy: float, rate: float, keras: str = "3.15.1") -> list[dict]:
    target = {"metric": "test_accuracy", "book": 0.885, "tolerance": 0.011, "passed": True}
    return [
        make_record(
            run_id=f"run-{keras}",
            experiment="ch03.imdb.dense",
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
    changes = compare(run(0.885, 50_000), run(0.870, 50_000))
    metric = next(c for c in changes if c.quantity == "test_accuracy")
    assert metric.regression  # 0.015 worse, tolerance 0.011


def test_change_within_tolerance_and_improvements_pass():
    assert not any(c.regression for c in compare(run(0.885, 50_000), run(0.878, 47_000)))
    assert not any(c.regression for c in compare(run(0.870, 40_000), run(0.900, 90_000)))


def test_planted_throughput_regression_is_flagged():
    changes = compare(run(0.885, 50_000), run(0.885, 40_000))
    rate = next(c for c in changes if c.quantity == "train samples/s")
    assert rate.regression
    assert not compare(run(0.885, 50_000), run(0.885, 40_000), threshold=0.25)[1].regression


@pytest.mark.parametrize(("new_accuracy", "exit_code"), [(0.884, 0), (0.860, 1)])
def test_cli_exit_code_gates_ci(tmp_path: Path, capsys, new_accuracy: float, exit_code: int):
    for name, records in (("old", run(0.885, 50_000)), ("new", run(new_accuracy, 50_000, "3.16"))):
        store = ResultsStore(tmp_path / name, f"run-{name}")
        for record in records:
            store.append(record)
    assert main(["compare", str(tmp_path / "old"), str(tmp_path / "new")]) == exit_code
    assert "quick/ch03.imdb.dense/book" in capsys.readouterr().out
