"""Weighted-ensemble protocol (1e 7.3.3): several models on one split, their predictions
averaged with weights fitted on the validation data.

The case declares its ``members`` (names) and each member's settings in
``member_params`` (``epochs`` and ``batch_size`` for a network, ``shallow`` naming one of
``baselines.CLASSIFIERS`` otherwise). The experiment's ``case_inputs`` and ``build_model``
receive the case's parameters merged with one member's, so a member is declared like
any case. Member ``i`` trains with seed ``seed + 1000 * i``: a "same architecture over
seeds" ensemble differs only in its initialisation, as the book's warning has it.

The weights: "assumed to be learned empirically" on validation data, "Nelder-Mead"
among the book's suggestions. Here: the weights on the simplex (a softmax of free
parameters) under which the averaged probabilities are most accurate on the validation
data, by scipy's Nelder-Mead from equal weights. Accuracy, the book's metric, rather than
the log loss: the members' probabilities are not equally sharp (a regularised logistic
regression's stay near 0.5), and the log-loss optimum of a probability average then
leaves a good but timid member out (on seed 0: 0.4 % weight for the TF-IDF model, test
0.886, against 0.898 for the accuracy optimum). The test set is read once, at the end.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
from scipy.optimize import minimize
from scipy.special import softmax

from dlwp_suite.baselines import CLASSIFIERS, BaselineResult, classification_baseline
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Case
from dlwp_suite.metrics import declare
from dlwp_suite.protocols.base import INFERENCE_BATCH, Protocol, RunResult, fit, predictions
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext

MEMBER_SEED_STRIDE = 1000


def accuracy(probabilities: np.ndarray, y: np.ndarray) -> float:
    """Share of positive-class probabilities on the right side of 0.5."""
    return float(np.mean((probabilities > 0.5) == (y == 1)))


def fit_weights(members: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Simplex weights for the rows of ``members`` (one row of probabilities per model)
    under which their weighted average is most accurate on ``y`` (Nelder-Mead)."""
    count = len(members)
    if count == 1:
        return np.ones(1)
    # From equal weights, a simplex of unit steps: scipy's default step from a zero start
    # is 0.00025, far too small to leave a flat stretch of a step-shaped objective.
    start = np.vstack([np.zeros(count), np.eye(count)])
    found = minimize(
        lambda free: -accuracy(softmax(free) @ members, y),
        np.zeros(count),
        method="Nelder-Mead",
        options={"initial_simplex": start, "maxiter": 1000 * count},
    )
    return softmax(found.x)


class WeightedEnsemble(Protocol):
    """Train every member on the same split, fit the weights on validation, test once."""

    name = "weighted_ensemble"
    metrics = declare(
        {
            "test_accuracy": 1,
            "val_accuracy": 1,  # the data the weights were fitted to: in-sample
            "best_member_test_accuracy": 1,
            "ensemble_gain": 1,  # over the best member, on test
            "equal_weights_gain": 1,  # the plain average's, the book's first listing
        }
    )
    baseline_names = frozenset(CLASSIFIERS)
    selection_metric = "val_accuracy"
    reported_metric = "test_accuracy"

    def _member(
        self, case: Case, data: TaskData, name: str, seed: int, phase: str, context: RunContext
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """One member's validation and test probabilities, and what it measured (its
        TensorBoard logs, if asked for, under ``phase``)."""
        settings: Mapping[str, Any] = {**case.params, **case.params["member_params"][name]}
        exp = case.experiment
        inputs = exp.case_inputs(settings, data)
        started = time.perf_counter()
        if (shallow := settings.get("shallow")) is not None:
            model = CLASSIFIERS[shallow](seed)
            model.fit(inputs.x_train, inputs.y_train)
            val = model.predict_proba(inputs.x_val)[:, 1]
            test = model.predict_proba(inputs.x_test)[:, 1]
            timings: dict[str, Any] = {"train_s": time.perf_counter() - started}
        else:
            keras.utils.set_random_seed(seed)
            model = exp.build_model(settings, inputs)
            _, timings = fit(
                case,
                model,
                inputs.x_train,
                exp.encode_labels(settings, inputs.y_train),
                settings["epochs"],
                settings["batch_size"],
                seed=seed,
                context=context,
                phase=phase,
            )
            val, _ = predictions(model, inputs.x_val, INFERENCE_BATCH)
            test, timings["inference_samples_per_s"] = predictions(
                model, inputs.x_test, INFERENCE_BATCH
            )
        measured = {
            "name": name,
            "seed": seed,
            "val_accuracy": accuracy(val, inputs.y_val),
            "test_accuracy": accuracy(test, inputs.y_test),
            "train_s": timings["train_s"],
        }
        return val, test, measured

    def run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """Every member, the validation-fitted weights, and the test scores."""
        started = time.perf_counter()
        if data.x_val is None or data.x_test is None:
            raise ValueError(f"{case.id}: an ensemble needs validation and test splits")
        val_rows, test_rows, members = [], [], []
        for index, name in enumerate(case.params["members"]):
            member_seed = seed + MEMBER_SEED_STRIDE * index
            val, test, measured = self._member(
                case, data, name, member_seed, f"member{index}-{name}", context
            )
            val_rows.append(val)
            test_rows.append(test)
            members.append(measured)
        val_probs, test_probs = np.array(val_rows), np.array(test_rows)
        weights = fit_weights(val_probs, data.y_val)
        tested = weights @ test_probs
        best_member = max(m["test_accuracy"] for m in members)
        test_accuracy = accuracy(tested, data.y_test)
        metrics = {
            "test_accuracy": test_accuracy,
            "val_accuracy": accuracy(weights @ val_probs, data.y_val),
            "best_member_test_accuracy": best_member,
            "ensemble_gain": test_accuracy - best_member,
            "equal_weights_gain": accuracy(test_probs.mean(axis=0), data.y_test) - best_member,
        }
        for member, weight in zip(members, weights, strict=True):
            member["weight"] = float(weight)
        timings = {
            "train_s": sum(m["train_s"] for m in members),
            "wall_s": time.perf_counter() - started,
        }
        return RunResult(metrics, timings, {}, {"members": members}, test_predictions=tested)

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        return classification_baseline(name, case, data, seed)
