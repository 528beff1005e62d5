"""Keras' ``TextVectorization``, in numpy and scipy, so that every backend reads the same
inputs (the layer runs on TensorFlow only, and the GPU machines have none).

It follows the layer's rules exactly (``tests/test_text_vectorization.py`` compares the
two where TensorFlow is installed): ``lower_and_strip_punctuation`` (ASCII lower case, the
layer's punctuation class removed), split on ASCII whitespace, n-grams joined by one
space, a vocabulary of the most frequent tokens of the texts it adapts to (ties broken
by the token, descending, as the layer's ``lexsort`` does), index 0 for the out-of-
vocabulary token in the bag modes (``""`` at 0 and ``"[UNK]"`` at 1 in ``int`` mode),
and TF-IDF weights ``log(1 + documents / (1 + document frequency))``, the
out-of-vocabulary one being their mean.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

# The layer's regex for "strip_punctuation", and tf.strings.lower's ASCII-only folding.
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")
OOV = "[UNK]"


def standardize(text: str) -> str:
    """``lower_and_strip_punctuation``."""
    return _PUNCTUATION.sub("", text.translate(_ASCII_LOWER))


def tokens(text: str, ngrams: int = 1) -> list[str]:
    """The standardised words of ``text``, then its 2..``ngrams``-grams, as the layer
    orders them."""
    words = [w for w in _ASCII_WHITESPACE.split(standardize(text)) if w]
    grams = list(words)
    for n in range(2, ngrams + 1):
        grams += [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    return grams


@dataclass(frozen=True)
class Vocabulary:
    """What ``adapt`` learns: the tokens in index order and (TF-IDF) their weights."""

    tokens: tuple[str, ...]  # special tokens first
    ngrams: int
    idf: np.ndarray | None = None

    @property
    def index(self) -> dict[str, int]:
        """``{token: column}``."""
        return {t: i for i, t in enumerate(self.tokens)}


def adapt(
    texts: Iterable[str], max_tokens: int, ngrams: int = 1, mode: str = "multi_hot"
) -> Vocabulary:
    """The vocabulary ``TextVectorization(max_tokens, ngrams, output_mode=mode).adapt``
    learns from ``texts``."""
    counts: Counter[str] = Counter()
    documents: Counter[str] = Counter()
    n_documents = 0
    for text in texts:
        grams = tokens(text, ngrams)
        counts.update(grams)
        documents.update(set(grams))
        n_documents += 1
    special = ("", OOV) if mode == "int" else (OOV,)
    for token in special:
        counts.pop(token, None)
    # Count descending, then token descending: the layer's lexsort((tokens, counts))[::-1].
    ranked = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
    learned = ranked[: max_tokens - len(special)]
    idf = None
    if mode == "tf_idf":
        frequency = np.array([documents[t] for t in learned], dtype=np.float64)
        weights = np.log(1 + n_documents / (1 + frequency))
        idf = np.concatenate([[weights.mean()], weights]).astype(np.float32)
    return Vocabulary((*special, *learned), ngrams, idf)


def counts_matrix(texts: Sequence[str], vocabulary: Vocabulary) -> sparse.csr_matrix:
    """Token counts per text (``output_mode="count"``), out-of-vocabulary in column 0."""
    index = vocabulary.index
    rows, columns = [], []
    for row, text in enumerate(texts):
        ids = [index.get(t, 0) for t in tokens(text, vocabulary.ngrams)]
        rows += [row] * len(ids)
        columns += ids
    values = np.ones(len(rows), dtype=np.float32)
    matrix = sparse.csr_matrix(
        (values, (rows, columns)), shape=(len(texts), len(vocabulary.tokens))
    )
    matrix.sum_duplicates()
    return matrix


def bag(counts: sparse.csr_matrix, mode: str, idf: np.ndarray | None = None) -> sparse.csr_matrix:
    """``multi_hot``, ``count`` or ``tf_idf`` rows from a counts matrix."""
    if mode == "count":
        return counts
    if mode == "multi_hot":
        hot = counts.copy()
        hot.data[:] = 1.0
        return hot
    if mode == "tf_idf":
        if idf is None:
            raise ValueError("tf_idf needs the vocabulary's idf weights")
        return counts.multiply(idf[np.newaxis, :]).tocsr().astype(np.float32)
    raise ValueError(f"unknown bag mode {mode!r}")


def int_sequences(texts: Sequence[str], vocabulary: Vocabulary, length: int) -> np.ndarray:
    """``output_mode="int", output_sequence_length=length``: ids, cut and padded with 0
    at the end (unlike ``pad_sequences``, which works at the front)."""
    index = vocabulary.index
    out = np.zeros((len(texts), length), dtype=np.int32)
    for row, text in enumerate(texts):
        ids = [index.get(t, 1) for t in tokens(text, vocabulary.ngrams)][:length]
        out[row, : len(ids)] = ids
    return out
