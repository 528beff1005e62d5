"""Metric names and their directions, as each protocol declares them.

A protocol module calls :func:`declare` for the metrics it records; targets, claims,
ensembles and ``compare`` ask :func:`direction`. Records store the direction beside a
declared target or claim, so the report never needs this table to re-judge them.
"""

from __future__ import annotations

from collections.abc import Mapping

_DIRECTIONS: dict[str, int] = {}

# Timings a claim may compare ("A trains at least k times faster than B").
TIMING_METRICS = {
    "train_samples_per_s": 1,
    "inference_samples_per_s": 1,
    # Word sequences: padded positions per second (samples/s x sequence length).
    "train_tokens_per_s": 1,
    "inference_tokens_per_s": 1,
}


def declare(metrics: Mapping[str, int]) -> Mapping[str, int]:
    """Register metrics with their direction (+1: higher is better, -1: lower)."""
    for name, sign in metrics.items():
        if sign not in (1, -1):
            raise ValueError(f"metric {name!r}: direction must be +1 or -1, not {sign!r}")
        if _DIRECTIONS.setdefault(name, sign) != sign:
            raise ValueError(f"metric {name!r} is declared with both directions")
    return metrics


declare(TIMING_METRICS)

# Properties of a task's data that a book rule is about (2e 11.3.4: bag-of-words wins
# below 1,500 training samples per mean words per sample), recorded with the metrics
# by protocols whose data declares them (``TaskData.extras["data_metrics"]``).
DATA_METRICS = declare({"samples_to_words_ratio": -1})


def direction(metric: str) -> int:
    """Whether ``metric`` improves upwards (+1) or downwards (-1).

    Protocols declare their metrics when ``dlwp_suite.protocols`` is imported, which the
    experiments' registry does before any declaration (so this module imports nothing).
    """
    try:
        return _DIRECTIONS[metric]
    except KeyError:
        raise KeyError(
            f"unknown metric {metric!r} (import dlwp_suite.protocols first: each protocol "
            f"declares its metrics); known: {sorted(_DIRECTIONS)}"
        ) from None
