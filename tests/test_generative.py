"""Chapter 8's text generation: the corpus loader, the n-gram baselines, temperature
sampling, sample measures, divergence detection, and claims within one case."""

import math
from pathlib import Path

import numpy as np
import pytest
from factory import model

from dlwp_suite import synthetic
from dlwp_suite.char_ngram import CharNGram
from dlwp_suite.claims import Claim, network
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import char_text
from dlwp_suite.errors import DatasetUnavailable
from dlwp_suite.experiments import ch08
from dlwp_suite.protocols.char_generation import divergence_epoch, mixture, temperature_tag
from dlwp_suite.runner import judge_claim
from dlwp_suite.sampling import (
    draw,
    generate,
    known_word_share,
    reweight,
    type_token_ratio,
)

PARAMS = {"maxlen": 10, "step": 3, "held_out": 0.1}


def test_loader_windows_label_the_next_character(data_config: DataConfig):
    synthetic.write_char_text(data_config.data_dir)
    data = char_text.load_book_text(data_config, PARAMS)
    text = (data_config.data_dir / "nietzsche.txt").read_text().lower()
    chars = data.extras["chars"]
    assert chars == sorted(set(text))
    decoded = "".join(chars[c] for c in data.x_train[2])
    assert decoded == text[6:16] and chars[data.y_train[2]] == text[16]
    assert data.x_train.shape[1] == 10 and data.x_val is not None
    split = int(len(text) * 0.9)
    assert "".join(chars[c] for c in data.x_val[0]) == text[split : split + 10]
    held_out, positions = data.extras["held_out_codes"], data.extras["held_out_positions"]
    assert held_out[positions].tolist() == data.y_val.tolist()  # the n-gram's targets
    assert data.source == "nietzsche.txt" and data.files[0].vouched_by.startswith("mirror")
    assert data.notes == ["GENERATED text in the place of nietzsche.txt"]


def test_stand_in_is_labelled(data_config: DataConfig):
    synthetic.write_char_text(data_config.data_dir)
    (data_config.data_dir / "GENERATED").unlink()  # as the shared mirror: real files
    data = char_text.load_stand_in(data_config, PARAMS)
    assert data.source == "paradise_lost.txt" and "STAND-IN" in data.notes[0]
    assert not char_text.load_book_text(data_config, PARAMS).notes


@pytest.mark.parametrize(
    ("load", "named", "hint"),
    [
        (char_text.load_book_text, "nietzsche.txt", "stand-in experiment runs"),
        (char_text.load_stand_in, "paradise_lost.txt", "shared mirror's stand-in"),
    ],
)
def test_a_missing_text_is_named_with_where_it_was_looked_for(
    data_config: DataConfig, load, named: str, hint: str
):
    with pytest.raises(DatasetUnavailable, match=rf"{named} is neither in the mirror.*{hint}"):
        load(data_config, PARAMS)


def test_ngram_distributions_sum_to_one_and_fit_their_text():
    rng = np.random.default_rng(0)
    text = rng.integers(0, 6, 3_000)
    text[1::2] = (text[::2] + 1) % 6  # every other code follows from the one before
    model = CharNGram(3, 6).fit(text)
    for position in (2, 100, 2_999):
        codes = np.array([*text[position - 2 : position], 0])
        totals = [
            model.probabilities(np.array([*codes[:2], c]), np.array([2]))[0] for c in range(6)
        ]
        assert sum(totals) == pytest.approx(1.0)
    unseen = np.array([5, 5, 5, 5])  # a context never seen still gets the lower orders
    assert 0 < model.probabilities(unseen, np.array([3]))[0] < 1
    positions = np.arange(2, len(text))
    assert model.cross_entropy(text, positions) < CharNGram(1, 6).fit(text).cross_entropy(
        text, positions
    )
    assert CharNGram(1, 6).fit(text).cross_entropy(text, positions) < math.log(6) + 1e-9
    with pytest.raises(ValueError, match="context"):
        model.probabilities(text, np.array([1]))


def test_temperature_sharpens_or_flattens_the_distribution():
    p = np.array([[0.7, 0.2, 0.1, 0.0]])
    assert reweight(p, np.array([1.0])) == pytest.approx(p)
    cold, hot = reweight(p, np.array([0.2]))[0], reweight(p, np.array([1.2]))[0]
    assert cold[0] > 0.99 and hot[0] < 0.7 and hot[3] == 0.0
    rng = np.random.default_rng(0)
    drawn = draw(np.repeat(p, 20_000, axis=0), rng)
    assert np.bincount(drawn, minlength=4) / 20_000 == pytest.approx(p[0], abs=0.02)


def test_generation_slides_the_window_over_what_it_generated():
    def next_code(window: np.ndarray) -> np.ndarray:  # certain: last code + 1
        return np.eye(5)[(window[:, -1] + 1) % 5]

    seeds = np.array([[0, 1, 2], [2, 3, 4]])
    out = generate(next_code, seeds, (0.5, 1.0), 6, np.random.default_rng(0))
    assert out.shape == (2, 2, 6)
    assert out[1, 0].tolist() == [3, 4, 0, 1, 2, 3] and out[0, 1].tolist() == [0, 1, 2, 3, 4, 0]


def test_sample_measures():
    # The first and last words may be cut by the sample's edges: they are not counted.
    assert type_token_ratio(["xx the cat the cat yy", "a b c d e"]) == pytest.approx(
        (2 / 4 + 3 / 3) / 2
    )
    assert known_word_share(["xx the cat qzx yy"], {"the", "cat"}) == pytest.approx(2 / 3)
    assert type_token_ratio(["!!"]) == 0.0


def test_divergence_is_a_rise_above_the_best_earlier_loss():
    book = [1.9895, 1.60, 1.45, 1.3947, 1.34, 1.3014, 1.60, 4.73]  # 1e 8.1 c14, shortened
    assert divergence_epoch(book) == 7
    assert divergence_epoch([2.0, 1.5, 1.55, 1.4]) is None  # noise within 10 %
    assert divergence_epoch([2.0, float("nan")]) == 2


def test_mixture_weight_is_chosen_on_the_first_half():
    network_p = np.array([0.9, 0.9, 0.1, 0.1, 0.9, 0.9, 0.1, 0.1])
    ngram_p = np.array([0.1, 0.1, 0.9, 0.9, 0.1, 0.1, 0.9, 0.9])
    weight, mixed, alone = mixture(network_p, ngram_p)
    assert weight == pytest.approx(0.5) and mixed < alone
    assert mixture(network_p, np.full(8, 1e-6))[0] == 1.0


def test_a_claim_within_one_case_compares_two_of_its_metrics():
    hot, cold = (f"type_token_ratio_{temperature_tag(t)}" for t in (1.2, 0.2))
    rises = Claim(
        "rises",
        "s",
        "1e 8.1",
        hot,
        network(ch08.EXPERIMENT, "1e", hot),
        "beats",
        network(ch08.EXPERIMENT, "1e", cold),
    )
    env = {"keras": "3", "backend": "tensorflow"}
    records = [
        model(
            f"{ch08.EXPERIMENT}[1e]", seed, {hot: 0.8 + seed / 100, cold: 0.3}, run_id="r", env=env
        )
        for seed in range(3)
    ]
    check, record = judge_claim(rises, records, "r", "quick", env)
    assert check.evidence == "holds" and check.weighed.a == pytest.approx(0.81)
    assert check.weighed.b == 0.3
    assert record["claim"]["declared"]["b"]["metric"] == cold
    assert "type_token_ratio_t12" in rises.a.label
    with pytest.raises(ValueError, match="other way"):
        Claim("x", "s", "src", "val_loss", rises.a, "beats", rises.b)


def test_every_temperature_pair_is_claimed():
    from dlwp_suite.experiments import claims

    book = {c.id for c in claims("book", "ch08")}
    # Six per character-model text, four for the word model's five temperatures.
    assert len(book) == 2 * 6 + 4 and "char-stand-in-type-token-ratio-t10-t12" in book
    assert "lm-variety-t10-t15" in book
    # Real words at 0.2 against 0.5 needs a trained network: the book profile only.
    assert book - {c.id for c in claims("quick", "ch08")} == {
        "char-known-words-t02-t05",
        "char-stand-in-known-words-t02-t05",
    }


def test_smoke_text_is_predictable_beyond_its_frequencies(tmp_path: Path):
    synthetic.write_char_text(tmp_path)
    text = (tmp_path / "paradise_lost.txt").read_text().lower()
    alphabet = sorted(set(text))
    codes = np.searchsorted(np.array(alphabet), np.array(list(text)))
    positions = np.arange(4, len(codes))
    unigram = CharNGram(1, len(alphabet)).fit(codes).cross_entropy(codes, positions)
    assert CharNGram(5, len(alphabet)).fit(codes).cross_entropy(codes, positions) < unigram / 2


def test_a_character_lstm_that_learns_nothing_misses_its_loss_bars(smoke_data):
    """At learning rate 0 the loss stays at the untrained network's: above the stand-in's
    bound, and no better than character frequencies."""
    import dataclasses

    from dlwp_suite.experiments import get
    from dlwp_suite.experiments.ch08 import QUICK_LOSS, QUICK_STAND_IN_BEATS_UNIGRAM
    from dlwp_suite.protocols import PROTOCOLS
    from dlwp_suite.runner import fit_baselines

    experiment = get("ch08.text.char_lstm_stand_in")
    case = experiment.case("1e", "smoke")
    case = dataclasses.replace(case, params={**case.params, "learning_rate": 0.0})
    data = smoke_data(experiment)
    metrics = PROTOCOLS[experiment.protocol].run(case, data, seed=0).metrics
    unigram = fit_baselines(case, data, 0, ["char_unigram"])["char_unigram"].metrics
    assert not QUICK_LOSS.bar().check([metrics["loss"]]).passed, metrics["loss"]
    margin = QUICK_STAND_IN_BEATS_UNIGRAM.bar().check([metrics["val_loss"]], unigram["val_loss"])
    assert not margin.passed, (metrics["val_loss"], unigram["val_loss"])
