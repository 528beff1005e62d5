"""Ensembles of the network with the best shallow model.

The partner is chosen on validation data (held-out accuracy or K-fold MAE), never on
the test set; the ensemble averages the two models' test probabilities or values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlwp_suite.baselines import BaselineResult
from dlwp_suite.metrics import direction


@dataclass
class EnsembleResult:
    """The averaged model's test metric and how it compares with its two members."""

    name: str
    partner: str
    metrics: dict[str, float]
    beats_network: bool
    beats_partner: bool


def best_partner(
    selection_metric: str, baselines: list[BaselineResult], name: str | None = None
) -> BaselineResult:
    """The baseline called ``name``, else the non-trivial one best on ``selection_metric``."""
    if name is not None:
        return next(b for b in baselines if b.name == name)
    metric = selection_metric
    candidates = [b for b in baselines if not b.trivial and b.test_predictions is not None]
    if not candidates:
        raise ValueError("no shallow (non-trivial) baseline to ensemble with")
    return max(candidates, key=lambda b: direction(metric) * b.metrics[metric])


def score(task: str, predictions: np.ndarray, y_test: np.ndarray) -> float:
    """Test accuracy (probabilities in) or MAE (values in)."""
    if task == "regression":
        return float(np.mean(np.abs(predictions - y_test)))
    labels = (predictions > 0.5).astype(int) if task == "binary" else predictions.argmax(axis=1)
    return float(np.mean(labels == y_test))


def average_with_best(
    task: str,
    metric: str,
    selection_metric: str,
    network_predictions: np.ndarray,
    network_score: float,
    baselines: list[BaselineResult],
    y_test: np.ndarray,
    partner_name: str | None = None,
) -> EnsembleResult:
    """Average the network with the best (or the named) shallow model; compare with both.

    ``metric`` is the protocol's reported test metric, ``selection_metric`` the
    validation metric that picks the partner.
    """
    partner = best_partner(selection_metric, baselines, partner_name)
    assert partner.test_predictions is not None
    shallow = partner.test_predictions
    if shallow.ndim == 2 and shallow.shape[1] < network_predictions.shape[1]:
        # Classes absent from the shallow model's training labels get probability 0.
        shallow = np.pad(shallow, ((0, 0), (0, network_predictions.shape[1] - shallow.shape[1])))
    value = score(task, (network_predictions + shallow) / 2, y_test)
    better = direction(metric)
    return EnsembleResult(
        name=f"network+{partner.name}",
        partner=partner.name,
        metrics={metric: value},
        beats_network=better * (value - network_score) > 0,
        beats_partner=better * (value - partner.metrics[metric]) > 0,
    )
