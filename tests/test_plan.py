"""The book profile's plan: time probes, their extrapolation, and the report's use of them."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from dlwp_suite import progress
from dlwp_suite.preflight import plan_line
from dlwp_suite.report import markdown
from dlwp_suite.report.scoreboard import plan_gaps, scoreboard
from dlwp_suite.report.tables import plan_table
from dlwp_suite.results.judge import judge
from dlwp_suite.results.plan import (
    FITS_WITHIN_S,
    Machine,
    PlanRow,
    plan_rows,
    probe_accuracy,
    run_estimate,
    seed_estimate,
)
from dlwp_suite.results.records import cpu_kernels, newest
from dlwp_suite.results.verdicts import Status
from dlwp_suite.shards import plan_selections
from tests import factory

ROOT = Path(__file__).resolve().parent.parent
GPU = {"tensorflow": None, "keras": "3.15.1", "backend": "jax", "device": "GPU NVIDIA H200 x1"}
ORIGINAL, SMALLER, BIGGER = (
    f"ch04.imdb.overfitting[{v}]" for v in ("original", "smaller", "bigger")
)


def probe(case: str, phases: list[dict], wall_s: float, **fields) -> dict:
    """A time probe's record of ``case`` (book profile, TF CPU)."""
    return factory.record(
        case,
        0,
        {},
        kind="time_probe",
        name="time_probe",
        profile="book",
        timings={"wall_s": wall_s, "baselines_s": 5.0},
        plan={"budget_s": 30.0, "phases": phases, "stopped": None},
        **{"run_id": "probe", **fields},
    )


def phase(done: int, total: int, seconds: float, first: float, cut: bool = True) -> dict:
    timed = {"phase": "fit epoch", "done": done, "total": total, "seconds": seconds}
    return {**timed, "first_step_s": first, **({"cut": True} if cut else {})}


def bigger_probed_smaller_missing() -> list[dict]:
    """Time probes: the bigger network's cut its one phase at 3 of 20 epochs; the smaller
    one's data was missing when its probe ran."""
    missing = factory.outcome(
        f"model:{SMALLER}",
        "skipped",
        "dataset unavailable: imdb.npz",
        run_id="probe",
        profile="book",
    )
    missing["time_probe"] = True
    return [probe(BIGGER, [phase(3, 20, 1000.0, 400.0)], wall_s=1100.0), missing]


def on_trainers_model(viewer: str, trainer: str, seed: int) -> dict:
    """A book run's record of ``viewer`` that looked inside ``trainer``'s model (untimed)."""
    return factory.model(
        viewer,
        seed,
        {},
        profile="book",
        run_id="book",
        timings={"wall_s": 40.0},
        details={"reused": f"the model {trainer} trained for this seed"},
    )


def book_seed(case: str, seed: int, wall_s: float, canary_s: float | None, **fields) -> dict:
    """A book run's record of one seed, with a canary of ``canary_s`` on both sides of it
    (None: recorded before canaries)."""
    canary = {} if canary_s is None else {"canary_before_s": canary_s, "canary_after_s": canary_s}
    timings = {"wall_s": wall_s, **canary}
    fields = {"run_id": "book", **fields}
    return factory.model(case, seed, {}, profile="book", timings=timings, **fields)


def test_a_cut_phase_is_extrapolated_at_the_rate_after_its_first_step():
    # 3 of 20 epochs in 25 s, the first (with compilation) 9 s: 8 s an epoch after it.
    record = probe(ORIGINAL, [phase(1, 1, 4.0, 4.0), phase(3, 20, 25.0, 9.0)], wall_s=40.0)
    estimate = seed_estimate(record)
    assert estimate.seconds == pytest.approx(40.0 + 8.0 * 17)
    assert (estimate.phases_cut, estimate.how) == (1, "extrapolated")
    uncut = seed_estimate(probe(ORIGINAL, [phase(20, 20, 30.0, 3.0, cut=False)], wall_s=33.0))
    assert (uncut.seconds, uncut.how) == (33.0, "measured")
    # Early stopping ended this fit at epoch 7 of 20: nothing is left to extrapolate.
    stopped = seed_estimate(probe(ORIGINAL, [phase(7, 20, 30.0, 3.0, cut=False)], wall_s=33.0))
    assert (stopped.seconds, stopped.how) == (33.0, "measured")


def test_a_first_report_of_fused_steps_is_left_out_of_the_rate():
    # Batches reported 32 at a time: the first 32 took 6 s (compiling), the next 32 4 s.
    fused = {**phase(64, 320, 10.0, 6.0), "first_done": 32}
    estimate = seed_estimate(probe(ORIGINAL, [fused], wall_s=12.0))
    assert estimate.seconds == pytest.approx(12.0 + 4.0 / 32 * 256)


def test_a_probe_cuts_a_phase_only_after_its_budget_and_its_second_step():
    with progress.seed("case", 0, 0, 1):
        progress.step("fit epoch", 1, 10)
        assert not progress.past_budget(0.0)  # one step: its time is mostly compilation
        progress.step("fit epoch", 2, 10)
        assert not progress.past_budget(3600.0)
        assert not progress.past_budget(None)
        assert "cut" not in progress.timed_phases()[0]
        assert progress.past_budget(0.0)
        assert [(p["done"], p["calls"], p["cut"]) for p in progress.timed_phases()] == [
            (2, 2, True)
        ]


def test_a_phase_counted_in_batches_adds_a_validation_pass_for_each_epoch_left():
    """3 of 300 batches (100 an epoch) in 25 s after a 9 s first: 8 s a batch; the fit
    validated once after the cut (10 s a pass): 297 batches and 2 passes are left."""
    timed = {**phase(3, 300, 25.0, 9.0), "steps_per_epoch": 100}
    validated = {**timed, "validations": 1, "validation_s": 10.0}
    plain = seed_estimate(probe(ORIGINAL, [timed], wall_s=40.0))
    assert plain.seconds == pytest.approx(40.0 + 8.0 * 297)  # probes that timed no pass
    estimate = seed_estimate(probe(ORIGINAL, [validated], wall_s=50.0))
    assert estimate.seconds == pytest.approx(50.0 + 8.0 * 297 + 10.0 * 2)


def test_a_probe_times_a_validation_pass_apart_from_its_batches(monkeypatch):
    clock = iter([0.0, 5.0, 6.0, 7.0, 8.0, 10.0, 11.0, 12.0, 13.0, 20.0, 21.0, 22.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    with progress.seed("case", 0, 0, 1):  # reads 0.0
        progress.step("fit batch", 1, 20, None, 10)  # 5.0: compiles
        progress.step("fit batch", 2, 20, None, 10)  # 6.0
        progress.validation_batch(1)  # 7.0: compiles the test step
        progress.validation_batch(2)  # 8.0
        progress.validation_batch(3)  # 10.0
        progress.validation_batch(ended=True)  # 11.0
        progress.step("fit batch", 3, 20, None, 10)  # 12.0: 1 s of training after the pass
        # Fused steps: a call of 8 batches (compiling), then one of 4.
        progress.validation_batch(8)  # 13.0
        progress.validation_batch(12)  # 20.0: its 4 batches in 7 s
        progress.validation_batch(ended=True)  # 21.0
        (timed,) = progress.timed_phases()
    assert (timed["validations"], timed["steps_per_epoch"]) == (2, 10)
    assert timed["validation_s"] == pytest.approx(7.0 / 4 * 12)  # the later calls' rate
    assert timed["seconds"] == pytest.approx(7.0)  # the phase's 3 batches, not the passes


def test_a_fit_under_a_probe_reports_its_validation_pass():
    keras = pytest.importorskip("keras")
    from dlwp_suite.protocols.base import BatchProbe, EpochProgress, progress_callback

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.zeros((64, 4), "float32"), np.zeros((64, 1), "float32")
    with progress.seed("case", 0, 0, 1):
        model.fit(
            x,
            y,
            batch_size=8,
            epochs=3,
            validation_data=(x, y),
            verbose=0,
            callbacks=[progress_callback("fit", 3, budget_s=0.0)],
        )
        (timed,) = progress.timed_phases()
    assert (timed["done"], timed["total"], timed["steps_per_epoch"]) == (2, 24, 8)
    assert timed["cut"] and timed["validations"] == 1 and timed["validation_s"] > 0
    # Outside a probe: no batch hooks, which would sync every batch's logs (and turn off
    # JAX's asynchronous dispatch of callbacks).
    assert type(progress_callback("fit", 3, None)) is EpochProgress
    hooks = ("on_train_batch_end", "on_test_batch_end", "on_test_end")
    assert all(getattr(EpochProgress, h) is getattr(keras.callbacks.Callback, h) for h in hooks)
    assert all(getattr(BatchProbe, h) is not getattr(keras.callbacks.Callback, h) for h in hooks)


def test_the_plan_measures_extrapolates_and_estimates_the_gpu(manifest):
    records = [
        # The original ran three book seeds here, 60 s each, and one on a GPU (6 s).
        *(book_seed(ORIGINAL, s, 60.0, None) for s in range(3)),
        factory.model(
            ORIGINAL, 0, {}, profile="book", run_id="gpu", env=GPU, timings={"wall_s": 6.0}
        ),
        *bigger_probed_smaller_missing(),
    ]
    rows = {r.case: r for r in plan_rows(records, manifest)}
    original, bigger, smaller = rows[ORIGINAL], rows[BIGGER], rows[SMALLER]
    assert (original.seed_s, original.how, original.seeds_timed) == (60.0, "measured", 3)
    assert original.seeds_recorded == (0, 1, 2)
    assert (original.gpu_s, original.gpu_how) == (6.0, "measured")
    assert bigger.seed_s == pytest.approx(1100.0 + 300.0 * 17)
    assert bigger.how == "extrapolated" and bigger.fits is (bigger.seed_s <= FITS_WITHIN_S)
    assert not bigger.fits  # 1.7 h a seed: GPU-sized
    # Estimated from the one case timed on both: CPU 60 s against GPU 6 s.
    assert (bigger.gpu_how, bigger.gpu_ratio, bigger.gpu_ratio_cases) == ("estimated", 10.0, 1)
    assert bigger.gpu_s == pytest.approx(bigger.seed_s / 10)
    assert smaller.seed_s is None and smaller.reason == "data missing: imdb.npz"


def test_where_runs_measured_a_probed_case_the_plan_shows_how_far_the_probe_was_off(manifest):
    """A probe's extrapolation beside the seeds a run then measured: per row, and per
    machine over the cases of a minute or more (shorter ones time start-up)."""
    records = [
        probe(BIGGER, [phase(3, 20, 100.0, 40.0)], wall_s=110.0),  # 110 + 30 x 17 = 620 s
        probe(ORIGINAL, [phase(3, 20, 10.0, 4.0)], wall_s=11.0),  # 11 + 3 x 17 = 62 s
        probe(SMALLER, [], wall_s=0.01),  # timed no phase: says nothing
        *(
            book_seed(case, s, wall, None)
            for case, wall in ((BIGGER, 775.0), (ORIGINAL, 50.0), (SMALLER, 70.0))
            for s in range(3)
        ),
    ]
    rows = {r.case: r for r in plan_rows(records, manifest)}
    assert rows[BIGGER].probe_s == pytest.approx(620.0)
    assert rows[ORIGINAL].probe_s == pytest.approx(62.0)
    assert rows[SMALLER].probe_s is None
    (how,) = plan_table([rows[BIGGER]])["how"]
    assert how == "measured (3 seeds); its probe said 10.3 min (x 1.25)"
    (accuracy,) = probe_accuracy(rows.values())
    assert (accuracy.cases, accuracy.median) == (1, pytest.approx(1.25))  # 50 s: left out
    text = " ".join(markdown.probe_accuracy_lines([accuracy]))
    assert "x 1.25 (1.25-1.25, 1 case(s))" in text
    assert markdown.probe_accuracy_lines([]) == []


def test_asked_at_a_speed_now_the_plan_scales_what_carried_a_canary(manifest):
    """Seeds timed beside a canary are scaled to the canary read now: a case that took
    50 min a seed at a fast moment is GPU-sized on a machine running at half that speed.
    Where only some seeds carry one, the time is theirs; a GPU's time is not the host's."""
    records = [
        *(book_seed(ORIGINAL, s, 3000.0, 0.010) for s in range(3)),
        book_seed(ORIGINAL, 0, 6.0, 0.005, env=GPU),
        book_seed(SMALLER, 0, 100.0, 0.010),
        book_seed(SMALLER, 1, 400.0, None),  # a moment of unknown speed
        probe(BIGGER, [phase(3, 20, 1000.0, 400.0)], wall_s=1100.0),
    ]
    records[-1]["timings"].update(canary_before_s=0.03, canary_after_s=0.05)
    as_timed = {r.case: r for r in plan_rows(records, manifest)}
    assert (as_timed[ORIGINAL].seed_s, as_timed[ORIGINAL].fits) == (3000.0, True)
    assert as_timed[ORIGINAL].speed_ratio is None and as_timed[SMALLER].seed_s == 250.0
    now = {r.case: r for r in plan_rows(records, manifest, canary_now_s=0.02)}
    original, smaller, bigger = now[ORIGINAL], now[SMALLER], now[BIGGER]
    assert (original.seed_s, original.fits, original.speed_ratio) == (6000.0, False, 2.0)
    assert (original.gpu_s, original.gpu_how) == (6.0, "measured")
    assert (smaller.seed_s, smaller.speed_scaled, smaller.seeds_timed) == (200.0, 1, 2)
    # The probe ran at a slower moment than now (its canary's mean: 0.04 s): its seed
    # and baselines halve.
    assert bigger.seed_s == pytest.approx((1100.0 + 300.0 * 17) / 2)
    assert bigger.baselines_s == pytest.approx(2.5)
    (how,) = plan_table([smaller])["how"]
    assert how == (
        "measured (2 seeds); x 2.00 to the machine's speed now (the 1 of 2 seeds with a canary)"
    )
    (how,) = plan_table([original])["how"]
    assert how == "measured (3 seeds); x 2.00 to the machine's speed now"
    machine = original.machine
    estimate = run_estimate(records, {ORIGINAL: None}, "book", machine, range(3), None, 0.02)
    assert (estimate.seconds, estimate.scaled) == (pytest.approx(3 * 6000.0), 1)
    assert plan_line(estimate, "book", machine, None).endswith(
        "for 1 of them (1 scaled to the machine's speed now)"
    )
    gpu = Machine(original.stack, "GPU H200", "")
    on_gpu = run_estimate(records, {ORIGINAL: None}, "book", gpu, [1], None, 0.02)
    assert on_gpu.scaled == 0


def test_measured_over_probed_compares_times_at_one_speed(manifest):
    """A probe with a canary and seeds without one (or the other way round) are times at
    two speeds: asked at the speed now, the row gives no measured-over-probed ratio."""
    records = [
        probe(BIGGER, [phase(3, 20, 100.0, 40.0)], wall_s=110.0),  # 620 s, no canary
        *(book_seed(BIGGER, s, 775.0, 0.01) for s in range(3)),
    ]
    as_timed = {r.case: r for r in plan_rows(records, manifest)}[BIGGER]
    assert as_timed.probe_s == pytest.approx(620.0)
    now = {r.case: r for r in plan_rows(records, manifest, canary_now_s=0.01)}[BIGGER]
    assert (now.speed_scaled, now.probe_s) == (3, None)
    records[0]["timings"].update(canary_before_s=0.02, canary_after_s=0.02)
    both = {r.case: r for r in plan_rows(records, manifest, canary_now_s=0.01)}[BIGGER]
    assert both.probe_s == pytest.approx(310.0)


def test_plan_here_reads_a_canary_and_says_what_it_scaled(tmp_path, monkeypatch, capsys):
    """`dlwp-suite plan --machine here` reads the canary now and, on stderr (scripts read
    the selections on stdout), says how many cases it scaled and by how much."""
    from dlwp_suite import canary, environment
    from dlwp_suite.cli import main

    monkeypatch.setattr(environment, "fingerprint", lambda: dict(factory.ENV))
    monkeypatch.setattr(canary, "canary_s", lambda: 0.03)
    assert main(["manifest", "--out", str(tmp_path)]) == 0
    records = [
        probe(BIGGER, [phase(3, 20, 100.0, 40.0)], wall_s=110.0),
        *(book_seed(ORIGINAL, s, 1000.0, 0.01) for s in range(3)),
    ]
    (tmp_path / "runs").mkdir()
    lines = "".join(json.dumps(r) + "\n" for r in records)
    (tmp_path / "runs" / "book.main.jsonl").write_text(lines)
    assert main(["plan", "--results", str(tmp_path), "--machine", "here"]) == 0
    out, err = capsys.readouterr()
    assert "measured (3 seeds); x 3.00 to the machine's speed now" in out
    assert "canary 30.0 ms now; 1 of 2 timed cases scaled to it (median x 3.00)" in err


def test_a_result_reused_from_another_case_is_timed_there(manifest):
    reused = probe(SMALLER, [], wall_s=0.01)
    reused["plan"]["reused"] = f"the first phase of {ORIGINAL}"
    (row,) = [r for r in plan_rows([reused], manifest) if r.case == SMALLER]
    assert (row.seed_s, row.how, row.fits) == (0.0, "reused", True)
    assert row.reason == f"reused: the first phase of {ORIGINAL}"


def test_seeds_on_another_cases_model_are_recorded_but_not_timed(manifest):
    """A viewer's seeds that looked inside its trainer's model count as done (the run
    scripts select it no more), while its seed time stays its probe's."""
    trainer, viewer = "ch05.dogs.scratch[augmented]", "ch05.dogs.views[scratch]"
    records = [
        probe(viewer, [phase(3, 100, 90.0, 30.0)], wall_s=100.0),
        *(on_trainers_model(viewer, trainer, s) for s in range(3)),
    ]
    (row,) = [r for r in plan_rows(records, manifest) if r.case == viewer]
    assert (row.how, row.seeds_timed, row.seeds_recorded) == ("extrapolated", 0, (0, 1, 2))
    assert row.seed_s == pytest.approx(100.0 + 30.0 * 97)
    assert viewer not in " ".join(s.line for s in plan_selections([row], manifest, "fits"))
    (how,) = plan_table([row])["how"]
    assert "; 3 seed(s) on another case's model; rides with" in how


def test_a_case_riding_with_another_says_so_and_adds_no_time_while_both_wait(manifest):
    """A viewer whose trainer has not run either is planned at the trainer's time: the
    report says it rides with it and counts its probe's time (training alone) nowhere."""
    trainer, viewer = "ch05.dogs.scratch[augmented]", "ch05.dogs.views[scratch]"
    probes = [
        probe(trainer, [phase(3, 100, 50.0, 20.0)], wall_s=60.0),  # 60 + 15 x 97 s
        probe(viewer, [phase(3, 100, 90.0, 30.0)], wall_s=100.0),  # 100 + 30 x 97 s
    ]
    rows = {r.case: r for r in plan_rows(probes, manifest)}
    assert (rows[viewer].rides_with, rows[trainer].rides_with) == (trainer, None)
    (how,) = plan_table([rows[viewer]])["how"]
    assert how.endswith(f"; rides with {trainer} where both run, adding its time less that case's")
    # A book run on the machine (of another case): the judge gives its not-run verdicts.
    book = [book_seed(ORIGINAL, s, 60.0, None) for s in range(3)]
    probes += book
    verdicts = judge(probes, manifest, profiles=["book"])
    (waiting, *_) = [v for v in verdicts if v.subject == viewer and v.kind != "claim"]
    assert markdown.status_text(waiting) == (
        f"not run (fits: rides with {trainer} where both run; alone ~50 min a seed here "
        "(extrapolated))"
    )
    (gap,) = plan_gaps(verdicts)
    # The viewer's own share riding: its time alone less the trainer's.
    assert (gap.fit_cases, gap.fit_seed_s) == (2, pytest.approx(100.0 + 30 * 97))
    front = " ".join(markdown.front_page(verdicts, manifest.divergences, {}, {}).split())
    assert "2 case(s) fit there (one seed of each: ~50 min), none is GPU-sized; 62 more" in front
    # The trainer done without it: the viewer trains alone, and its time counts.
    done = [book_seed(trainer, s, 1500.0, None) for s in range(3)]
    (gap,) = plan_gaps(judge([*probes, *done], manifest, profiles=["book"]))
    assert (gap.fit_cases, gap.fit_seed_s) == (1, pytest.approx(100.0 + 30 * 97))
    # A GPU-sized trainer: the GPU run takes it, the viewer runs alone here and counts.
    big = [probe(trainer, [phase(3, 100, 250.0, 50.0)], wall_s=300.0), *probes[1:]]
    (gap,) = plan_gaps(judge(big, manifest, profiles=["book"]))
    assert (gap.fit_cases, gap.fit_seed_s, gap.gpu_cases) == (1, pytest.approx(3010.0), 1)


def test_a_rider_too_long_alone_fits_beside_a_trainer_that_fits(manifest):
    """A viewer whose time alone (its trainer's training included) is over an hour fits
    where its trainer fits, lacks the same seeds, and its own share (its time less the
    trainer's) is within the hour: selected together, that share is all it adds. Once
    the trainer has seeds the viewer lacks, the viewer would train alone: GPU-sized; so
    it is where its share alone is over the hour."""
    trainer, viewer = "ch05.dogs.scratch[augmented]", "ch05.dogs.views[scratch]"
    probes = [
        probe(trainer, [phase(3, 100, 50.0, 20.0)], wall_s=60.0),  # 60 + 15 x 97 s
        probe(viewer, [phase(3, 100, 110.0, 30.0)], wall_s=120.0),  # 120 + 40 x 97 s
    ]
    rows = {r.case: r for r in plan_rows(probes, manifest)}
    assert rows[viewer].seed_s == pytest.approx(120.0 + 40 * 97)  # over FITS_WITHIN_S
    assert rows[viewer].fits and rows[trainer].fits
    cells = plan_table([rows[viewer], rows[trainer]])["fits its machine"]
    assert list(cells) == ["with its trainer", "yes"]
    (both, *_) = plan_selections(rows.values(), manifest, "fits")
    assert "views-scratch" in both.line and "scratch-augmented" in both.line
    assert both.seconds == pytest.approx(3 * (120.0 + 40 * 97) + 5.0)  # + its baselines
    # A share of its own over the hour: GPU-sized, riding or not.
    heavy = [probes[0], probe(viewer, [phase(3, 100, 250.0, 30.0)], wall_s=260.0)]
    assert {r.case: r for r in plan_rows(heavy, manifest)}[viewer].fits is False
    assert plan_selections(rows.values(), manifest, "gpu-sized") == []
    # The trainer's seeds recorded, the viewer's not: it would train alone.
    done = [*probes, *(book_seed(trainer, s, 1500.0, None) for s in range(3))]
    rows = {r.case: r for r in plan_rows(done, manifest)}
    assert rows[viewer].fits is False
    (alone,) = plan_selections(rows.values(), manifest, "gpu-sized")[:1]
    assert "views-scratch" in alone.line and "scratch-augmented" not in alone.line


def test_the_opening_plan_counts_a_rider_once_and_no_seed_a_resumed_run_recorded():
    """A run's opening line: a viewer selected with its trainer trains nothing of its own,
    alone it does; the seeds the resumed run recorded are not trained again, and a viewer
    trains the seeds its trainer does not."""
    trainer, viewer = "ch05.dogs.scratch[augmented]", "ch05.dogs.views[scratch]"
    trainer_s, viewer_s = 60.0 + 15 * 97, 100.0 + 30 * 97
    probes = [
        probe(trainer, [phase(3, 100, 50.0, 20.0)], wall_s=60.0),
        probe(viewer, [phase(3, 100, 90.0, 30.0)], wall_s=100.0),
    ]
    (first, *_) = newest(probes)
    machine = Machine(first["stack"], first["device"], "")
    both = {trainer: None, viewer: trainer}
    estimate = run_estimate(probes, both, "book", machine, range(3))
    assert (estimate.timed, estimate.extrapolated, estimate.riding) == (2, 2, 1)
    # The trainer's seeds, and the viewer's share of each (its time less the trainer's).
    assert estimate.seconds == pytest.approx(3 * trainer_s + 3 * (viewer_s - trainer_s))
    alone = run_estimate(probes, {viewer: trainer}, "book", machine, range(3))
    assert (alone.riding, alone.seconds) == (0, pytest.approx(3 * viewer_s))
    # Run "book" recorded seed 0 of both (the viewer's on the trainer's model, untimed).
    book = [
        book_seed(trainer, 0, 1500.0, None),
        on_trainers_model(viewer, trainer, 0),
    ]
    resumed = run_estimate([*probes, *book], both, "book", machine, range(3), "book")
    assert (resumed.recorded, resumed.extrapolated) == (2, 1)
    assert resumed.seconds == pytest.approx(2 * 1500.0 + 2 * (viewer_s - 1500.0))
    line = plan_line(resumed, "book", machine, "book")
    assert line.startswith("dlwp-suite plan: 2 case(s) x 3 seed(s), book profile; ")
    assert "; 2 of 6 case-seeds already recorded in run book; " in line
    assert line.endswith(
        " for 2 of them (1 extrapolated from time probes; 1 riding with its trainer)"
    )
    # A fresh run of the same id counts every seed.
    assert run_estimate([*probes, *book], both, "book", machine, range(3)).recorded == 0
    # The trainer recorded seeds 0 and 1, the viewer none: the viewer trains those two
    # on its own, the trainer seed 2 with the viewer riding.
    ahead = [book_seed(trainer, s, 1500.0, None) for s in (0, 1)]
    apart = run_estimate([*probes, *ahead], both, "book", machine, range(3), "book")
    assert (apart.recorded, apart.riding) == (2, 0)
    assert apart.seconds == pytest.approx(1500.0 + (viewer_s - 1500.0) + 2 * viewer_s)


def test_the_opening_plan_leaves_untimed_a_case_whose_probe_reused_another_result():
    """A probe of a fine-tuned case's first phase timed nothing: alone, that case's time
    is not known (the plan table calls it reused)."""
    first_phase = probe(SMALLER, [], wall_s=0.01)
    first_phase["plan"]["reused"] = f"the first phase of {ORIGINAL}"
    (row,) = newest([first_phase])
    machine = Machine(row["stack"], row["device"], "")
    alone = run_estimate([first_phase], {SMALLER: ORIGINAL}, "book", machine, [0])
    assert (alone.timed, alone.seconds) == (0, 0.0)
    line = plan_line(alone, "book", machine, None)
    assert line.endswith("book profile; 1 never timed on this machine")


def test_a_claim_not_run_counts_as_what_its_missing_side_is(manifest):
    """The scoreboard's not-run column sorts a claim by the side it waits on: GPU-sized
    with that case, data missing where its probe found no data (and so the rest of that
    experiment, which reads the same file); other experiments stay "not attempted"."""
    metrics = {"best_val_loss_epoch": 4, "last_val_loss": 0.6, "val_loss_roughness": 0.03}
    book = [factory.model(ORIGINAL, s, metrics, profile="book", run_id="book") for s in range(3)]
    verdicts = judge([*book, *bigger_probed_smaller_missing()], manifest, profiles=["book"])
    (row,) = [r for r in scoreboard(verdicts) if r.stack.startswith("tf2.21")]
    not_run = [v for v in verdicts if v.stack == row.stack and v.status is Status.NOT_RUN]
    claims = {v.subject: v.waits_on for v in not_run if v.kind == "claim"}
    assert claims["ch04-bigger-overfits-sooner"] == BIGGER
    assert claims["ch04-smaller-overfits-later"] == SMALLER

    def on(v) -> str:  # the case a verdict stands or waits on
        return v.waits_on or v.subject

    gpu_sized = [v for v in not_run if on(v) == BIGGER]
    # The smaller network's data is its experiment's: the experiment's other cases lack it.
    missing = [
        v for v in not_run if on(v).startswith("ch04.imdb.overfitting[") and v not in gpu_sized
    ]
    assert {on(v) for v in missing} > {SMALLER}
    assert row.not_run["GPU-sized"] == len(gpu_sized) > 1
    assert row.not_run["data missing"] == len(missing)
    assert row.not_run["not attempted"] == len(not_run) - len(gpu_sized) - len(missing) > 0


def test_the_judge_reads_no_probe_and_a_not_run_case_carries_its_plan(manifest):
    book = [book_seed(ORIGINAL, s, 60.0, None) for s in range(3)]
    probed = [
        probe(BIGGER, [phase(3, 20, 1000.0, 400.0)], wall_s=1100.0),
        # A probe's outcome, newer than the book run's: it must not stand for it.
        factory.outcome(
            f"model:{ORIGINAL}", "skipped", "time probe: not judged", run_id="probe", profile="book"
        ),
    ]
    probed[-1]["time_probe"] = True
    verdicts = judge([*book, *probed], manifest, profiles=["book"])
    here = [v for v in verdicts if v.stack.startswith("tf2.21")]
    original = [v for v in here if v.subject == ORIGINAL]
    assert original and all(v.status is not Status.NOT_RUN for v in original)
    (bigger,) = [v for v in here if v.subject == BIGGER and v.kind != "claim"][:1]
    assert bigger.status is Status.NOT_RUN and bigger.plan is not None
    assert markdown.status_text(bigger).startswith("not run (GPU-sized: ~103 min a seed here")
    front = markdown.front_page(verdicts, manifest.divergences, {}, {})
    front = " ".join(front.split())
    assert (
        "Not run yet in `book` on tf2.21.0 keras3.15.1 tensorflow CPU (a CPU of records before "
        "2026-12-07, which name no kernels): none fits there" in front
    )
    assert "1 are GPU-sized" in front and "more were never timed there (no time probe)" in front
    # Without the probe, the same judge gives the same verdicts but no plan.
    plain = judge(book, manifest, profiles=["book"])
    assert [(v.subject, v.status) for v in plain] == [(v.subject, v.status) for v in verdicts]
    assert all(v.plan is None for v in plain)


def test_a_case_never_attempted_says_what_its_time_probe_found(manifest):
    """The book run never tried the smaller network; its probe found the data missing:
    the verdict's reason leads with that, not only "not attempted"."""
    book = [book_seed(ORIGINAL, s, 60.0, None) for s in range(3)]
    verdicts = judge([*book, *bigger_probed_smaller_missing()], manifest, profiles=["book"])
    (smaller, *_) = [v for v in verdicts if v.subject == SMALLER and v.kind != "claim"]
    assert smaller.status is Status.NOT_RUN
    assert smaller.reason == (
        "data missing: imdb.npz where its time probe ran; not attempted on this stack"
    )
    (bigger, *_) = [v for v in verdicts if v.subject == BIGGER and v.kind != "claim"]
    assert bigger.reason == "not attempted on this stack"  # timed: its plan says the rest
    front = " ".join(markdown.front_page(verdicts, manifest.divergences, {}, {}).split())
    assert "Data missing where the suite ran, leaving its cases not run: imdb.npz." in front


#: The same stack on an AVX2-only CPU with oneDNN off, as records since 2026-12-07 name it.
AVX2 = {**factory.ENV, "cpu_vector_flags": "avx2 fma", "tensorflow_onednn": "off"}


def test_cpu_kernels_name_the_highest_vector_extension_and_onednn_on_tensorflow():
    assert cpu_kernels(AVX2) == "AVX2, oneDNN off"
    vnni = {**factory.JAX, "cpu_vector_flags": "avx2 fma avx512f avx512_vnni"}
    assert cpu_kernels(vnni) == "AVX-512 VNNI"  # oneDNN is TensorFlow's: not named on JAX
    assert cpu_kernels({**vnni, "tensorflow_onednn": "on"}) == "AVX-512 VNNI"
    assert cpu_kernels({**factory.JAX, "cpu_vector_flags": ""}) == "no AVX2"
    assert cpu_kernels(factory.ENV) == ""  # a record that predates them
    assert cpu_kernels({**factory.ENV, "cpu_vector_flags": None}) == "vector flags unknown"
    assert cpu_kernels({**GPU, "cpu_vector_flags": "avx2 fma"}) == ""


def test_times_never_cross_cpu_kernels_and_seeds_count_on_any(manifest):
    """One CPU model string covered VMs 2-4x apart on convolutions: a probe on one does
    not plan the other, and the run estimate here reads only times on its kernels; the
    seeds a run recorded count wherever it ran (the judge's count)."""
    records = [
        probe(BIGGER, [phase(3, 20, 100.0, 40.0)], wall_s=110.0),  # 620 s: fits
        probe(BIGGER, [phase(3, 20, 400.0, 160.0)], wall_s=440.0, env=AVX2, run_id="avx2"),
        *(book_seed(ORIGINAL, s, 60.0, None) for s in range(3)),
    ]
    rows = {(r.case, r.kernels): r for r in plan_rows(records, manifest)}
    old, avx2 = rows[(BIGGER, "")], rows[(BIGGER, "AVX2, oneDNN off")]
    assert (old.seed_s, old.fits) == (pytest.approx(620.0), True)
    assert (avx2.seed_s, avx2.fits) == (pytest.approx(440.0 + 120.0 * 17), True)
    assert avx2.machine.name == "tf2.21.0 keras3.15.1 tensorflow CPU (AVX2, oneDNN off)"
    assert plan_table([avx2])["machine"].tolist() == [avx2.machine.name]
    # The original's seeds timed on unrecorded kernels: recorded there, not timed here.
    original = rows[(ORIGINAL, "AVX2, oneDNN off")]
    assert (original.seed_s, original.reason, original.seeds_recorded) == (
        None,
        "no time probe",
        (0, 1, 2),
    )
    # The report's table leaves out what no probe or run timed, and counts it per machine.
    on_avx2 = [r for r in rows.values() if r.kernels]
    lines = " ".join(markdown.unprobed_lines(list(rows.values())))
    assert f"{avx2.machine.name}: {len(on_avx2) - 1} of {len(on_avx2)}" in lines
    here = avx2.machine
    estimate = run_estimate(records, {BIGGER: None, ORIGINAL: None}, "book", here, range(3))
    assert (estimate.timed, estimate.seconds) == (1, pytest.approx(3 * avx2.seed_s))
    line = plan_line(estimate, "book", here, None)
    assert f"earlier runs on {avx2.machine.name} give ~2h04m" in line
    assert line.endswith("; 1 never timed on this machine")


def test_a_case_not_run_quotes_the_plan_of_the_cpu_that_timed_the_most(manifest):
    """Not-run verdicts on a stack quote one machine's plan (the front page adds up its
    minutes): the one that timed the most cases, whatever the records' order; its
    kernels are named, and a data-missing reason there stays the reason."""
    missing = factory.outcome(
        f"model:{SMALLER}", "skipped", "dataset unavailable: imdb.npz", run_id="a", env=AVX2
    )
    missing.update(profile="book", time_probe=True)
    on_avx2 = [
        probe(BIGGER, [phase(3, 20, 1000.0, 400.0)], wall_s=1100.0, env=AVX2, run_id="a"),
        probe(ORIGINAL, [phase(3, 20, 100.0, 40.0)], wall_s=110.0, env=AVX2, run_id="a"),
        missing,
    ]
    elsewhere = [probe(BIGGER, [phase(3, 20, 100.0, 40.0)], wall_s=110.0, run_id="b")]
    # A book run of another case: the stack has verdicts.
    book = [book_seed("ch04.imdb.overfitting[l2]", s, 60.0, None) for s in range(3)]
    for records in ([*on_avx2, *elsewhere, *book], [*book, *elsewhere, *on_avx2]):
        verdicts = judge(records, manifest, profiles=["book"])
        first = {v.subject: v for v in reversed(verdicts) if v.kind != "claim"}
        assert markdown.status_text(first[BIGGER]).startswith(
            "not run (GPU-sized: ~103 min a seed here with AVX2, oneDNN off (extrapolated)"
        )
        assert first[SMALLER].plan["reason"] == "data missing: imdb.npz"
        assert first[ORIGINAL].plan["kernels"] == "AVX2, oneDNN off"
        front = " ".join(markdown.front_page(verdicts, manifest.divergences, {}, {}).split())
        assert "on tf2.21.0 keras3.15.1 tensorflow CPU (AVX2, oneDNN off): 1 case(s) fit" in front


def test_the_newest_run_on_each_kernels_times_them(manifest):
    """A newer run on other kernels does not hide what an older one measured on these."""
    vnni = {**factory.ENV, "cpu_vector_flags": "avx2 fma avx512f avx512_vnni"}
    vnni["tensorflow_onednn"] = "on"
    older = {"invocation_started": "2026-12-01T00:00:00Z"}
    newer = {"invocation_started": "2026-12-02T00:00:00Z"}
    records = [
        probe(BIGGER, [phase(3, 20, 100.0, 40.0)], wall_s=110.0, env=AVX2),
        probe(BIGGER, [phase(3, 20, 100.0, 40.0)], wall_s=110.0, env=vnni),
        *(book_seed(BIGGER, s, 2000.0, None, env=AVX2, run_id="x", **older) for s in range(3)),
        *(book_seed(BIGGER, s, 500.0, None, env=vnni, run_id="y", **newer) for s in range(3)),
    ]
    rows = {r.kernels: r for r in plan_rows(records, manifest) if r.case == BIGGER}
    assert (rows["AVX2, oneDNN off"].seed_s, rows["AVX2, oneDNN off"].seeds_timed) == (2000.0, 3)
    assert (rows["AVX-512 VNNI, oneDNN on"].seed_s, rows["AVX-512 VNNI, oneDNN on"].how) == (
        500.0,
        "measured",
    )


def test_seeds_recorded_on_other_kernels_are_not_called_reused(manifest):
    """A probe here of a case whose seeds ran on another CPU: recorded, not timed here,
    and none of them looked inside another case's model."""
    records = [
        probe(ORIGINAL, [phase(3, 20, 100.0, 40.0)], wall_s=110.0, env=AVX2),
        *(book_seed(ORIGINAL, s, 60.0, None) for s in range(3)),
    ]
    rows = {(r.case, r.kernels): r for r in plan_rows(records, manifest)}
    here = rows[(ORIGINAL, "AVX2, oneDNN off")]
    assert (here.seeds_recorded, here.seeds_timed, here.seeds_reused) == ((0, 1, 2), 0, 0)
    (how,) = plan_table([here])["how"]
    assert how == "extrapolated (1 phase(s) cut)"


def test_plan_here_reads_only_this_cpus_kernels(tmp_path, monkeypatch, capsys):
    """`--machine here` on an AVX2 VM: only its rows; where only a probe from before
    kernels were recorded exists, it says there is none here and lists the machines."""
    from dlwp_suite import canary, environment
    from dlwp_suite.cli import main

    monkeypatch.setattr(environment, "fingerprint", lambda: dict(AVX2))
    monkeypatch.setattr(canary, "canary_s", lambda: 0.03)
    assert main(["manifest", "--out", str(tmp_path)]) == 0
    (tmp_path / "runs").mkdir()
    old = probe(BIGGER, [phase(3, 20, 100.0, 40.0)], wall_s=110.0)
    (tmp_path / "runs" / "old.main.jsonl").write_text(json.dumps(old) + "\n")
    assert main(["plan", "--results", str(tmp_path), "--machine", "here"]) == 2
    err = capsys.readouterr().err
    assert "on tf2.21.0 keras3.15.1 tensorflow CPU (AVX2, oneDNN off)" in err
    assert "planned: tf2.21.0 keras3.15.1 tensorflow CPU" in err
    new = probe(BIGGER, [phase(3, 20, 400.0, 160.0)], wall_s=440.0, env=AVX2, run_id="avx2")
    (tmp_path / "runs" / "avx2.main.jsonl").write_text(json.dumps(new) + "\n")
    name = "tf2.21.0 keras3.15.1 tensorflow CPU (AVX2, oneDNN off)"
    for machine in ("here", name):
        assert main(["plan", "--results", str(tmp_path), "--machine", machine]) == 0
        table = capsys.readouterr().out
        assert name in table and not re.search(
            r"\| tf2\.21\.0 keras3\.15\.1 tensorflow CPU +\|", table
        )


def test_the_reports_plan_table_leaves_out_what_no_probe_timed(tmp_path, manifest):
    from dlwp_suite.report import write_report

    write_report([probe(BIGGER, [phase(3, 20, 100.0, 40.0)], wall_s=110.0)], tmp_path, manifest)
    text = (tmp_path / "time.md").read_text()
    table = text.split("## The book profile's plan", 1)[1]
    assert f"| {BIGGER}" in table and f"| {ORIGINAL}" not in table
    declared = sum(1 for c in manifest.profiles["book"].cases if c.baseline is None)
    assert f"tf2.21.0 keras3.15.1 tensorflow CPU: {declared - 1} of {declared}" in " ".join(
        table.split()
    )
    assert markdown.unprobed_lines([r for r in plan_rows([], manifest)]) == []


def _row(case: str, seed_s: float, gpu_s: float | None) -> PlanRow:
    return PlanRow(
        case=case,
        stack="tf2.21.0 keras3.15.1 tensorflow",
        device="CPU",
        kernels="",
        seed_s=seed_s,
        how="extrapolated",
        seeds_timed=0,
        phases_cut=1,
        baselines_s=None,
        fits=seed_s <= FITS_WITHIN_S,
        gpu_s=gpu_s,
        gpu_how="estimated",
        gpu_device="GPU H200",
        gpu_ratio=10.0,
        gpu_ratio_cases=3,
    )


def _measured(row: PlanRow, seeds: int) -> PlanRow:
    return dataclasses.replace(
        row, how="measured", seeds_timed=seeds, seeds_recorded=tuple(range(seeds))
    )


@pytest.fixture
def collected(pytester: pytest.Pytester) -> Callable[[str], list[str]]:
    """The benchmark tests a ``FILE -k EXPR`` selection collects (book profile), in
    pytest's order, collected in this process (pytester)."""
    shutil.copytree(ROOT / "benchmarks", pytester.path / "benchmarks")

    def collect(selection: str) -> list[str]:
        file, expression = selection.split(" -k ", 1)
        run = pytester.inline_run(
            f"benchmarks/test_{file}", "-k", expression, "--dlwp-profile=book", "--collect-only"
        )
        items = run.getcall("pytest_collection_finish").session.items
        return [item.nodeid.split("::", 1)[1] for item in items]

    return collect


def test_the_gpu_run_selects_the_gpu_sized_cases_cheapest_first_then_their_claims(
    manifest, collected
):
    conv1d, sigmoid = "ch06.imdb.sequences[conv1d]", "ch06.imdb.sequences[conv1d_sigmoid]"
    rows = [
        _row(sigmoid, 9000.0, 900.0),
        _row(conv1d, 5000.0, 500.0),
        _row("ch06.imdb.embedding[book]", 300.0, 30.0),  # fits the CPU: not selected
    ]
    # No claim compares the two: two selections.
    first, second = plan_selections(rows, manifest, "gpu-sized")
    # The cheaper first, alone although its id starts the other's, with the experiment's
    # baselines and ensemble; then the other.
    assert collected(first.line) == [
        "test_model[ch06.imdb.sequences-conv1d]",
        "test_baselines_and_ensemble[ch06.imdb.sequences]",
    ]
    assert collected(second.line) == ["test_model[ch06.imdb.sequences-conv1d_sigmoid]"]
    # Three seeds each at the GPU's time (a lease fits the baselines on its own CPU).
    assert (first.seconds, second.seconds) == (1500.0, 2700.0)


def test_a_gpu_sized_case_without_a_gpu_estimate_goes_last(manifest):
    conv1d, sigmoid = "ch06.imdb.sequences[conv1d]", "ch06.imdb.sequences[conv1d_sigmoid]"
    rows = [_row(sigmoid, 9000.0, None), _row(conv1d, 5000.0, 500.0)]
    first, second = plan_selections(rows, manifest, "gpu-sized")
    assert "test_model and ch06.imdb.sequences-conv1d and not" in first.line
    assert second.line.endswith("test_model and ch06.imdb.sequences-conv1d_sigmoid")


def test_the_cpu_run_selects_what_fits_and_lacks_seeds_cheapest_first(manifest, collected):
    measured = _measured(_row(ORIGINAL, 60.0, 6.0), 3)
    one_seed = _measured(_row(SMALLER, 50.0, 5.0), 1)
    bigger = dataclasses.replace(_row(BIGGER, 100.0, 10.0), baselines_s=7.0)
    rows = [measured, one_seed, bigger, _row("ch04.imdb.overfitting[l2]", 9e3, 9.0)]
    selections = plan_selections(rows, manifest, "fits")
    # The seeds each lacks at its time here; the experiment's baselines (timed by the
    # probe of another of its cases) with its first selection, and its ensembled case
    # (the original, done) trained again there for the ensemble; claims train nothing.
    assert [s.seconds for s in selections] == [2 * 50.0 + 7.0 + 60.0, 3 * 100.0, 0.0]
    assert [collected(s.line) for s in selections[:2]] == [
        [
            "test_model[ch04.imdb.overfitting-smaller]",
            "test_baselines_and_ensemble[ch04.imdb.overfitting]",
        ],
        ["test_model[ch04.imdb.overfitting-bigger]"],
    ]
    (claims,) = selections[2:]
    assert "ch04-bigger-overfits-sooner" in claims.line
    assert "ch04-smaller-overfits-later" in claims.line
    assert "l2" not in claims.line  # its side is GPU-sized here
    assert {t.split("[")[0] for t in collected(claims.line)} == {"test_claim"}


def test_the_cpu_run_orders_its_selections_by_their_planned_seconds(manifest):
    """A case with two of its three seeds recorded is cheaper to finish than a faster one
    with none: it goes first, so a time budget stops at the first selection too long."""
    slow_nearly_done = _measured(_row(BIGGER, 200.0, 20.0), 2)
    fast_not_started = _row(SMALLER, 100.0, 10.0)
    selections = plan_selections([fast_not_started, slow_nearly_done], manifest, "fits")
    assert [s.seconds for s in selections[:2]] == [200.0, 300.0]
    assert "overfitting-bigger" in selections[0].line
    assert "overfitting-smaller" in selections[1].line


def test_a_case_trained_by_another_is_selected_with_it(manifest, collected):
    trainer, viewer = "ch05.dogs.scratch[augmented]", "ch05.dogs.views[scratch]"
    rows = [_row(viewer, 2000.0, 200.0), _row(trainer, 2700.0, 300.0)]
    (both, claims) = plan_selections(rows, manifest, "fits")
    # One process: the trainer first (pytest's order), the viewer looks inside its model.
    assert collected(both.line) == [
        "test_model[ch05.dogs.scratch-augmented]",
        "test_model[ch05.dogs.views-scratch]",
        "test_baselines_and_ensemble[ch05.dogs.scratch]",
        "test_baselines_and_ensemble[ch05.dogs.views]",
    ]
    assert both.seconds == 3 * 2700.0  # the viewer trains nothing
    assert "views-deeper-layers-blanker" in claims.line
    # A trainer with its seeds recorded: the viewer runs alone and trains its own model.
    done = _measured(_row(trainer, 2700.0, 300.0), 3)
    (alone, _) = plan_selections([_row(viewer, 2000.0, 200.0), done], manifest, "fits")
    assert collected(alone.line) == [
        "test_model[ch05.dogs.views-scratch]",
        "test_baselines_and_ensemble[ch05.dogs.views]",
    ]
    assert alone.seconds == 3 * 2000.0


def test_a_fine_tuned_cases_first_phase_rides_with_it(manifest, collected):
    """MobileNet's augmented case is exactly the fine-tuned case's first phase (its
    record says "reused" where the fine-tuned case ran first): the manifest says so, and
    a run that lacks both selects them together, the phase's time not counted."""
    finetune, augmented = "ch05.dogs.mobilenet[finetune]", "ch05.dogs.mobilenet[augmented]"
    specs = {c.id: c for c in manifest.profiles["book"].cases if c.baseline is None}
    assert specs[augmented].trained_by == finetune
    assert (
        specs[finetune].trained_by is None
        and specs["ch05.dogs.mobilenet[features]"].trained_by is None
    )
    rows = [_row(augmented, 110.0, 11.0), _row(finetune, 500.0, 50.0)]
    (both, *_) = plan_selections(rows, manifest, "fits")
    assert collected(both.line) == [
        "test_model[ch05.dogs.mobilenet-finetune]",
        "test_model[ch05.dogs.mobilenet-augmented]",
        "test_baselines_and_ensemble[ch05.dogs.mobilenet]",
    ]
    assert both.seconds == 3 * 500.0
    # The fine-tuned case lacks one seed: the phase's two other seeds train alone.
    rows = [_row(augmented, 110.0, 11.0), _measured(_row(finetune, 500.0, 50.0), 2)]
    (both, *_) = plan_selections(rows, manifest, "fits")
    assert "mobilenet-augmented" in both.line
    assert both.seconds == 500.0 + 2 * 110.0
    # Seeds by number, not by count: the phase has seed 2 (a run that stopped on it), the
    # fine-tuned case seeds 0 and 1: the phase trains 0 and 1 itself (as the run would).
    rows = [
        dataclasses.replace(_row(augmented, 110.0, 11.0), seeds_recorded=(2,)),
        dataclasses.replace(_measured(_row(finetune, 500.0, 50.0), 2), seeds_recorded=(0, 1)),
    ]
    (both, *_) = plan_selections(rows, manifest, "fits")
    assert both.seconds == 500.0 + 2 * 110.0


def test_a_baselines_progress_lines_name_it_and_time_it_from_its_start(smoke_data):
    """The dream's random-steps baseline reports steps like the case: its lines name the
    baseline and estimate from its own start (not from the clock's origin)."""
    from dlwp_suite.experiments import get
    from dlwp_suite.runner import fit_baselines

    lines: list[str] = []
    progress.attach(lines.append, interval_s=0.0)
    try:
        experiment = get("ch08.dream.mobilenet")
        fit_baselines(experiment.case("book", "smoke"), smoke_data(experiment), 0, ["random_steps"])
    finally:
        progress.attach(None)
    assert lines and all(
        line.startswith("ch08.dream.mobilenet baseline random_steps seed 0") for line in lines
    )
    assert all("h" not in line.rsplit("·", 1)[-1] for line in lines)  # minutes at most


def test_an_experiments_comparisons_go_with_its_ensembled_case(manifest, collected):
    """The views' ensemble takes the scratch view's network: their comparisons ride with
    it, not with the cheaper MobileNet pair (where they would train it again)."""
    rows = [
        _row("ch05.dogs.mobilenet[finetune]", 500.0, 50.0),
        _row("ch05.dogs.views[mobilenet_finetune]", 490.0, 49.0),
        _row("ch05.dogs.scratch[augmented]", 2700.0, 300.0),
        _row("ch05.dogs.views[scratch]", 2000.0, 200.0),
    ]
    mobilenet, scratch, _ = plan_selections(rows, manifest, "fits")
    assert collected(mobilenet.line) == [
        "test_model[ch05.dogs.mobilenet-finetune]",
        "test_model[ch05.dogs.views-mobilenet_finetune]",
        "test_baselines_and_ensemble[ch05.dogs.mobilenet]",
    ]
    assert "test_baselines_and_ensemble[ch05.dogs.views]" in collected(scratch.line)


def test_pytest_split_durations_leave_out_seeds_timed_in_another_case(manifest):
    """A seed on another case's model timed only its views: a shard running the viewer
    without its trainer trains it, so the probe's estimate stands in."""
    from dlwp_suite.shards import test_durations as durations

    viewer = "ch05.dogs.views[scratch]"
    reused = {"reused": "the model ch05.dogs.scratch[augmented] trained for this seed"}
    records = [
        probe(viewer, [phase(3, 100, 90.0, 30.0)], wall_s=100.0),
        factory.model(
            viewer, 0, {}, profile="book", run_id="book", timings={"wall_s": 40.0}, details=reused
        ),
    ]
    stack, device = plan_rows(records, manifest)[0].stack, plan_rows(records, manifest)[0].device
    (seconds,) = durations(records, manifest, "book", stack, device).values()
    assert seconds == pytest.approx(100.0 + 30.0 * 97)


def test_comparisons_whose_network_does_not_fit_are_left_to_the_gpu_run(manifest, collected):
    """The 2nd edition's sequence models ensemble their positional Transformer, GPU-sized
    here: a CPU run that selects the embedding BiLSTM leaves their comparisons out (they
    would train the Transformer for hours), and the GPU run takes them."""
    bilstm, transformer = (
        "ch06.imdb2e.sequences[embedding_bilstm]",
        "ch06.imdb2e.sequences[positional_transformer]",
    )
    rows = [_row(bilstm, 900.0, 90.0), _row(transformer, 7500.0, 750.0)]
    (cpu, *_) = plan_selections(rows, manifest, "fits")
    assert collected(cpu.line) == ["test_model[ch06.imdb2e.sequences-embedding_bilstm]"]
    assert cpu.seconds == 3 * 900.0
    (gpu, *_) = plan_selections(rows, manifest, "gpu-sized")
    assert "test_baselines_and_ensemble[ch06.imdb2e.sequences]" in collected(gpu.line)
