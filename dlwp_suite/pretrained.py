"""ImageNet conv bases from ``keras.applications``, loaded from verified local weights.

The weights file is located like a dataset (mirror, then the Keras cache's ``models/``,
then a download unless offline) and handed to ``keras.applications`` as a path, so
Keras never tries to download it when a local copy exists.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from dlwp_suite.cache import cached_arrays
from dlwp_suite.datafiles import DataConfig, DatasetFile, ResolvedFile, locate

_APPLICATIONS = "https://storage.googleapis.com/tensorflow/keras-applications/"
CAFFE_MEANS = np.array([103.939, 116.779, 123.68], dtype="float32")  # BGR, VGG's ImageNet


@dataclass(frozen=True)
class ConvBase:
    """A pretrained conv base: its constructor, weights file, input scaling, top block.

    ``scale``/``offset`` map 0-255 pixels to the base's input range (``None`` means
    the base's own ``preprocess_input``, for VGG16's caffe mode); ``top_block`` is the
    first layer that fine-tuning unfreezes.
    """

    name: str
    application: str
    weights: DatasetFile
    top_block: str
    options: tuple[tuple[str, float], ...] = ()
    scale: float | None = 1 / 127.5
    offset: float = -1.0

    def build(self, input_shape: tuple[int, ...], weights: Path) -> keras.Model:
        """The base without its classifier, with the ImageNet weights from ``weights``."""
        constructor = getattr(keras.applications, self.application)
        return constructor(
            include_top=False, weights=str(weights), input_shape=input_shape, **dict(self.options)
        )

    def preprocess(self, pixels):
        """Map 0-255 float pixels to what the base was trained on."""
        if self.scale is None:
            return keras.applications.vgg16.preprocess_input(pixels)
        return keras.layers.Rescaling(self.scale, self.offset)(pixels)

    def to_input(self, pixels: np.ndarray) -> np.ndarray:
        """:meth:`preprocess` in numpy: 0-255 RGB pixels to the base's input space."""
        pixels = pixels.astype("float32")
        if self.scale is None:  # caffe: BGR, ImageNet's channel means subtracted
            return pixels[..., ::-1] - CAFFE_MEANS
        return pixels * self.scale + self.offset

    def to_pixels(self, x: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`to_input`, clipped to 0-255 (the books' deprocessing)."""
        pixels = (
            (x + CAFFE_MEANS)[..., ::-1] if self.scale is None else (x - self.offset) / self.scale
        )
        return np.clip(pixels, 0, 255)

    def layer_outputs(self, weights: Path, names: Sequence[str]) -> keras.Model:
        """The base on images of any size, with the outputs of the layers ``names``."""
        base = self.build((None, None, 3), weights)
        return keras.Model(base.input, [base.get_layer(name).output for name in names])


BASES = {
    base.name: base
    for base in (
        ConvBase(
            "vgg16",
            "VGG16",
            DatasetFile(
                "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                f"{_APPLICATIONS}vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                "md5:6d6bbae143d832006294945121d1f1fc",
                "models",
            ),
            top_block="block5_conv1",
            scale=None,
        ),
        ConvBase(
            "xception",
            "Xception",
            DatasetFile(
                "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
                f"{_APPLICATIONS}xception/xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
                "md5:b0042744bf5b25fce3cb969f33bebb97",
                "models",
            ),
            top_block="block14_sepconv1",
        ),
        # The networks of 1e 8.2 (DeepDream) and 8.3 (neural style transfer).
        ConvBase(
            "inception_v3",
            "InceptionV3",
            DatasetFile(
                "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                f"{_APPLICATIONS}inception_v3/"
                "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                "md5:bcbd6486424b2319ff4ef7d526e38f63",
                "models",
            ),
            top_block="mixed9",
        ),
        ConvBase(
            "vgg19",
            "VGG19",
            DatasetFile(
                "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                f"{_APPLICATIONS}vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                "md5:253f8cb515780f3b799900260a226db6",
                "models",
            ),
            top_block="block5_conv1",
            scale=None,
        ),
        ConvBase(
            "mobilenet",
            "MobileNet",
            # Keras publishes no hash for this file: a mirror manifest must vouch for it.
            DatasetFile(
                "mobilenet_2_5_224_tf_no_top.h5",
                f"{_APPLICATIONS}mobilenet/mobilenet_2_5_224_tf_no_top.h5",
                None,
                "models",
            ),
            top_block="conv_dw_13",
            options=(("alpha", 0.25),),
        ),
    )
}


def locate_weights(base: ConvBase, config: DataConfig) -> ResolvedFile:
    """The verified weights file of ``base`` (raises the dataset errors)."""
    return locate(base.weights, config)


def frozen_features(
    base: ConvBase,
    weights: ResolvedFile,
    splits: dict[str, np.ndarray],
    dataset_hash: str,
    cache_dir: Path,
    batch_size: int = 64,
) -> tuple[dict[str, np.ndarray], dict[str, float | bool]]:
    """The base's output for each split, cached per (base weights, input size, dataset).

    Returns the features and timings: the extraction pass's images/s, or that the
    features came from the cache (then nothing was timed).
    """
    shape = next(iter(splits.values())).shape[1:]

    def extract() -> dict[str, np.ndarray]:
        pixels = keras.Input(shape=shape)
        extractor = keras.Model(pixels, base.build(shape, weights.path)(base.preprocess(pixels)))
        extractor.predict(splits[next(iter(splits))][:batch_size], verbose=0)  # warm-up
        started = time.perf_counter()
        out = {
            name: extractor.predict(x.astype("float32"), batch_size=batch_size, verbose=0)
            for name, x in splits.items()
        }
        images = sum(len(x) for x in splits.values())
        out["_images_per_s"] = np.asarray(images / (time.perf_counter() - started))
        return out

    parts = {
        "base": base.name,
        "weights": [weights.sha256, weights.verification],
        "shape": shape,
        "data": dataset_hash,
    }
    arrays, from_cache = cached_arrays(cache_dir / "features", base.name, parts, extract)
    timings: dict[str, float | bool] = {"features_from_cache": from_cache}
    if not from_cache:
        timings["feature_extraction_images_per_s"] = float(arrays["_images_per_s"])
    return {k: v for k, v in arrays.items() if not k.startswith("_")}, timings
