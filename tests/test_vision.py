"""Chapters 5 and 7's vision: MNIST, the dogs-vs-cats layout, pretrained weights, cached
features, the mini Xception's builder."""

import dataclasses
import shutil
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from keras.src.datasets import mnist as keras_mnist

from dlwp_suite import synthetic
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import dogs_vs_cats, mnist
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.errors import DatasetCorrupt, DatasetUnavailable
from dlwp_suite.experiments import ch05, ch07, get
from dlwp_suite.models.ch05 import build_transfer, unfreeze_top_block
from dlwp_suite.pretrained import BASES, frozen_features, locate_weights


def test_mnist_matches_keras(data_config: DataConfig, monkeypatch):
    synthetic.write_mnist(data_config.data_dir)
    ours = mnist.load(data_config)
    monkeypatch.setattr(
        keras_mnist, "get_file", lambda *a, **kw: str(data_config.data_dir / "mnist.npz")
    )
    (x_train, _), (_, y_test) = keras_mnist.load_data()
    np.testing.assert_array_equal(ours.x_train, x_train)
    np.testing.assert_array_equal(ours.y_test, y_test)
    assert ours.files[0].vouched_by == "mirror SHA256SUMS"


def test_mnist_wrong_shape_is_corrupt(data_config: DataConfig):
    data_config.data_dir.mkdir(parents=True)
    np.savez(
        data_config.data_dir / "mnist.npz",
        x_train=np.zeros((2, 5)),
        y_train=np.zeros(2),
        x_test=np.zeros((2, 5)),
        y_test=np.zeros(2),
    )
    synthetic._update_manifest(data_config.data_dir, "mnist.npz")
    with pytest.raises(DatasetCorrupt, match="expected x_train uint8"):
        mnist.load(data_config)


def test_dogs_layout_loads_and_is_cached(data_config: DataConfig):
    synthetic.write_dogs_vs_cats(data_config.data_dir, counts=(4, 2, 3))
    data = dogs_vs_cats.load_images(data_config, 24)
    assert data.x_train.shape == (8, 24, 24, 3) and data.x_train.dtype == np.uint8
    assert data.x_val.shape[0] == 4 and data.x_test.shape[0] == 6
    assert list(data.y_train) == [0] * 4 + [1] * 4  # cats 0, dogs 1
    assert not data.from_cache and not data.notes
    assert data.files[-1].vouched_by.startswith("mirror SHA256SUMS")
    assert dogs_vs_cats.load_images(data_config, 24).from_cache
    assert not dogs_vs_cats.load_images(data_config, 16).from_cache  # size is in the key


def test_broken_images_are_named_and_skipped(data_config: DataConfig):
    synthetic.write_dogs_vs_cats(data_config.data_dir, counts=(4, 2, 3))
    train = data_config.data_dir / "cats_and_dogs_small" / "train"
    (train / "cats" / "notes.txt").write_text("not an image")
    (train / "dogs" / "dog.0.jpg").write_bytes(b"\xff\xd8truncated")  # fails the manifest too
    with pytest.warns(UserWarning, match="skipped 2 unreadable"):
        data = dogs_vs_cats.load_images(data_config, 24)
    assert data.x_train.shape[0] == 7
    assert "cats_and_dogs_small/train/dogs/dog.0.jpg (fails SHA256SUMS)" in data.notes[0]
    assert "cats_and_dogs_small/train/cats/notes.txt (UnidentifiedImageError)" in data.notes[0]


def test_the_image_cache_follows_the_manifests_verdicts(data_config: DataConfig):
    """An image swapped for one of the other class reaches no model through the cache."""
    synthetic.write_dogs_vs_cats(data_config.data_dir, counts=(4, 2, 3))
    train = data_config.data_dir / "cats_and_dogs_small" / "train"
    (train / "dogs" / "dog.1.jpg").write_bytes((train / "cats" / "cat.0.jpg").read_bytes())
    manifest = data_config.data_dir / "SHA256SUMS"
    listing = manifest.read_text()
    with pytest.warns(UserWarning, match="dog.1.jpg"):
        checked = dogs_vs_cats.load_images(data_config, 24)
    assert checked.x_train.shape[0] == 7 and "dog.1.jpg (fails SHA256SUMS)" in checked.notes[0]
    manifest.unlink()  # the same images, no longer checked: not the cached arrays
    unchecked = dogs_vs_cats.load_images(data_config, 24)
    assert not unchecked.from_cache and unchecked.x_train.shape[0] == 8 and not unchecked.notes
    assert unchecked.files[-1].vouched_by.startswith("no manifest")
    manifest.write_text(listing)  # and back: the verdict is not lost to a cache hit
    with pytest.warns(UserWarning, match="dog.1.jpg"):
        again = dogs_vs_cats.load_images(data_config, 24)
    assert again.x_train.shape[0] == 7 and "dog.1.jpg (fails SHA256SUMS)" in again.notes[0]
    assert again.files[-1].sha256 == checked.files[-1].sha256 != unchecked.files[-1].sha256


def test_images_the_manifest_lists_but_the_folder_lacks_are_counted(data_config: DataConfig):
    synthetic.write_dogs_vs_cats(data_config.data_dir, counts=(4, 2, 3))
    for name in ("cat.0.jpg", "cat.1.jpg", "cat.2.jpg"):
        (data_config.data_dir / "cats_and_dogs_small" / "train" / "cats" / name).unlink()
    with pytest.warns(UserWarning, match="3 of the 18 images SHA256SUMS lists"):
        data = dogs_vs_cats.load_images(data_config, 24)
    assert data.x_train.shape[0] == 5
    assert data.files[-1].vouched_by == "mirror SHA256SUMS, per file (15 of 15 images)"


def test_missing_images_say_where_and_how(data_config: DataConfig):
    with pytest.raises(DatasetUnavailable, match=r"cats_and_dogs_small/ in the mirror.*train\.zip"):
        dogs_vs_cats.load_images(data_config, 24)


def _zip_folder(folder: Path, archive: Path, prefix: str) -> None:
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(folder.rglob("*.jpg")):
            zipped.write(path, f"{prefix}/{path.relative_to(folder).as_posix()}")


def test_filtered_zip_has_no_test_split(data_config: DataConfig, tmp_path: Path):
    synthetic.write_dogs_vs_cats(tmp_path / "made", counts=(3, 2, 0))
    shutil.rmtree(tmp_path / "made" / "cats_and_dogs_small" / "test")
    keras_cache = data_config.keras_cache(dogs_vs_cats.FILTERED_ZIP)
    keras_cache.parent.mkdir(parents=True)
    _zip_folder(tmp_path / "made" / "cats_and_dogs_small", keras_cache, "cats_and_dogs_filtered")
    data = dogs_vs_cats.load_images(data_config, 24)
    assert data.x_test is None and data.x_val.shape[0] == 4
    assert data.source == "cats_and_dogs_filtered.zip"
    assert "no test split" in data.notes[0]


def test_kaggle_train_zip_builds_the_books_split(data_config: DataConfig, tmp_path: Path):
    from PIL import Image

    data_config.data_dir.mkdir(parents=True)
    with zipfile.ZipFile(data_config.data_dir / "train.zip", "w") as zipped:
        for animal in ("cat", "dog"):
            for n in range(2500):
                image = tmp_path / "i.jpg"
                Image.fromarray(np.full((8, 8, 3), n % 255, np.uint8)).save(image)
                zipped.write(image, f"train/{animal}.{n}.jpg")
    synthetic._update_manifest(data_config.data_dir, "train.zip")
    data = dogs_vs_cats.load_images(data_config, 8)
    assert (data.x_train.shape[0], data.x_val.shape[0], data.x_test.shape[0]) == (2000, 1000, 2000)
    assert data.source == "cats_and_dogs_small/ built from Kaggle train.zip"


@pytest.fixture(scope="module")
def mobilenet_mirror(tmp_path_factory: pytest.TempPathFactory) -> DataConfig:
    root = tmp_path_factory.mktemp("mobilenet")
    synthetic.write_dogs_vs_cats_with_mobilenet(root / "mirror")
    return DataConfig(root / "mirror", root / "keras", root / "cache", offline=True)


def test_weights_come_from_the_mirror_or_the_keras_models_cache(mobilenet_mirror, data_config):
    found = locate_weights(BASES["mobilenet"], mobilenet_mirror)
    assert found.location == "mirror" and found.vouched_by == "mirror SHA256SUMS"
    with pytest.raises(DatasetUnavailable, match=r"vgg16_weights.*downloads are off"):
        locate_weights(BASES["vgg16"], data_config)
    cached = data_config.keras_cache(BASES["mobilenet"].weights)
    assert cached.parent.name == "models"
    cached.parent.mkdir(parents=True)
    shutil.copy(found.path, cached)
    assert locate_weights(BASES["mobilenet"], data_config).vouched_by == "unverified"


def test_features_are_cached_per_base_size_and_data(mobilenet_mirror):
    weights = locate_weights(BASES["mobilenet"], mobilenet_mirror)
    splits = {"train": np.zeros((3, 32, 32, 3), np.uint8)}
    cache = mobilenet_mirror.derived
    first, timings = frozen_features(BASES["mobilenet"], weights, splits, "data-a", cache)
    assert first["train"].shape == (3, 1, 1, 256) and timings["feature_extraction_images_per_s"] > 0
    _, again = frozen_features(BASES["mobilenet"], weights, splits, "data-a", cache)
    assert again == {"features_from_cache": True}
    _, other = frozen_features(BASES["mobilenet"], weights, splits, "data-b", cache)
    assert not other["features_from_cache"]


def test_finetuning_unfreezes_the_top_block_but_not_batch_norm(mobilenet_mirror):
    case = ch05.MOBILENET_TRANSFER.case("finetune", "smoke")
    data = ch05.MOBILENET_TRANSFER.load_data(mobilenet_mirror, case.params)
    model = build_transfer(case.params, data)
    base = next(layer for layer in model.layers if layer.name.startswith("mobilenet"))
    assert not base.trainable
    unfreeze_top_block(model, case.params)
    trainable = {layer.name for layer in base.layers if layer.trainable}
    assert "conv_dw_13" in trainable and "conv_pw_13" in trainable
    assert "conv_dw_12" not in trainable and "conv_dw_13_bn" not in trainable


@pytest.mark.parametrize("name", ["vgg16", "xception"])
def test_other_bases_preprocess_symbolically(name):
    pixels = keras.Input((71, 71, 3))
    assert BASES[name].preprocess(pixels).shape == (None, 71, 71, 3)


@pytest.mark.parametrize("size", [180, 48])
def test_the_mini_xception_has_the_books_parameter_count_at_any_size(size):
    experiment = get(ch07.EXPERIMENT)
    model = experiment.build_model(
        experiment.case("2e", "book").params,
        TaskData(np.zeros((1, size, size, 3), "uint8"), np.zeros(1), None, None, "none"),
    )
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert (model.count_params(), trainable) == (721_857, 718_849)  # 3,008 BN statistics


def test_the_mini_xception_trains_compiled_on_jax_with_fresh_augmentation_each_step():
    """Keras turns compilation off for its random rotation and zoom layers (for
    TensorFlow's sake); on JAX the suite turns it back on, and the compiled steps still
    draw new transforms each step (the layers' seed states advance)."""
    from dlwp_suite.compat import jit_augmentation_on_jax
    from dlwp_suite.protocols.base import fresh_model

    experiment = get(ch07.EXPERIMENT)
    case = experiment.case("2e", "smoke")
    images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype="uint8")
    model = fresh_model(case, TaskData(images, np.zeros(8), None, None, "none"), 0)
    jit_augmentation_on_jax(model)
    on_jax = keras.backend.backend() == "jax"
    assert bool(model.jit_compile) == on_jax
    if on_jax:
        seeds = [v for v in model.non_trainable_variables if "seed_generator" in v.path]
        before = [np.asarray(v.value).copy() for v in seeds]
        model.fit(images, np.zeros(8), batch_size=4, epochs=1, verbose=0)
        assert all(
            not np.array_equal(np.asarray(v.value), b) for v, b in zip(seeds, before, strict=True)
        )


def test_the_frozen_phase_of_a_fine_tuned_case_is_trained_once(mobilenet_mirror, monkeypatch):
    """The augmented case is exactly the fine-tuned case's first phase: after the
    fine-tuned case, the same seed's augmented result is that phase, not a new model."""
    from dlwp_suite.protocols import PROTOCOLS, fit_evaluate

    quick = ch05.MOBILENET_TRANSFER.case("finetune", "quick")
    assert fit_evaluate._head_twin(quick).variant == "augmented"
    smoke = ch05.MOBILENET_TRANSFER.case("finetune", "smoke")
    assert fit_evaluate._head_twin(smoke) is None  # smoke declares no augmented case
    frozen_only = {**smoke.params, "finetune": False}
    twin = dataclasses.replace(smoke, variant="augmented", params=frozen_only)
    monkeypatch.setattr(fit_evaluate, "_head_twin", lambda case: twin)
    data = ch05.MOBILENET_TRANSFER.load_data(mobilenet_mirror, smoke.params)
    protocol = PROTOCOLS["fit_evaluate"]
    tuned = protocol.run(smoke, data, 3)
    built = []
    fresh = fit_evaluate.fresh_model
    monkeypatch.setattr(fit_evaluate, "fresh_model", lambda *a: built.append(a) or fresh(*a))
    head = protocol.run(twin, data, 3)
    assert not built and head.details["reused"] == f"the first phase of {smoke.id}"
    assert head.metrics["best_val_accuracy"] == tuned.metrics["head_best_val_accuracy"]
    assert head.history["val_accuracy"] == tuned.history["head_val_accuracy"]
    assert {"test_accuracy", "param_count"} <= set(head.metrics)
    assert not any(k.startswith("head_test") for k in tuned.metrics)
    assert protocol.run(twin, data, 4).details.get("reused") is None and len(built) == 1


def test_the_mnist_convnet_takes_the_dense_networks_baselines(data_config: DataConfig):
    """Declared shared, fitted once: the two networks' baselines see the same inputs
    and the same held-out slice in every profile."""
    synthetic.write_mnist(data_config.data_dir)
    data = mnist.load(data_config)
    dense, convnet = get("ch05.mnist.dense"), get("ch05.mnist.convnet")
    assert convnet.baselines_of == dense.id
    for profile in ("smoke", "quick", "book"):
        a, b = dense.cases(profile)[0].params, convnet.cases(profile)[0].params
        assert a["validation_size"] == b["validation_size"]  # the baselines' validation
        ours, theirs = convnet.baseline_inputs(b, data), dense.baseline_inputs(a, data)
        for split in ("x_train", "y_train", "x_test", "y_test"):
            np.testing.assert_array_equal(getattr(ours, split), getattr(theirs, split))
