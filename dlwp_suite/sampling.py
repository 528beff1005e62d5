"""Temperature sampling from a character model (1e 8.1.4), and what the samples show.

``reweight`` is the book's ``sample()``: the log of the predicted distribution divided
by the temperature, renormalised. The samples are measured, never judged by eye: the
word type/token ratio (how varied they are) and the share of their words found in
the training text (how much they stay real words).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set

import numpy as np

from dlwp_suite.datasets.char_text import WORD


def reweight(probabilities: np.ndarray, temperatures: np.ndarray) -> np.ndarray:
    """Each row's distribution at its temperature: ``exp(log(p) / T)``, renormalised.
    Below 1 it sharpens towards the likeliest character, above 1 it flattens."""
    with np.errstate(divide="ignore"):  # a zero probability stays zero
        logits = np.log(probabilities.astype(np.float64)) / temperatures[:, None]
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=1, keepdims=True)


def draw(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One code per row, drawn from that row's distribution."""
    cumulative = np.cumsum(probabilities, axis=1)
    picks = (cumulative < rng.random((len(probabilities), 1)) * cumulative[:, -1:]).sum(axis=1)
    return np.minimum(picks, probabilities.shape[1] - 1)


def generate(
    predict: Callable[[np.ndarray], np.ndarray],
    seeds: np.ndarray,
    temperatures: Sequence[float],
    length: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """``length`` codes after each seed window at each temperature, as the book's loop
    does (the window slides over what was generated), all samples in one batch.

    Returns shape ``(len(temperatures), len(seeds), length)``.
    """
    window = np.tile(seeds, (len(temperatures), 1))
    per_row = np.repeat(np.asarray(temperatures, dtype=np.float64), len(seeds))
    out = np.empty((len(window), length), dtype=seeds.dtype)
    for step in range(length):
        codes = draw(reweight(np.asarray(predict(window)), per_row), rng)
        out[:, step] = codes
        window = np.concatenate([window[:, 1:], codes[:, None].astype(window.dtype)], axis=1)
    return out.reshape(len(temperatures), len(seeds), length)


def inner_words(sample: str) -> list[str]:
    """The sample's words, less the first and last: either may be cut by the sample's edges."""
    return WORD.findall(sample)[1:-1]


def type_token_ratio(samples: Sequence[str]) -> float:
    """Mean over samples of distinct words / words (the book's logs: 0.33 at T = 0.2 to
    0.87 at 1.2 for 400-character samples); a sample without words counts 0."""
    ratios = [len(set(w)) / len(w) if (w := inner_words(s)) else 0.0 for s in samples]
    return float(np.mean(ratios))


def known_word_share(samples: Sequence[str], vocabulary: Set[str]) -> float:
    """Share of all the samples' words that occur in the training text."""
    words = [w for s in samples for w in inner_words(s)]
    return float(np.mean([w in vocabulary for w in words])) if words else 0.0
