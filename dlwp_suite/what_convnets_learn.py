"""Chapter 5.4's three views of what a convnet learned (1e 5.4, 2e 9.4): intermediate
activations, filter patterns by gradient ascent, and Grad-CAM class heatmaps, with the
randomisation check of Adebayo et al. (2018, "Sanity checks for saliency maps").

The suite's dogs-vs-cats models are chains of layers (pixels, rescaling, convolutions or
a pretrained base, a dense head), so each view runs the chain layer by layer from float
pixels and takes gradients with the backend's own autodiff
(``compat.value_and_gradient``): the same code on TensorFlow, JAX, torch and Keras 2.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from scipy.stats import spearmanr

from dlwp_suite.compat import constant, math_ops, to_numpy, value_and_gradient

# 1e listings 5.38-5.40: 40 steps of 1 on a grey image with a little noise (pixels 0-255).
ASCENT_STEPS = 40
ASCENT_STEP = 1.0


def chain(model: keras.Model) -> list[keras.layers.Layer]:
    """The layers a chain model applies to its input, in order."""
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def apply(layers: Sequence[keras.layers.Layer], x):
    """``x`` through ``layers`` in inference mode."""
    for layer in layers:
        x = layer(x, training=False)
    return x


def conv_indices(layers: Sequence[keras.layers.Layer]) -> list[int]:
    """Where the chain's own convolution layers are (not those inside a nested base)."""
    return [i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Conv2D)]


def last_feature_map(layers: Sequence[keras.layers.Layer]) -> int:
    """The layer Grad-CAM reads: the last convolution, or a pretrained base (MobileNet's
    output is its last convolution's activation, as VGG16's block5_conv3 in 1e 5.4.3;
    VGG16's own no-top output is the pooling after it, at half the resolution)."""
    found = [
        i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Conv2D | keras.Model)
    ]
    if not found:
        raise ValueError("the model has no convolution for Grad-CAM to read")
    return found[-1]


def activations(
    layers: Sequence[keras.layers.Layer], images: np.ndarray, indices: Sequence[int]
) -> dict[int, np.ndarray]:
    """The outputs of the layers at ``indices`` on ``images`` (1e listing 5.27)."""
    outputs: dict[int, np.ndarray] = {}
    x = images.astype("float32")
    for i, layer in enumerate(layers[: max(indices) + 1]):
        x = layer(x, training=False)
        if i in indices:
            outputs[i] = to_numpy(x)
    return outputs


def blank_share(maps: np.ndarray) -> float:
    """The share of (image, channel) activation maps that are zero everywhere: the book's
    "blank" filters, more of them the deeper the layer (1e 5.4.1)."""
    return float(np.mean(maps.max(axis=(1, 2)) <= 0))


def filter_ascent(
    layers: Sequence[keras.layers.Layer],
    layer_index: int,
    filters: Sequence[int],
    size: int,
    seed: int,
    steps: int = ASCENT_STEPS,
    step: float = ASCENT_STEP,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradient ascent on each filter's mean activation (1e listings 5.38-5.40), all
    filters at once: image i maximises filter ``filters[i]``, its gradient normalised by
    its root mean square as the book's.

    Returns the images, the mean activations before and after, and whether each filter
    had any gradient at the start (a filter silent on the grey image has none, and no
    ascent can start).
    """
    ops = math_ops()
    head = layers[: layer_index + 1]
    rng = np.random.default_rng(seed)
    x = (rng.random((len(filters), size, size, 3)) * 20 + 128).astype("float32")
    channels = to_numpy(apply(head, x[:1])).shape[-1]
    chosen = np.eye(channels, dtype="float32")[list(filters)]  # image i -> its filter
    selection = constant(chosen)

    def objective(images):
        return ops.sum(ops.mean(apply(head, images), axis=(1, 2)) * selection)

    def means(images: np.ndarray) -> np.ndarray:
        return (to_numpy(apply(head, images)).mean(axis=(1, 2)) * chosen).sum(axis=1)

    before = means(x)
    live = np.ones(len(filters), dtype=bool)
    for i in range(steps):
        _, grads = value_and_gradient(objective, x)
        rms = np.sqrt(np.mean(np.square(grads), axis=(1, 2, 3), keepdims=True))
        if i == 0:
            live = rms[:, 0, 0, 0] > 0
        x = x + step * grads / (rms + 1e-5)
    return x, before, means(x), live


def pattern_picture(image: np.ndarray) -> np.ndarray:
    """The book's ``deprocess_image``: centred, scaled to std 0.1 around 0.5, clipped."""
    centred = (image - image.mean()) / (image.std() + 1e-5)
    return np.clip(centred * 0.1 + 0.5, 0, 1)


def grad_cam(
    layers: Sequence[keras.layers.Layer], images: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Grad-CAM heatmaps (1e listing 5.42; Selvaraju et al. 2017) of a classifier ending
    in one sigmoid unit, for each image's predicted class, and its probability of the
    positive class.

    The class score is the unit's logit, signed for the predicted class (Selvaraju's
    pre-activation score: the probability's gradient is the logit's times p (1 - p),
    the same map once scaled, but exactly zero where float32 rounds p to 1). Its
    gradient at the last feature map, averaged over space, weights the map's channels;
    the weighted sum goes through a ReLU and is scaled to a maximum of 1 (all zero where
    no channel speaks for the class).
    """
    split = last_feature_map(layers)
    features = to_numpy(apply(layers[: split + 1], images.astype("float32")))
    tail, unit = layers[split + 1 : -1], layers[-1]
    probability = to_numpy(apply([*tail, unit], features))[:, 0]
    sign = constant(np.where(probability >= 0.5, 1.0, -1.0).astype("float32"))
    ops = math_ops()

    def score(f):
        logit = ops.matmul(apply(tail, f), unit.kernel)[:, 0] + unit.bias[0]
        return ops.sum(logit * sign)

    _, grads = value_and_gradient(score, features)
    weights = grads.mean(axis=(1, 2))
    cams = np.maximum(np.einsum("nhwc,nc->nhw", features, weights), 0.0)
    peak = cams.max(axis=(1, 2), keepdims=True)
    heatmaps = np.divide(cams, peak, out=np.zeros_like(cams), where=peak > 0)
    return heatmaps, probability


def shuffle_top(layers: Sequence[keras.layers.Layer], seed: int) -> None:
    """Randomise the layers above Grad-CAM's feature map (the classifier) in place, each
    weight tensor's values permuted: their scale kept, what they learned destroyed."""
    rng = np.random.default_rng(seed)
    for layer in layers[last_feature_map(layers) + 1 :]:
        layer.set_weights(
            [rng.permutation(w.ravel()).reshape(w.shape) for w in layer.get_weights()]
        )


def rank_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman's rank correlation of each pair of heatmaps (NaN where either is flat)."""
    flat_a, flat_b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    out = np.full(len(a), np.nan)
    for i, (x, y) in enumerate(zip(flat_a, flat_b, strict=True)):
        if np.ptp(x) > 0 and np.ptp(y) > 0:
            out[i] = spearmanr(x, y).statistic
    return out


# ---------------------------------------------------------------- pictures
def tile(pictures: np.ndarray, columns: int, margin: int = 2) -> np.ndarray:
    """Pictures (n, h, w[, 3]) in rows of ``columns``, white margins between them."""
    n, h, w = pictures.shape[:3]
    rows = -(-n // columns)
    shape = (rows * (h + margin) - margin, columns * (w + margin) - margin, *pictures.shape[3:])
    grid = np.ones(shape, dtype="float32")
    for i, picture in enumerate(pictures):
        r, c = divmod(i, columns)
        grid[r * (h + margin) : r * (h + margin) + h, c * (w + margin) : c * (w + margin) + w] = (
            picture
        )
    return grid


def channel_pictures(maps: np.ndarray) -> np.ndarray:
    """One image's activation channels (h, w, c) as c grey pictures, each standardised
    as the book shows them (1e listing 5.30: mean 128, std 64 of 255, clipped)."""
    channels = np.moveaxis(maps, -1, 0).astype("float64")
    mean = channels.mean(axis=(1, 2), keepdims=True)
    std = channels.std(axis=(1, 2), keepdims=True)
    scaled = np.divide(channels - mean, std, out=np.zeros_like(channels), where=std > 0)
    return np.clip(scaled * 0.25 + 0.5, 0, 1)


def overlay(image: np.ndarray, heatmap: np.ndarray, opacity: float = 0.4) -> np.ndarray:
    """A heatmap in the jet colours over its image, as 1e listing 5.44 (values in [0, 1])."""
    from matplotlib import colormaps
    from PIL import Image

    side = image.shape[:2][::-1]
    resized = Image.fromarray(np.uint8(np.round(heatmap * 255))).resize(side, Image.BILINEAR)
    colours = colormaps["jet"](np.asarray(resized) / 255.0)[..., :3]
    return np.clip(image / 255.0 + opacity * colours, 0, 1) / (1 + opacity)
