"""Weather series: canonical-format parsing, clear failures, and window bookkeeping."""

import zipfile
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest

from dlwp_suite import synthetic
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets.weather import JENA_ZIP, load_series
from dlwp_suite.datasets.windows import WindowBatches, Windows, series_task_data
from dlwp_suite.errors import DatasetCorrupt, DatasetUnavailable
from dlwp_suite.experiments import ch06
from dlwp_suite.protocols import PROTOCOLS


def _rewrite_csv(directory: Path, edit) -> None:
    """Edit the generated Jena CSV's lines, re-zip it and re-vouch for it."""
    archive = directory / JENA_ZIP.name
    with zipfile.ZipFile(archive) as zipped:
        name = zipped.namelist()[0]
        lines = zipped.read(name).decode().splitlines()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr(name, "\n".join(edit(lines)))
    synthetic._update_manifest(directory, JENA_ZIP.name)


@pytest.fixture
def jena(data_config: DataConfig) -> DataConfig:
    synthetic.write_jena(data_config.data_dir, rows=2_000)
    return data_config


def test_generated_jena_loads_and_says_it_is_generated(jena: DataConfig):
    series = load_series(jena, "jena")
    assert series.values.shape == (2_000, 14) and series.values.dtype == np.float32
    assert series.columns[series.temperature_column] == "T (degC)"
    assert series.interval_minutes == 10
    assert any("GENERATED" in note for note in series.notes)
    assert any("canonical file has 420,551" in note for note in series.notes)
    assert load_series(jena, "jena").from_cache


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda lines: [lines[0], *lines[1:5], lines[5].replace(",", ",x", 1), *lines[6:]],
            r"line 6 has a missing or non-numeric cell",
        ),
        (lambda lines: [*lines[:-1], lines[-1][:25]], r"line 2001 has a missing"),
        (lambda lines: [lines[0].replace("rh (%)", "rh"), *lines[1:]], r"expected the columns"),
        (
            lambda lines: [lines[0], *lines[1:10], "not a date" + lines[10][19:], *lines[11:]],
            r"line 11 has a missing or non-numeric cell",
        ),
    ],
    ids=["non-numeric", "truncated", "columns", "bad-time"],
)
def test_malformed_csv_names_the_file_and_first_bad_row(jena: DataConfig, edit, message):
    _rewrite_csv(jena.data_dir, edit)
    with pytest.raises(DatasetCorrupt, match=message) as error:
        load_series(jena, "jena")
    assert JENA_ZIP.name in str(error.value)


def test_missing_series_skips_with_how_to_fix(data_config: DataConfig):
    with pytest.raises(DatasetUnavailable, match=r"jena_climate_2009_2016\.csv\.zip not found"):
        load_series(data_config, "jena")


def test_seattle_is_hourly_and_in_celsius(data_config: DataConfig):
    synthetic.write_seattle_temps(data_config.data_dir, hours=100)
    series = load_series(data_config, "seattle")
    assert series.interval_minutes == 60 and series.values.shape == (100, 1)
    assert any("converted from °F to °C" in note for note in series.notes)
    assert series.rows_for_hours(24) == 24


@pytest.mark.parametrize(("split", "stride"), [("train", 1), ("validation", 5)])
def test_windows_are_exactly_keras_timeseries_windows(split, stride):
    """Our batched gather gives the windows timeseries_dataset_from_array gives."""
    import keras

    rows = 500
    values = np.arange(rows * 2, dtype=np.float32).reshape(rows, 2)
    windows = Windows(60, 6, 14, {"train": (0, 200), "validation": (201, 300)}, rows)
    offset = windows.target_offset
    first, end = windows.splits[split]
    reference = keras.utils.timeseries_dataset_from_array(
        values[: rows - offset],
        values[offset:, 0],
        sequence_length=windows.sequence_length,
        sampling_rate=windows.step,
        sequence_stride=stride,
        batch_size=16,
        start_index=first,
        end_index=end,
    )
    ours = windows.dataset(values, values[:, 0], split, 16, stride)
    starts = windows.starts(split, stride)
    # The PyDataset the backends without TensorFlow read gives the same batches.
    numpy_batches = WindowBatches(windows, values, values[:, 0], starts, 16, None, False)
    for (x, y), (x_np, y_np), (x_ref, y_ref) in zip(ours, numpy_batches, reference, strict=True):
        np.testing.assert_array_equal(x, x_ref)
        np.testing.assert_array_equal(y, y_ref)
        np.testing.assert_array_equal(x_np, x_ref)
        np.testing.assert_array_equal(y_np, y_ref)
    assert len(starts) == sum(len(y) for _, y in reference)
    np.testing.assert_array_equal(starts * 2, np.concatenate([x[:, 0, 0] for x, _ in ours]))


def test_shuffled_windows_are_a_permutation():
    rows = 300
    values = np.arange(rows, dtype=np.float32)[:, None]
    windows = Windows(30, 3, 6, {"train": (0, 200)}, rows)
    shuffled = np.concatenate(
        [
            np.asarray(x)[:, 0, 0]
            for x, _ in windows.dataset(values, values[:, 0], "train", 8, seed=1)
        ]
    )
    starts = windows.starts("train")
    assert not np.array_equal(shuffled, starts)
    np.testing.assert_array_equal(np.sort(shuffled), starts)


def test_numpy_window_batches_reshuffle_each_pass_and_repeat_on_request():
    rows = 300
    values = np.arange(rows, dtype=np.float32)[:, None]
    windows = Windows(30, 3, 6, {"train": (0, 200)}, rows)
    starts = windows.starts("train")
    once = WindowBatches(windows, values, values[:, 0], starts, 8, 1, repeat=False)
    first = np.concatenate([x[:, 0, 0] for x, _ in once])
    once.on_epoch_end()
    second = np.concatenate([x[:, 0, 0] for x, _ in once])
    np.testing.assert_array_equal(np.sort(first), starts)
    np.testing.assert_array_equal(np.sort(second), starts)
    assert not np.array_equal(first, second) and not np.array_equal(first, starts)
    endless = WindowBatches(windows, values, values[:, 0], starts, 8, 1, repeat=True)
    assert endless.num_batches is None and once.num_batches == len(once)
    two_passes = [endless[i][0][:, 0, 0] for i in range(2 * len(endless))]
    np.testing.assert_array_equal(np.concatenate(two_passes[: len(endless)]), first)
    np.testing.assert_array_equal(np.sort(np.concatenate(two_passes[len(endless) :])), starts)
    with pytest.raises(IndexError):
        once[len(once)]


def test_editions_share_one_window_definition():
    first = ch06.JENA_1E.case("gru", "book").params
    second = ch06.JENA_2E.case("lstm16", "book").params
    six = 6  # rows an hour at 10 minutes
    # 1e: lookback 1440, step 6, delay 144; 2e: delay 6*(120+24-1) from the window start.
    assert first["lookback_hours"] * six == 1440 and first["delay_hours"] * six == 144
    assert (second["lookback_hours"] + second["delay_hours"]) * six == 6 * (120 + 24 - 1)


def test_too_short_a_series_says_so(jena: DataConfig):
    case = ch06.JENA_2E.case("lstm16", "smoke")
    with pytest.raises(ValueError, match="hold no whole window"):
        series_task_data(load_series(jena, "jena"), case.params)


def test_common_sense_baseline_is_the_last_temperature(data_config: DataConfig):
    synthetic.write_jena(data_config.data_dir, rows=8_000)
    jena = data_config
    case = ch06.JENA_2E.case("lstm16", "smoke")
    data = series_task_data(load_series(jena, "jena"), case.params)
    result = PROTOCOLS["forecast"].baseline("common_sense", case, data, 0)
    windows = data.extras["windows"]
    starts = windows.starts("test", case.params["eval_stride"])
    celsius = data.extras["celsius"]
    expected = np.mean(np.abs(celsius[starts + windows.lookback - 6] - data.y_test))
    assert result.metrics["test_mae"] == pytest.approx(expected)
    assert result.trivial


def test_split_rows_refuses_a_too_short_series_for_the_1e_split():
    from dlwp_suite.datasets.windows import split_rows

    with pytest.raises(ValueError, match="needs over 300,001 rows"):
        split_rows(MappingProxyType(ch06.PROTOCOL_1E), 1_000)


def test_a_variant_reads_windows_of_its_own_geometry(data_config: DataConfig):
    """The 1e Conv1D+GRU samples every 30 min: its windows have twice the steps."""
    from dlwp_suite.datasets.windows import for_case

    synthetic.write_jena(data_config.data_dir, rows=20_000)
    gru = ch06.JENA_1E.case("gru", "smoke")
    data = series_task_data(load_series(data_config, "jena"), gru.params)
    assert for_case(data, gru.params) is data
    conv = ch06.JENA_1E.case("conv1d_gru", "smoke")
    windows = for_case(data, conv.params).extras["windows"]
    assert (
        windows.step == 3 and windows.sequence_length == 2 * data.extras["windows"].sequence_length
    )


def test_the_pipeline_bar_catches_a_pipeline_that_starves_training(smoke_data, monkeypatch):
    """A window pipeline that takes 0.3 s a batch leaves the GRU waiting on it: its share
    of a step is above the half the bar allows."""
    import dataclasses
    import time

    from dlwp_suite.compat import tensorflow_backend
    from dlwp_suite.experiments import get

    if not tensorflow_backend():
        pytest.skip("the windows stream through tf.data on TensorFlow only")
    import tensorflow as tf

    def nap(x, y):
        time.sleep(0.3)
        return x, y

    def slowed(x, y):
        a, b = tf.py_function(nap, [x, y], [x.dtype, y.dtype])
        a.set_shape(x.shape)
        b.set_shape(y.shape)
        return a, b

    real = Windows.dataset
    monkeypatch.setattr(Windows, "dataset", lambda self, *a, **k: real(self, *a, **k).map(slowed))
    experiment = get("ch06.jena.1e")
    case = experiment.case("gru", "smoke")
    params = {**case.params, "epochs": 2, "steps_per_epoch": 10, "pipeline_batches": 3}
    case = dataclasses.replace(case, params=params)
    starved = PROTOCOLS["forecast"].run(case, smoke_data(experiment), seed=0).metrics
    check = ch06.PIPELINE_KEEPS_UP.bar().check([starved["pipeline_share"]])
    assert not check.passed, starved["pipeline_share"]


def test_the_smoke_bar_catches_a_forecaster_that_does_not_learn(smoke_data, monkeypatch):
    """Smoke's one bar on a forecaster, "within 1.5 °C of ridge regression": a GRU whose
    optimiser takes no step stays far outside it (the trained one meets it in the smoke
    profile's end-to-end run)."""
    import keras

    import dlwp_suite.models.ch06 as models
    from dlwp_suite.experiments import get
    from dlwp_suite.runner import fit_baselines

    experiment = get("ch06.jena.1e")
    case = experiment.case("gru", "smoke")
    (bar,) = [t.bar() for t in case.targets if t.baseline == "ridge"]
    data = smoke_data(experiment)
    ridge = fit_baselines(case, data, 0, ["ridge"])["ridge"].metrics[bar.metric]

    frozen = keras.optimizers.RMSprop
    monkeypatch.setattr(models.keras.optimizers, "RMSprop", lambda: frozen(learning_rate=0.0))
    metrics = PROTOCOLS["forecast"].run(case, data, seed=0).metrics
    assert not bar.check([metrics[bar.metric]], ridge).passed, (metrics[bar.metric], ridge)
