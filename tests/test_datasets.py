"""Loaders give exactly what keras.datasets.*.load_data gives, from files made here."""

from pathlib import Path

import numpy as np
import pytest
from keras.src.datasets import boston_housing as keras_boston
from keras.src.datasets import imdb as keras_imdb
from keras.src.datasets import reuters as keras_reuters

from dlwp_suite import synthetic
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import boston_housing, imdb, reuters
from dlwp_suite.errors import DatasetCorrupt, DatasetUnavailable


def keras_reference(module, monkeypatch, path: Path, **kwargs):
    """Run Keras' own load_data on our file (its get_file would try to download)."""
    monkeypatch.setattr(module, "get_file", lambda *args, **kw: str(path))
    return module.load_data(**kwargs)


def to_multi_hot(sequences, width: int) -> np.ndarray:
    out = np.zeros((len(sequences), width), dtype=np.uint8)
    for row, sequence in enumerate(sequences):
        out[row, [int(w) for w in sequence]] = 1
    return out


@pytest.mark.parametrize(
    ("write", "ours", "keras_module", "file"),
    [
        (synthetic.write_imdb, imdb.load, keras_imdb, "imdb.npz"),
        (synthetic.write_reuters, reuters.load, keras_reuters, "reuters.npz"),
    ],
    ids=["imdb", "reuters"],
)
def test_word_index_datasets_match_keras(
    data_config: DataConfig, monkeypatch, write, ours, keras_module, file
):
    write(data_config.data_dir)
    loaded = ours(data_config)
    (x_train, y_train), (x_test, y_test) = keras_reference(
        keras_module, monkeypatch, data_config.data_dir / file, num_words=10_000
    )
    np.testing.assert_array_equal(loaded.x_train, to_multi_hot(x_train, 10_000))
    np.testing.assert_array_equal(loaded.x_test, to_multi_hot(x_test, 10_000))
    np.testing.assert_array_equal(loaded.y_train, y_train)
    np.testing.assert_array_equal(loaded.y_test, y_test)
    assert loaded.provenance["files"][file]["vouched_by"] == "mirror SHA256SUMS"


def test_boston_matches_keras(data_config: DataConfig, monkeypatch):
    synthetic.write_boston(data_config.data_dir)
    ours = boston_housing.load(data_config)
    expected = keras_reference(
        keras_boston, monkeypatch, data_config.data_dir / "boston_housing.npz"
    )
    assert ours.x_train.shape == (404, 13) and ours.x_test.shape == (102, 13)
    for got, want in zip(
        (ours.x_train, ours.y_train, ours.x_test, ours.y_test),
        (*expected[0], *expected[1]),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)


def test_tokenize_follows_keras_tokenizer():
    assert imdb.tokenize("It's GREAT!<br /><br />Plot: 7/10...") == [
        "it's",
        "great",
        "br",
        "br",
        "plot",
        "7",
        "10",
    ]


def test_imdb_from_raw_reviews_is_cached(data_config: DataConfig):
    synthetic.write_aclimdb(data_config.data_dir, per_class=6)
    first = imdb.load(data_config)
    assert first.source.startswith("aclImdb_v1.tar.gz")
    assert first.x_train.shape == (12, 10_000) and first.y_train.sum() == 6
    assert not first.from_cache
    # "the" (rank 1 -> id 4) appears in every review; "br" (rank 2 -> id 5) too.
    assert first.x_train[:, 4].all() and first.x_train[:, 5].all()
    second = imdb.load(data_config)
    assert second.from_cache
    np.testing.assert_array_equal(first.x_test, second.x_test)
    assert not any(data_config.derived.rglob("*.tmp"))


def test_missing_imdb_names_both_sources(data_config: DataConfig):
    with pytest.raises(DatasetUnavailable, match=r"imdb\.npz.*aclImdb_v1\.tar\.gz"):
        imdb.load(data_config)


def test_vouched_but_unreadable_file_is_corrupt(data_config: DataConfig):
    data_config.data_dir.mkdir()
    (data_config.data_dir / "boston_housing.npz").write_bytes(b"PK\x03\x04 not really a zip")
    synthetic._update_manifest(data_config.data_dir, "boston_housing.npz")
    with pytest.raises(DatasetCorrupt, match=r"boston_housing\.npz: not a readable"):
        boston_housing.load(data_config)


def test_truncated_npz_is_corrupt(data_config: DataConfig):
    synthetic.write_reuters(data_config.data_dir, samples=40)
    path = data_config.data_dir / "reuters.npz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DatasetCorrupt, match=r"reuters\.npz \(100 bytes"):
        reuters.load(data_config)


def test_imdb_sequences_match_keras(data_config: DataConfig, monkeypatch):
    synthetic.write_imdb(data_config.data_dir, samples=40)
    (x_train, y_train), (x_test, y_test) = imdb.load_sequences(data_config)
    (kx_train, ky_train), (kx_test, ky_test) = keras_reference(
        keras_imdb, monkeypatch, data_config.data_dir / "imdb.npz", num_words=10_000
    )
    assert [list(s) for s in x_train] == [list(s) for s in kx_train]
    assert [list(s) for s in x_test] == [list(s) for s in kx_test]
    np.testing.assert_array_equal(y_train, ky_train)
    np.testing.assert_array_equal(y_test, ky_test)


@pytest.mark.parametrize("reverse", [False, True], ids=["in_order", "reversed"])
def test_padded_imdb_is_the_books_pad_sequences(data_config: DataConfig, monkeypatch, reverse):
    """1e ch6: ``pad_sequences(load_data(num_words=10000)[...], maxlen)``, cached."""
    from keras.utils import pad_sequences

    synthetic.write_imdb(data_config.data_dir, samples=40)
    (kx_train, ky_train), (kx_test, _) = keras_reference(
        keras_imdb, monkeypatch, data_config.data_dir / "imdb.npz", num_words=10_000
    )
    if reverse:  # 1e 6.3 reverses the id lists, then pads
        kx_train, kx_test = ([s[::-1] for s in x] for x in (kx_train, kx_test))
    loaded = imdb.load_padded(data_config, maxlen=30, reverse=reverse)
    np.testing.assert_array_equal(loaded.x_train, pad_sequences(kx_train, maxlen=30))
    np.testing.assert_array_equal(loaded.x_test, pad_sequences(kx_test, maxlen=30))
    np.testing.assert_array_equal(loaded.y_train, ky_train)
    assert not loaded.from_cache
    again = imdb.load_padded(data_config, maxlen=30, reverse=reverse)
    assert again.from_cache
    np.testing.assert_array_equal(again.x_train, loaded.x_train)
    # Other settings are other cache entries, never a stale hit.
    assert not imdb.load_padded(data_config, maxlen=31, reverse=reverse).from_cache
