"""What every protocol provides, and the training helpers they share.

A protocol is one module with one :class:`Protocol` subclass: its run for one case and
seed, the model it tests (for the ensemble), the baselines it can fit on the same
splits, and the metrics it records with their directions. The registry in
``dlwp_suite.protocols`` maps each declared ``Experiment.protocol`` name to one.
"""

from __future__ import annotations

import abc
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import keras
import numpy as np

from dlwp_suite import progress
from dlwp_suite.baselines import BaselineResult
from dlwp_suite.compat import KERAS_VERSION, fuse_steps, jit_augmentation_on_jax
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.event_logs import tensorboard_callbacks
from dlwp_suite.experiment import Case
from dlwp_suite.metrics import declare, direction
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext
from dlwp_suite.timing import EpochClock, TargetClock, timed_predict

INFERENCE_BATCH = 512

# Held-out sets of at most this many samples and bytes of inputs are scored in one
# batch per epoch (see OneBatchValidation): tabular sets like Boston's folds, whose
# activations stay small; larger ones go through Keras' own per-epoch evaluate.
ONE_BATCH_VALIDATION_SAMPLES = 1024
ONE_BATCH_VALIDATION_BYTES = 4 << 20

# Read off a validation loss curve, for the book's overfitting claims ("the smaller
# network starts overfitting later"): where its minimum falls, and where it ends.
CURVE_METRICS = declare({"best_val_loss": -1, "best_val_loss_epoch": 1, "last_val_loss": -1})


@dataclass
class RunResult:
    """What one seed of one case measured."""

    metrics: dict[str, float]
    timings: dict[str, float | int | None]
    history: dict[str, list[float]] = field(default_factory=dict)
    details: dict[str, object] = field(default_factory=dict)
    test_predictions: np.ndarray | None = None


class Protocol(abc.ABC):
    """One kind of experiment: how a case trains, what it tests, what it is compared with."""

    name: ClassVar[str]
    metrics: ClassVar[Mapping[str, int]]  # what it records, with directions (declared)
    baseline_names: ClassVar[frozenset[str]]  # the baselines it can fit
    selection_metric: ClassVar[str]  # validation metric that picks the ensemble partner
    reported_metric: ClassVar[str]  # the test metric the ensemble is scored on
    # False where the declared model is a pretrained network read, not trained (it is
    # not compiled): input-optimisation protocols.
    trains_model: ClassVar[bool] = True
    # Settings that say what to look at in a trained model, not how it trains: a
    # protocol with some can look inside another case's model (``ProfileSpec.trained_by``).
    view_params: ClassVar[frozenset[str]] = frozenset()

    @abc.abstractmethod
    def run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """The case's full protocol for one seed; ``context``: the run's pictures,
        TensorBoard logs and fused steps (by default none, none and the default)."""

    def reuses(self, case: Case) -> str | None:
        """The case whose run, first in the same process with the same seed, gives this
        one's result without training it again (a fine-tuned case's first phase), if any.
        Run scripts select the two together (the manifest's ``trained_by``)."""
        return None

    def tested_model(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """Only the model the book tests, with its test-set predictions."""
        return self.run(case, data, seed, context=context)

    @abc.abstractmethod
    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        """Fit and score one named baseline on ``data``, the experiment's ``baseline_inputs``
        of the case's splits (``runner.fit_baselines`` makes them)."""


class ValidateThenTest(Protocol):
    """Protocols that validate one model and test another, trained afresh (ch. 3)."""

    @abc.abstractmethod
    def validation_run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """The book's validation run: its curves and validation metrics."""

    def run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        started = time.perf_counter()
        validated = self.validation_run(case, data, seed, context=context)
        final = self.tested_model(case, data, seed, context=context)
        return RunResult(
            {**validated.metrics, **final.metrics},
            {**validated.timings, **final.timings, "wall_s": time.perf_counter() - started},
            {**validated.history, **final.history},
            validated.details,
            final.test_predictions,
        )


class BestWeights(keras.callbacks.Callback):
    """Keeps the weights of the epoch with the lowest ``val_loss`` (a checkpoint kept in
    memory: ``ModelCheckpoint(save_best_only=True)``'s choice without the file)."""

    def __init__(self) -> None:
        super().__init__()
        self.best_loss = np.inf
        self.best_epoch = 0
        self.weights: list[np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("val_loss")
        if loss is not None and float(loss) < self.best_loss:  # NaN never is
            self.best_loss, self.best_epoch = float(loss), epoch + 1
            self.weights = self.model.get_weights()

    def restore(self, model: keras.Model) -> None:
        """Put the best epoch's weights back into ``model``."""
        if self.weights is None:
            raise ValueError("no epoch reported a finite val_loss: nothing to restore")
        model.set_weights(self.weights)


def curve_metrics(history: Mapping[str, list[float]], prefix: str = "") -> dict[str, float]:
    """Minimum, its (1-based) epoch, and last value of the validation loss, if recorded."""
    losses = history.get("val_loss")
    if not losses:
        return {}
    return {
        f"{prefix}best_val_loss": float(min(losses)),
        f"{prefix}best_val_loss_epoch": float(np.argmin(losses) + 1),
        f"{prefix}last_val_loss": float(losses[-1]),
    }


def add_token_rates(timings: dict[str, float | int | None], data: TaskData) -> None:
    """For word sequences, also the (padded) positions a second, training and inference."""
    if length := data.extras.get("tokens_per_sample"):
        for kind in ("train", "inference"):
            if (rate := timings.get(f"{kind}_samples_per_s")) is not None:
                timings[f"{kind}_tokens_per_s"] = rate * length


def clock_threshold(case: Case, metric: str) -> float | None:
    """Where the first absolute target on ``metric`` starts to count as reached.

    That is the edge of its tolerance band on the worse side of the book's number.
    """
    for target in case.targets:
        if target.metric == metric and target.value is not None:
            return target.value - direction(metric) * target.tolerance
    return None


class OneBatchValidation(keras.callbacks.Callback):
    """Scores a small held-out set in one ``test_on_batch`` call at each epoch's end and
    adds ``val_<metric>`` to the epoch's logs, as ``fit(validation_data=...)`` would.

    One batch holding the whole set gives every metric its whole-set value, as Keras'
    batched evaluate does (to float rounding), without its per-epoch set-up (a dataset,
    an iterator, one step per training batch: 101 steps at Boston's batch 1), which
    costs more than the arithmetic on sets this small. Listed first, so every later
    callback and the history see the scores; the clock is told, so that the pass is
    not charged to training.
    """

    def __init__(self, x, y, clock: EpochClock) -> None:
        super().__init__()
        self.x, self.y, self.clock = x, y, clock

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.clock.on_test_begin()
        self.model.reset_metrics()  # older Keras 3 releases kept the epoch's training state
        scores = self.model.test_on_batch(self.x, self.y, return_dict=True)
        self.clock.on_test_end()
        if logs is not None:
            logs.update({f"val_{name}": float(value) for name, value in scores.items()})


def scored_in_one_batch(
    validation: tuple | None, model: keras.Model, steps_per_call: int = 1
) -> bool:
    """Whether ``validation`` is an ``(x, y)`` pair of arrays small enough for
    `OneBatchValidation`: its inputs and the model's outputs on them (a language model's
    next-word probabilities are large for small ids) within the caps. ``steps_per_call``:
    the fused steps `fuse_steps` put in force."""
    if validation is None or len(validation) != 2:
        return False
    inputs = validation[0]
    if isinstance(inputs, Mapping):
        inputs = list(inputs.values())
    parts = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    sizes = [getattr(a, "nbytes", None) for a in parts]  # None: not an array (sparse, a stream)
    if None in sizes or sum(sizes) > ONE_BATCH_VALIDATION_BYTES:
        return False
    count = len(parts[0])
    shapes = model.output_shape if isinstance(model.output_shape, list) else [model.output_shape]
    output_bytes = sum(4 * count * math.prod(d or 1 for d in shape[1:]) for shape in shapes)
    # Fused test steps read several batches a call; releases before 3.15 (the one this
    # was checked on) do so from test_on_batch's one-batch generator too.
    return (
        count <= ONE_BATCH_VALIDATION_SAMPLES
        and output_bytes <= ONE_BATCH_VALIDATION_BYTES
        and not (steps_per_call > 1 and KERAS_VERSION < (3, 15))
    )


# The curve a progress line shows, the first a fit logs.
PROGRESS_METRICS = ("val_accuracy", "val_mae", "val_loss", "accuracy", "mae", "loss")


class EpochProgress(keras.callbacks.Callback):
    """Tells ``dlwp_suite.progress`` that an epoch ended (a clock read; it writes a line
    at most every 30 s, and nothing where no one is watching). It has no batch hooks, so
    Keras keeps a timed fit's batches free of callbacks (no per-batch sync of the logs,
    JAX's asynchronous dispatch kept). With ``budget_s`` (a time probe's) it stops the
    fit once the phase has run that long."""

    def __init__(self, phase: str, epochs: int, budget_s: float | None = None) -> None:
        super().__init__()
        self.phase, self.epochs, self.budget_s = phase, epochs, budget_s

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        shown = next((m for m in PROGRESS_METRICS if m in logs), None)
        value = (shown, float(logs[shown])) if shown else None
        progress.step(f"{self.phase} epoch", epoch + 1, self.epochs, value)
        if progress.past_budget(self.budget_s):
            self.model.stop_training = True


class BatchProbe(EpochProgress):
    """A time probe's clock: it counts batches where the fit knows how many an epoch
    holds (one epoch of a recurrent network on long reviews can outlast the whole probe
    on a CPU), and times the fit's validation pass apart from them (a phase's steps then
    hold no validation; the plan adds one pass an epoch). Epochs, where it cannot."""

    def __init__(self, phase: str, epochs: int, budget_s: float) -> None:
        super().__init__(phase, epochs, budget_s)
        self.batches: int | None = None  # per epoch
        self.epoch = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        steps = self.params.get("steps")
        self.batches = int(steps) if steps else None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.batches is None:
            return
        done = self.epoch * self.batches + batch + 1
        progress.step(f"{self.phase} batch", done, self.epochs * self.batches, None, self.batches)
        if progress.past_budget(self.budget_s):
            self.model.stop_training = True

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        # ``batch`` is the last step a call ran: fused steps report once a call.
        if self.batches is not None:
            progress.validation_batch(batch + 1)

    def on_test_end(self, logs: dict | None = None) -> None:
        if self.batches is not None:
            progress.validation_batch(ended=True)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.batches is None:
            super().on_epoch_end(epoch, logs)


def progress_callback(phase: str, epochs: int, budget_s: float | None) -> EpochProgress:
    """The fit's progress clock: a time probe's (``budget_s``) counts batches."""
    return EpochProgress(phase, epochs) if budget_s is None else BatchProbe(phase, epochs, budget_s)


def fit(
    case: Case,
    model: keras.Model,
    x: np.ndarray | Iterator[tuple[np.ndarray, np.ndarray]],
    y: np.ndarray | None,
    epochs: int,
    batch_size: int | None,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    monitor: tuple[str, Callable[[keras.Model, dict], float]] | None = None,
    steps_per_epoch: int | None = None,
    samples_per_epoch: int | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    *,
    seed: int,
    context: RunContext,
    phase: str = "fit",
) -> tuple[dict[str, list[float]], dict[str, float | int | None]]:
    """``model.fit`` with an epoch clock and, if a target applies, a target clock.

    ``x`` may be a batch iterator (then ``y`` and ``batch_size`` are None and
    ``samples_per_epoch`` says how many samples an epoch holds); ``callbacks`` run
    after the clocks, then TensorBoard's where the ``context`` asks for logs (``seed``
    and ``phase`` name the run). Arrays train with the context's fused steps where the
    backend gains; a small validation set is scored in one batch an epoch
    (`OneBatchValidation`); on JAX, in-model augmentation is compiled
    (`jit_augmentation_on_jax`).
    """
    clock = EpochClock()
    every_callback: list[keras.callbacks.Callback] = [
        clock,
        *callbacks,
        *tensorboard_callbacks(context.tensorboard_dir, case.id, seed, phase),
        progress_callback(phase, epochs, context.phase_budget_s),
    ]
    target_clock = None
    if monitor is not None and (threshold := clock_threshold(case, monitor[0])) is not None:
        target_clock = TargetClock(monitor[1], threshold, direction(monitor[0]), clock)
        every_callback.insert(1, target_clock)
    jit_augmentation_on_jax(model)
    steps_per_call = (
        fuse_steps(model, context.steps_per_execution) if steps_per_epoch is None else 1
    )
    if scored_in_one_batch(validation, model, steps_per_call):
        every_callback.insert(0, OneBatchValidation(*validation, clock))  # type: ignore[misc]
        validation = None
    history = model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        steps_per_epoch=steps_per_epoch,
        validation_data=validation,
        callbacks=every_callback,
        shuffle=y is not None,  # a stream shuffles itself
        verbose=0,
    )
    timings: dict[str, float | int | None] = dict(
        clock.throughput(samples_per_epoch or x.shape[0])  # type: ignore[union-attr]
    )
    timings["steps_per_execution"] = steps_per_call
    if target_clock is not None:
        timings["time_to_target_s"] = target_clock.reached_after_s
        timings["epochs_to_target"] = target_clock.reached_at_epoch
    return {k: [float(v) for v in vs] for k, vs in history.history.items()}, timings


def fresh_model(case: Case, data: TaskData, seed: int) -> keras.Model:
    """The case's model, built right after seeding every generator with ``seed``."""
    keras.utils.set_random_seed(seed)
    return case.experiment.build_model(case.params, data)


def test_metric(model: keras.Model, x: np.ndarray, y: np.ndarray, name: str) -> float:
    """One Keras metric of ``model`` on a test set."""
    scores = model.evaluate(x, y, batch_size=INFERENCE_BATCH, verbose=0, return_dict=True)
    return float(scores[name])


def predictions(model: keras.Model, x: np.ndarray, batch_size: int) -> tuple[np.ndarray, float]:
    """Test-set predictions (one column squeezed) and the inference samples/s."""
    predicted, rate = timed_predict(model, x, batch_size)
    return (predicted[:, 0] if predicted.shape[-1] == 1 else predicted), rate


def scored(predicted: np.ndarray, y: np.ndarray, name: str) -> float:
    """Keras' ``accuracy`` or ``mae`` of squeezed predictions, as ``evaluate`` computes it:
    one sigmoid column is right when above 0.5 matches a 1 label (``binary_accuracy``),
    several columns by their argmax against integer or one-hot labels."""
    y = np.asarray(y)
    if name == "mae":
        return float(np.mean(np.abs(predicted - y.reshape(predicted.shape))))
    if name != "accuracy":
        raise ValueError(f"no rule to score {name!r} from predictions")
    if predicted.ndim == 1:
        return float(np.mean((predicted > 0.5) == (y.reshape(-1) > 0.5)))
    labels = y.argmax(axis=-1) if y.ndim == 2 and y.shape[-1] > 1 else y.reshape(-1)
    return float(np.mean(predicted.argmax(axis=-1) == labels))


def tested(
    model: keras.Model, x: np.ndarray, y: np.ndarray, name: str, batch_size: int
) -> tuple[float, np.ndarray, float]:
    """One pass over the test set: Keras' ``name`` metric (computed from the
    predictions, not by a second ``evaluate`` pass), the squeezed predictions and the
    inference samples/s."""
    predicted, rate = predictions(model, x, batch_size)
    return scored(predicted, y, name), predicted, rate


def train_and_test(
    case: Case,
    data: TaskData,
    seed: int,
    x: np.ndarray,
    y: np.ndarray,
    keras_metric: str,
    metric: str,
    *,
    context: RunContext,
) -> RunResult:
    """Train the final model the book tests on ``x, y``, and measure it on the test set."""
    p, exp = case.params, case.experiment
    y_test = exp.encode_labels(p, data.y_test)
    model = fresh_model(case, data, seed)
    history, timings = fit(
        case,
        model,
        x,
        exp.encode_labels(p, y),
        p["final_epochs"],
        p.get("final_batch_size", p["batch_size"]),
        monitor=(metric, lambda m, _: test_metric(m, data.x_test, y_test, keras_metric)),
        seed=seed,
        context=context,
        phase="final",
    )
    value, predicted, timings["inference_samples_per_s"] = tested(
        model, data.x_test, y_test, keras_metric, INFERENCE_BATCH
    )
    metrics = {metric: value}
    return RunResult(
        metrics, timings, {f"final_{k}": v for k, v in history.items()}, test_predictions=predicted
    )
