"""Tiny generated datasets in the canonical Keras file formats.

The smoke profile and the tests write these into a mirror directory (with its own
``SHA256SUMS``), so the real loading, verification and vectorising code runs on them.
Each carries a learnable signal, so "the model beats the trivial baseline" is a real
check. Nothing here is ever used as a stand-in for a missing real dataset.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np

from dlwp_suite.datafiles import MANIFEST_NAME, file_digest

VOCABULARY = 12_000  # beyond num_words=10,000, so the OOV rule is exercised
_SIGNAL_WORDS = 200  # ranks 50..249 carry the label


def _update_manifest(directory: Path, *names: str) -> None:
    manifest = directory / MANIFEST_NAME
    lines = manifest.read_text().splitlines() if manifest.is_file() else []
    lines = [line for line in lines if line.split()[-1] not in names]
    lines += [f"{file_digest(directory / name, 'sha256')}  {name}" for name in names]
    manifest.write_text("\n".join(lines) + "\n")


def _documents(rng: np.random.Generator, labels: np.ndarray, classes: int) -> np.ndarray:
    """Word-rank lists of varied length; each class over-uses its own signal words."""
    per_class = _SIGNAL_WORDS // classes
    docs = []
    for label in labels:
        length = int(rng.integers(30, 90))
        noise = rng.integers(1, VOCABULARY, size=length)
        start = 50 + int(label) * per_class
        signal = rng.integers(start, start + per_class, size=length // 4)
        docs.append([int(w) for w in np.concatenate([noise, signal])])
    out = np.empty(len(docs), dtype=object)
    out[:] = docs
    return out


def write_imdb(directory: Path, samples: int = 600, seed: int = 0) -> None:
    """``imdb.npz`` (train and test of ``samples`` each) and ``imdb_word_index.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    y_train, y_test = rng.integers(0, 2, samples), rng.integers(0, 2, samples)
    np.savez(
        directory / "imdb.npz",
        x_train=_documents(rng, y_train, 2),
        y_train=y_train,
        x_test=_documents(rng, y_test, 2),
        y_test=y_test,
    )
    index = {f"word{rank}": rank for rank in range(1, VOCABULARY)}
    (directory / "imdb_word_index.json").write_text(json.dumps(index))
    _update_manifest(directory, "imdb.npz", "imdb_word_index.json")


def write_aclimdb(directory: Path, per_class: int = 20, seed: int = 0) -> None:
    """``aclImdb_v1.tar.gz`` in the official layout, plus a matching word index."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    words = ["good", "great", "bad", "awful", "movie", "the", "it's", "plot"]
    with tarfile.open(directory / "aclImdb_v1.tar.gz", "w:gz") as tar:
        for split in ("train", "test"):
            for label, mood in (("pos", ["good", "great"]), ("neg", ["bad", "awful"])):
                for number in range(per_class):
                    body = " ".join(rng.choice(words[4:] + mood * 2, size=30))
                    data = f"{body.capitalize()}.<br /><br />The END!".encode()
                    info = tarfile.TarInfo(f"aclImdb/{split}/{label}/{number}_7.txt")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    index = {w: rank for rank, w in enumerate(["the", "br", "movie", *words[:4], "it's"], 1)}
    (directory / "imdb_word_index.json").write_text(json.dumps(index))
    _update_manifest(directory, "aclImdb_v1.tar.gz", "imdb_word_index.json")


def write_reuters(directory: Path, samples: int = 1200, classes: int = 8, seed: int = 0) -> None:
    """``reuters.npz`` (``x`` word-rank lists, ``y`` topic ids below 46)."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, samples)
    np.savez(directory / "reuters.npz", x=_documents(rng, y, classes), y=y)
    _update_manifest(directory, "reuters.npz")


def write_boston(directory: Path, samples: int = 506, seed: int = 0) -> None:
    """``boston_housing.npz``: 13 features, prices with a learnable nonlinear signal."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, 13)) * rng.uniform(1, 100, size=13)
    z = x / x.std(axis=0)
    y = 22 + 4 * z[:, 5] - 3 * z[:, 12] + 2 * np.tanh(z[:, 0] * z[:, 2])
    y = y + rng.normal(scale=1.0, size=samples)
    np.savez(directory / "boston_housing.npz", x=x, y=y)
    _update_manifest(directory, "boston_housing.npz")
