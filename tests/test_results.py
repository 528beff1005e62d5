import json
import multiprocessing
from pathlib import Path

import pytest

from dlwp_suite.results import ResultsStore, make_record, read_records


def record(name: str = "network", **kw):
    fields = {
        "run_id": "r1",
        "experiment": "ch03.imdb.dense",
        "variant": "book",
        "kind": "model",
        "name": name,
        "profile": "smoke",
        "seed": 0,
        "params": {"hidden": (16, 16)},
        "metrics": {"test_accuracy": 0.9},
        "targets": [],
        "timings": {"wall_s": 1.0},
        "environment": {"keras": "3", "backend": "tensorflow", "device": "CPU x"},
        "data": {"files": {"imdb.npz": {"sha256": "ab"}}},
    }
    return make_record(**{**fields, **kw})


def test_record_has_the_required_fields():
    r = record()
    for key in (
        "experiment",
        "kind",
        "name",
        "params",
        "profile",
        "seed",
        "metrics",
        "targets",
        "timings",
        "environment",
    ):
        assert key in r
    assert r["environment"]["datasets"] == {"imdb.npz": "ab"}
    with pytest.raises(ValueError, match="kind"):
        record(kind="other")


def test_append_and_read_back(tmp_path: Path):
    store = ResultsStore(tmp_path, "r1", "gw0")
    store.append(record())
    store.append(record("majority", kind="baseline"))
    names = [r["name"] for r in read_records(tmp_path)]
    assert names == ["network", "majority"]
    assert store.path.name == "r1.gw0.jsonl"


def test_torn_last_line_is_skipped_with_a_warning(tmp_path: Path):
    store = ResultsStore(tmp_path, "r1")
    store.append(record())
    with store.path.open("a") as handle:
        handle.write(json.dumps(record())[:40])  # a run killed mid-write
    with pytest.warns(UserWarning, match="incomplete record"):
        assert len(list(read_records(tmp_path))) == 1


def _write_many(directory: str, worker: str) -> None:
    store = ResultsStore(Path(directory), "shared", worker)
    for seed in range(50):
        store.append(record(seed=seed, params={"blob": "x" * 5000}))


def test_parallel_workers_never_interleave(tmp_path: Path):
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        # Both processes append to the same file: each record must still be whole.
        pool.starmap(_write_many, [(str(tmp_path), "main"), (str(tmp_path), "main")])
    assert len(list(read_records(tmp_path))) == 100
