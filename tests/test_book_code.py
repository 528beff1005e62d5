"""The suite-against-the-book's-code pairings: their checks, records and report table."""

import math

import pytest
from factory import outcome, record

from dlwp_suite.book_code import (
    TIME_GOAL,
    BookCodeRun,
    measured,
    paired_tolerance,
    single_run_band,
)
from dlwp_suite.experiments import get
from dlwp_suite.report import tables, write_report

CPU_JAX = {"keras": "3", "backend": "jax", "device": "CPU"}


def run(**changes) -> BookCodeRun:
    fields = dict(
        metric="test_accuracy",
        suite=0.88,
        book_code=0.885,
        tolerance=0.011,
        suite_s=10.0,
        book_code_s=20.0,
        time_goal=TIME_GOAL,
    )
    return BookCodeRun(**{**fields, **changes})


def test_agreeing_and_faster_has_no_problems():
    assert run().problems() == []
    assert run().ratio == 0.5


def test_metrics_apart_beyond_the_tolerance_fail():
    (problem,) = run(book_code=0.9).problems()
    assert "differ by 0.0200 (> 0.011)" in problem


def test_a_missing_metric_fails():
    assert math.isnan(measured({}, "test_accuracy"))
    assert run(suite=measured({}, "test_accuracy")).problems()


def test_the_time_goal_is_judged_unless_the_pairing_has_none():
    (problem,) = run(suite_s=19.0).problems()
    assert "0.95 x the book's code's time" in problem
    assert run(suite_s=19.0, time_goal=None).problems() == []


def test_the_tolerance_is_the_band_of_the_books_number_for_two_runs():
    # Boston's quick K-fold target is a margin over a baseline; the test MAE's band is
    # the measured spread (3 x the single-seed std), in both profiles.
    from dlwp_suite.experiments.ch03 import BOSTON_TEST_MAE
    from dlwp_suite.experiments.ch06_text import EMBEDDING_BEST_VAL

    boston = get("ch03.boston.kfold")
    band = single_run_band(boston.case("book", "quick"), "test_mae")
    assert band == BOSTON_TEST_MAE.tolerance
    # The quick embedding target compares with the majority: the book profile's band.
    embedding = get("ch06.imdb.embedding").case("book", "quick")
    assert single_run_band(embedding, "best_val_accuracy") == EMBEDDING_BEST_VAL.tolerance
    with pytest.raises(ValueError, match="declare the pairing's single-run band"):
        single_run_band(get("ch06.seattle.2e").case("dense", "quick"), "best_val_mae")
    # One-sided or exact targets say nothing about spread.
    views = get("ch05.dogs.views").case("scratch", "quick")
    with pytest.raises(ValueError):
        single_run_band(views, "first_activation_side")
    # Two runs, each within a band of 3 std, differ by sqrt(2) x that.
    assert paired_tolerance(0.43) == pytest.approx(0.6081, abs=1e-4)


def reference_record(profile: str, **changes) -> dict:
    case = get("ch03.imdb.dense").case("book", "quick")
    measured_run = run(**changes)
    return record(
        case.id,
        0,
        {"test_accuracy": measured_run.suite},
        kind="reference",
        name="book_code",
        run_id="r1",
        profile=profile,
        env=CPU_JAX,
        params=case.params,
        timings={"suite_s": measured_run.suite_s, "book_code_s": measured_run.book_code_s},
        book_code=measured_run.as_record(),
    )


def test_the_report_lists_each_pairing_with_its_verdicts():
    frame = tables.newest_runs(
        [
            reference_record("quick"),
            reference_record("book", suite_s=30.0, time_goal=None, note="one fused loop"),
            reference_record("smoke", book_code=0.5),  # generated data: not shown
        ]
    )
    table = tables.book_code_table(frame).set_index("profile")
    assert set(table.index) == {"quick", "book"}
    assert table.loc["quick", "agree"] == "yes (±0.011)"
    assert table.loc["quick", "ratio"] == "0.50"
    assert table.loc["quick", "speed"] == f"met (goal <= {TIME_GOAL})"
    assert table.loc["book", "speed"] == "no goal: one fused loop"
    assert table.loc["book", "ratio"] == "1.50"


def test_a_pairing_that_did_not_measure_is_listed_with_why():
    skipped = outcome(
        "book_code:ch06.seattle.2e[dense]",
        "skipped",
        "the book's weather code builds its windows with tf.data: TensorFlow only",
        run_id="r1",
        env=CPU_JAX,
    )
    table = tables.book_code_table(tables.newest_runs([reference_record("quick"), skipped]))
    row = table[table["case"] == "ch06.seattle.2e[dense]"].iloc[0]
    assert row["speed"].startswith("not measured (skipped: the book's weather code")


def test_the_report_has_the_section(tmp_path, manifest):
    write_report([reference_record("quick", book_code=0.9)], tmp_path, manifest)
    text = (tmp_path / "time.md").read_text()
    assert "## Speed against the book's own code" in text
    assert "NO (±0.011)" in text


def test_pairings_skip_unless_asked_for(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.dlwp_book_code
        def test_pairing():
            raise AssertionError("ran without --dlwp-book-code")
        """
    )
    result = pytester.runpytest("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*run with --dlwp-book-code*"])
