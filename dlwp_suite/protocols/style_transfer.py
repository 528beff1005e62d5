"""Neural style transfer protocol (1e 8.3, 2e 12.3): the book's loss on a pretrained
base, minimised by L-BFGS from the content photo.

Loss, as the 1st edition writes it: ``content_weight`` x the summed squared difference
of the content layer's activations; ``style_weight / len(style_layers)`` x, per style
layer, the summed squared difference of the Gram matrices over ``4 x 3**2 x size**2``
(the book's ``channels = 3`` and ``size`` = image height x width); and
``variation_weight`` x the total variation to the power 1.25. ``iterations`` calls of
``scipy.optimize.fmin_l_bfgs_b`` with ``maxfun`` evaluations each, each starting where
the last stopped, as the book's loop. The content photo for a seed is the test photo at
``seed`` modulo those loaded, the style picture the next one.

Recorded: ``style_falling_iteration_share``, the iterations whose loss is below the one
before (the first against the content photo's); ``style_final_to_first``, the loss after
the last iteration over the loss after the first (the book: 5.00e8 / 7.41e9 = 0.067).
"""

from __future__ import annotations

import time
from itertools import pairwise

import numpy as np
from scipy.optimize import fmin_l_bfgs_b

from dlwp_suite import progress
from dlwp_suite.baselines import BaselineResult
from dlwp_suite.compat import constant, math_ops, to_numpy, value_and_gradient
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Case
from dlwp_suite.images import save_png
from dlwp_suite.metrics import declare
from dlwp_suite.pretrained import BASES
from dlwp_suite.protocols.base import Protocol, RunResult
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext


def gram(features, ops):
    """The Gram matrix of one image's (h, w, c) features: channels x channels."""
    flat = ops.reshape(features, (-1, features.shape[-1]))
    return ops.matmul(ops.transpose(flat), flat)


def style_loss_function(case: Case, data: TaskData, content: np.ndarray, style: np.ndarray):
    """The book's three loss terms as a function of the combination image (1, h, w, 3);
    the declaration's model gives the content layer's output, then the style layers'."""
    p = case.params
    extractor = case.experiment.build_model(p, data)
    ops = math_ops()
    target = constant(to_numpy(extractor(content[None], training=False)[0])[0])
    styles = [to_numpy(out)[0] for out in extractor(style[None], training=False)[1:]]
    style_grams = [constant(to_numpy(gram(s, ops))) for s in styles]
    height, width = content.shape[:2]
    style_scale = 4.0 * 3**2 * (height * width) ** 2  # the book's channels = 3

    def terms(x):
        """The weighted content, style and total-variation terms."""
        outputs = extractor(x, training=False)
        content_term = p["content_weight"] * ops.sum(ops.square(outputs[0][0] - target))
        style_term = 0.0
        for features, style_gram in zip(outputs[1:], style_grams, strict=True):
            difference = ops.sum(ops.square(style_gram - gram(features[0], ops)))
            style_term = style_term + p["style_weight"] / len(styles) * difference / style_scale
        a = ops.square(x[:, : height - 1, : width - 1, :] - x[:, 1:, : width - 1, :])
        b = ops.square(x[:, : height - 1, : width - 1, :] - x[:, : height - 1, 1:, :])
        variation_term = p["variation_weight"] * ops.sum(ops.power(a + b, 1.25))
        return content_term, style_term, variation_term

    return terms


def _photos(data: TaskData, seed: int) -> tuple[np.ndarray, np.ndarray]:
    assert data.x_test is not None
    count = len(data.x_test)
    return data.x_test[seed % count], data.x_test[(seed + 1) % count]


class StyleTransfer(Protocol):
    """The book's style transfer from one photo to another per seed."""

    name = "style_transfer"
    metrics = declare({"style_falling_iteration_share": 1, "style_final_to_first": -1})
    baseline_names: frozenset[str] = frozenset()
    selection_metric = "style_final_to_first"
    reported_metric = "style_final_to_first"
    trains_model = False

    def run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """Minimise the loss from the content photo; record each iteration's loss."""
        started = time.perf_counter()
        p, base = case.params, BASES[case.params["base"]]
        content_photo, style_photo = _photos(data, seed)
        content, style = base.to_input(content_photo), base.to_input(style_photo)
        terms = style_loss_function(case, data, content, style)
        shape = (1, *content.shape)

        def loss(x):
            content_term, style_term, variation_term = terms(x)
            return content_term + style_term + variation_term

        def term_values(flat: np.ndarray) -> dict[str, float]:
            values = terms(flat.reshape(shape).astype("float32"))
            return dict(zip(("content", "style", "variation"), map(float, values), strict=True))

        evaluations = 0

        def value_and_grad(flat: np.ndarray) -> tuple[float, np.ndarray]:
            nonlocal evaluations
            evaluations += 1
            value, grads = value_and_gradient(loss, flat.reshape(shape).astype("float32"))
            return value, grads.ravel().astype("float64")

        x = content.ravel().astype("float64")
        losses = [value_and_grad(x)[0]]  # the content photo's, before any iteration
        for iteration in range(p["iterations"]):
            x, value, _ = fmin_l_bfgs_b(value_and_grad, x, maxfun=p["maxfun"])
            losses.append(float(value))
            progress.step("L-BFGS iteration", iteration + 1, p["iterations"], ("loss", value))
            if progress.past_budget(context.phase_budget_s):
                break  # a time probe: the remaining iterations are extrapolated
        falling = [b < a for a, b in pairwise(losses)]
        metrics = {
            "style_falling_iteration_share": float(np.mean(falling)),
            "style_final_to_first": losses[-1] / losses[1],
        }
        details: dict[str, object] = {
            "iteration_losses": [float(f"{v:.5g}") for v in losses],
            # What the loss is made of, before and after: the book's weights suit VGG19's
            # activation scale.
            "terms_at_start": term_values(content.ravel()),
            "terms_at_end": term_values(x),
        }
        result = base.to_pixels(x.reshape(content.shape).astype("float32"))
        picture = np.concatenate([content_photo, style_photo, result], axis=1) / 255
        if path := save_png(context.images_dir, case.id, seed, "style_transfer", picture):
            details["images"] = {"content, style and result": path}
        wall = time.perf_counter() - started
        return RunResult(
            metrics, {"wall_s": wall, "evaluations_per_s": evaluations / wall}, {}, details
        )

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        raise KeyError(f"style transfer has no baseline {name!r}")
