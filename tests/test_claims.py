"""Claims across cases, and declared divergences: judged, recorded and reported."""

import pytest
from factory import ENV, model

from dlwp_suite.claims import Claim, baseline, network
from dlwp_suite.declarations import divergence_spec
from dlwp_suite.divergence import Divergence, Probe, Stack
from dlwp_suite.experiments import claims
from dlwp_suite.results.manifest import DivergenceSpec
from dlwp_suite.runner import judge_claim, side_values

GRU, REVERSED = network("ch06.jena.1e", "gru"), network("ch06.jena.1e", "reversed_gru")


PROBE = Probe("metric:best_val_mae", "at_least", 0.0, "any MAE")


def claim(relation="beats", margin=0.0, metric="best_val_mae", **kw) -> Claim:
    return Claim(
        "c",
        says="s",
        source="1e 6.3",
        metric=metric,
        a=GRU,
        relation=relation,
        b=REVERSED,
        margin=margin,
        **kw,
    )


@pytest.mark.parametrize(
    ("relation", "margin", "a", "b", "holds"),
    [
        ("beats", 0.0, 2.2, 2.4, True),  # MAE: lower is better
        ("beats", 0.0, 2.4, 2.4, False),  # a tie does not beat
        ("beats", 0.3, 2.2, 2.4, False),  # better, but not by more than 0.3
        ("within", 0.1, 2.45, 2.4, True),
        ("within", 0.1, 2.6, 2.4, False),
        ("no_better", 0.1, 2.35, 2.4, True),  # better by 0.05 only
        ("no_better", 0.1, 2.2, 2.4, False),
        ("no_better", 0.0, 2.9, 2.4, True),  # worse is "no better"
    ],
)
def test_relations_respect_the_metric_direction(relation, margin, a, b, holds):
    assert claim(relation, margin).holds(a, b) is holds


def test_faster_compares_rates_and_later_compares_epochs():
    faster = claim("faster", 1.5, metric="train_samples_per_s")
    assert faster.holds(3000.0, 1000.0) and not faster.holds(1400.0, 1000.0)
    later = claim("later", 0.0, metric="best_val_loss_epoch")
    assert later.holds(6.0, 4.0) and not later.holds(4.0, 4.0)
    with pytest.raises(ValueError, match="compares a rate"):
        claim("faster", 1.5)
    with pytest.raises(KeyError, match="unknown metric"):
        claim(metric="f1")


def test_a_claim_holds_only_when_its_pairs_agree_beyond_noise():
    # Medians 2.3 vs 2.4 clear "beats", but one pair of three points the other way.
    mixed = claim().judge({0: 2.2, 1: 2.5, 2: 2.3}, {0: 2.4, 1: 2.4, 2: 2.4})
    assert mixed.weighed.a == pytest.approx(2.3)
    assert [p[3] for p in mixed.weighed.pairs] == [True, False, True]
    assert mixed.evidence == "inconclusive"
    agreed = claim().judge({0: 2.2, 1: 2.3, 2: 2.3}, {0: 2.4, 1: 2.4, 2: 2.4})
    assert agreed.evidence == "holds" and agreed.weighed.p_holds == pytest.approx(0.125)
    reversed_ = claim().judge({0: 2.5, 1: 2.6, 2: 2.5}, {0: 2.4, 1: 2.4, 2: 2.4})
    assert reversed_.evidence == "does not hold"
    assert "DOES NOT HOLD" in reversed_.message()


def test_a_tie_at_the_bar_counts_for_neither_verdict():
    # ch04-bigger-overfits-sooner on TF 2.21, book: the original bottoms out at epochs
    # 2, 3, 3 and the bigger network at 3, 3, 4. Two pairs go the other way and one
    # ties: too few to say the claim does not hold (it said so while ties counted).
    later = claim("later", 0.0, metric="best_val_loss_epoch")
    tied = later.judge({0: 2.0, 1: 3.0, 2: 3.0}, {0: 3.0, 1: 3.0, 2: 4.0})
    assert tied.weighed.ties == 1 and tied.weighed.p_fails == pytest.approx(0.5)
    assert tied.evidence == "inconclusive"
    # Three pairs the other way still conclude; a tie still counts against holding.
    reversed_ = later.judge({0: 2.0, 1: 2.0, 2: 3.0}, {0: 3.0, 1: 3.0, 2: 4.0})
    assert reversed_.evidence == "does not hold" and reversed_.weighed.ties == 0
    held_with_a_tie = later.judge({0: 4.0, 1: 3.0, 2: 4.0}, {0: 3.0, 1: 3.0, 2: 3.0})
    assert held_with_a_tie.evidence == "inconclusive"


def test_one_seed_never_concludes_a_claim():
    # "positional embedding helps" at 0.8761 against 0.8757 on one seed.
    assert claim().judge({0: 2.2}, {0: 2.4}).evidence == "inconclusive"
    assert claim().judge({0: 2.6}, {0: 2.4}).evidence == "inconclusive"


def test_a_baseline_pairs_with_every_seed():
    versus = Claim("c", "s", "src", "best_val_mae", GRU, "beats", baseline("ch06.jena.1e", "ridge"))
    check = versus.judge({0: 2.2, 1: 2.3}, {0: 2.25})
    assert [p[3] for p in check.weighed.pairs] == [True, False]


def test_a_networks_one_seed_pairs_only_with_its_own_seed():
    check = claim().judge({0: 2.2, 1: 2.5, 2: 2.5}, {0: 2.4})
    assert [p[0] for p in check.weighed.pairs] == [0]
    assert check.evidence == "inconclusive"
    assert (check.weighed.a, check.weighed.b) == (2.2, 2.4)  # medians of what paired


def test_claim_is_stored_as_data_and_rebuilt():
    original = claim(
        "within", 0.1, divergence=Divergence(Stack(">=3", ("jax",)), "why", "runs", "d1", PROBE)
    )
    _check, stored = judge_claim(
        original,
        [
            model(GRU.label, 0, {"best_val_mae": 2.2}),
            model(REVERSED.label, 0, {"best_val_mae": 2.25}),
            model(GRU.label, 1, {"best_val_mae": 2.3}),
        ],
        "r",
        "quick",
        ENV,
    )
    assert stored["kind"] == "claim" and stored["claim"]["evidence"] == "inconclusive"
    assert stored["claim"]["declared"]["relation"] == "within"
    assert stored["claim"]["declared"]["divergence"]["stack"] == {
        "keras": ">=3",
        "backends": ["jax"],
    }


def test_side_values_read_timings_for_rates_and_skip_other_cases():
    records = [
        model(GRU.label, 0, {"x": 1.0}, timings={"train_samples_per_s": 900.0}),
        model(REVERSED.label, 0, {"x": 1.0}, timings={"train_samples_per_s": 100.0}),
    ]
    assert side_values(GRU, "train_samples_per_s", records) == {0: 900.0}


def test_divergence_matches_its_stack_only():
    """The judge applies a declared divergence (as the manifest carries it) only to the
    stacks its declaration names."""
    probe = Probe("metric:x", "at_least", 1.0, "says")

    def spec(stack: Stack) -> DivergenceSpec:
        return divergence_spec(Divergence(stack, "reason", "evidence", "d1", probe))

    tf3 = spec(Stack(">=3.0", ("tensorflow",)))
    assert tf3.matches(ENV)
    assert not tf3.matches({**ENV, "backend": "jax"})
    assert not tf3.matches({**ENV, "keras": "2.15.0"})
    assert spec(Stack()).matches(ENV)
    assert Stack(">=3.0", ("tensorflow",)).describe() == "Keras >=3.0 on tensorflow"


def test_claims_run_where_the_profile_runs_both_sides():
    quick = {c.id for c in claims("quick")}
    assert "jena-1e-reversed-gru-worse" in quick
    assert "imdb-20-epochs-overfits" not in quick  # the 20-epoch variant is book-only
    assert "imdb-20-epochs-overfits" in {c.id for c in claims("book")}
    assert {c.id for c in claims("smoke")} == {"imdb-beats-chance"}
