from pathlib import Path

from dlwp_suite.experiments import EXPERIMENTS
from dlwp_suite.report import summary, write_report
from dlwp_suite.results import make_record
from dlwp_suite.targets import Target

ENV = {"tensorflow": "2.21.0", "keras": "3.15.1", "backend": "tensorflow", "device": "CPU x"}


BOOK = Target("test_accuracy", source="1e 3.5 c39", basis="test", value=0.885, tolerance=0.01)


def model_record(run_id: str, seed: int, accuracy: float, passed: bool, env=ENV):
    target = BOOK.check([accuracy]).as_record()
    assert target["passed"] == passed
    history = {
        "loss": [0.5, 0.3],
        "val_loss": [0.4, 0.35],
        "accuracy": [0.8, 0.9],
        "val_accuracy": [0.85, 0.88],
    }
    return make_record(
        run_id=run_id,
        experiment="ch03.imdb.dense",
        variant="book",
        kind="model",
        name="network",
        profile="book",
        seed=seed,
        params={},
        metrics={"test_accuracy": accuracy},
        targets=[target],
        timings={"wall_s": 10.0, "train_samples_per_s": 5000.0},
        environment=env,
        data={},
        history=history,
    )


def test_report_tables_and_curves(tmp_path: Path):
    records = [
        model_record("run1", 0, 0.70, False),  # an older run: replaced by run2
        model_record("run2", 0, 0.880, True),
        model_record("run2", 1, 0.884, True),
        make_record(
            run_id="run2",
            experiment="ch03.imdb.dense",
            variant="book",
            kind="ensemble",
            name="network+naive_bayes",
            profile="book",
            seed=0,
            params={},
            metrics={"test_accuracy": 0.89, "network_test_accuracy": 0.88},
            targets=[],
            timings={},
            environment=ENV,
            data={},
            partner="naive_bayes",
            beats_network=True,
            beats_partner=True,
        ),
    ]
    path = write_report(records, tmp_path)
    text = path.read_text()
    assert text.index("## Does the book reproduce here?") < text.index("## Findings")
    answer = next(line for line in text.splitlines() if "| ch03 " in line)
    assert "0.882 [0.88–0.884], 2 seed(s)" in answer and "reproduces" in answer
    assert "## Profile `book` in detail" in text
    row = next(line for line in text.splitlines() if "| test_accuracy" in line)
    assert "0.882" in row and "0.885" in row and "pass" in row
    assert "0.7" not in row
    assert "beats network: yes" in text
    curves = sorted(p.name for p in (tmp_path / "curves").glob("*.png"))
    assert curves == [
        "book_ch03.imdb.dense_book_tf2.21.0_keras3.15.1_tensorflow_CPU.png",
        "throughput_book.png",
    ]
    assert all(name in text for name in curves)


def test_summary_shows_failures():
    text = summary([model_record("r", 0, 0.80, False)])
    assert "FAIL" in text and "ch03.imdb.dense" in text


def test_environments_side_by_side(tmp_path: Path):
    jax = {**ENV, "tensorflow": None, "backend": "jax"}
    records = [model_record("a", 0, 0.881, True), model_record("b", 0, 0.870, False, jax)]
    text = write_report(records, tmp_path).read_text()
    header = next(
        line
        for line in text.splitlines()
        if line.startswith("| experiment") and "keras3.15.1 jax CPU" in line
    )
    assert "tf2.21.0 keras3.15.1 tensorflow CPU" in header
    row = next(line for line in text.splitlines() if "0.881 pass" in line)
    assert "0.87 FAIL" in row


def test_report_says_which_data_a_run_used(tmp_path: Path):
    record = model_record("r1", 0, 0.88, True)
    record["data"] = {
        "source": "jena_climate_2009_2016.csv.zip",
        "files": {},
        "notes": ["GENERATED data in the jena_climate_2009_2016.csv.zip format"],
    }
    text = write_report([record], tmp_path).read_text()
    assert "- data: GENERATED data in the jena_climate_2009_2016.csv.zip format" in text


def test_verdict_is_rechecked_on_all_seeds_of_a_merged_run():
    """Invocations merged by DLWP_RUN_ID each checked their own seeds; the report uses all."""
    from dlwp_suite.report import model_rows, newest_runs

    records = [
        model_record("r1", 0, 0.86, False),  # alone: misses 0.885 ± 0.01
        model_record("r1", 1, 0.89, True),
        model_record("r1", 2, 0.885, True),
    ]
    row = model_rows(newest_runs(records)).iloc[0]
    assert row["median"] == "0.885" and row["result"] == "pass"


def test_newest_run_is_the_one_started_last_whatever_its_id(tmp_path: Path):
    """``DLWP_RUN_ID=shared-run-1`` sorts after every time stamp: it must not hide a later run."""
    from dlwp_suite.report import model_rows, newest_runs
    from dlwp_suite.results import ResultsStore, read_records

    named = ResultsStore(tmp_path, "shared-run-1", invocation=("a1", "2026-11-27T08:00:00+00:00"))
    named.append(model_record("shared-run-1", 0, 0.70, False))
    later = ResultsStore(
        tmp_path, "20261127T090000Z-abcdef", invocation=("b2", "2026-11-27T09:00:00+00:00")
    )
    later.append(model_record("20261127T090000Z-abcdef", 0, 0.884, True))
    row = model_rows(newest_runs(read_records(tmp_path))).iloc[0]
    assert row["median"] == "0.884" and row["seeds"] == 1


def test_a_seed_recorded_twice_in_one_run_counts_once_and_is_reported(tmp_path: Path):
    """Two invocations sharing a run id, both with seed 0: one seed, flagged as a duplicate."""
    from dlwp_suite.report import model_rows, newest_runs
    from dlwp_suite.results import ResultsStore, read_records

    for invocation, started, accuracy in (("i1", "08:00", 0.86), ("i2", "08:30", 0.88)):
        store = ResultsStore(tmp_path, "shared", invocation=(invocation, f"2026-11-27T{started}"))
        store.append(model_record("shared", 0, accuracy, accuracy > 0.87))
    row = model_rows(newest_runs(read_records(tmp_path))).iloc[0]
    assert row["seeds"] == 1
    assert "seed 0 recorded 2 times in this run (duplicate" in row["notes"]


def test_records_of_cases_no_longer_declared_are_left_out():
    from dlwp_suite.report import still_declared

    kept = model_record("run", 0, 0.88, True)
    # ch06.imdb.reversed runs no variant in quick any more; "gone" was never declared.
    dropped = [
        {**kept, "experiment": "ch06.imdb.reversed", "variant": "lstm", "profile": "quick"},
        {**kept, "variant": "gone"},
        {**kept, "kind": "claim", "name": "imdb-reversed-lstm-near-identical", "profile": "quick"},
    ]
    assert [still_declared(r) for r in [kept, *dropped]] == [True, False, False, False]


def test_a_claim_about_curves_draws_both_curves_on_one_plot(tmp_path: Path):
    from dlwp_suite.experiments import CLAIMS
    from dlwp_suite.runner import judge_claim

    claim = CLAIMS["ch04-smaller-degrades-slower"]
    curves = {"smaller": [0.48, 0.37, 0.28, 0.47], "original": [0.34, 0.28, 0.40, 0.77]}
    records = [
        make_record(
            run_id="r",
            experiment="ch04.imdb.overfitting",
            variant=variant,
            kind="model",
            name="network",
            profile="quick",
            seed=0,
            params={},
            metrics={"last_val_loss": values[-1]},
            targets=[],
            timings={},
            environment=ENV,
            data={},
            history={"val_loss": values},
        )
        for variant, values in curves.items()
    ]
    _, judged = judge_claim(claim, records, "r", "quick", ENV)
    text = write_report([*records, judged], tmp_path).read_text()
    (figure,) = sorted((tmp_path / "curves").glob("claim_quick_ch04_smaller_degrades_slower*.png"))
    assert f"curves/{figure.name}" in text


def test_time_to_reproduce_the_book_per_device_and_chapter(tmp_path: Path):
    gpu = {**ENV, "tensorflow": None, "backend": "jax", "device": "GPU NVIDIA H200 x1"}
    on_gpu = [model_record("g", seed, 0.88, True, env=gpu) for seed in (0, 1)]
    for record, peak in zip(on_gpu, (900.0, 1200.0), strict=True):
        record["timings"]["device_peak_memory_mb"] = peak
    baseline = make_record(
        run_id="g",
        experiment="ch03.imdb.dense",
        variant="book",
        kind="baseline",
        name="naive_bayes",
        profile="book",
        seed=0,
        params={},
        metrics={"test_accuracy": 0.8},
        targets=[],
        timings={"fit_s": 40.0},
        environment=gpu,
        data={},
    )
    # Counted once: a result reused from another case's phase (timed there), and a
    # baseline another experiment shares (fitted once, for its owner).
    reused = model_record("g", 0, 0.88, True, env=gpu)
    reused.update(variant="epochs20", details={"reused": "the first phase of ..."})
    shared = {**baseline, "experiment": "ch03.reuters.dense", "fitted_for": "ch03.imdb.dense"}
    records = [*on_gpu, baseline, reused, shared, model_record("c", 0, 0.88, True)]
    text = write_report(records, tmp_path).read_text()
    section = text.split("## Time to reproduce the book")[1].split("\n## ")[0]
    cells = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| keras") or line.startswith("| tf")
    ]
    by = {(row[1], row[2]): row for row in cells}
    # Two seeds of 10 s on the GPU plus one 40 s baseline fit: 1 min; peak 1,200 MiB.
    gpu_ch03 = by["GPU NVIDIA H200 x1", "ch03"]
    declared = len(
        [c for e in EXPERIMENTS.values() if e.chapter == "ch03" for c in e.cases("book")]
    )
    assert gpu_ch03[3:9] == [f"2 of {declared}", "1–2", "20", "40", "1", "5,000"]
    assert gpu_ch03[9] == "1,200"
    assert by["GPU NVIDIA H200 x1", "all"][7] == "1"
    assert by["CPU x", "all"][5] == "10"  # each device its own rows


def test_gpu_labels_name_the_model():
    from dlwp_suite.environment import label

    h100 = label({"keras": "3.15.1", "backend": "jax", "device": "GPU NVIDIA H100 80GB HBM3 x1"})
    h200 = label({"keras": "3.15.1", "backend": "jax", "device": "GPU NVIDIA H200 x1"})
    assert (h100, h200) == ("keras3.15.1 jax GPU H100", "keras3.15.1 jax GPU H200")


def test_report_shows_generated_samples_and_pictures_and_labels_stand_in_data(tmp_path: Path):
    record = model_record("r1", 0, 0.88, True)
    record.update(experiment="ch08.text.char_lstm", variant="1e")
    record["metrics"] = {"val_loss": 1.8, "type_token_ratio_t02": 0.3}
    record["targets"] = []
    record["details"] = {
        "samples": {"0.2": "the the | the\nand"},
        "images": {"latent grid": "images/ch08.text.char_lstm[1e]/seed0-latent_grid.png"},
    }
    record["data"] = {"source": "paradise_lost.txt", "files": {}, "notes": ["STAND-IN text: x"]}
    text = write_report([record], tmp_path).read_text()
    row = next(line for line in text.splitlines() if "the the" in line)
    assert "the the \\| the / and" in row and "0.3" in row and "STAND-IN data" in row
    assert "](images/ch08.text.char_lstm[1e]/seed0-latent_grid.png)" in text
    elsewhere = write_report([record], tmp_path / "out", tmp_path).read_text()
    assert "](../images/ch08.text.char_lstm[1e]/seed0-latent_grid.png)" in elsewhere
