"""IMDB reviews as the 1st edition's multi-hot top-``num_words`` input.

Two sources, tried in this order:

1. Keras' ``imdb.npz`` (pre-tokenised ranks), exactly as ``keras.datasets.imdb``;
2. the raw ``aclImdb_v1.tar.gz`` reviews, tokenised the way Keras' ``Tokenizer`` made
   ``imdb.npz`` (lower case, Keras' default filter characters to spaces, split on
   spaces; apostrophes kept) and ranked through the canonical ``imdb_word_index.json``.
   Words absent from the index are dropped, as Keras drops them. The review order
   inside each split is the archive's sorted order, shuffled with Keras' seed 113.

Both give the official 25,000/25,000 train/test split. The vectorised result is
cached per source hashes and settings.
"""

from __future__ import annotations

import functools
import json
import re
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict

import numpy as np

from dlwp_suite.cache import cached_arrays
from dlwp_suite.datafiles import DataConfig, DatasetFile, ResolvedFile, is_present, locate
from dlwp_suite.datasets.sequences import (
    IndexConvention,
    cached_multi_hot,
    flatten,
    keras_ids,
    multi_hot,
    shuffled,
)
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.errors import DatasetCorrupt, DatasetUnavailable

_KERAS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
IMDB_NPZ = DatasetFile(
    "imdb.npz",
    _KERAS + "imdb.npz",
    "sha256:69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
)
IMDB_WORD_INDEX = DatasetFile(
    "imdb_word_index.json",
    _KERAS + "imdb_word_index.json",
    "sha256:027313fe9a320280f3bf0fac5baf58c4a683cf39a7ed9c3d3d3912bde4284cf6",
)
ACLIMDB_TAR = DatasetFile(
    "aclImdb_v1.tar.gz",
    "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
    "sha256:c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
)
SEED = 113
# Keras' text_to_word_sequence default filters: every one becomes a word break.
_KERAS_FILTERS = str.maketrans({c: " " for c in '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'})
_REVIEW = re.compile(r"^aclImdb/(train|test)/(pos|neg)/\d+_\d+\.txt$")
# Bump when the tokenisation or encoding changes, so old cache entries are not reused.
ENCODING_VERSION = 2  # 2: split on spaces only, as Keras


def tokenize(text: str) -> list[str]:
    """Split a review the way Keras' ``text_to_word_sequence`` does: filter characters
    become spaces, then split on the space alone (other whitespace, such as U+00A0,
    stays inside words) and drop empty strings."""
    return [word for word in text.lower().translate(_KERAS_FILTERS).split(" ") if word]


def _raw_reviews(archive: ResolvedFile) -> Iterator[tuple[str, str, str]]:
    """Yield (split, label, text) for each labelled review, in sorted member order."""
    try:
        with tarfile.open(archive.path, "r:gz") as tar:
            members = sorted(
                (m for m in tar.getmembers() if _REVIEW.match(m.name)), key=lambda m: m.name
            )
            for member in members:
                handle = tar.extractfile(member)
                assert handle is not None  # regular files only, by the pattern above
                split, label = member.name.split("/")[1:3]
                yield split, label, handle.read().decode("utf-8")
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError) as error:
        raise DatasetCorrupt(f"{archive.path}: cannot read the review archive: {error}") from error


def _ranks_from_raw(archive: ResolvedFile, word_index: ResolvedFile) -> dict[str, list]:
    try:
        index: dict[str, int] = json.loads(word_index.path.read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise DatasetCorrupt(f"{word_index.path}: not a JSON word index: {error}") from error
    splits: dict[str, list] = {"train": [[], []], "test": [[], []]}
    for split, label, text in _raw_reviews(archive):
        ranks = [index[w] for w in tokenize(text) if w in index]
        splits[split][0].append(ranks)
        splits[split][1].append(1 if label == "pos" else 0)
    if not splits["train"][0] or not splits["test"][0]:
        raise DatasetCorrupt(f"{archive.path}: no aclImdb/train|test/pos|neg reviews inside")
    return splits


def _ranks_from_npz(npz: ResolvedFile) -> dict[str, list]:
    try:
        with np.load(npz.path, allow_pickle=True) as data:
            return {
                "train": [list(data["x_train"]), data["y_train"]],
                "test": [list(data["x_test"]), data["y_test"]],
            }
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        raise DatasetCorrupt(f"{npz.path}: not a readable Keras imdb.npz: {error}") from error


def _shuffled(splits: dict[str, list]) -> dict[str, tuple[list, np.ndarray]]:
    """The splits in ``keras.datasets.imdb``'s order: one RandomState, train then test."""
    rng = np.random.RandomState(SEED)
    out = {}
    for split in ("train", "test"):
        sequences, labels = splits[split]
        order = shuffled(rng, len(sequences))
        out[split] = ([sequences[i] for i in order], np.asarray(labels, dtype=np.uint8)[order])
    return out


def _vectorise(splits: dict[str, list], convention: IndexConvention) -> dict[str, np.ndarray]:
    arrays = {}
    for split, (sequences, labels) in _shuffled(splits).items():
        flat, lengths = flatten(sequences)
        arrays[f"x_{split}"] = np.packbits(multi_hot(flat, lengths, convention), axis=1)
        arrays[f"y_{split}"] = labels
    return arrays


def _source(config: DataConfig) -> tuple[list[ResolvedFile], Callable[[], dict], str]:
    """The files to read (imdb.npz first, else the raw reviews), a reader, and its label."""
    if is_present(IMDB_NPZ, config) or not (
        is_present(ACLIMDB_TAR, config) and is_present(IMDB_WORD_INDEX, config)
    ):
        try:
            files = [locate(IMDB_NPZ, config)]
        except DatasetUnavailable as missing:
            raise DatasetUnavailable(
                f"IMDB: {missing} Alternatively provide the raw reviews "
                f"{ACLIMDB_TAR.name} ({ACLIMDB_TAR.origin}) together with "
                f"{IMDB_WORD_INDEX.name} in the same places."
            ) from missing
        return (
            files,
            functools.partial(_ranks_from_npz, files[0]),
            "imdb.npz (Keras, pre-tokenised)",
        )
    files = [locate(ACLIMDB_TAR, config), locate(IMDB_WORD_INDEX, config)]
    source = "aclImdb_v1.tar.gz raw reviews, Keras tokenisation, imdb_word_index.json"
    return files, functools.partial(_ranks_from_raw, *files), source


def load(config: DataConfig, convention: IndexConvention | None = None) -> TaskData:
    """IMDB as multi-hot uint8 matrices and 0/1 labels, from the best available source."""
    convention = convention or IndexConvention()
    files, read, source = _source(config)
    return cached_multi_hot(
        config,
        "imdb",
        files,
        convention,
        ENCODING_VERSION,
        lambda: _vectorise(read(), convention),
        source,
    )


def load_sequences(
    config: DataConfig, convention: IndexConvention | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Exactly what ``keras.datasets.imdb.load_data`` returns (word-id lists), uncached.

    For code written the book's plain way, and for models that read sequences.
    """
    convention = convention or IndexConvention()
    _, read, _ = _source(config)
    (x_train, y_train), (x_test, y_test) = (
        (np.array([keras_ids(s, convention) for s in sequences], dtype=object), labels)
        for sequences, labels in _shuffled(read()).values()
    )
    return (x_train, y_train), (x_test, y_test)


def load_padded(
    config: DataConfig,
    maxlen: int,
    reverse: bool = False,
    convention: IndexConvention | None = None,
) -> TaskData:
    """IMDB word ids as the 1st edition's chapter 6 feeds them to sequence models, cached.

    ``keras.preprocessing.sequence.pad_sequences(load_data(num_words)[...], maxlen)``:
    int32 rows of ``maxlen`` ids, zero-padded and truncated at the front (Keras'
    defaults), so a long review keeps its last ``maxlen`` words. ``reverse`` reverses
    each review before padding, as 1e 6.3's reversed-sequence LSTM does.
    """
    from keras.utils import pad_sequences

    convention = convention or IndexConvention()
    files, read, source = _source(config)

    def build() -> dict[str, np.ndarray]:
        arrays = {}
        for split, (sequences, labels) in _shuffled(read()).items():
            ids = [keras_ids(s, convention) for s in sequences]
            arrays[f"x_{split}"] = pad_sequences(
                [s[::-1] for s in ids] if reverse else ids, maxlen=maxlen
            )
            arrays[f"y_{split}"] = labels
        return arrays

    parts = {
        "files": {f.path.name: [f.sha256, f.verification] for f in files},
        "convention": asdict(convention),
        "version": ENCODING_VERSION,
        "padded": {"maxlen": maxlen, "reverse": reverse, "padding": "pre", "truncating": "pre"},
    }
    arrays, from_cache = cached_arrays(config.derived / "vectorised", "imdb-padded", parts, build)
    return TaskData(
        x_train=arrays["x_train"],
        y_train=arrays["y_train"],
        x_test=arrays["x_test"],
        y_test=arrays["y_test"],
        source=source,
        files=files,
        from_cache=from_cache,
    )


def raw_texts(config: DataConfig) -> tuple[ResolvedFile, dict[str, tuple[list[str], np.ndarray]]]:
    """The labelled reviews of ``aclImdb_v1.tar.gz`` per split, in sorted member order
    (negative reviews first, as the 1e notebooks' ``neg``, ``pos`` loop reads them)."""
    archive = locate(ACLIMDB_TAR, config)
    splits: dict[str, tuple[list[str], list[int]]] = {"train": ([], []), "test": ([], [])}
    for split, label, text in sorted(_raw_reviews(archive), key=lambda r: (r[0], r[1] != "neg")):
        splits[split][0].append(text)
        splits[split][1].append(1 if label == "pos" else 0)
    if not splits["train"][0] or not splits["test"][0]:
        raise DatasetCorrupt(f"{archive.path}: no aclImdb/train|test/pos|neg reviews inside")
    return archive, {k: (texts, np.asarray(y, dtype=np.uint8)) for k, (texts, y) in splits.items()}


def tokenizer_word_index(texts: list[str]) -> dict[str, int]:
    """What Keras' ``Tokenizer.fit_on_texts`` builds: ranks by count, most frequent 1;
    equal counts keep the order in which the words first appeared."""
    counts: dict[str, int] = {}
    for text in texts:
        for word in tokenize(text):
            counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts, key=lambda w: -counts[w])  # stable: first appearance breaks ties
    return {word: rank for rank, word in enumerate(ranked, 1)}


def tokenizer_sequences(texts: list[str], index: dict[str, int], num_words: int) -> list[list[int]]:
    """``Tokenizer(num_words).texts_to_sequences``: ranks below ``num_words``, others dropped."""
    return [
        [rank for word in tokenize(text) if (rank := index.get(word, num_words)) < num_words]
        for text in texts
    ]
