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
from threadpoolctl import threadpool_limits

# Two parts, as training has two: float32 matrix products held in cache (dense,
# recurrent and convolution layers' arithmetic) and an element-wise pass over an array
# larger than a last-level cache (their activations and optimizer updates). One BLAS
# thread, so OMP_NUM_THREADS and the moment's thread scheduling do not move the
# reading; the fastest of ROUNDS, so a stray pause is not the reading. Its rounds took
# 12-19 ms on the 2-core AMD EPYC VM beside a training run (2026-12-07).
SIZE = 320
PRODUCTS = 4
STREAM = 8_000_000  # float32s: 32 MB
ROUNDS = 3


def canary_s() -> float:
    """Seconds of the fixed workload: the fastest of ``ROUNDS`` rounds."""
    matrix = np.random.default_rng(0).standard_normal((SIZE, SIZE), dtype=np.float32)
    stream = np.ones(STREAM, dtype=np.float32)  # stays within [1, 2]: no subnormals
    scale = np.float32(1 / np.sqrt(SIZE))  # keeps the products' values near unit scale
    best = float("inf")
    with threadpool_limits(limits=1):
        for _ in range(ROUNDS):
            started = time.perf_counter()
            product = matrix
            for _ in range(PRODUCTS):
                product = (product @ matrix) * scale
            np.multiply(stream, np.float32(0.5), out=stream)
            np.add(stream, np.float32(1.0), out=stream)
            best = min(best, time.perf_counter() - started)
    return best
