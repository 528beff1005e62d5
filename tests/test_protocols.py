"""Each protocol plug-in and the runner, on one smoke case each (seconds)."""

import dataclasses

import keras
import numpy as np
import pytest

from dlwp_suite.compat import KERAS_MAJOR, fuse_steps, tensorflow_backend
from dlwp_suite.environment import accelerator
from dlwp_suite.experiments import get
from dlwp_suite.protocols import PROTOCOLS
from dlwp_suite.protocols import get as protocol
from dlwp_suite.protocols.callbacks import expected_learning_rates, expected_stop_epoch
from dlwp_suite.protocols.weighted_ensemble import accuracy, fit_weights
from dlwp_suite.run_context import DEFAULT_CONTEXT
from dlwp_suite.runner import fit_baselines, run_case, run_comparisons

ENV = {"keras": "3", "backend": "tensorflow", "device": "CPU"}


def test_an_unknown_protocol_is_a_clear_error():
    # Every registered protocol runs in the smoke profile end to end (test_plugin.py),
    # which checks that each records only the metrics it declares.
    with pytest.raises(KeyError, match="no protocol 'teleport'"):
        protocol("teleport")


def test_runner_checks_targets_against_baselines_fitted_once(smoke_data):
    experiment = get("ch03.imdb.dense")
    case, data = experiment.cases("smoke")[0], smoke_data(experiment)
    baselines = fit_baselines(case, data, 0, experiment.baselines)
    written: list[dict] = []
    outcome = run_case(case, data, [0, 1], "run", ENV, baselines, written.append)
    assert [r["seed"] for r in outcome.records] == [0, 1]
    # Memory peaks: the process' resident set always; the accelerator's only where one is.
    assert outcome.records[0]["timings"]["process_peak_rss_mb"] > 0
    # The machine's speed on each side of each seed (the plan scales seed times by it):
    # the first seed's reading after is the second's before.
    first, second = (r["timings"] for r in outcome.records)
    assert 0 < first["canary_before_s"] < 1 and 0 < first["canary_after_s"] < 1
    assert second["canary_before_s"] == first["canary_after_s"]
    assert ("device_peak_memory_mb" in outcome.records[0]["timings"]) == (accelerator() is not None)
    (target,) = outcome.records[0]["targets"]
    assert target["reference"] == baselines["majority"].metrics["test_accuracy"]
    assert outcome.records[0]["targets"][0]["declared"]["baseline"] == "majority"
    compared = run_comparisons(
        case, data, 0, "run", ENV, baselines, written.append, network=outcome.tested
    )
    kinds = [r["kind"] for r in compared.records]
    assert kinds.count("baseline") == len(experiment.baselines) and kinds[-1] == "ensemble"


def test_each_seed_is_written_as_soon_as_it_finishes(smoke_data):
    """An interrupt during seed 1 must not lose seed 0's record."""
    experiment = get("ch03.imdb.dense")
    case, data = experiment.cases("smoke")[0], smoke_data(experiment)
    baselines = fit_baselines(case, data, 0, experiment.baselines)
    written: list[int] = []

    def write(record: dict) -> None:
        written.append(record["seed"])
        raise KeyboardInterrupt  # as if Ctrl-C came right after seed 0 was recorded

    with pytest.raises(KeyboardInterrupt):
        run_case(case, data, [0, 1, 2], "run", ENV, baselines, write)
    assert written == [0]


def test_roughness_is_zero_for_a_straight_curve_and_grows_with_zigzags():
    from dlwp_suite.protocols.curves import roughness

    assert roughness([0.3, 0.4, 0.5, 0.6]) == pytest.approx(0.0)
    assert roughness([0.3, 0.5, 0.3, 0.5]) == pytest.approx(0.4)
    assert roughness([0.3, 0.4]) == 0.0


def test_the_l2_claim_reads_the_cross_entropy_without_the_penalty(smoke_data):
    """Keras adds the L2 penalty to val_loss: the curves protocol records both."""
    experiment = get("ch04.imdb.overfitting")
    case = experiment.case("l2", "smoke")
    result = PROTOCOLS["curves"].run(case, smoke_data(experiment), seed=0)
    assert result.metrics["last_val_loss"] > result.metrics["last_val_crossentropy"]


@pytest.mark.skipif(
    not tensorflow_backend() or KERAS_MAJOR < 3, reason="fused only on Keras 3 + TF"
)
def test_fused_steps_train_the_same_weights_as_single_steps():
    rng = np.random.default_rng(0)
    x, y = rng.random((200, 8), dtype="float32"), rng.integers(0, 2, (200, 1)).astype("float32")

    def trained(steps: int) -> tuple[int, list[np.ndarray]]:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4), keras.layers.Dense(1)])
        model.compile(optimizer="rmsprop", loss="mse")
        fused = fuse_steps(model, steps)
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)  # 13 batches: a partial last call
        return fused, model.get_weights()

    (one, single), (five, fused) = trained(1), trained(5)
    assert (one, five) == (1, 5)
    for a, b in zip(single, fused, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_early_stopping_is_expected_patience_epochs_after_the_last_improvement():
    def stop(values, patience, higher=True, cap=10):
        return expected_stop_epoch(values, patience, higher, cap)

    # Best at epoch 2; epochs 3 and 4 do not beat it (a tie is no improvement).
    assert stop([0.5, 0.6, 0.6, 0.55, 0.7], patience=2) == 4
    assert stop([0.4, 0.3, 0.35, 0.2], patience=1, higher=False) == 3
    # Never two flat epochs: training runs to the cap, so a history that ends sooner
    # (at epoch 3 here) stopped too early, by 7 epochs.
    assert stop([0.5, 0.6, 0.7], patience=2) == 10


def test_learning_rate_is_cut_after_patience_epochs_without_a_min_delta_improvement():
    losses = [1.0, 0.9, 0.89995, 0.95, 0.8, 0.81, 0.82]
    # Epoch 3 improves by less than min_delta: with epoch 4, two epochs of no progress;
    # the last entry is the rate after the last epoch (epochs 6 and 7 cut it again).
    rates = expected_learning_rates(losses, 1e-3, 0.1, patience=2, min_delta=1e-4)
    assert rates == pytest.approx([1e-3, 1e-3, 1e-3, 1e-3, 1e-4, 1e-4, 1e-4, 1e-5])
    # Keras stores min_delta negated for a metric that falls: the size is what counts.
    assert expected_learning_rates(losses, 1e-3, 0.1, 2, -1e-4) == rates


def test_the_callbacks_protocol_catches_a_callback_that_misbehaves(smoke_data, monkeypatch):
    """An EarlyStopping that waits longer than declared is an error of the size of the
    gap, not a pass."""
    import dlwp_suite.protocols.callbacks as callbacks

    experiment = get("ch07.imdb.callbacks")
    case = experiment.case("2e", "smoke")
    # 12 epochs: the generated data's validation accuracy reaches 1.0 and stalls.
    case = dataclasses.replace(case, params={**case.params, "epochs": 12})
    data = smoke_data(experiment)
    honest = PROTOCOLS["callbacks"].run(case, data, seed=0).metrics
    assert honest["stopped_early"] == 1 and honest["early_stopping_error"] == 0
    assert honest["checkpoint_error"] < 1e-4
    real = keras.callbacks.EarlyStopping
    monkeypatch.setattr(
        callbacks.keras.callbacks,
        "EarlyStopping",
        lambda monitor, patience: real(monitor=monitor, patience=patience + 3),
    )
    broken = PROTOCOLS["callbacks"].run(case, data, seed=0).metrics
    assert broken["early_stopping_error"] == 3


def test_the_checkpoint_and_learning_rate_bars_catch_callbacks_that_misbehave(
    smoke_data, monkeypatch
):
    """A checkpoint that keeps the worst epoch, and a rate cut every epoch instead of
    after 10 flat ones, miss the bars the book's callbacks meet."""
    import dlwp_suite.protocols.callbacks as callbacks
    from dlwp_suite.experiments.ch07 import CHECKPOINT_KEEPS_BEST, LR_AS_DOCUMENTED

    experiment = get("ch07.imdb.callbacks")
    data = smoke_data(experiment)

    def run(variant):
        case = experiment.case(variant, "smoke")
        case = dataclasses.replace(case, params={**case.params, "epochs": 12})
        return PROTOCOLS["callbacks"].run(case, data, seed=0).metrics

    def met(target, metrics):
        return target.bar().check([metrics[target.metric]]).passed

    honest_2e, honest_lr = run("2e"), run("reduce_lr")
    assert met(CHECKPOINT_KEEPS_BEST, honest_2e) and met(LR_AS_DOCUMENTED, honest_lr)
    keras_callbacks = callbacks.keras.callbacks
    checkpoint, plateau = keras_callbacks.ModelCheckpoint, keras_callbacks.ReduceLROnPlateau
    monkeypatch.setattr(  # "max" on val_loss: it keeps the worst epoch
        keras_callbacks,
        "ModelCheckpoint",
        lambda filepath, monitor, save_best_only: checkpoint(
            filepath=filepath, monitor=monitor, save_best_only=save_best_only, mode="max"
        ),
    )
    monkeypatch.setattr(  # no epoch improves by 10: a cut every epoch
        keras_callbacks,
        "ReduceLROnPlateau",
        lambda monitor, factor, patience: plateau(
            monitor=monitor, factor=factor, patience=0, min_delta=10.0
        ),
    )
    broken_2e, broken_lr = run("2e"), run("reduce_lr")
    assert not met(CHECKPOINT_KEEPS_BEST, broken_2e), broken_2e["checkpoint_error"]
    assert not met(LR_AS_DOCUMENTED, broken_lr), broken_lr["lr_schedule_error"]


def test_ensemble_weights_favour_the_members_that_help_on_validation():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 4000)
    sharp = np.clip(y + rng.normal(0, 0.45, y.size), 0, 1)
    other = np.clip(y + rng.normal(0, 0.45, y.size), 0, 1)  # as good, errors independent
    noise = rng.random(y.size)
    members = np.array([sharp, other, noise])
    weights = fit_weights(members, y)
    assert weights[2] < 0.2  # the noise member is all but left out
    assert accuracy(weights @ members, y) > max(accuracy(m, y) for m in members)
    assert fit_weights(members[:1], y) == pytest.approx([1.0])


def test_ensemble_weights_do_not_collapse_onto_one_member_when_the_mix_is_better():
    """Three members, each confidently right except on its own third of the reviews,
    where it is timidly wrong: any one member gets 2/3 right, the mix all of them; weights
    that collapse onto the best member (the ensemble's failure) would stay at 2/3."""
    y = np.tile([0, 1], 30)
    thirds = np.arange(y.size) % 3
    members = np.array(
        [
            np.where(thirds == i, np.where(y == 1, 0.45, 0.55), np.where(y == 1, 0.8, 0.2))
            for i in range(3)
        ]
    )
    weights = fit_weights(members, y)
    assert max(accuracy(m, y) for m in members) == pytest.approx(2 / 3)
    assert accuracy(weights @ members, y) == 1.0


@pytest.mark.parametrize(
    ("units", "loss", "labels"),
    [
        (1, "binary_crossentropy", "binary"),
        (1, "mse", "binary"),  # "accuracy" is still binary_accuracy
        (4, "sparse_categorical_crossentropy", "integer"),
        (4, "categorical_crossentropy", "one_hot"),
    ],
)
def test_the_test_metric_from_predictions_is_the_one_evaluate_gives(units, loss, labels):
    """One pass over the test set: the accuracy computed from the predictions the
    ensembles use equals Keras' own ``evaluate``."""
    from dlwp_suite.protocols.base import tested

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5)).astype("float32")
    classes = rng.integers(0, units if units > 1 else 2, 300)
    if labels == "one_hot":
        y = keras.utils.to_categorical(classes, units)
    else:
        y = classes.astype("float32") if labels == "binary" else classes
    model = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(units, activation="sigmoid" if units == 1 else "softmax"),
        ]
    )
    model.compile("rmsprop", loss, metrics=["accuracy"])
    expected = model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"]
    value, predicted, rate = tested(model, x, y, "accuracy", 64)
    assert value == pytest.approx(expected, abs=1e-6) and rate > 0
    assert predicted.shape == ((300,) if units == 1 else (300, units))
    regressor = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    regressor.compile("rmsprop", "mse", metrics=["mae"])
    target = rng.normal(size=300)
    mae = regressor.evaluate(x, target, verbose=0, return_dict=True)["mae"]
    assert tested(regressor, x, target, "mae", 64)[0] == pytest.approx(mae, rel=1e-5)


@pytest.mark.parametrize("loss", ["mse", "binary_crossentropy"])
def test_a_small_validation_set_scored_in_one_batch_gives_keras_own_curves(monkeypatch, loss):
    """`fit` scores a small held-out set with one ``test_on_batch`` an epoch: the same
    training, Keras' own validation numbers, and the pass not charged to training;
    larger sets go through Keras' evaluate."""
    from dlwp_suite.protocols import base

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 6)).astype("float32")
    y = (rng.random(120) > 0.5).astype("float32")
    case = get("ch03.boston.kfold").case("book", "smoke")

    def trained(one_batch_bytes: int) -> tuple[dict, dict, list[np.ndarray]]:
        monkeypatch.setattr(base, "ONE_BATCH_VALIDATION_BYTES", one_batch_bytes)
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)]
        )
        model.compile(optimizer="rmsprop", loss=loss, metrics=["mae"])
        history, timings = base.fit(
            case,
            model,
            x[:90],
            y[:90],
            3,
            4,
            validation=(x[90:], y[90:]),
            seed=0,
            context=DEFAULT_CONTEXT,
        )
        return history, timings, model.get_weights()

    small = keras.Sequential([keras.Input((6,)), keras.layers.Dense(1)])
    assert base.scored_in_one_batch((x[90:], y[90:]), small)
    (keras_history, keras_timings, keras_weights) = trained(0)
    (history, timings, weights) = trained(base.ONE_BATCH_VALIDATION_BYTES)
    assert set(history) == set(keras_history) >= {"val_loss", "val_mae"}
    for key in ("val_loss", "val_mae", "loss"):
        np.testing.assert_allclose(history[key], keras_history[key], rtol=1e-5)
    for a, b in zip(weights, keras_weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert timings["validation_s"] > 0 and keras_timings["validation_s"] > 0
    wide = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2 << 20)])
    assert not base.scored_in_one_batch((np.zeros((2, 2 << 20), "float32"), np.zeros(2)), small)
    assert not base.scored_in_one_batch((np.zeros((2000, 2), "float32"), np.zeros(2000)), small)
    assert not base.scored_in_one_batch((np.zeros((10, 2), "float32"), np.zeros(10)), wide)


def test_a_target_reached_in_the_first_epoch_counts_that_epoch_with_one_batch_validation():
    """The target clock reads the epoch clock after it has timed the epoch, also when a
    small validation set is scored by `OneBatchValidation` (listed first)."""
    from dlwp_suite.protocols import base

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 4)).astype("float32"), rng.random(60).astype("float32")
    case = get("ch03.boston.kfold").case("book", "book")  # K-fold MAE target 2.38: easy here
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    assert base.scored_in_one_batch((x[40:], y[40:]), model)
    _, timings = base.fit(
        case,
        model,
        x[:40],
        y[:40],
        2,
        8,
        validation=(x[40:], y[40:]),
        monitor=("kfold_val_mae", lambda _, logs: float(logs["val_mae"])),
        seed=0,
        context=DEFAULT_CONTEXT,
    )
    assert timings["epochs_to_target"] == 1 and timings["time_to_target_s"] > 0
