"""Why the DeepDream stand-in's loss falls at a step: the step, not its direction.

Replays ``ch08.dream.mobilenet``'s dream of each seed as the suite declares it (the
profile's image size, or the one given) and, at every step of the first octave after
which the loss fell, evaluates the loss along the same normalised gradient at smaller and
larger steps than the protocol's 0.01. Where a shorter step raises the loss, the
direction still ascends and the fixed-size step overshoots: the ascent has flattened
there. Prints one JSON line a falling step, then each seed's first-octave gains.

    DLWP_DATA_DIR=../shared/data python benchmarks/dream_overshoot.py quick 0,1,2 [IMAGE_SIZE]

results/benchmarks/dream-overshoot-quick-*.jsonl were made at 224 px, the quick profile's
size then: the quick profile dreams at the book's 299 px since.
"""

import dataclasses
import json
import sys
from collections.abc import Callable
from itertools import pairwise

import numpy as np

from dlwp_suite.compat import value_and_gradient
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.experiments import get
from dlwp_suite.pretrained import BASES
from dlwp_suite.protocols import deep_dream

STEP_SIZES = (0.0025, 0.005, 0.01, 0.02)
Ascent = Callable[[np.ndarray], tuple[float, np.ndarray]]


def replay(photo: np.ndarray, ascent: Ascent, params: dict) -> tuple[list[float], list]:
    """The first octave's losses, and each evaluation's (image, loss, direction)."""
    evaluated: list[tuple[np.ndarray, float, np.ndarray]] = []

    def recording(x: np.ndarray) -> tuple[float, np.ndarray]:
        value, direction = ascent(x)
        evaluated.append((x.copy(), value, direction))
        return value, direction

    _, losses, _ = deep_dream.dream(photo, recording, params)
    return losses[0], evaluated


def main(profile: str, seeds: list[int], image_size: int | None = None) -> None:
    experiment = get("ch08.dream.mobilenet")
    case = experiment.case("book", profile)
    params = {**case.params, **({"image_size": image_size} if image_size else {})}
    case = dataclasses.replace(case, params=params)
    data = experiment.prepare(experiment.load_data(DataConfig.from_settings(), case.params))
    loss = deep_dream.dream_loss(case, data)
    base = BASES[case.params["base"]]
    label = {"profile": profile, "image_size": case.params["image_size"]}

    def ascent(x: np.ndarray) -> tuple[float, np.ndarray]:  # the protocol's step direction
        value, grads = value_and_gradient(loss, x)
        return float(value), grads / max(float(np.mean(np.abs(grads))), 1e-7)

    for seed in seeds:
        photo = base.to_input(deep_dream._photo(data, seed))
        curve, evaluated = replay(photo, ascent, dict(case.params))
        for step, (before, after) in enumerate(pairwise(curve)):
            if after > before:
                continue
            x, value, direction = evaluated[step]
            change = {s: round(ascent(x + s * direction)[0] - value, 5) for s in STEP_SIZES}
            line = {**label, "seed": seed, "octave": 1, "step": step, "loss": value}
            print(json.dumps({**line, "change_by_step_size": change}), flush=True)
        gains = [round(b - a, 4) for a, b in pairwise(curve)]
        print(json.dumps({**label, "seed": seed, "octave_1_gains": gains}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], [int(s) for s in sys.argv[2].split(",")], *map(int, sys.argv[3:4]))
