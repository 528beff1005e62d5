"""Character-level text generation protocol (1e 8.1): train a next-character model, then
sample from it at several temperatures and measure the samples.

One fit on the training windows (validating on the held-out text every epoch, which
the book does not do); then, from the weights of the epoch with the lowest held-out
loss, ``sample_length`` characters generated after random windows of the training text
at each temperature (``samples`` seed windows, all in one batch), as the book's loop
does after each epoch. A generative model has no accuracy, so
this protocol records:

- the training loss (the book's printed number), and the held-out cross-entropy per
  character (``val_loss``, nats, as Keras' loss) with its curve;
- ``diverged``: whether the training loss ever rose more than ``DIVERGENCE_RISE``
  (relative) above its best earlier epoch (the book's run: 1.301 at epoch 54, then
  1.60, 4.73, 12.6: RMSprop(0.01) is too high a rate that late);
- per temperature, the samples' word type/token ratio and the share of their words
  found in the training text;
- the ensemble: the network's next-character distribution mixed with the n-gram
  baseline's, the network's weight chosen on the first half of the held-out text and
  scored on the second (``ensemble_gain``: nats the mixture saves over the network).

Baselines are character n-gram models (``dlwp_suite.char_ngram``) on the same training
text, scored on the same held-out characters: the unigram (trivial) and order
``ngram_order``.
"""

from __future__ import annotations

import time

import numpy as np

from dlwp_suite.baselines import BaselineResult
from dlwp_suite.char_ngram import CharNGram
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Case
from dlwp_suite.metrics import declare
from dlwp_suite.protocols.base import (
    CURVE_METRICS,
    INFERENCE_BATCH,
    BestWeights,
    Protocol,
    RunResult,
    curve_metrics,
    fit,
    fresh_model,
)
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext
from dlwp_suite.sampling import generate, known_word_share, type_token_ratio

#: The book's temperatures (1e 8.1.4 c13); metric names carry them as ``t02`` .. ``t12``.
TEMPERATURES = (0.2, 0.5, 1.0, 1.2)
DIVERGENCE_RISE = 0.1
PROBABILITY_FLOOR = 1e-7


def temperature_tag(temperature: float) -> str:
    """``t02`` for 0.2: how metric names carry a sampling temperature."""
    return f"t{round(temperature * 10):02d}"


def divergence_epoch(losses: list[float], rise: float = DIVERGENCE_RISE) -> int | None:
    """The first (1-based) epoch whose loss is not finite or exceeds the best earlier
    epoch's by more than ``rise`` (relative); None if training never diverged."""
    best = np.inf
    for epoch, loss in enumerate(losses, start=1):
        if not np.isfinite(loss) or loss > best * (1 + rise):
            return epoch
        best = min(best, loss)
    return None


def _ngram(order: int, data: TaskData) -> CharNGram:
    return CharNGram(order, len(data.extras["chars"])).fit(data.extras["train_codes"])


def mixture(network: np.ndarray, ngram: np.ndarray) -> tuple[float, float, float]:
    """Mix two models' probabilities of the true next characters: the network's weight
    (a grid of 21) that minimises the cross-entropy on the first half, then that
    mixture's and the network's cross-entropy on the second half (the network's
    float32 probabilities clipped at Keras' 1e-7, as its cross-entropy is)."""
    network = np.clip(network.astype(np.float64), PROBABILITY_FLOOR, 1.0)
    half = len(network) // 2
    weights = np.linspace(0.0, 1.0, 21)

    def loss(w: float, part: slice) -> float:
        return float(-np.mean(np.log(w * network[part] + (1 - w) * ngram[part])))

    weight = min(weights, key=lambda w: loss(w, slice(None, half)))
    return float(weight), loss(weight, slice(half, None)), loss(1.0, slice(half, None))


class CharGeneration(Protocol):
    """Next-character training, temperature sampling, and n-gram baselines."""

    name = "char_generation"
    metrics = declare(
        {
            "loss": -1,  # training cross-entropy at the last epoch (the book's number)
            "best_loss": -1,
            "loss_epoch_10": -1,
            "val_loss": -1,  # held-out cross-entropy, nats per character
            **CURVE_METRICS,
            "diverged": -1,
            **{f"type_token_ratio_{temperature_tag(t)}": 1 for t in TEMPERATURES},
            **{f"known_word_share_{temperature_tag(t)}": 1 for t in TEMPERATURES},
            "ensemble_val_loss": -1,
            "ensemble_gain": 1,
        }
    )
    baseline_names = frozenset({"char_unigram", "char_ngram"})
    selection_metric = "val_loss"
    reported_metric = "val_loss"

    def run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """Train, sample at each temperature, measure the samples, mix with the n-gram."""
        started = time.perf_counter()
        p = case.params
        if data.x_val is None or data.y_val is None:
            raise ValueError(f"{case.id}: text generation needs held-out text")
        model = fresh_model(case, data, seed)
        best = BestWeights()
        history, timings = fit(
            case,
            model,
            data.x_train,
            data.y_train,
            p["epochs"],
            p["batch_size"],
            validation=(data.x_val, data.y_val),
            callbacks=[best],
            seed=seed,
            context=context,
        )
        # Sample and mix from the epoch of the lowest held-out loss: the book's run
        # diverges after epoch 54, its samples before that are the ones it discusses.
        best.restore(model)
        losses = history["loss"]
        diverged_at = divergence_epoch(losses)
        metrics = {
            "loss": losses[-1],
            "best_loss": min(losses),
            "val_loss": history["val_loss"][-1],
            "diverged": float(diverged_at is not None),
            **curve_metrics(history),
        }
        if len(losses) >= 10:
            metrics["loss_epoch_10"] = losses[9]

        rng = np.random.default_rng(seed)
        train, maxlen = data.extras["train_codes"], p["maxlen"]
        starts = rng.integers(0, len(train) - maxlen, p["samples"])
        seed_windows = train[starts[:, None] + np.arange(maxlen)]
        sampling_started = time.perf_counter()
        codes = generate(
            model.predict_on_batch, seed_windows, TEMPERATURES, p["sample_length"], rng
        )
        timings["generated_chars_per_s"] = codes.size / (time.perf_counter() - sampling_started)
        alphabet = np.array(data.extras["chars"])
        first_samples = {}
        for temperature, rows in zip(TEMPERATURES, codes, strict=True):
            samples = ["".join(alphabet[row]) for row in rows]
            tag = temperature_tag(temperature)
            metrics[f"type_token_ratio_{tag}"] = type_token_ratio(samples)
            metrics[f"known_word_share_{tag}"] = known_word_share(
                samples, data.extras["corpus_words"]
            )
            first_samples[str(temperature)] = samples[0]

        predicted = model.predict(data.x_val, batch_size=INFERENCE_BATCH, verbose=0)
        network = predicted[np.arange(len(data.y_val)), data.y_val]
        ngram = _ngram(p["ngram_order"], data).probabilities(
            data.extras["held_out_codes"], data.extras["held_out_positions"]
        )
        weight, mixed, alone = mixture(network, ngram)
        metrics["ensemble_val_loss"] = mixed
        metrics["ensemble_gain"] = alone - mixed
        timings["wall_s"] = time.perf_counter() - started
        details = {
            "diverged_at_epoch": diverged_at,
            "sampled_epoch": best.best_epoch,
            "samples": first_samples,
            "seed_text": "".join(alphabet[seed_windows[0]]),
            "ensemble_network_weight": weight,
            "text": data.source,
        }
        return RunResult(metrics, timings, history, details)

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        """A character n-gram model's held-out cross-entropy on the network's targets."""
        started = time.perf_counter()
        order = 1 if name == "char_unigram" else case.params["ngram_order"]
        model = _ngram(order, data)
        fitted = time.perf_counter()
        value = model.cross_entropy(
            data.extras["held_out_codes"], data.extras["held_out_positions"]
        )
        return BaselineResult(
            name,
            {"val_loss": value},
            {"fit_s": fitted - started, "predict_s": time.perf_counter() - fitted},
            None,
            trivial=order == 1,
        )
