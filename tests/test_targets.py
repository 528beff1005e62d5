import math

import pytest

from dlwp_suite.targets import Target, bar_text


def target(**kw) -> Target:
    return Target(**{"metric": "test_accuracy", "source": "1e 3.5", "basis": "test", **kw})


def test_approx_passes_inside_and_fails_outside_the_band():
    t = target(value=0.885, tolerance=0.01)
    assert t.bar().check([0.88, 0.89, 0.879]).passed  # median 0.88
    miss = t.bar().check([0.86, 0.87, 0.85])
    assert not miss.passed
    assert miss.margin == pytest.approx(-0.015)


def test_approx_is_two_sided():
    assert not target(value=0.885, tolerance=0.01).bar().check([0.95]).passed


def test_one_sided_mae():
    t = target(metric="test_mae", value=2.5, tolerance=0.1, comparison="at_most")
    assert t.bar().check([1.0]).passed and t.bar().check([2.55]).passed
    assert not t.bar().check([2.7]).passed


def test_a_bar_reads_as_it_is_checked():
    """A one-sided bar shows the threshold it is checked at: "≤ 2.6 (2.5 + 0.1)" passes
    2.55, which "≤ 2.5" alone would read as a miss."""
    assert target(metric="test_mae", value=2.5, tolerance=0.1, comparison="at_most").describe() == (
        "≤ 2.6 (2.5 + 0.1)"
    )
    assert (
        target(value=0.8, tolerance=0.02, comparison="at_least").describe() == "≥ 0.78 (0.8 - 0.02)"
    )
    assert target(value=0.885, tolerance=0.011).describe() == "≈ 0.885 ± 0.011"
    assert bar_text("approx", 0.885, 0.011) == "0.885 ± 0.011"
    assert bar_text("at_least", 0.8, 0.0) == "≥ 0.8"


def test_baseline_target_respects_direction():
    acc = target(baseline="majority", tolerance=0.1)
    assert acc.bar().check([0.7], 0.5).passed
    assert not acc.bar().check([0.55], 0.5).passed
    mae = target(metric="test_mae", baseline="mean", tolerance=0.5)
    assert mae.bar().check([2.0], 4.0).passed
    assert not mae.bar().check([3.8], 4.0).passed
    with pytest.raises(ValueError, match="needs the baseline"):
        acc.bar().check([0.7])


def test_declaration_errors():
    with pytest.raises(ValueError, match="exactly one"):
        target()
    with pytest.raises(KeyError, match="unknown metric"):
        target(metric="f1", value=1.0)


def test_does_not_beat_the_baseline_by_more_than():
    """The book's "the dense model does not beat the common-sense baseline by much"."""
    at_most = target(
        metric="best_val_mae", baseline="common_sense", tolerance=0.1, comparison="at_most"
    )
    assert at_most.bar().check([2.5], 2.5).passed  # no better
    assert at_most.bar().check([2.9], 2.5).passed  # worse
    assert at_most.bar().check([2.45], 2.5).passed  # a little better
    miss = at_most.bar().check([2.2], 2.5)
    assert not miss.passed and miss.margin == pytest.approx(-0.2)
    assert "by at most 0.1" in at_most.describe()
    stored = at_most.as_record(2.5)
    assert stored["declared"]["comparison"] == "at_most" and stored["direction"] == -1


def test_an_exact_target_passes_only_on_the_number_and_takes_no_band():
    target = Target("param_count", source="s", basis="b", value=721_857, comparison="exact")
    assert target.bar().check([721_857.0]).passed and not target.bar().check([721_858.0]).passed
    assert target.describe() == "= 721857"
    with pytest.raises(ValueError, match="no tolerance"):
        Target("param_count", source="s", basis="b", value=1, tolerance=1, comparison="exact")


def test_a_behaviour_that_must_hold_on_every_seed_is_checked_on_its_worst():
    every = Target(
        "early_stopping_error", value=0.0, comparison="exact", source="s", basis="b", over="worst"
    )
    median = Target("early_stopping_error", value=0.0, comparison="exact", source="s", basis="b")
    assert median.bar().check([0.0, 0.0, 3.0]).passed
    check = every.bar().check([0.0, 0.0, 3.0])
    assert not check.passed and check.measured == 3.0
    assert every.bar().check([0.0, 0.0, 0.0]).passed
    assert "(every seed)" in every.describe()


def test_a_seed_that_measured_nothing_fails_the_target():
    """A NaN (or a metric a seed did not record: the runner passes NaN) never passes,
    not on the median and not hidden behind the other seeds' worst."""
    for over in ("median", "worst"):
        bar = target(value=0.5, comparison="at_least", over=over)
        assert bar.bar().check([0.9, 0.9]).passed
        assert not bar.bar().check([0.9, math.nan, 0.9]).passed
