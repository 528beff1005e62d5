"""The 1st edition's generator augmentation (Keras 2.0.8 ``ImageDataGenerator``), on tiny images."""

import itertools

import numpy as np
import pytest
import scipy.ndimage

from dlwp_suite import augmentation
from dlwp_suite.augmentation import (
    BOOK_GENERATOR,
    apply_matrices,
    augment,
    book_generator,
    random_matrices,
)

ONLY = {
    "rotation": {"rotation_degrees": 40},
    "shift": {"shift": 0.2},
    "shear": {"shear": 0.2},
    "zoom": {"zoom": 0.2},
    "flip": {"horizontal_flip": True},
}


def images(count: int = 24, height: int = 9, width: int = 11, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, height, width, 3), dtype=np.uint8)


class Extremes:
    """A stand-in generator that draws every uniform at its upper end and never flips."""

    def uniform(self, low, high, size):
        return np.full(size, high, dtype=float)

    def random(self, size):
        return np.ones(size)


def test_zero_settings_are_the_identity():
    x = images()
    np.testing.assert_array_equal(augment(x, {}, np.random.default_rng(0)), x)


@pytest.mark.parametrize("name", ONLY)
def test_each_transform_alone_changes_images(name):
    x = images(count=32)
    out = augment(x, ONLY[name], np.random.default_rng(1))
    assert out.shape == x.shape and out.dtype == np.uint8
    changed = (out != x).any(axis=(1, 2, 3))
    assert changed.sum() >= 8, f"{name} changed only {changed.sum()} of 32 images"


def test_flip_only_flips_left_right_about_half_the_time():
    x = images(count=64)
    out = augment(x, ONLY["flip"], np.random.default_rng(2))
    flipped = [(o == i[:, ::-1]).all() for o, i in zip(out, x, strict=True)]
    unchanged = [(o == i).all() for o, i in zip(out, x, strict=True)]
    assert all(f or u for f, u in zip(flipped, unchanged, strict=True))
    assert 16 <= sum(flipped) <= 48


def test_draws_stay_in_the_book_ranges():
    rng = np.random.default_rng(3)
    m, _ = random_matrices(rng, 500, 150, 150, ONLY["rotation"])
    theta = np.degrees(np.arctan2(m[:, 1, 0], m[:, 0, 0]))
    assert np.abs(theta).max() <= 40 and np.abs(theta).max() > 35
    m, _ = random_matrices(rng, 500, 150, 100, ONLY["shift"])
    np.testing.assert_array_equal(m[:, :2, :2], np.broadcast_to(np.eye(2), (500, 2, 2)))
    assert np.abs(m[:, 0, 2]).max() <= 30 and np.abs(m[:, 0, 2]).max() > 25  # rows: 0.2 x 150
    assert np.abs(m[:, 1, 2]).max() <= 20 and np.abs(m[:, 1, 2]).max() > 15  # cols: 0.2 x 100
    m, _ = random_matrices(rng, 500, 150, 150, ONLY["zoom"])
    zooms = np.concatenate([m[:, 0, 0], m[:, 1, 1]])
    assert zooms.min() >= 0.8 and zooms.max() <= 1.2 and np.ptp(zooms) > 0.35


def test_shear_is_in_radians_as_keras_2_0_8_read_it():
    # 2.0.8: shear_matrix [[1, -sin(s), 0], [0, cos(s), 0]] with s = shear_range in radians
    # (Keras >= 2.2 converts degrees), applied to (row, column) coordinates.
    m, flips = random_matrices(Extremes(), 1, 8, 8, ONLY["shear"])
    np.testing.assert_allclose(m[0, :2, :2], [[1, -np.sin(0.2)], [0, np.cos(0.2)]])
    assert not flips.any()


def test_rotation_centre_is_keras_2_0_8s():
    # 2.0.8's transform_matrix_offset_center puts the centre at (h/2 + 0.5, w/2 + 0.5): a
    # half turn maps output (i, j) to input (h + 1 - i, w + 1 - j), edges repeated.
    x = images(count=1, height=6, width=8)
    m, flips = random_matrices(Extremes(), 1, 6, 8, {"rotation_degrees": 180})
    out = apply_matrices(x, m, flips)[0]
    rows = np.clip(6 + 1 - np.arange(6), 0, 5)
    cols = np.clip(8 + 1 - np.arange(8), 0, 7)
    np.testing.assert_array_equal(out, x[0][np.ix_(rows, cols)])


def test_sampling_equals_scipy_nearest_as_keras_2_0_8():
    x = images(count=40, height=13, width=10)
    m, flips = random_matrices(np.random.default_rng(4), len(x), 13, 10, BOOK_GENERATOR)
    ours = apply_matrices(x, m, flips)
    for image, matrix, flip, got in zip(x, m, flips, ours, strict=True):
        channels = [
            scipy.ndimage.affine_transform(
                image[..., c], matrix[:2, :2], matrix[:2, 2], order=0, mode="nearest"
            )
            for c in range(3)
        ]
        expected = np.stack(channels, axis=-1)
        np.testing.assert_array_equal(got, expected[:, ::-1] if flip else expected)


def test_values_stay_in_range_and_come_from_the_image():
    x = np.random.default_rng(5).uniform(0, 255, (16, 9, 9, 3)).astype("float32")
    out = augment(x, BOOK_GENERATOR, np.random.default_rng(6))
    assert out.dtype == np.float32 and out.min() >= 0 and out.max() <= 255
    for o, i in zip(out, x, strict=True):
        assert np.isin(o, i).all()


def test_stream_passes_over_the_data_like_the_1e_iterator():
    x, y = images(count=10), np.arange(10)
    stream = book_generator(x, y, {}, batch_size=4, seed=0)
    batches = list(itertools.islice(stream, 6))
    assert [len(b[1]) for b in batches] == [4, 4, 2, 4, 4, 2]
    for first, second in ((0, 3), (3, 6)):
        labels = np.concatenate([b[1] for b in batches[first:second]])
        assert sorted(labels) == list(range(10))
    for bx, by in batches:
        assert bx.dtype == np.uint8 and bx.shape[1:] == x.shape[1:]
        np.testing.assert_array_equal(bx, x[by])  # zero settings: labels follow their images


def test_stream_is_reproducible_per_seed():
    x, y = images(count=20), np.arange(20)

    def first(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
        return list(itertools.islice(book_generator(x, y, BOOK_GENERATOR, 8, seed), 5))

    for (ax, ay), (bx, by) in zip(first(7), first(7), strict=True):
        np.testing.assert_array_equal(ax, bx)
        np.testing.assert_array_equal(ay, by)
    assert any(not np.array_equal(a[0], b[0]) for a, b in zip(first(7), first(8), strict=True))


def test_rejects_unknown_settings_and_bad_input():
    with pytest.raises(ValueError, match="shear_range"):
        book_generator(images(), np.zeros(24), {"shear_range": 0.2}, 8, 0)
    with pytest.raises(ValueError, match="NHWC"):
        book_generator(images()[0], np.zeros(9), {}, 8, 0)


def test_feeds_model_fit_with_book_steps_per_epoch():
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    x, y = images(count=10, height=8, width=8), np.arange(10) % 2
    inputs = keras.Input((8, 8, 3), dtype="uint8")
    h = keras.layers.Rescaling(1 / 255)(inputs)
    outputs = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(h))
    model = keras.Model(inputs, outputs)
    model.compile("rmsprop", "binary_crossentropy", metrics=["accuracy"])
    # 4 steps of 4 per epoch cross a pass of 10 images: batches of 4, 4, 2, 4, ...
    stream = book_generator(x, y.astype("float32"), BOOK_GENERATOR, 4, 0)
    history = model.fit(stream, steps_per_epoch=4, epochs=2, validation_data=(x, y), verbose=0)
    assert len(history.history["loss"]) == 2
    assert augmentation.BOOK_STEPS_PER_EPOCH * augmentation.BOOK_BATCH_SIZE == 3200
