"""A character n-gram language model: the cross-entropy a text-generating network must beat.

Interpolated absolute discounting (Ney, Essen and Kneser 1994): each order keeps its
counts less a fixed discount ``d`` and passes the freed mass to the next lower order,
down to the uniform distribution, so every probability is positive and each
conditional distribution sums to 1. Order 1 is the unigram model, the trivial bar.
Counts are kept as sorted n-gram ids (a context in base ``vocabulary``), so fitting
and scoring are a few numpy passes over the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class _Counts:
    ngrams: np.ndarray  # sorted ids: context * vocabulary + next character
    ngram_counts: np.ndarray
    contexts: np.ndarray  # sorted context ids
    context_totals: np.ndarray  # how often each context occurs
    context_types: np.ndarray  # how many distinct characters follow it


def _ids(codes: np.ndarray, positions: np.ndarray, length: int, vocabulary: int) -> np.ndarray:
    """Base-``vocabulary`` ids of the ``length`` codes ending before each position."""
    ids = np.zeros(len(positions), dtype=np.int64)
    for back in range(length, 0, -1):
        ids = ids * vocabulary + codes[positions - back]
    return ids


def _lookup(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``values`` at ``wanted``'s places in sorted ``keys``; 0 where absent."""
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, values[at], 0)


@dataclass
class CharNGram:
    """An order-``order`` character model over ``vocabulary`` codes."""

    order: int
    vocabulary: int
    discount: float = 0.75
    _counts: list[_Counts] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.order < 1 or self.vocabulary**self.order >= 2**62:
            raise ValueError(f"order {self.order} over {self.vocabulary} codes does not fit")
        if not 0 < self.discount <= 1:  # a seen n-gram's count must stay at least 0
            raise ValueError(f"discount {self.discount}: the distributions need 0 < d <= 1")

    def fit(self, codes: np.ndarray) -> CharNGram:
        """Count every n-gram of length 1 to ``order`` in one text's codes."""
        codes = np.asarray(codes, dtype=np.int64)
        self._counts = []
        for length in range(1, self.order + 1):
            positions = np.arange(length - 1, len(codes))
            context = _ids(codes, positions, length - 1, self.vocabulary)
            ngrams, counts = np.unique(
                context * self.vocabulary + codes[positions], return_counts=True
            )
            contexts, first = np.unique(ngrams // self.vocabulary, return_index=True)
            self._counts.append(
                _Counts(
                    ngrams,
                    counts,
                    contexts,
                    np.add.reduceat(counts, first),
                    np.diff(np.append(first, len(ngrams))),
                )
            )
        return self

    def probabilities(self, codes: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """P(codes[i] | the ``order - 1`` codes before it) for each ``i`` in ``positions``
        (each at least ``order - 1``)."""
        if not self._counts:
            raise ValueError("fit the model first")
        codes, positions = np.asarray(codes, dtype=np.int64), np.asarray(positions)
        if positions.min(initial=self.order) < self.order - 1:
            raise ValueError(f"positions need {self.order - 1} codes of context before them")
        p = np.full(len(positions), 1.0 / self.vocabulary)
        for length, counts in enumerate(self._counts, start=1):
            context = _ids(codes, positions, length - 1, self.vocabulary)
            seen = _lookup(
                counts.ngrams, counts.ngram_counts, context * self.vocabulary + codes[positions]
            )
            total = _lookup(counts.contexts, counts.context_totals, context)
            types = _lookup(counts.contexts, counts.context_types, context)
            known = total > 0
            safe_total = np.where(known, total, 1)
            p = np.where(
                known,
                (np.maximum(seen - self.discount, 0) + self.discount * types * p) / safe_total,
                p,
            )
        return p

    def cross_entropy(self, codes: np.ndarray, positions: np.ndarray) -> float:
        """Mean negative log-likelihood (nats per character, as Keras' loss) at ``positions``."""
        return float(-np.mean(np.log(self.probabilities(codes, positions))))
