"""The 1st edition's ``ImageDataGenerator`` augmentation, as a backend-neutral batch stream.

1e notebook 5.2 (listings 5.11-5.14) trains on ``ImageDataGenerator(rotation_range=40,
width_shift_range=0.2, height_shift_range=0.2, shear_range=0.2, zoom_range=0.2,
horizontal_flip=True)`` (``fill_mode='nearest'``) with Keras 2.0.8. That release's
transform is reproduced here exactly, because no Keras the suite supports still has it:

- Keras 2.0.8 reads ``shear_range`` in **radians** (0.2 rad = 11.5 degrees); since Keras
  2.2.0 (commit 08c873669f, 2018) it is read in degrees, so ``shear_range=0.2`` today shears
  by at most 0.2 degrees;
- Keras 2.0.8 samples the transformed image with nearest-neighbour interpolation
  (scipy ``affine_transform(order=0)``, edge pixels repeated); later releases use order 1;
- it centres the transform at ``(h / 2 + 0.5, w / 2 + 0.5)`` (later: ``- 0.5``) and applies
  the matrix to (row, column) coordinates (later releases swap the axes);
- Keras 3 no longer exports ``ImageDataGenerator`` from ``keras.preprocessing.image``
  (only from the private ``keras.src.legacy`` and the ``tf.keras`` compatibility tree).

Per image, as 2.0.8's ``random_transform``: a rotation ``theta ~ U(±rotation_degrees)``,
shifts ``U(±shift)`` x height (rows) and x width (columns), a shear ``U(±shear)`` radians,
zooms ``zx, zy ~ U(1 - zoom, 1 + zoom)`` independently per axis, composed as
``rotation @ shift @ shear @ zoom`` around the centre and sampled nearest-neighbour with
edge pixels repeated; then a horizontal flip with probability 1/2. Every output pixel is
an input pixel, so uint8 images stay uint8 (the model's ``Rescaling(1/255)`` scales them,
as the generator's ``rescale=1./255`` did). The per-image scipy call of the original is
replaced by one vectorised gather per batch (``tests/test_augmentation.py`` checks that
it equals scipy's ``affine_transform(order=0, mode='nearest')``).

The batch stream follows 2.0.8's ``Iterator``: a fresh permutation per pass over the
data, batches of ``batch_size``, the pass's last batch holding what is left (2,000 images
in batches of 32: 62 batches of 32, then one of 16), on without end, so that
``model.fit(stream, steps_per_epoch=100, epochs=...)`` runs the book's protocol
(``fit_generator(steps_per_epoch=100)``: 3,200 images per epoch).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

import numpy as np

#: 1e listing 5.11's generator; ``shear`` in radians, as Keras 2.0.8 read ``shear_range``.
BOOK_GENERATOR: Mapping[str, float | bool] = MappingProxyType(
    {
        "rotation_degrees": 40.0,
        "shift": 0.2,
        "shear": 0.2,
        "zoom": 0.2,
        "horizontal_flip": True,
    }
)
#: 1e listing 5.14: ``fit_generator(train_generator, steps_per_epoch=100, epochs=100)``.
BOOK_STEPS_PER_EPOCH = 100
BOOK_BATCH_SIZE = 32

_NEUTRAL: Mapping[str, float | bool] = MappingProxyType(
    {"rotation_degrees": 0.0, "shift": 0.0, "shear": 0.0, "zoom": 0.0, "horizontal_flip": False}
)


def _checked(settings: Mapping) -> dict[str, float | bool]:
    unknown = set(settings) - set(_NEUTRAL)
    if unknown:
        raise ValueError(
            f"unknown augmentation settings {sorted(unknown)}; known: {list(_NEUTRAL)}"
        )
    return {**_NEUTRAL, **settings}


def random_matrices(
    rng: np.random.Generator, count: int, height: int, width: int, settings: Mapping
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``count`` transforms as Keras 2.0.8's ``ImageDataGenerator.random_transform``.

    Returns ``(matrices, flips)``: ``(count, 3, 3)`` homogeneous matrices that map an
    output pixel's (row, column) to the input position it samples (the centre offset
    included), and ``(count,)`` booleans, True where the image is then flipped left-right.
    """
    s = _checked(settings)
    theta = np.deg2rad(rng.uniform(-1, 1, count) * s["rotation_degrees"])
    tx = rng.uniform(-1, 1, count) * s["shift"] * height
    ty = rng.uniform(-1, 1, count) * s["shift"] * width
    shear = rng.uniform(-1, 1, count) * s["shear"]
    zx, zy = rng.uniform(1 - s["zoom"], 1 + s["zoom"], (2, count))
    flips = (rng.random(count) < 0.5) & bool(s["horizontal_flip"])

    def matrix(entries: dict[tuple[int, int], np.ndarray | float]) -> np.ndarray:
        out = np.zeros((count, 3, 3))
        out[:, 2, 2] = 1.0
        for (i, j), value in entries.items():
            out[:, i, j] = value
        return out

    cos, sin = np.cos(theta), np.sin(theta)
    rotation = matrix({(0, 0): cos, (0, 1): -sin, (1, 0): sin, (1, 1): cos})
    shift = matrix({(0, 0): 1.0, (1, 1): 1.0, (0, 2): tx, (1, 2): ty})
    shearing = matrix({(0, 0): 1.0, (0, 1): -np.sin(shear), (1, 1): np.cos(shear)})
    zoom = matrix({(0, 0): zx, (1, 1): zy})
    matrices = rotation @ shift @ shearing @ zoom
    o_x, o_y = height / 2 + 0.5, width / 2 + 0.5  # 2.0.8's transform_matrix_offset_center
    offset = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return offset @ matrices @ reset, flips


def apply_matrices(images: np.ndarray, matrices: np.ndarray, flips: np.ndarray) -> np.ndarray:
    """Resample NHWC ``images`` through ``matrices``, then flip where ``flips``.

    Nearest-neighbour sampling with edge pixels repeated: for each image the same result
    as scipy ``affine_transform(channel, matrix[:2, :2], matrix[:2, 2], order=0,
    mode='nearest')`` on every channel, followed by a left-right flip (Keras 2.0.8).
    """
    count, height, width = images.shape[:3]
    rows = np.arange(height, dtype=np.float64)[None, :, None]
    cols = np.arange(width, dtype=np.float64)[None, None, :]
    # The flip comes after the transform: output column j samples transformed column w-1-j.
    cols = np.where(flips[:, None, None], width - 1 - cols, cols)
    m = matrices[:, :2, :, None, None]
    src_rows = m[:, 0, 0] * rows + (m[:, 0, 1] * cols + m[:, 0, 2])
    src_cols = m[:, 1, 0] * rows + (m[:, 1, 1] * cols + m[:, 1, 2])
    # scipy's order-0 spline rounds half up; 'nearest' mode clamps to the edge.
    r = np.clip(np.floor(src_rows + 0.5), 0, height - 1).astype(np.intp)
    c = np.clip(np.floor(src_cols + 0.5), 0, width - 1).astype(np.intp)
    flat = (np.arange(count)[:, None, None] * height + r) * width + c
    pixels = images.reshape(count * height * width, *images.shape[3:])
    return np.take(pixels, flat, axis=0)


def augment(images: np.ndarray, settings: Mapping, rng: np.random.Generator) -> np.ndarray:
    """One random 1e transform per image of an NHWC batch; same dtype and values as input."""
    matrices, flips = random_matrices(rng, len(images), *images.shape[1:3], settings)
    return apply_matrices(images, matrices, flips)


def book_generator(
    x: np.ndarray,
    y: np.ndarray,
    settings: Mapping = BOOK_GENERATOR,
    batch_size: int = BOOK_BATCH_SIZE,
    seed: int = 0,
    shuffle: bool = True,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Endless ``(images, labels)`` batches of ``x`` augmented as the 1e generator did.

    ``x``: NHWC images (uint8 in the suite), yielded with the same dtype and values drawn
    from the input's; ``y``: labels, yielded as given. Passes over the data as Keras 2.0.8's
    ``Iterator`` (a new permutation per pass unless ``shuffle`` is False, the last batch of
    a pass holding the remainder). The same ``seed`` gives the same stream.
    Use as ``model.fit(book_generator(...), steps_per_epoch=BOOK_STEPS_PER_EPOCH, ...)``.
    """
    if x.ndim != 4 or len(x) != len(y):
        raise ValueError(f"need NHWC images and one label each, got {x.shape} and {y.shape}")
    if batch_size < 1 or len(x) == 0:
        raise ValueError("need a positive batch size and at least one image")
    _checked(settings)
    rng = np.random.default_rng(seed)

    def batches() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        while True:
            order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
            for start in range(0, len(x), batch_size):
                picked = order[start : start + batch_size]
                yield augment(x[picked], settings, rng), y[picked]

    return batches()
