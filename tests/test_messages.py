"""What a user meets when a setting is wrong: one clear message before any training.

Each case runs the real benchmark files through pytester with ``--collect-only``, so
the checks are the ones a full run makes before its first model.
"""

import os
import shutil
from pathlib import Path

import pytest

from dlwp_suite.cache import remove_stale_temporaries

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    shutil.copytree(BENCHMARKS, pytester.path / "benchmarks")
    monkeypatch.setenv("DLWP_CACHE_DIR", str(pytester.path / "cache"))
    monkeypatch.delenv("DLWP_DATA_DIR", raising=False)
    return pytester


def collect(suite: pytest.Pytester, *args: str, fresh: bool = False) -> pytest.RunResult:
    """Collect chapter 3 in this process, or in a fresh one where Keras must load anew
    (``fresh``: its backend is what the case gets wrong)."""
    run = suite.runpytest_subprocess if fresh else suite.runpytest_inprocess
    return run("benchmarks/test_ch03.py", "--dlwp-profile=smoke", "--collect-only", "-q", *args)


def test_a_negative_first_seed(suite: pytest.Pytester):
    result = collect(suite, "--dlwp-first-seed", "-5")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --dlwp-first-seed must be 0 or more, not -5*"])


def test_fewer_than_one_step_per_execution(suite: pytest.Pytester):
    result = collect(suite, "--dlwp-steps-per-execution", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --dlwp-steps-per-execution must be at least 1*"])


def test_a_mistyped_data_dir_is_a_usage_error_not_a_green_run_of_skips(suite: pytest.Pytester):
    result = collect(suite, "--dlwp-data-dir", str(suite.path / "shraed" / "data"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --dlwp-data-dir=*shraed/data: no such directory.*"])


def test_under_xdist_the_controller_says_it_before_the_workers_start(suite: pytest.Pytester):
    result = suite.runpytest_subprocess(
        "benchmarks/test_ch03.py",
        "--dlwp-profile=smoke",
        "-n",
        "2",
        "--dlwp-data-dir",
        str(suite.path / "shraed"),
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --dlwp-data-dir=*shraed: no such directory.*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_a_mistyped_data_dir_in_the_environment(suite: pytest.Pytester, monkeypatch):
    monkeypatch.setenv("DLWP_DATA_DIR", str(suite.path / "nowhere"))
    result = collect(suite)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: DLWP_DATA_DIR=*nowhere: no such directory.*"])


def test_an_unwritable_results_directory_fails_before_training(suite: pytest.Pytester):
    (suite.path / "results").write_text("a file, not a directory")
    result = collect(suite)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: cannot write run records under *--dlwp-results DIR"])


def test_an_unwritable_cache_directory_fails_before_training(suite: pytest.Pytester, monkeypatch):
    (suite.path / "cache-file").write_text("not a directory")
    monkeypatch.setenv("DLWP_CACHE_DIR", str(suite.path / "cache-file"))
    result = collect(suite)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: the cache of derived data *cache-file is not writable*DLWP_CACHE_DIR*"]
    )


def test_an_unknown_keras_backend(suite: pytest.Pytester, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "nonsense")
    result = collect(suite, fresh=True)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: *'nonsense' (from KERAS_BACKEND or keras.json) is not a Keras backend: use*"]
    )


def test_an_install_without_a_backend_names_the_extras(suite: pytest.Pytester, monkeypatch):
    hidden = suite.mkdir("no-backend")
    (hidden / "tensorflow.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'tensorflow'\", name='tensorflow')\n"
    )
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(hidden), os.environ.get("PYTHONPATH", "")])
    )
    result = collect(suite, fresh=True)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: Keras cannot load its 'tensorflow' backend*.[[]cpu[]]*"])


def test_a_killed_writers_temporary_cache_file_is_removed(tmp_path: Path):
    from dlwp_suite.cache import _writer

    host = _writer().rsplit("-", 1)[0]
    dead = tmp_path / "images" / f".dogs_vs_cats-ab.npz.{host}-999999999.x1y2.tmp"
    live = tmp_path / "images" / f".dogs_vs_cats-ab.npz.{_writer()}.x1y2.tmp"
    elsewhere = tmp_path / "images" / ".dogs_vs_cats-ab.npz.otherhost-999999999.x1y2.tmp"
    dead.parent.mkdir()
    for path in (dead, live, elsewhere):
        path.write_bytes(b"half")
    assert remove_stale_temporaries(tmp_path) == [dead]
    assert live.exists() and elsewhere.exists()  # another host's writer may be alive
    os.utime(elsewhere, (0, 0))
    assert remove_stale_temporaries(tmp_path) == [elsewhere]


def test_a_run_id_that_would_hide_its_records_in_a_subfolder(suite: pytest.Pytester, monkeypatch):
    monkeypatch.setenv("DLWP_RUN_ID", "team/run-1")
    result = collect(suite)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: DLWP_RUN_ID='team/run-1': use letters, digits*"])


def test_a_cache_inside_the_read_only_mirror(suite: pytest.Pytester, monkeypatch):
    mirror = suite.mkdir("mirror")
    monkeypatch.setenv("DLWP_CACHE_DIR", str(mirror / "cache"))
    result = collect(suite, "--dlwp-data-dir", str(mirror))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: the cache of derived data *lies inside the mirror*"])


FULL_DISK_CONFTEST = """
from dlwp_suite.results import RecordsNotWritten, ResultsStore

def pytest_configure(config):
    def full_disk(self, record):
        raise RecordsNotWritten(f"could not write to {self.path}: No space left on device")
    ResultsStore.append = full_disk
"""


def test_a_disk_that_fills_up_stops_the_run_with_the_file_named(suite: pytest.Pytester):
    suite.makeconftest(FULL_DISK_CONFTEST)
    result = suite.runpytest_subprocess(
        "benchmarks/test_ch03.py",
        "--dlwp-profile=smoke",
        "-k",
        "boston",
        "--benchmark-disable",
        "-p",
        "no:cacheprovider",
    )
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output
    result.assert_outcomes(failed=1)  # the run stopped after the first test
    result.stdout.fnmatch_lines(["*could not write to *runs*.jsonl: No space left on device*"])
