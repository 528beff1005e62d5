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

from dlwp_suite.datafiles import MANIFEST_NAME, file_digest, mark_generated

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
        # Signal words anywhere in the review, so a sequence model finds them in whatever
        # order or window it reads.
        docs.append([int(w) for w in rng.permutation(np.concatenate([noise, signal]))])
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


def write_imdb_text(directory: Path, per_class: int = 20, seed: int = 0) -> None:
    """The raw reviews (`write_aclimdb`) and GloVe-format vectors for their words, under
    the name of the mirror's GloVe stand-in."""
    write_aclimdb(directory, per_class, seed)
    rng = np.random.default_rng(seed)
    words = json.loads((directory / "imdb_word_index.json").read_text())
    name = "glove.6B.50d.imdb-top30k.txt"  # the stand-in's name (datasets/glove.py)
    lines = [f"{w} " + " ".join(f"{v:.5f}" for v in rng.normal(size=50)) for w in words]
    (directory / name).write_text("\n".join(lines) + "\n")
    _update_manifest(directory, name)


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


def write_mnist(directory: Path, train: int = 600, test: int = 200, seed: int = 0) -> None:
    """``mnist.npz``: uint8 28x28 digits, each class a bright bar at its own row, plus
    faint noise (a 2-d VAE can learn to place the bar: it beats the mean image)."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    def digits(count: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 10, count).astype(np.uint8)
        x = rng.integers(0, 20, size=(count, 28, 28))
        for i, label in enumerate(y):
            x[i, 2 + 2 * label : 4 + 2 * label, 4:24] += 200
        return x.astype(np.uint8), y

    (x_train, y_train), (x_test, y_test) = digits(train), digits(test)
    np.savez_compressed(
        directory / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test
    )
    _update_manifest(directory, "mnist.npz")


def write_cifar10(directory: Path, per_batch: int = 200, seed: int = 0) -> None:
    """``cifar-10-python.tar.gz`` in the canonical layout (pickled batches of rows of
    3 x 32 x 32 uint8): each class a bright square at its own place on noise."""
    import pickle

    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    with tarfile.open(directory / "cifar-10-python.tar.gz", "w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            labels = np.arange(per_batch) % 10  # every class in every batch
            images = rng.integers(0, 40, size=(per_batch, 3, 32, 32))
            for i, label in enumerate(labels):
                row, column = divmod(int(label), 5)
                images[i, :, 4 + 12 * row : 14 + 12 * row, 1 + 6 * column : 6 + 6 * column] += 200
            data = pickle.dumps(
                {
                    b"data": images.astype(np.uint8).reshape(per_batch, -1),
                    b"labels": labels.tolist(),
                }
            )
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    _update_manifest(directory, "cifar-10-python.tar.gz")


def write_dogs_vs_cats(
    directory: Path, counts: tuple[int, int, int] = (40, 20, 20), seed: int = 0
) -> None:
    """``cats_and_dogs_small/{train,validation,test}/{cats,dogs}/`` JPEGs of varied sizes.

    Cats are reddish and dogs bluish under noise, so a small convnet can tell them apart;
    file numbers follow the book's split (train from 0, validation from 1000, ...).
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    names = []
    for split, count, first in zip(
        ("train", "validation", "test"), counts, (0, 1000, 1500), strict=True
    ):
        for label, folder in enumerate(("cats", "dogs")):
            out = directory / "cats_and_dogs_small" / split / folder
            out.mkdir(parents=True, exist_ok=True)
            for n in range(first, first + count):
                height, width = int(rng.integers(40, 80)), int(rng.integers(40, 80))
                pixels = rng.integers(0, 120, size=(height, width, 3))
                pixels[..., 2 * label] += 120  # red for cats, blue for dogs
                name = f"{folder[:-1]}.{n}.jpg"
                Image.fromarray(pixels.astype(np.uint8)).save(out / name, quality=90)
                names.append(f"cats_and_dogs_small/{split}/{folder}/{name}")
    _update_manifest(directory, *names)


def write_mobilenet_weights(directory: Path, seed: int = 0) -> None:
    """``mobilenet_2_5_224_tf_no_top.h5`` in Keras' legacy h5 layout, random weights.

    Good for exercising the loading and fine-tuning code, not for accuracy. Each batch
    normalisation gets the statistics of its input on random images: with the initial
    ones, activations vanish through the 13 blocks and every feature is zero.
    """
    import keras

    from dlwp_suite.compat import save_legacy_h5_weights

    directory.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(seed)
    base = keras.applications.MobileNet(
        input_shape=(224, 224, 3), alpha=0.25, include_top=False, weights=None
    )
    images = np.random.default_rng(seed).uniform(-1, 1, size=(4, 224, 224, 3))
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            seen = keras.Model(base.inputs, layer.input).predict(images, verbose=0)
            layer.moving_mean.assign(seen.mean(axis=(0, 1, 2)))
            layer.moving_variance.assign(seen.var(axis=(0, 1, 2)))
    save_legacy_h5_weights(base, directory / "mobilenet_2_5_224_tf_no_top.h5")
    _update_manifest(directory, "mobilenet_2_5_224_tf_no_top.h5")


def write_dogs_vs_cats_with_mobilenet(directory: Path) -> None:
    """The dogs-vs-cats layout and a MobileNet weights file: a transfer experiment's data."""
    write_dogs_vs_cats(directory)
    write_mobilenet_weights(directory)


def _ar1(rng: np.random.Generator, rows: int, memory_steps: float, sd: float) -> np.ndarray:
    """A stationary AR(1) series: weather anomalies that persist ~``memory_steps`` rows."""
    phi = np.exp(-1 / memory_steps)
    shocks = rng.normal(scale=sd * np.sqrt(1 - phi**2), size=rows)
    from scipy.signal import lfilter

    return lfilter([1.0], [1.0, -phi], shocks)


def write_jena(directory: Path, rows: int = 17_280, seed: int = 0) -> None:
    """``jena_climate_2009_2016.csv.zip`` in the canonical layout, from 2009-01-01 00:10.

    Ten-minute rows of the 14 measurements with the real header and units: yearly and
    daily temperature cycles plus weather anomalies that persist for days, and the
    humidity, pressure and derived quantities computed from them with the usual
    meteorological formulas. The mirror's ``GENERATED`` list names the file, so runs on
    it say so. ``rows=420_551`` gives the canonical length.
    """
    import pandas as pd

    from dlwp_suite.datasets.weather import JENA_COLUMNS, JENA_ZIP

    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    days = np.arange(1, rows + 1) / 144
    anomaly = _ar1(rng, rows, 144 * 2.5, 3.5)
    daily = -(4 + 1.5 * np.sin(2 * np.pi * days / 365.25)) * np.cos(2 * np.pi * days)
    temp = 9.5 - 9 * np.cos(2 * np.pi * (days - 15) / 365.25) + daily + anomaly
    temp += rng.normal(scale=0.15, size=rows)
    pressure = 989 + _ar1(rng, rows, 144 * 3, 8) - 0.4 * anomaly
    rh = np.clip(76 + 14 * np.cos(2 * np.pi * days) - 2 * anomaly + _ar1(rng, rows, 72, 8), 12, 100)
    vp_max = 6.1078 * np.exp(17.27 * temp / (temp + 237.3))
    vp_act = vp_max * rh / 100
    gamma = np.log(vp_act / 6.1078)
    wind = np.abs(2 + _ar1(rng, rows, 36, 1.5))
    table = pd.DataFrame(
        {
            "p (mbar)": pressure,
            "T (degC)": temp,
            "Tpot (K)": (temp + 273.15) * (1000 / pressure) ** 0.286,
            "Tdew (degC)": 237.3 * gamma / (17.27 - gamma),
            "rh (%)": rh,
            "VPmax (mbar)": vp_max,
            "VPact (mbar)": vp_act,
            "VPdef (mbar)": vp_max - vp_act,
            "sh (g/kg)": 622 * vp_act / (pressure - 0.378 * vp_act),
            "H2OC (mmol/mol)": 1000 * vp_act / pressure,
            "rho (g/m**3)": 1e5 * pressure / (287.05 * (temp + 273.15)),
            "wv (m/s)": wind,
            "max. wv (m/s)": wind * 1.7,
            "wd (deg)": np.mod(180 + np.cumsum(rng.normal(scale=4, size=rows)), 360),
        }
    )
    stamps = pd.Timestamp("2009-01-01") + pd.to_timedelta(np.arange(1, rows + 1) * 10, "min")
    table.insert(0, "Date Time", stamps.strftime("%d.%m.%Y %H:%M:%S"))
    assert tuple(table.columns) == JENA_COLUMNS
    csv_name = JENA_ZIP.name.removesuffix(".zip")
    table.to_csv(
        directory / JENA_ZIP.name,
        index=False,
        float_format="%.2f",
        compression={"method": "zip", "archive_name": csv_name},
    )
    mark_generated(directory, JENA_ZIP.name)
    _update_manifest(directory, JENA_ZIP.name)


def write_seattle_temps(directory: Path, hours: int = 2_000, seed: int = 0) -> None:
    """``seattle-temps.csv`` (date, temp in °F, hourly) with daily cycles and anomalies."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    hour = np.arange(hours)
    celsius = 11 - 4 * np.cos(2 * np.pi * hour / 24) + _ar1(rng, hours, 60, 3)
    stamps = np.datetime64("2010-01-01T00:00") + hour.astype("timedelta64[h]")
    lines = ["date,temp"] + [
        f"{str(s).replace('-', '/').replace('T', ' ')},{c * 9 / 5 + 32:.1f}"
        for s, c in zip(stamps, celsius, strict=True)
    ]
    (directory / "seattle-temps.csv").write_text("\n".join(lines) + "\n")
    _update_manifest(directory, "seattle-temps.csv")


def write_char_text(directory: Path, words: int = 2_500, seed: int = 0) -> None:
    """A text under the names of the book's text-generation corpus and of the mirror's
    stand-in (``nietzsche.txt``, ``paradise_lost.txt``), listed as generated: lines of
    words from a small vocabulary, each word picked by the one before it from a few
    successors, so characters are predictable well beyond their frequencies."""
    rng = np.random.default_rng(seed)
    syllables = ["la", "mor", "ten", "ka", "vi", "ro", "sel", "dun", "pe", "aft"]
    vocabulary = ["".join(rng.choice(syllables, size=int(rng.integers(1, 4)))) for _ in range(40)]
    successors = rng.integers(0, len(vocabulary), size=(len(vocabulary), 3))
    word, lines, line = 0, [], []
    for _ in range(words):
        word = int(successors[word, rng.integers(0, 3)])
        line.append(vocabulary[word])
        if len(line) == 8:
            lines.append(" ".join(line).capitalize() + ",")
            line = []
    directory.mkdir(parents=True, exist_ok=True)
    names = ("nietzsche.txt", "paradise_lost.txt")  # datasets/char_text.py
    for name in names:
        (directory / name).write_text("\n".join(lines) + "\n")
        mark_generated(directory, name)
    _update_manifest(directory, *names)
