"""Dogs vs cats in the book's layout, decoded once into uint8 arrays per image size.

Sources, first found wins:
1. ``cats_and_dogs_small/{train,validation,test}/{cats,dogs}/`` in the mirror; files the
   mirror's ``SHA256SUMS`` lists must match it;
2. that layout built from Kaggle's ``train.zip`` the way the book does (2e split: train
   N=0-999, validation 1000-1499, test 1500-2499 per class), under the derived cache;
3. TensorFlow's ``cats_and_dogs_filtered.zip`` (train and validation only: the record
   says there is no test split).

Images are decoded with ``keras.utils.load_img`` (Pillow, bilinear resize without keeping
the aspect ratio, as the book's loaders do), which runs on every Keras backend. A file
that fails to decode or fails the manifest is skipped, named in a warning and in the
record's notes, as are images the manifest lists but the folder lacks. The decoded
splits are cached per (file hashes, the manifest and its verdicts, image size), so a
change in verification never reaches a model through the cache.
"""

from __future__ import annotations

import hashlib
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlwp_suite.cache import cached_arrays
from dlwp_suite.datafiles import (
    MANIFEST_NAME,
    DataConfig,
    DatasetFile,
    ResolvedFile,
    file_digest,
    is_present,
    locate,
    mirror_manifest,
)
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.errors import DatasetUnavailable

LAYOUT = "cats_and_dogs_small"
SPLITS = ("train", "validation", "test")
CLASSES = ("cats", "dogs")  # label 0 and 1, alphabetical as image_dataset_from_directory
KAGGLE_TRAIN_ZIP = DatasetFile(
    "train.zip", "https://www.kaggle.com/c/dogs-vs-cats/data (sign-in needed)", None
)
FILTERED_ZIP = DatasetFile(
    "cats_and_dogs_filtered.zip",
    "https://storage.googleapis.com/mlb_datasets/cats_and_dogs_filtered.zip",
    None,
)
BOOK_SPLIT = {"train": range(0, 1000), "validation": range(1000, 1500), "test": range(1500, 2500)}


def _build_from_kaggle(archive: Path, target: Path) -> None:
    """Copy the book's subset out of Kaggle's ``train.zip`` (1e listing 5.4, 2e split)."""
    with zipfile.ZipFile(archive) as zipped:
        for split, numbers in BOOK_SPLIT.items():
            for folder in CLASSES:
                out = target / split / folder
                out.mkdir(parents=True, exist_ok=True)
                for n in numbers:
                    name = f"{folder[:-1]}.{n}.jpg"
                    (out / name).write_bytes(zipped.read(f"train/{name}"))


def _extract(archive: Path, target: Path) -> Path:
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(target)
    return target / "cats_and_dogs_filtered"


def find_layout(config: DataConfig) -> tuple[Path, list[ResolvedFile], str]:
    """The directory holding the book's layout, the archive it came from, and its name."""
    if config.data_dir is not None and (config.data_dir / LAYOUT).is_dir():
        return config.data_dir / LAYOUT, [], f"{LAYOUT}/"
    built = config.derived / "images" / LAYOUT
    for spec, source in ((KAGGLE_TRAIN_ZIP, "Kaggle train.zip"), (FILTERED_ZIP, None)):
        if not is_present(spec, config):
            continue
        archive = locate(spec, config)
        if source is not None:
            if not (built / "test").is_dir():
                _build_from_kaggle(archive.path, built)
            return built, [archive], f"{LAYOUT}/ built from {source}"
        return _extract(archive.path, config.derived / "images"), [archive], spec.name
    raise DatasetUnavailable(
        f"no dogs-vs-cats images: looked for {LAYOUT}/ in the mirror "
        f"({config.data_dir or 'none given'}) and for {KAGGLE_TRAIN_ZIP.name} or "
        f"{FILTERED_ZIP.name} in the mirror or {config.keras_cache(FILTERED_ZIP).parent}. "
        f"Put the book's {LAYOUT}/ folder or Kaggle's train.zip in DLWP_DATA_DIR "
        f"(download: {KAGGLE_TRAIN_ZIP.origin}), or fetch {FILTERED_ZIP.origin}."
    )


def _image_files(root: Path, split: str) -> Iterator[tuple[Path, int]]:
    for label, folder in enumerate(CLASSES):
        for path in sorted((root / split / folder).glob("*")):
            if path.is_file():
                yield path, label


@dataclass(frozen=True)
class FolderCheck:
    """The image folder against the manifest of the directory holding it."""

    sha256: str  # over the relative name and sha256 of every image a model may see
    images: int
    manifest_sha256: str | None  # None: no manifest there
    failing: tuple[str, ...]  # listed with another hash: never decoded
    unlisted: int  # present, not listed: recorded, unvouched
    missing: int  # listed, not present
    listed: int

    @property
    def vouched_by(self) -> str:
        """How the images the model sees were vouched for, as the record says it."""
        if self.manifest_sha256 is None:
            return f"no manifest: per-file sha256 recorded, unvouched ({self.images} images)"
        vouched = self.images - len(self.failing) - self.unlisted
        text = f"mirror {MANIFEST_NAME}, per file ({vouched} of {self.images} images"
        return text + (f"; {self.unlisted} not listed, unvouched)" if self.unlisted else ")")

    @property
    def notes(self) -> list[str]:
        """What departs from the manifest, for the record and a warning."""
        notes = []
        if self.missing:
            notes.append(
                f"{self.missing} of the {self.listed} images {MANIFEST_NAME} lists under "
                f"{LAYOUT}/ are missing"
            )
        if self.unlisted:
            notes.append(f"{self.unlisted} image(s) not listed in {MANIFEST_NAME} (unvouched)")
        return notes


def check_folder(root: Path, splits: list[str]) -> FolderCheck:
    """Hash every image and check it against the manifest beside the layout, if any."""
    manifest_path = root.parent / MANIFEST_NAME
    manifest = mirror_manifest(root.parent)
    digest, failing, present = hashlib.sha256(), [], set()
    for split in splits:
        for path, _ in _image_files(root, split):
            relative = path.relative_to(root.parent).as_posix()
            sha = file_digest(path, "sha256")
            present.add(relative)
            if relative in manifest and manifest[relative] != sha:
                failing.append(relative)
            else:
                digest.update(f"{relative} {sha}\n".encode())
    listed = {n for n in manifest if n.startswith(f"{LAYOUT}/")}
    return FolderCheck(
        sha256=digest.hexdigest(),
        images=len(present),
        manifest_sha256=file_digest(manifest_path, "sha256") if manifest_path.is_file() else None,
        failing=tuple(failing),
        unlisted=len(present - manifest.keys()) if manifest_path.is_file() else 0,
        missing=len(listed - present),
        listed=len(listed),
    )


def _decode(
    root: Path, split: str, size: int, exclude: set[str]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    import keras

    images, labels, unreadable = [], [], []
    for path, label in _image_files(root, split):
        relative = path.relative_to(root.parent).as_posix()
        if relative in exclude:
            continue
        try:
            image = keras.utils.load_img(path, target_size=(size, size), interpolation="bilinear")
        except Exception as error:  # Pillow raises several types for broken files
            unreadable.append(f"{relative} ({type(error).__name__})")
            continue
        images.append(np.asarray(image, dtype=np.uint8))
        labels.append(label)
    shape = (0, size, size, 3)
    x = np.stack(images) if images else np.zeros(shape, np.uint8)
    return x, np.asarray(labels, dtype=np.int64), unreadable


def _layout_file(config: DataConfig, root: Path, folder: FolderCheck) -> ResolvedFile:
    """The image folder as a verified file of the record: where it was found, its hash."""
    in_mirror = config.data_dir is not None and root.parent == config.data_dir
    return ResolvedFile(
        root, "mirror" if in_mirror else "derived-cache", folder.sha256, folder.vouched_by
    )


def load_images(config: DataConfig, size: int) -> TaskData:
    """Train, validation and (where present) test images at ``size`` x ``size``, uint8."""
    root, archives, source = find_layout(config)
    splits = [s for s in SPLITS if (root / s).is_dir()]
    if "train" not in splits or "validation" not in splits:
        raise DatasetUnavailable(f"{root} lacks train/ or validation/ (found {splits})")
    folder = check_folder(root, splits)
    skipped = [f"{name} (fails {MANIFEST_NAME})" for name in folder.failing]

    def build() -> dict[str, np.ndarray]:
        arrays: dict[str, np.ndarray] = {}
        for split in splits:
            x, y, unreadable = _decode(root, split, size, set(folder.failing))
            arrays[f"x_{split}"], arrays[f"y_{split}"] = x, y
            arrays[f"unreadable_{split}"] = np.asarray(unreadable, dtype=str)
        return arrays

    # The verification state is part of the key: a manifest that now fails (or no longer
    # lists) an image changes which images a model may see, so the decoded arrays too.
    parts = {
        "dataset": folder.sha256,
        "manifest": folder.manifest_sha256,
        "excluded": sorted(folder.failing),
        "size": size,
        "decoder": "load_img-bilinear",
    }
    arrays, from_cache = cached_arrays(config.derived / "images", "dogs_vs_cats", parts, build)
    for split in splits:
        skipped += [str(name) for name in arrays[f"unreadable_{split}"]]
    notes = [f"skipped {len(skipped)} unreadable file(s): {', '.join(skipped)}"] if skipped else []
    notes += folder.notes
    for note in notes:
        warnings.warn(f"dogs vs cats: {note}", stacklevel=2)
    if "test" not in splits:
        notes.append("no test split in this source: test metrics are not measured")
    layout_file = _layout_file(config, root, folder)
    return TaskData(
        arrays["x_train"],
        arrays["y_train"],
        arrays.get("x_test"),
        arrays.get("y_test"),
        source=source,
        files=[*archives, layout_file],
        from_cache=from_cache,
        x_val=arrays["x_validation"],
        y_val=arrays["y_validation"],
        notes=notes,
    )


def load_photos(config: DataConfig, count: int, size: int) -> TaskData:
    """The first ``count`` verified test photos, cats and dogs in turn, at ``size`` x
    ``size``, as ``x_test`` (no labels, no training split): the photographs that input-
    optimisation experiments (DeepDream, style transfer) start from."""
    root, archives, source = find_layout(config)
    folder = check_folder(root, ["test"])
    files = {label: [] for label in range(len(CLASSES))}
    for path, label in _image_files(root, "test"):
        if path.relative_to(root.parent).as_posix() not in folder.failing:
            files[label].append(path)
    chosen = [path for pair in zip(*files.values(), strict=False) for path in pair][:count]
    if len(chosen) < count:
        raise DatasetUnavailable(f"{root}/test holds {len(chosen)} verified photos, not {count}")
    import keras

    photos = np.stack(
        [
            np.asarray(keras.utils.load_img(path, target_size=(size, size)), dtype=np.uint8)
            for path in chosen
        ]
    )
    layout_file = _layout_file(config, root, folder)
    return TaskData(
        np.zeros((0, size, size, 3), np.uint8),
        np.zeros(0, np.int64),
        photos,
        None,
        source=f"{source} test photos: {', '.join(p.name for p in chosen)}",
        files=[*archives, layout_file],
        notes=folder.notes,
    )
