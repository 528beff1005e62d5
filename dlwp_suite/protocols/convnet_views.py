"""What-convnets-learn protocol (1e 5.4, 2e 9.4): train and test a dogs-vs-cats model as
fit-evaluate does, then look inside it (``dlwp_suite.what_convnets_learn``).

Each case's ``views`` pick what it records, on ``view_images`` test images (half cats,
half dogs, the first of each in the test split; the pictures show some of them):

- ``activations`` (5.4.1): ``first_activation_side``, the first convolution's output
  side (148 at 150 px, the book's (1, 148, 148, 32)), and the share of blank (all-zero)
  channel maps in the first and the last convolution (the book: more and more blank
  filters with depth); a picture of the first layer's channels on the first image;
- ``filters`` (5.4.2): gradient ascent on the first ``pattern_filters`` filters of each
  convolution, ``pattern_size`` px; ``filter_rise_share``, the share of the filters with
  a gradient whose mean activation rose over the 40 steps, and ``silent_filter_share``
  (filters silent on the starting grey image: no gradient, no ascent); a grid picture;
- ``gradcam`` (5.4.3): the heatmaps' ``gradcam_empty_share`` (no channel speaks for the
  class), the model's mean probability of each image's true class,
  ``gradcam_images_binomial_p`` (how likely a model as accurate as the case's measured
  ``test_accuracy`` gets as few of these images right as Grad-CAM's chain did: a chain
  that is not the model, or images paired with the wrong labels, scores near 0), and the
  sanity check of Adebayo et al. (2018): the heatmaps again with the classifier's
  weights permuted, ``gradcam_randomised_rank_corr`` their mean Spearman correlation
  with the trained ones (a map that barely changes shows the input, not what the model
  learned); a picture of both rows of overlays.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from scipy.stats import binom

from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Case
from dlwp_suite.images import save_png
from dlwp_suite.metrics import declare
from dlwp_suite.protocols.base import RunResult
from dlwp_suite.protocols.fit_evaluate import FitEvaluate, TrainedModel
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext
from dlwp_suite.what_convnets_learn import (
    activations,
    blank_share,
    chain,
    channel_pictures,
    conv_indices,
    filter_ascent,
    grad_cam,
    overlay,
    pattern_picture,
    rank_correlations,
    shuffle_top,
    tile,
)

VIEWS = frozenset({"activations", "filters", "gradcam"})
SHOWN_SIDE = 74  # activation maps wider than this are shown at half size or less
PICTURED = 4  # Grad-CAM overlays drawn per class (the metrics use every view image)


def view_indices(labels: np.ndarray, count: int) -> np.ndarray:
    """The first ``count // 2`` test images of each class, cats then dogs."""
    half = count // 2
    return np.concatenate([np.flatnonzero(labels == label)[:half] for label in (0, 1)])


def _activation_view(
    case: Case, seed: int, images_dir: Path | None, layers, images: np.ndarray
) -> tuple[dict, dict]:
    convs = conv_indices(layers)
    maps = activations(layers, images, [convs[0], convs[-1]])
    first = maps[convs[0]]
    metrics = {
        "first_activation_side": float(first.shape[1]),
        "first_conv_blank_share": blank_share(first),
        "last_conv_blank_share": blank_share(maps[convs[-1]]),
    }
    stride = max(1, -(-first.shape[1] // SHOWN_SIDE))
    shown = first[0, ::stride, ::stride]
    details: dict[str, object] = {"first_activation_shape": [1, *first.shape[1:]]}
    if path := save_png(images_dir, case.id, seed, "activations", tile(channel_pictures(shown), 8)):
        details["images"] = {"first layer's activations": path}
    return metrics, details


def _filter_view(case: Case, seed: int, images_dir: Path | None, layers) -> tuple[dict, dict]:
    p = case.params
    rows, rose, live = [], [], []
    for index in conv_indices(layers):
        filters = range(p["pattern_filters"])
        patterns, before, after, has_gradient = filter_ascent(
            layers, index, filters, p["pattern_size"], seed
        )
        rows.extend(pattern_picture(pattern) for pattern in patterns)
        rose.extend(after[has_gradient] > before[has_gradient])
        live.extend(has_gradient)
    metrics = {"silent_filter_share": 1 - float(np.mean(live))}
    if rose:  # every filter silent: no ascent to judge
        metrics["filter_rise_share"] = float(np.mean(rose))
    details: dict[str, object] = {}
    grid = tile(np.stack(rows), p["pattern_filters"])
    if path := save_png(images_dir, case.id, seed, "filter_patterns", grid):
        details["images"] = {"filter patterns (a row per convolution)": path}
    return metrics, details


def images_binomial_p(probability: np.ndarray, labels: np.ndarray, accuracy: float) -> float:
    """The chance that a classifier right on each image with probability ``accuracy``
    gets at most as many of ``labels`` right as ``probability`` (of the positive class,
    thresholded at 0.5 as Keras' binary accuracy is) does: binomial, one-sided."""
    right = int(np.sum((probability > 0.5) == (labels == 1)))
    return float(binom.cdf(right, len(labels), accuracy))


def _gradcam_view(
    case: Case,
    seed: int,
    images_dir: Path | None,
    layers,
    images: np.ndarray,
    labels: np.ndarray,
    test_accuracy: float,
    model_probability: np.ndarray,
) -> tuple[dict, dict]:
    heatmaps, probability = grad_cam(layers, images)
    trained = [layer.get_weights() for layer in layers]
    try:
        shuffle_top(layers, seed)
        shuffled, _ = grad_cam(layers, images)
    finally:
        for layer, weights in zip(layers, trained, strict=True):
            layer.set_weights(weights)
    correlations = rank_correlations(heatmaps, shuffled)
    metrics = {
        "gradcam_true_class_probability": float(
            np.mean(np.where(labels == 1, probability, 1 - probability))
        ),
        "gradcam_empty_share": float(np.mean(heatmaps.max(axis=(1, 2)) == 0)),
        # The chain's own probabilities against the model's measured accuracy: heatmaps
        # of a chain that classifies these images worse than the model explain another model.
        "gradcam_images_binomial_p": images_binomial_p(probability, labels, test_accuracy),
        # The chain Grad-CAM differentiates against the model itself, image by image.
        "gradcam_model_gap": float(np.max(np.abs(probability - model_probability))),
    }
    if np.isfinite(correlations).any():  # flat maps (1 x 1, or empty) have no ranking
        metrics["gradcam_randomised_rank_corr"] = float(np.nanmean(correlations))
    details: dict[str, object] = {
        "gradcam_shape": list(heatmaps.shape[1:]),
        # None where a map is flat (no ranking to compare)
        "gradcam_rank_corr_per_image": [
            round(float(c), 4) if np.isfinite(c) else None for c in correlations
        ],
    }
    half = len(images) // 2
    shown = np.r_[: min(PICTURED, half), half : half + min(PICTURED, half)]  # cats, dogs
    pictures = [overlay(images[i], maps[i]) for maps in (heatmaps, shuffled) for i in shown]
    if path := save_png(images_dir, case.id, seed, "gradcam", tile(np.stack(pictures), len(shown))):
        details["images"] = {"Grad-CAM (top row: trained; bottom: classifier permuted)": path}
    return metrics, details


def _kept_model(case: Case, data: TaskData, seed: int, context: RunContext) -> TrainedModel | None:
    """The model of the case this one is ``trained_by``, if the run kept it for ``seed``."""
    if case.trained_by is None or context.kept_models is None:
        return None
    kept = context.kept_models.take(case.trained_by, seed)
    if kept is None:
        return None
    if any(data.file_hashes.get(name) != sha for name, sha in kept.trained_on.items()):
        raise ValueError(f"{case.id}: {case.trained_by} trained on other data files")
    return kept


class ConvnetViews(FitEvaluate):
    """Fit-evaluate, then the views of 1e 5.4 the case asks for, on the tested model."""

    name = "what_convnets_learn"
    view_params = frozenset({"views", "view_images", "pattern_filters", "pattern_size"})
    metrics = declare(
        {
            **FitEvaluate.metrics,
            "first_activation_side": 1,
            # Not better or worse: declared +1 so that "deeper layers are blanker"
            # reads as "the last convolution's share beats the first's".
            "first_conv_blank_share": 1,
            "last_conv_blank_share": 1,
            "filter_rise_share": 1,
            "silent_filter_share": -1,
            "gradcam_true_class_probability": 1,
            "gradcam_empty_share": -1,
            "gradcam_images_binomial_p": 1,
            "gradcam_model_gap": -1,
            "gradcam_randomised_rank_corr": -1,
        }
    )

    def run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """Train and test (fit-evaluate), then record the case's views of that model.

        A case ``trained_by`` another looks inside that case's model where the run kept
        it for this seed (the book's 5.4 loads the models 5.2 and 5.3 saved): its record
        holds that model's training results and timings, says so (``details["reused"]``),
        and its wall time is the views'. Where it was not kept, the case trains its own
        and says why (``details["trained_own"]``)."""
        kept = _kept_model(case, data, seed, context)
        if kept is None:
            result, model, data = self.run_keeping_model(case, data, seed, context=context)
            if case.trained_by is not None:  # say why the same model was trained again
                result.details["trained_own"] = (
                    f"{case.trained_by} did not train first in this process with this seed"
                )
        else:
            result, model, data = kept.result, kept.model, kept.data
            result.timings["wall_s"] = 0.0  # trained and timed in the other case
            result.details["reused"] = f"the model {case.trained_by} trained for this seed"
        started = time.perf_counter()
        views = set(case.params["views"])
        if unknown := views - VIEWS:
            raise ValueError(f"{case.id}: unknown views {sorted(unknown)}; known: {sorted(VIEWS)}")
        if data.x_test is None or data.y_test is None:
            raise ValueError(f"{case.id}: the views look at test images")
        layers = chain(model)
        chosen = view_indices(np.asarray(data.y_test), case.params["view_images"])
        images, labels = data.x_test[chosen], np.asarray(data.y_test)[chosen]
        images_dir = context.images_dir
        measured = {
            "activations": lambda: _activation_view(case, seed, images_dir, layers, images),
            "filters": lambda: _filter_view(case, seed, images_dir, layers),
            "gradcam": lambda: _gradcam_view(
                case,
                seed,
                images_dir,
                layers,
                images,
                labels,
                result.metrics["test_accuracy"],
                model.predict(images, verbose=0).reshape(-1),
            ),
        }
        pictures: dict[str, str] = {}
        for view in sorted(views):
            metrics, details = measured[view]()
            pictures.update(details.pop("images", {}))
            result.metrics.update(metrics)
            result.details.update(details)
        if pictures:
            result.details["images"] = pictures
        result.timings["views_s"] = time.perf_counter() - started
        result.timings["wall_s"] = (result.timings.get("wall_s") or 0) + result.timings["views_s"]
        return result
