"""Evidence for chapter 7 on JAX: where a step of the mini Xception's quick profile goes.

Keras turns compilation off for any model holding its RandomRotation or RandomZoom
layers (their ``supports_jit`` is False on every backend, for TensorFlow's image ops);
on JAX that leaves every training step traced and dispatched operation by operation.
The suite compiles them on JAX (``dlwp_suite.compat.jit_augmentation_on_jax``). This
times one epoch of 10 steps (64 px, batch 32, random images) after a first epoch that
builds the step, as Keras sets the model up and, on JAX, as the suite does; run it under
each backend to compare them in one session:

    KERAS_BACKEND=jax python benchmarks/mini_xception_steps.py
    KERAS_BACKEND=tensorflow python benchmarks/mini_xception_steps.py
"""

from __future__ import annotations

import time

import keras
import numpy as np

from dlwp_suite.compat import jit_augmentation_on_jax
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiments import ch07, get
from dlwp_suite.protocols.base import fresh_model

STEPS = 10


def seconds_per_step(compiled_augmentation: bool) -> tuple[float, bool]:
    """The second epoch's time a step, and whether the steps were compiled."""
    case = get(ch07.EXPERIMENT).case("2e", "quick")
    batch, size = case.params["batch_size"], case.params["image_size"]
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (STEPS * batch, size, size, 3), dtype="uint8")
    labels = rng.integers(0, 2, STEPS * batch).astype("float32")
    model = fresh_model(case, TaskData(images, labels, None, None, "random"), 0)
    if compiled_augmentation:
        jit_augmentation_on_jax(model)
    model.fit(images, labels, batch_size=batch, epochs=1, verbose=0)  # builds the step
    started = time.perf_counter()
    model.fit(images, labels, batch_size=batch, epochs=1, verbose=0)
    return (time.perf_counter() - started) / STEPS, bool(model.jit_compile)


def main() -> None:
    """Print the seconds a step as Keras compiles the model and, on JAX, as the suite does."""
    ways = {"as Keras compiles it": False}
    if keras.backend.backend() == "jax":
        ways["with the suite's jit_augmentation_on_jax"] = True
    for label, compiled_augmentation in ways.items():
        step_s, jit = seconds_per_step(compiled_augmentation)
        print(f"{keras.backend.backend()}, {label}: {step_s * 1000:.0f} ms a step (jit {jit})")


if __name__ == "__main__":
    main()
