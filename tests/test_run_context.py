"""The run context: pictures, TensorBoard logs and fused steps reach the protocols through
it, from the plugin's options or a notebook's own, and never through the environment."""

import dataclasses
import importlib.util
import os
from pathlib import Path

import keras
import numpy as np
import pytest

from dlwp_suite.compat import FUSED_STEPS, KERAS_MAJOR, tensorflow_backend
from dlwp_suite.event_logs import tensorboard_callbacks
from dlwp_suite.experiments import get
from dlwp_suite.protocols import base
from dlwp_suite.run_context import DEFAULT_CONTEXT, RunContext
from dlwp_suite.runner import run_case

ENV = {"keras": "3", "backend": "tensorflow", "device": "CPU"}


@pytest.fixture
def leftover_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The variables the plugin once exported for the protocols, set as a shell or an
    older plugin might leave them; where they point."""
    stale = tmp_path / "from-the-environment"
    monkeypatch.setenv("DLWP_IMAGES_DIR", str(stale / "images" / "run"))
    monkeypatch.setenv("DLWP_TENSORBOARD_DIR", str(stale / "tensorboard"))
    monkeypatch.setenv("DLWP_STEPS_PER_EXECUTION", "5")
    return stale


def test_the_runner_draws_pictures_where_its_context_says(
    smoke_data, tmp_path: Path, leftover_environment: Path
):
    """A notebook's ``run_case`` draws the VAE's latent grid under its context's
    ``images_dir`` and records its path from the results directory; without a context,
    none, whatever the environment says."""
    experiment = get("ch08.mnist.vae")
    case, data = experiment.case("1e", "smoke"), smoke_data(experiment)
    case = dataclasses.replace(case, params={**case.params, "epochs": 1})
    written: list[dict] = []

    plain = run_case(case, data, [0], "run", ENV, {}, written.append)
    assert "images" not in plain.records[0]["details"]
    assert not leftover_environment.exists()

    results = tmp_path / "results"
    pictures = RunContext(images_dir=results / "images" / "run")
    drawn = run_case(case, data, [0], "run", ENV, {}, written.append, context=pictures)
    grid = drawn.records[0]["details"]["images"]["latent grid"]
    assert grid == f"images/run/{case.id}/seed0-latent_grid.png"
    assert (results / grid).is_file()
    assert not leftover_environment.exists()


def test_tensorboard_logs_follow_the_context(tmp_path: Path, leftover_environment: Path):
    assert tensorboard_callbacks(DEFAULT_CONTEXT.tensorboard_dir, "case[x]", 0, "fit") == []
    (callback,) = tensorboard_callbacks(tmp_path / "logs", "case[x]", 3, "fit")
    assert Path(callback.log_dir) == tmp_path / "logs" / "case[x]" / "seed3" / "fit"


@pytest.mark.skipif(
    not tensorflow_backend() or KERAS_MAJOR < 3, reason="fused only on Keras 3 + TF"
)
@pytest.mark.usefixtures("leftover_environment")
@pytest.mark.parametrize(
    ("context", "fused"), [(DEFAULT_CONTEXT, FUSED_STEPS), (RunContext(steps_per_execution=3), 3)]
)
def test_fused_steps_follow_the_context(context: RunContext, fused: int):
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 4), dtype="float32"), rng.random(40, dtype="float32")
    case = get("ch03.boston.kfold").case("book", "smoke")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mse")
    _, timings = base.fit(case, model, x, y, 1, 8, seed=0, context=context)
    assert timings["steps_per_execution"] == fused


@pytest.mark.parametrize("asked", [True, False], ids=["options", "defaults"])
def test_the_plugin_hands_its_options_to_the_fixture(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    leftover_environment: Path,
    asked: bool,
):
    """One context a process, built from the options alone, and nothing exported: the
    ``dlwp`` fixture's session object carries it to the runner."""
    if asked and importlib.util.find_spec("tensorflow") is None:
        pytest.skip("--dlwp-tensorboard needs tensorflow")
    root = pytester.path.resolve()
    images = root / "out" / "images" / "the-run"
    logs = f"Path({str(root / 'logs')!r})" if asked else "None"
    steps = 4 if asked else None
    pytester.makepyfile(
        test_context=f"""
        import dataclasses
        from pathlib import Path

        from dlwp_suite.run_context import RunContext


        def test_context(dlwp):
            built = dataclasses.replace(dlwp.context, kept_models=None)
            assert built == RunContext(Path({str(images)!r}), {logs}, {steps})
            # The session adds where trained models wait for the cases that look inside
            # them: in the quick profile no case does.
            assert dlwp.context.kept_models.wanted == frozenset()
        """
    )
    monkeypatch.setenv("DLWP_RUN_ID", "the-run")
    options = ["--dlwp-tensorboard", "logs", "--dlwp-steps-per-execution", "4"] if asked else []
    result = pytester.runpytest("--dlwp-results", "out", "-p", "no:cacheprovider", *options)
    result.assert_outcomes(passed=1)
    assert os.environ["DLWP_IMAGES_DIR"] == str(leftover_environment / "images" / "run")
