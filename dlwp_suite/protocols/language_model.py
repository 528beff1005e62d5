"""Word-level language-model protocol (2e 12.1.4-12.1.5): train to predict each next
word of a review, then measure the held-out cross-entropy and sample at temperatures.

The model maps a review's first ``sequence_length - 1`` word ids to a distribution
over the next word at each position, its last layer a softmax ``Dense``. Training is
the book's ``fit`` on inputs ``ids[:, :-1]`` and targets ``ids[:, 1:]`` (the loss skips
positions whose input is padding, through the embedding's mask), validated on held-out
reviews.

Recorded:

- ``val_cross_entropy``: nats per word on the held-out reviews, over exactly the
  positions the loss counts (the input a real word; the target may be the padding
  that ends a short review), computed here from the model's last hidden layer and its
  softmax weights so that every backend reduces it the same way; ``val_perplexity``
  is its exponential, ``val_loss_fall`` the share of the untrained model's
  cross-entropy that training took off;
- ``type_token_ratio_tNN``: distinct words over words in ``sample_length`` words
  generated after the book's prompt "this movie" (``samples`` draws per temperature),
  at each of the notebook's temperatures. The notebook's callback never passes its
  temperature to ``sample_next``, so its five samples are all drawn at 1.0; this samples
  at each temperature, as the text describes. The padding id is never drawn (the
  notebook's loop appends it as an empty word);
- ``ensemble_val_cross_entropy``: the network's probabilities mixed with the word
  bigram model's, the weight chosen on the first half of the held-out positions and
  scored on the second; ``ensemble_gain``, the network's own cross-entropy there less
  the mixture's.

Baselines: word unigram and bigram models (``dlwp_suite.char_ngram``: interpolated
absolute discounting over word ids) on the training reviews, scored on the same
positions.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from dlwp_suite.baselines import BaselineResult
from dlwp_suite.char_ngram import CharNGram
from dlwp_suite.datasets import text_vectorization as tv
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Case
from dlwp_suite.metrics import declare
from dlwp_suite.protocols.base import (
    CURVE_METRICS,
    INFERENCE_BATCH,
    Protocol,
    RunResult,
    add_token_rates,
    curve_metrics,
    fit,
    fresh_model,
)
from dlwp_suite.protocols.char_generation import mixture, temperature_tag
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext
from dlwp_suite.sampling import draw, reweight

#: The notebook's temperatures (2e ch12 part01, the TextGenerator callback).
TEMPERATURES = (0.2, 0.5, 0.7, 1.0, 1.5)
PROMPT = "This movie"
CHUNK = 1_024  # positions scored per softmax product (x 15,000 words in float64)


def next_word_pairs(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows and positions whose next word the loss scores: inputs ``ids[:, :-1]``
    that are real words (padding is at the end of each row)."""
    return np.nonzero(ids[:, :-1] != 0)


def stream(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows as one stream of codes, each cut after its first padding id, and the
    stream positions of the targets :func:`next_word_pairs` scores, in the same order."""
    length = ids.shape[1]
    real = (ids != 0).sum(axis=1)
    codes, targets, offset = [], [], 0
    for row, count in zip(ids, real, strict=True):
        kept = row[: min(int(count) + 1, length)]
        codes.append(kept)
        targets.append(offset + np.arange(1, min(int(count), length - 1) + 1))
        offset += len(kept)
    return np.concatenate(codes).astype(np.int64), np.concatenate(targets)


def _hidden_and_softmax(model: keras.Model) -> tuple[keras.Model, np.ndarray, np.ndarray]:
    """The model up to its last hidden layer, and the softmax layer's kernel and bias."""
    output = model.layers[-1]
    kernel, bias = output.get_weights()
    return keras.Model(model.inputs, output.input), kernel, bias


def _log_softmax_rows(hidden: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    logits = hidden.astype(np.float64) @ kernel + bias
    logits -= logits.max(axis=1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


def target_probabilities(model: keras.Model, ids: np.ndarray) -> np.ndarray:
    """The model's probability of each scored next word, in :func:`next_word_pairs` order."""
    hidden_model, kernel, bias = _hidden_and_softmax(model)
    hidden = hidden_model.predict(ids[:, :-1], batch_size=INFERENCE_BATCH // 8, verbose=0)
    rows, positions = next_word_pairs(ids)
    targets = ids[rows, positions + 1]
    out = np.empty(len(rows))
    for start in range(0, len(rows), CHUNK):
        part = slice(start, start + CHUNK)
        log_p = _log_softmax_rows(hidden[rows[part], positions[part]], kernel, bias)
        out[part] = np.exp(log_p[np.arange(len(log_p)), targets[part]])
    return out


def cross_entropy(probabilities: np.ndarray) -> float:
    """Mean negative log-probability, nats per word."""
    return float(-np.mean(np.log(np.maximum(probabilities, 1e-300))))


def generate_words(
    model: keras.Model,
    prompt: np.ndarray,
    temperatures: tuple[float, ...],
    samples: int,
    length: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """``length`` word ids after ``prompt`` for ``samples`` rows per temperature, all in
    one batch; shape ``(len(temperatures), samples, length)``."""
    hidden_model, kernel, bias = _hidden_and_softmax(model)
    width = model.inputs[0].shape[1]
    if len(prompt) + length > width:
        raise ValueError(f"{len(prompt)} prompt words and {length} more exceed the {width} inputs")
    rows = len(temperatures) * samples
    ids = np.zeros((rows, width), dtype=np.int32)
    ids[:, : len(prompt)] = prompt
    per_row = np.repeat(np.asarray(temperatures, dtype=np.float64), samples)
    for step in range(length):
        at = len(prompt) - 1 + step
        hidden = hidden_model.predict_on_batch(ids)
        probabilities = np.exp(_log_softmax_rows(np.asarray(hidden)[:, at], kernel, bias))
        probabilities[:, 0] = 0.0  # the padding id is never a word
        ids[:, at + 1] = draw(reweight(probabilities, per_row), rng)
    generated = ids[:, len(prompt) : len(prompt) + length]
    return generated.reshape(len(temperatures), samples, length)


def distinct_share(rows: np.ndarray) -> float:
    """Mean over rows of distinct ids over ids."""
    return float(np.mean([len(set(row.tolist())) / len(row) for row in rows]))


def _ngram(order: int, data: TaskData) -> CharNGram:
    codes, _ = stream(data.x_train)
    return CharNGram(order, len(data.extras["vocabulary"])).fit(codes)


class LanguageModel(Protocol):
    """Next-word training, held-out cross-entropy, temperature sampling, n-gram bars."""

    name = "language_model"
    metrics = declare(
        {
            "val_cross_entropy": -1,
            "val_perplexity": -1,
            "val_loss_fall": 1,
            **CURVE_METRICS,
            **{f"type_token_ratio_{temperature_tag(t)}": 1 for t in TEMPERATURES},
            "ensemble_val_cross_entropy": -1,  # on the second half of the positions
            "ensemble_gain": 1,  # the network's cross-entropy there less the mixture's
        }
    )
    baseline_names = frozenset({"word_unigram", "word_bigram"})
    selection_metric = "val_cross_entropy"
    reported_metric = "val_cross_entropy"

    def run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """Train, score the held-out reviews, sample at each temperature."""
        started = time.perf_counter()
        p = case.params
        if data.x_val is None:
            raise ValueError(f"{case.id}: a language model is validated on held-out reviews")
        model = fresh_model(case, data, seed)
        untrained = cross_entropy(target_probabilities(model, data.x_val))
        history, timings = fit(
            case,
            model,
            data.x_train[:, :-1],
            data.x_train[:, 1:],
            p["epochs"],
            p["batch_size"],
            validation=(data.x_val[:, :-1], data.x_val[:, 1:]),
            seed=seed,
            context=context,
        )
        scoring = time.perf_counter()
        network = target_probabilities(model, data.x_val)
        timings["inference_tokens_per_s"] = len(network) / (time.perf_counter() - scoring)
        add_token_rates(timings, data)
        value = cross_entropy(network)
        codes, targets = stream(data.x_val)
        bigram = _ngram(2, data).probabilities(codes, targets)
        weight, mixed, alone = mixture(network, bigram)
        metrics = {
            "val_cross_entropy": value,
            "val_perplexity": float(np.exp(value)),
            "val_loss_fall": 1 - value / untrained,
            **curve_metrics(history),
            "ensemble_val_cross_entropy": mixed,
            "ensemble_gain": alone - mixed,
        }
        rng = np.random.default_rng(seed)
        index = {word: i for i, word in enumerate(data.extras["vocabulary"])}
        prompt = np.array([index.get(w, 1) for w in tv.tokens(PROMPT)])
        sampling = time.perf_counter()
        words = generate_words(model, prompt, TEMPERATURES, p["samples"], p["sample_length"], rng)
        timings["generated_tokens_per_s"] = words.size / (time.perf_counter() - sampling)
        vocabulary = np.array(data.extras["vocabulary"])
        first = {}
        for temperature, rows in zip(TEMPERATURES, words, strict=True):
            metrics[f"type_token_ratio_{temperature_tag(temperature)}"] = distinct_share(rows)
            first[str(temperature)] = " ".join([PROMPT.lower(), *vocabulary[rows[0]]])
        timings["wall_s"] = time.perf_counter() - started
        details = {
            "samples": first,
            "untrained_val_cross_entropy": untrained,
            "ensemble_network_weight": weight,
        }
        return RunResult(metrics, timings, history, details)

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        """A word n-gram model's held-out cross-entropy on the network's targets."""
        started = time.perf_counter()
        order = 1 if name == "word_unigram" else 2
        model = _ngram(order, data)
        fitted = time.perf_counter()
        assert data.x_val is not None
        value = model.cross_entropy(*stream(data.x_val))
        return BaselineResult(
            name,
            {"val_cross_entropy": value},
            {"fit_s": fitted - started, "predict_s": time.perf_counter() - fitted},
            None,
            trivial=order == 1,
        )
