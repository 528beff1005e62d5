"""A fixed CPU workload, timed beside each seed: how fast the machine ran at that moment.

One case's epochs on one CPU model took 33 s at a session's start and 75-100 s an hour
later (2026-12-07: the host delivered less, nothing in the process changed), and
sessions draw different CPU models. A seed's wall time says what it took then; the
canary beside it lets the plan say what it would take at another moment or machine.
Numpy only: the plan's command reads it without Keras.
"""

from __future__ import annotations

import time

import numpy as np

# float32 matrix products on every core (numpy's BLAS), the arithmetic that dense,
# recurrent and convolution layers mostly spend their time on; under 10 ms a round
# on the 2-core CPU, the best of ROUNDS so a stray scheduler pause is not the reading.
SIZE = 320
PRODUCTS = 4
ROUNDS = 5


def canary_s() -> float:
    """Seconds of the fixed workload: the fastest of ``ROUNDS`` rounds."""
    matrix = np.random.default_rng(0).standard_normal((SIZE, SIZE), dtype=np.float32)
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        product = matrix
        for _ in range(PRODUCTS):
            # Scaled so the values stay finite whatever PRODUCTS is.
            product = (product @ matrix) / SIZE
        best = min(best, time.perf_counter() - started)
    return best
