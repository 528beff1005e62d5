"""DeepDream protocol (1e 8.2, 2e 12.2): gradient ascent on a photo, octave by octave,
on a pretrained base's layer activations.

The loss is the book's: for each chosen layer, its coefficient times the sum of the
squared activations, border of 2 left out, over the activation's size. Each octave (3,
each 1.4 times larger) runs up to 20 steps of 0.01 along the gradient divided by its
mean absolute value, and stops early once the loss passes ``max_loss`` (a stand-in
network's cap is ``max_loss_over_first`` times its first loss instead: the book's
headroom, on its own loss scale); the detail lost
by shrinking is put back after each octave. The photo for a seed is the test photo at
``seed`` modulo the photos loaded (a dream has no randomness of its own).

Recorded: ``dream_rising_step_share``, the share of steps after which the loss is
higher (the book: it rises); ``dream_octave_gain``, the first octave's last loss over
its first (the book's: 0.67 to 9.94; a later octave can start past the cap and take no
step); ``dream_capped_octave_share``, the octaves that stopped at the cap.
Baseline ``random_steps``: the same steps in random directions of the same size, which
should leave the loss where it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import pairwise

import numpy as np
from scipy.ndimage import zoom

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

Step = Callable[[np.ndarray], tuple[float, np.ndarray]]


def dream_loss(case: Case, data: TaskData) -> Callable:
    """The book's loss on the input of the case's network (a function of a batch
    tensor); the declaration's model gives the layers' outputs, in ``layers`` order."""
    extractor = case.experiment.build_model(case.params, data)
    coefficients = list(case.params["layers"].values())
    ops = math_ops()

    def loss(x):
        outputs = extractor(x, training=False)
        outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
        total = 0.0
        for coefficient, activation in zip(coefficients, outputs, strict=True):
            scaling = float(np.prod(activation.shape))
            total = (
                total + coefficient * ops.sum(ops.square(activation[:, 2:-2, 2:-2, :])) / scaling
            )
        return total

    return loss


def resize(image: np.ndarray, side: tuple[int, int]) -> np.ndarray:
    """``scipy.ndimage.zoom`` of a (1, h, w, 3) image to ``side``, linear (the book's)."""
    factors = (1, side[0] / image.shape[1], side[1] / image.shape[2], 1)
    return zoom(image, factors, order=1)


def dream(
    image: np.ndarray, step_direction: Step, p: dict, budget_s: float | None = None
) -> tuple[np.ndarray, list[list[float]], list[bool]]:
    """The book's octave loop. Returns the dreamt image, each octave's loss after every
    evaluation, and whether each octave stopped at the cap. ``budget_s``: a time
    probe's, which cuts each octave's ascent."""
    original = image[None].astype("float32")
    shape = np.array(original.shape[1:3])
    shapes = [tuple(int(d) for d in shape / p["octave_scale"] ** i) for i in range(p["octaves"])]
    shapes = shapes[::-1]
    shrunk = resize(original, shapes[0])
    x = original.copy()
    losses, capped = [], []
    cap = p["max_loss"]
    for octave, side in enumerate(shapes, 1):
        x = resize(x, side)
        curve, stopped = [], False
        for step in range(p["iterations"]):
            value, direction = step_direction(x)
            if cap is None:
                cap = p["max_loss_over_first"] * value
            curve.append(value)
            progress.step(f"octave {octave} step", step + 1, p["iterations"], ("loss", value))
            if value > cap:
                stopped = True
                break
            x = x + p["step"] * direction
            if progress.past_budget(budget_s):
                break  # a time probe: the remaining steps are extrapolated
        else:
            curve.append(step_direction(x)[0])  # where the last step left it
        losses.append(curve)
        capped.append(stopped)
        same_size = resize(original, side)
        x = x + (same_size - resize(shrunk, side))  # the detail shrinking lost
        shrunk = same_size  # the book resizes the original to this side a second time
    return x[0], losses, capped


def _measures(losses: list[list[float]], capped: list[bool]) -> dict[str, float]:
    steps = [b > a for curve in losses for a, b in pairwise(curve)]
    measures = {
        "dream_octave_gain": losses[0][-1] / losses[0][0] if losses[0][0] else float("nan"),
        "dream_capped_octave_share": float(np.mean(capped)),
    }
    if steps:  # every octave may start past the cap: then no step was taken to judge
        measures["dream_rising_step_share"] = float(np.mean(steps))
    return measures


def _photo(data: TaskData, seed: int) -> np.ndarray:
    assert data.x_test is not None
    return data.x_test[seed % len(data.x_test)]


class DeepDream(Protocol):
    """The book's DeepDream on one photo per seed."""

    name = "deep_dream"
    metrics = declare(
        {"dream_rising_step_share": 1, "dream_octave_gain": 1, "dream_capped_octave_share": 1}
    )
    baseline_names = frozenset({"random_steps"})
    selection_metric = "dream_octave_gain"
    reported_metric = "dream_octave_gain"
    trains_model = False

    def run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """Dream on the seed's photo; record the loss curves and draw the dream."""
        started = time.perf_counter()
        base = BASES[case.params["base"]]
        loss = dream_loss(case, data)

        def ascent(x: np.ndarray) -> tuple[float, np.ndarray]:
            value, grads = value_and_gradient(loss, x)
            return value, grads / max(float(np.mean(np.abs(grads))), 1e-7)

        photo = base.to_input(_photo(data, seed))
        dreamt, losses, capped = dream(photo, ascent, dict(case.params), context.phase_budget_s)
        details: dict[str, object] = {"octave_losses": [[round(v, 4) for v in c] for c in losses]}
        picture = np.concatenate([_photo(data, seed), base.to_pixels(dreamt)], axis=1) / 255
        if path := save_png(context.images_dir, case.id, seed, "dream", picture):
            details["images"] = {"photo and dream": path}
        evaluations = sum(len(curve) for curve in losses)
        wall = time.perf_counter() - started
        timings = {"wall_s": wall, "evaluations_per_s": evaluations / wall}
        return RunResult(_measures(losses, capped), timings, {}, details)

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        """The same loop stepping in random directions of the ascent's size."""
        started = time.perf_counter()
        loss = dream_loss(case, data)
        rng = np.random.default_rng(seed)

        def random_step(x: np.ndarray) -> tuple[float, np.ndarray]:
            value = float(to_numpy(loss(constant(x))))  # no gradient: it is not followed
            direction = rng.standard_normal(x.shape).astype("float32")
            return value, direction / np.mean(np.abs(direction))

        photo = BASES[case.params["base"]].to_input(_photo(data, seed))
        _, losses, capped = dream(photo, random_step, dict(case.params))
        return BaselineResult(
            name,
            _measures(losses, capped),
            {"fit_s": time.perf_counter() - started},
            None,
            trivial=True,
        )
