"""GAN protocol (1e 8.5): the book's training loop, alternating one discriminator step
and one generator step through the combined model, then the samples scored.

The declared model is the combined ``gan`` (latent vector to the discriminator's
verdict), compiled as the edition does, with the two networks as the sub-models
``generator`` and ``discriminator`` (the discriminator compiled on its own too). Each
step, as the notebook's loop: ``batch_size`` latent vectors decoded into fakes, stacked
on the next ``batch_size`` real images in file order (wrapping round), labels 1 for
fake and 0 for real plus ``label_noise`` x uniform noise, one
``discriminator.train_on_batch``; then fresh latent vectors with the misleading label 0,
one ``gan.train_on_batch``.

``discriminator_update`` says how the combined model keeps the discriminator still:
``"book"`` is the 1st edition's ``discriminator.trainable = False`` between the two
compiles, as written; ``"frozen_copy"`` gives the combined model a frozen copy of the
discriminator whose weights are copied in before every generator step, so the
discriminator itself is never frozen (the same arithmetic, and a pattern Keras 3
honours: ``benchmarks/plain_gan_trainable.py`` shows the book's freezing failing there,
``tests/test_gan.py`` the copy working).

Recorded: the medians over all steps of the discriminator's loss (the book's hovers
round 0.69, ln 2: neither side wins) and of the adversarial loss, the discriminator's
weight change over the run relative to its start (0: it never trained), and the
samples' scores (``dlwp_suite.sample_scores``: Fréchet distance and class score against
the test images, in the features of the suite's convnet trained on the training images),
each also as ``*_progress``: where it lies from uniform noise's (0) to held-out real
images' (1), scored alike in the same run, a scale the scorer does not set. The
generator's tanh output is clipped into the images' [0, 1] range for scoring and
pictures (the book's ``array_to_img(x * 255, scale=False)`` casts to uint8, which wraps
negative values round instead). The class score means "varied and confident" only
where the real images span several classes: for one class (the frogs) it is not
recorded. Baselines on the same scores: uniform noise, the untrained generator, a
Gaussian mixture on PCA components of the training images (a shallow generative model)
and held-out real images (the floor).
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture

from dlwp_suite import progress
from dlwp_suite.baselines import BaselineResult
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Case
from dlwp_suite.images import save_png
from dlwp_suite.metrics import declare
from dlwp_suite.protocols.base import INFERENCE_BATCH, Protocol, RunResult, fresh_model
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext
from dlwp_suite.sample_scores import score_samples, scorer
from dlwp_suite.what_convnets_learn import tile

SCORED = 1_000  # samples scored, and at most as many test images they are compared with
GRID = 8  # an 8 x 8 grid of samples is drawn
MIXTURE_COMPONENTS = 10
PCA_COMPONENTS = 50
MIXTURE_ROWS = 10_000  # training images the mixture fits (all 60,000 take 40 s here)


def _scoring(data: TaskData) -> tuple[keras.Model, keras.Model, np.ndarray, float]:
    """The scorer (trained on ``extras["scorer_train"]``, tested on
    ``extras["scorer_test"]``), its features, the reference features of the first test
    images, and the scorer's test accuracy."""
    assert data.x_test is not None
    model, features, accuracy = scorer(
        _files_key(data) or data.source, *data.extras["scorer_train"], *data.extras["scorer_test"]
    )
    reference = features.predict(
        data.x_test[: _reference_count(data)], batch_size=INFERENCE_BATCH, verbose=0
    )
    return model, features, reference, accuracy


def _reference_count(data: TaskData) -> int:
    """Test images the samples are compared with: up to ``SCORED``, leaving as many
    after them for the held-out real baseline."""
    assert data.x_test is not None
    return min(SCORED, len(data.x_test) // 2)


def _latent(rng: np.random.Generator, count: int, dim: int) -> np.ndarray:
    return rng.normal(size=(count, dim)).astype(np.float32)


def generate(generator: keras.Model, latent: np.ndarray) -> np.ndarray:
    """The generator's images for ``latent``, clipped into [0, 1]."""
    images = generator.predict(latent, batch_size=INFERENCE_BATCH, verbose=0)
    return np.clip(images, 0.0, 1.0)


def _frozen_copy(gan: keras.Model) -> tuple[keras.Model, keras.Model]:
    """The combined model rebuilt on a frozen copy of its discriminator, compiled with
    the same optimizer settings and loss; the discriminator itself trainable again."""
    discriminator = gan.get_layer("discriminator")
    discriminator.trainable = True
    frozen = keras.models.clone_model(discriminator)
    frozen.trainable = False
    generator = gan.get_layer("generator")
    latent = keras.Input(shape=generator.input_shape[1:])
    combined = keras.Model(latent, frozen(generator(latent)), name="gan")
    combined.compile(
        optimizer=keras.optimizers.get(
            {"class_name": gan.optimizer.__class__.__name__, "config": gan.optimizer.get_config()}
        ),
        loss=gan.loss,
    )
    return combined, frozen


def _relative_change(before: list[np.ndarray], after: list[np.ndarray]) -> float:
    moved = math.sqrt(sum(float(np.sum((a - b) ** 2)) for a, b in zip(after, before, strict=True)))
    size = math.sqrt(sum(float(np.sum(b**2)) for b in before))
    return moved / size


class AdversarialTraining(Protocol):
    """The book's alternating GAN steps, then the samples scored against baselines."""

    name = "gan"
    metrics = declare(
        {
            # Losses, declared lower-is-better as losses are; what the book judges is the
            # discriminator's distance from ln 2, where neither side wins.
            "d_loss_median": -1,
            "d_loss_ln2_gap": -1,  # |median discriminator loss - ln 2|
            "a_loss_median": -1,
            "discriminator_weight_change": 1,
            "frechet_distance": -1,
            "class_score": 1,
            # The scores' scale belongs to the scorer, which differs by stack; these
            # place the samples between noise (0) and held-out real images (1).
            "frechet_progress": 1,
            "class_score_progress": 1,
            "ensemble_frechet_distance": -1,
        }
    )
    baseline_names = frozenset({"noise", "untrained_generator", "gaussian_mixture", "real"})
    selection_metric = "frechet_distance"
    reported_metric = "frechet_distance"

    def run(
        self, case: Case, data: TaskData, seed: int, *, context: RunContext = DEFAULT_CONTEXT
    ) -> RunResult:
        """Train for the declared steps, then score and draw the samples."""
        started = time.perf_counter()
        p = case.params
        gan = fresh_model(case, data, seed)
        generator, discriminator = gan.get_layer("generator"), gan.get_layer("discriminator")
        frozen = None
        if p["discriminator_update"] == "frozen_copy":
            gan, frozen = _frozen_copy(gan)
        rng = np.random.default_rng(seed)
        batch, dim, real = p["batch_size"], p["latent_dim"], data.x_train
        fake_then_real = np.concatenate([np.ones((batch, 1)), np.zeros((batch, 1))])
        misleading = np.zeros((batch, 1), dtype=np.float32)
        d_losses, a_losses = [], []
        initial = discriminator.get_weights()
        start = 0
        training = time.perf_counter()
        for step in range(p["steps"]):
            fakes = generator.predict_on_batch(_latent(rng, batch, dim))
            images = np.concatenate([fakes, real[start : start + batch]])
            labels = fake_then_real + p["label_noise"] * rng.random(fake_then_real.shape)
            d_losses.append(float(np.asarray(discriminator.train_on_batch(images, labels))))
            if frozen is not None:
                # By value: on JAX an assigned array is the same buffer, which the
                # discriminator's next step donates and deletes.
                frozen.set_weights(discriminator.get_weights())
            a_losses.append(
                float(np.asarray(gan.train_on_batch(_latent(rng, batch, dim), misleading)))
            )
            start += batch
            if start > len(real) - batch:
                start = 0
            progress.step("step", step + 1, p["steps"], ("a_loss", a_losses[-1]))
            if progress.past_budget(context.phase_budget_s):
                break  # a time probe: the remaining steps are extrapolated
        train_s = time.perf_counter() - training
        model, features, reference, accuracy = _scoring(data)
        generating = time.perf_counter()
        samples = generate(generator, _latent(rng, SCORED, dim))
        generate_s = time.perf_counter() - generating
        mixture = _mixture_samples(data, SCORED, seed)
        half = SCORED // 2
        d_median = float(np.median(d_losses))
        scores = score_samples(samples, reference, model, features)
        noise, held_out = (
            score_samples(_images(name, case, data, seed), reference, model, features)
            for name in ("noise", "real")
        )
        if data.extras.get("one_class"):  # every real image has the same class
            for scored in (scores, noise, held_out):
                scored.pop("class_score")
        metrics = {
            "d_loss_median": d_median,
            "d_loss_ln2_gap": abs(d_median - math.log(2)),
            "a_loss_median": float(np.median(a_losses)),
            "discriminator_weight_change": _relative_change(initial, discriminator.get_weights()),
            **scores,
            "frechet_progress": _progress(scores, noise, held_out, "frechet_distance"),
            **(
                {"class_score_progress": _progress(scores, noise, held_out, "class_score")}
                if "class_score" in scores
                else {}
            ),
            "ensemble_frechet_distance": score_samples(
                np.concatenate([samples[:half], mixture[half:]]), reference, model, features
            )["frechet_distance"],
        }
        details: dict[str, object] = {"scorer_test_accuracy": accuracy}
        shown = _grid(samples[: GRID * GRID])
        if picture := save_png(context.images_dir, case.id, seed, "samples", shown):
            details["images"] = {"generated samples": picture}
        timings = {
            "train_s": train_s,
            "train_steps_per_s": p["steps"] / train_s,
            "train_samples_per_s": p["steps"] * batch / train_s,  # real images consumed
            "inference_samples_per_s": SCORED / generate_s,
            "wall_s": time.perf_counter() - started,
        }
        history = {"d_loss": d_losses, "a_loss": a_losses}
        return RunResult(metrics, timings, history, details)

    def baseline(self, name: str, case: Case, data: TaskData, seed: int) -> BaselineResult:
        """Score another source of images the way the generator's samples are scored."""
        started = time.perf_counter()
        model, features, reference, _ = _scoring(data)
        scores = score_samples(_images(name, case, data, seed), reference, model, features)
        if data.extras.get("one_class"):
            scores.pop("class_score")
        return BaselineResult(
            name,
            scores,
            {"fit_s": time.perf_counter() - started},
            None,
            trivial=name == "noise",
        )


def _images(name: str, case: Case, data: TaskData, seed: int) -> np.ndarray:
    """A baseline's images: uniform noise, the untrained generator's samples, the
    Gaussian mixture's, or held-out real images (disjoint from the reference ones)."""
    rng = np.random.default_rng(seed)
    if name == "noise":
        return rng.random((SCORED, *data.input_shape), dtype=np.float32)
    if name == "untrained_generator":
        generator = fresh_model(case, data, seed).get_layer("generator")
        return generate(generator, _latent(rng, SCORED, case.params["latent_dim"]))
    if name == "gaussian_mixture":
        return _mixture_samples(data, SCORED, seed)
    assert data.x_test is not None
    count = _reference_count(data)
    return data.x_test[count : 2 * count]


def _progress(
    scores: dict[str, float], noise: dict[str, float], real: dict[str, float], metric: str
) -> float:
    """Where the samples' score lies from noise's (0) to held-out real images' (1)."""
    return (scores[metric] - noise[metric]) / (real[metric] - noise[metric])


def _files_key(data: TaskData) -> str:
    """What identifies the data's files: their names and digests ("" for arrays built
    in memory, which have none)."""
    return ",".join(f"{name}:{digest}" for name, digest in sorted(data.file_hashes.items()))


_MIXTURE_SAMPLES: dict[tuple, np.ndarray] = {}


def _mixture_samples(data: TaskData, count: int, seed: int) -> np.ndarray:
    """Images sampled from a Gaussian mixture fitted on PCA components of the first
    ``MIXTURE_ROWS`` training images, mapped back to pixels and clipped into [0, 1].

    Kept per data files, count and seed (read-only): the run (for its ensemble) and the
    mixture baseline want the same samples, and the fit takes seconds."""
    if not data.file_hashes:  # arrays built in memory: nothing identifies them
        return _fit_mixture_samples(data, count, seed)
    key = (_files_key(data), data.x_train.shape, count, seed)
    if key not in _MIXTURE_SAMPLES:
        samples = _fit_mixture_samples(data, count, seed)
        samples.setflags(write=False)
        _MIXTURE_SAMPLES[key] = samples
    return _MIXTURE_SAMPLES[key]


def _fit_mixture_samples(data: TaskData, count: int, seed: int) -> np.ndarray:
    images = data.x_train[:MIXTURE_ROWS]
    flat = images.reshape(len(images), -1)
    pca = PCA(min(PCA_COMPONENTS, *flat.shape), random_state=seed).fit(flat)
    mixture = GaussianMixture(MIXTURE_COMPONENTS, random_state=seed).fit(pca.transform(flat))
    codes, _ = mixture.sample(count)
    rows = np.random.default_rng(seed).permutation(count)  # sample() groups by component
    back = pca.inverse_transform(codes[rows]).reshape(count, *data.input_shape)
    return np.clip(back, 0.0, 1.0).astype(np.float32)


def _grid(samples: np.ndarray) -> np.ndarray:
    pictures = samples[..., 0] if samples.shape[-1] == 1 else samples
    return tile(pictures, GRID)
