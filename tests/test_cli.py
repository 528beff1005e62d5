from pathlib import Path

from dlwp_suite import synthetic
from dlwp_suite.cli import main


def test_list_shows_targets_with_sources(capsys):
    assert main(["list", "--profile", "book"]) == 0
    out = capsys.readouterr().out
    assert "ch03.boston.kfold" in out and "kfold_val_mae ≈ 2.38" in out and "c17" in out
    assert "claims (book profile)" in out
    assert "jena-1e-reversed-gru-worse" in out and "1e 6.3" in out
    assert "ch06.jena.1e[gru] beats ch06.jena.1e[reversed_gru] on best_val_mae" in out


def test_data_reports_found_missing_and_corrupt(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    mirror = tmp_path / "mirror"
    synthetic.write_boston(mirror)
    assert main(["data", "--data-dir", str(mirror)]) == 0
    out = capsys.readouterr().out
    assert "ok       boston_housing.npz" in out and "missing  reuters.npz" in out
    (mirror / "boston_housing.npz").write_bytes(b"truncated")
    assert main(["data", "--data-dir", str(mirror)]) == 1
    assert "CORRUPT  boston_housing.npz" in capsys.readouterr().out


def test_data_checks_the_image_folder_against_the_manifest(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    mirror = tmp_path / "mirror"
    synthetic.write_dogs_vs_cats(mirror, counts=(3, 2, 2))
    cats = mirror / "cats_and_dogs_small" / "train" / "cats"
    (cats / "cat.1.jpg").unlink()
    (cats / "cat.2.jpg").write_bytes(b"replaced")
    assert main(["data", "--data-dir", str(mirror)]) == 1
    out = capsys.readouterr().out
    assert "CORRUPT  dogs vs cats" in out and "(12 of 13 images)" in out
    assert "1 of the 14 images SHA256SUMS lists under cats_and_dogs_small/ are missing" in out
    assert "fails SHA256SUMS: cats_and_dogs_small/train/cats/cat.2.jpg" in out
    assert main(["data", "--data-dir", str(tmp_path / "mirorr")]) == 2
    assert "the mirror" in capsys.readouterr().err


def test_report_without_records(tmp_path: Path, capsys):
    assert main(["report", "--results", str(tmp_path)]) == 2  # no manifest to judge by
    assert "dlwp-suite manifest" in capsys.readouterr().err
    assert main(["manifest", "--out", str(tmp_path)]) == 0
    assert main(["report", "--results", str(tmp_path)]) == 0
    assert "No verdicts yet" in (tmp_path / "report.md").read_text()


def test_calibrate_runs_held_out_seeds_and_prints_the_band(tmp_path: Path, capsys):
    assert main(["calibrate", "ch03.boston.kfold[book]", "--seeds", "1-3"]) == 2
    assert "from 100 up" in capsys.readouterr().err
    args = ["calibrate", "ch03.boston.kfold[book]", "--seeds", "100-101", "--profile", "smoke"]
    assert main([*args, "--results", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "median's lead over mean - 3 x std" in out and "seeds 100-101" in out
    (records,) = (tmp_path / "runs").glob("calibrate-*.jsonl")
    assert len(records.read_text().splitlines()) == 2
