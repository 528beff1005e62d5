"""The judge's verdicts and the report rendered from them."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

from factory import ENV, JAX, baseline, model, outcome

from dlwp_suite.report import write_report
from dlwp_suite.results.bars import Bar, RelationRule
from dlwp_suite.results.calibration import Calibration
from dlwp_suite.results.judge import judge
from dlwp_suite.results.manifest import (
    CaseSpec,
    ClaimSpec,
    DivergenceSpec,
    Manifest,
    ProfileSpec,
    SideSpec,
    TargetSpec,
)
from dlwp_suite.results.verdicts import Status

KERAS2 = {"tensorflow": "2.15.1", "keras": "2.15.0", "backend": "tensorflow", "device": "CPU x"}
BOSTON = "ch03.boston.kfold[book]"
IMDB = "ch03.imdb.dense[book]"
# What the report says it was made from, fixed so the golden copy does not move.
FIXED = {"provenance": {"generated_at": "2026-12-06 00:00 UTC", "revision": "abc", "records": 9}}


def one(verdicts, subject, metric=None, stack=None):
    (found,) = [
        v
        for v in verdicts
        if v.subject == subject
        and (metric is None or v.metric == metric)
        and (stack is None or v.stack == stack)
    ]
    return found


def boston(env, values, run_id, probes=None):
    return [
        model(
            BOSTON,
            seed,
            {"kfold_val_mae": v, "test_mae": 2.6},
            run_id=run_id,
            env=env,
            profile="book",
            seeds_planned=len(values),
            **({"probes": probes} if probes else {}),
        )
        for seed, v in enumerate(values)
    ]


def test_each_stack_is_judged_on_its_own_records(manifest):
    """Boston's 1st-edition K-fold (book 2.38 ± 0.3247): a divergence on TF 2.21 (values as
    its held-out seeds gave), a reproduction on tf.keras 2.15, each under its own stack."""
    order = {"epoch_order_repeats": 1.0}
    records = boston(ENV, [2.80, 2.85, 2.76], "tf", order) + boston(
        KERAS2, [2.33, 2.40, 2.35], "k2"
    )
    verdicts = judge(records, manifest)
    tf = one(verdicts, BOSTON, "kfold_val_mae", "tf2.21.0 keras3.15.1 tensorflow")
    k2 = one(verdicts, BOSTON, "kfold_val_mae", "tf2.15.1 keras2.15.0 tensorflow")
    assert tf.status is Status.KNOWN_DIVERGENCE and tf.divergence == "tf-fixed-sample-order"
    assert tf.values == (2.80, 2.85, 2.76) and tf.median == 2.80
    assert k2.status is Status.REPRODUCES and k2.values == (2.33, 2.40, 2.35)
    assert tf.device == k2.device == "CPU"


def test_a_divergence_excuses_a_miss_only_where_its_probe_shows_the_mechanism(manifest):
    def verdict(probes):
        (v,) = [
            v
            for v in judge(boston(ENV, [2.80, 2.85, 2.76], "tf", probes), manifest)
            if v.subject == BOSTON and v.metric == "kfold_val_mae"
        ]
        return v

    shown = verdict({"epoch_order_repeats": 1.0})
    assert shown.status is Status.KNOWN_DIVERGENCE and "epoch_order_repeats = 1" in shown.reason
    reshuffled = verdict({"epoch_order_repeats": 0.0})
    assert reshuffled.status is Status.FAILS and "did not show the mechanism" in reshuffled.reason
    unprobed = verdict(None)
    assert unprobed.status is Status.FAILS and "no reading of its probe" in unprobed.reason


def test_generated_and_stand_in_data_never_reproduce(manifest):
    real = [model(IMDB, 0, {"test_accuracy": 0.885})]
    generated = [model(IMDB, 0, {"test_accuracy": 0.885}, notes=["GENERATED data"], env=JAX)]
    verdicts = judge(real + generated, manifest)
    assert one(verdicts, IMDB, stack="tf2.21.0 keras3.15.1 tensorflow").status is Status.REPRODUCES
    made_up = one(verdicts, IMDB, stack="keras3.15.1 jax")
    assert made_up.status is Status.BAR_MET and made_up.data_kind == "generated"
    missed = judge([model(IMDB, 0, {"test_accuracy": 0.8}, notes=["STAND-IN text"])], manifest)
    assert one(missed, IMDB).status is Status.BAR_MISSED  # not "fails": not the book's data


def test_a_book_number_reproduces_only_inside_a_measured_band(manifest):
    """The plain dogs convnet's band (the book's 0.70-0.72 widened) was never measured on
    held-out seeds: inside it, "inside a provisional band"; outside, it fails, saying so.
    The 1e Jena naive baseline is deterministic: its band is the book's rounding."""
    dogs = "ch05.dogs.scratch[book]"
    assert not next(t for t in manifest.case("book", dogs).targets if t.book_number).band_measured

    def verdict(value):
        records = [model(dogs, s, {"best_val_accuracy": value}, profile="book") for s in range(3)]
        return one(judge(records, manifest), dogs, "best_val_accuracy")

    inside = verdict(0.72)
    assert inside.status is Status.PROVISIONAL and inside.kind == "book number"
    outside = verdict(0.60)
    assert outside.status is Status.FAILS and "provisional band" in outside.reason
    naive = baseline("ch06.jena.1e", "common_sense", {"best_val_mae_norm": 0.2897}, profile="book")
    assert one(judge([naive], manifest), "ch06.jena.1e:common_sense").status is Status.REPRODUCES


def test_a_suite_bar_is_met_not_reproduced(manifest):
    case = "ch07.dogs.mini_xception[2e]"  # param_count = 721857: an invariant
    verdicts = judge([model(case, 0, {"param_count": 721857, "best_val_accuracy": 0.9})], manifest)
    assert one(verdicts, case, "param_count").status is Status.BAR_MET
    assert one(verdicts, case, "param_count").kind == "bar"


def test_a_bar_over_a_baseline_reads_the_baseline_of_the_same_stack(manifest):
    case = "ch03.boston.kfold[book]"  # quick: kfold_val_mae beats mean by 3
    records = [
        model(case, 0, {"kfold_val_mae": 2.5, "test_mae": 2.6}),
        baseline("ch03.boston.kfold", "mean", {"kfold_val_mae": 6.6, "test_mae": 6.5}),
        model(case, 0, {"kfold_val_mae": 2.5, "test_mae": 2.6}, env=JAX, run_id="j"),
        baseline("ch03.boston.kfold", "mean", {"kfold_val_mae": 5.0}, env=JAX, run_id="j"),
    ]
    verdicts = judge(records, manifest)
    tf = one(verdicts, case, "kfold_val_mae", "tf2.21.0 keras3.15.1 tensorflow")
    jax = one(verdicts, case, "kfold_val_mae", "keras3.15.1 jax")
    assert (tf.reference, tf.status) == (6.6, Status.BAR_MET)
    assert (jax.reference, jax.status) == (5.0, Status.BAR_MISSED)


def test_a_claim_on_one_seed_is_inconclusive_and_on_three_agreeing_seeds_holds(manifest):
    claim = "imdb2e-positional-embedding-helps"
    spec = next(c for c in manifest.profiles["book"].claims if c.id == claim)
    a, b = spec.a.label, spec.b.label
    one_seed = [
        model(a, 0, {"test_accuracy": 0.8761}, profile="book"),
        model(b, 0, {"test_accuracy": 0.8757}, profile="book"),
    ]
    assert one(judge(one_seed, manifest), claim).status is Status.INCONCLUSIVE
    three = [
        model(side, seed, {"test_accuracy": value + 0.001 * seed}, profile="book")
        for seed in range(3)
        for side, value in ((a, 0.88), (b, 0.87))
    ]
    held = one(judge(three, manifest), claim)
    assert held.status is Status.HOLDS and held.evidence["held"] == 3
    assert held.evidence["p_holds"] == 0.125


def test_a_networks_one_seed_pairs_once_not_with_every_seed_of_the_other(manifest):
    """A network recorded on one seed against one on three: one pair, inconclusive (a
    baseline's one value pairs with every seed; a network's seed is no baseline)."""
    claim = "imdb2e-positional-embedding-helps"
    spec = next(c for c in manifest.profiles["book"].claims if c.id == claim)
    records = [
        model(spec.b.label, 0, {"test_accuracy": 0.87}, profile="book"),
        *(model(spec.a.label, s, {"test_accuracy": 0.88}, profile="book") for s in range(3)),
    ]
    verdict = one(judge(records, manifest), claim)
    assert verdict.status is Status.INCONCLUSIVE and verdict.evidence["held"] == 1
    assert (verdict.seeds, verdict.values) == ((0,), (0.88,))  # what was weighed


def test_not_run_says_why_and_a_short_run_is_incomplete(manifest):
    records = [
        outcome("model:ch03.reuters.dense[book]", "skipped", "dataset unavailable: reuters.npz"),
        model(IMDB, 0, {"test_accuracy": 0.885}, seeds_planned=3),
    ]
    verdicts = judge(records, manifest)
    reuters = [v for v in verdicts if v.subject == "ch03.reuters.dense[book]"]
    assert {v.status for v in reuters} == {Status.NOT_RUN}
    assert all("reuters.npz" in v.reason for v in reuters)
    short = one(verdicts, IMDB)
    assert short.status is Status.INCOMPLETE and short.reason == "1 of 3 seeds recorded"
    never = one(verdicts, "ch05.mnist.dense[book]")
    assert (never.status, never.reason) == (Status.NOT_RUN, "not attempted on this stack")


def test_a_bar_that_changed_since_the_run_says_so_and_a_gone_target_is_not_judged(manifest):
    stored = {
        "metric": "test_accuracy",
        "declared": {
            "metric": "test_accuracy",
            "value": 0.885,
            "tolerance": 0.0025,
            "comparison": "approx",
            "baseline": None,
            "over": "median",
        },
    }
    gone = {"metric": "best_val_accuracy", "declared": {"value": 0.8, "comparison": "at_least"}}
    record = model(
        IMDB, 0, {"test_accuracy": 0.88, "best_val_accuracy": 0.9}, targets=[stored, gone]
    )
    verdicts = [v for v in judge([record], manifest) if v.subject == IMDB]
    assert [v.metric for v in verdicts] == ["test_accuracy"]
    assert verdicts[0].bar_changed and verdicts[0].status is Status.REPRODUCES  # at ± 0.011


def test_a_bar_on_a_metric_its_records_predate_is_incomplete_not_missed(manifest):
    """Records made before a bar (and its metric) were declared are not a miss; a record
    that declares the bar yet lacks its metric is one (its protocol failed to measure)."""
    views, metric = "ch05.dogs.views[mobilenet_finetune]", "gradcam_model_gap"
    old = model(views, 0, {"best_val_accuracy": 0.9, "test_accuracy": 0.9})
    (gap,) = [v for v in judge([old], manifest) if (v.subject, v.metric) == (views, metric)]
    assert gap.status is Status.INCOMPLETE and "predate this bar" in gap.reason
    declared = {"metric": "gradcam_model_gap", "declared": {"value": 0.001}}
    fresh = model(views, 0, {"best_val_accuracy": 0.9}, targets=[declared])
    (gap,) = [v for v in judge([fresh], manifest) if (v.subject, v.metric) == (views, metric)]
    assert gap.status is Status.BAR_MISSED


def test_the_newest_run_of_each_stack_counts(manifest):
    old = model(IMDB, 0, {"test_accuracy": 0.70}, run_id="a-old")
    new = model(IMDB, 0, {"test_accuracy": 0.884}, run_id="b-new")
    new["invocation_started"] = "2026-12-02T00:00:00+00:00"
    old["invocation_started"] = "2026-12-01T00:00:00+00:00"
    assert one(judge([new, old], manifest), IMDB).values == (0.884,)


def small_manifest() -> Manifest:
    """A hand-made manifest, so the golden report does not move with the declarations."""
    divergence = DivergenceSpec(
        "fixed-order",
        ">=3.0",
        ("tensorflow",),
        "one order.",
        "an evidence.",
        "order_repeats",
        "at_least",
        1.0,
        "one order every epoch",
    )
    seeds = Calibration("book", (100, 101, 102), ("tf2.21.0 keras3.15.1 tensorflow",), ("c",))
    accuracy = TargetSpec(
        Bar("test_accuracy", 1, 0.885, 0.011), True, "1e 3.5 c39", "seeds", calibration=seeds
    )
    mae = TargetSpec(
        Bar("kfold_val_mae", -1, 2.38, 0.23), True, "1e 3.7", "s", "fixed-order", seeds
    )
    cases = (
        CaseSpec("ch03.imdb.dense", "book", "ch03", "IMDB", "real", (accuracy,)),
        CaseSpec("ch03.boston.kfold", "book", "ch03", "Boston", "real", (mae,)),
    )
    claim = ClaimSpec(
        "imdb-beats-boston",
        "made up",
        "src",
        "b",
        "ch03",
        "test_accuracy",
        SideSpec("ch03.imdb.dense", "book"),
        SideSpec("ch03.imdb.dense", "book"),
        RelationRule("within", 0.01, 1),
        "A is within 0.01 of B",
    )
    return Manifest({"book": ProfileSpec(cases, (claim,))}, {"fixed-order": divergence}, "r1")


def golden_records():
    return [
        *[model(IMDB, s, {"test_accuracy": 0.88 + 0.002 * s}, profile="book") for s in range(3)],
        *[
            model(BOSTON, s, {"kfold_val_mae": 2.7}, profile="book", probes={"order_repeats": 1})
            for s in range(3)
        ],
        *[
            model(IMDB, s, {"test_accuracy": 0.8}, profile="book", env=JAX, run_id="j")
            for s in range(3)
        ],
    ]


def test_the_report_matches_its_golden_copy(tmp_path: Path):
    write_report(golden_records(), tmp_path, small_manifest(), **FIXED)
    golden = Path(__file__).parent / "golden"
    for name in ("report.md", "ch03.md"):
        assert (tmp_path / name).read_text() == (golden / name).read_text(), name


def test_the_first_screen_fits_and_every_file_is_written(tmp_path: Path):
    write_report(golden_records(), tmp_path, small_manifest(), **FIXED)
    screen = (tmp_path / "report.md").read_text().splitlines()[:100]
    assert all(len(line) <= 160 for line in screen)
    data = json.loads((tmp_path / "verdicts.json").read_text())
    statuses = {v["status"] for v in data["verdicts"]}
    assert statuses == {"reproduces", "known divergence", "fails", "not run", "holds"}
    assert (tmp_path / "index.html").read_text().startswith("<!DOCTYPE html>")


REFUSE = """
import sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("keras", "tensorflow", "jax", "torch"):
            raise ImportError(f"{name} is refused in this test")
sys.meta_path.insert(0, Refuse())
from dlwp_suite.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_the_report_renders_where_keras_cannot_be_imported(tmp_path: Path):
    from dlwp_suite.results import ResultsStore

    store = ResultsStore(tmp_path, "run")
    for record in golden_records():
        store.append(record)
    small_manifest().write(tmp_path / "manifest.json")
    done = subprocess.run(
        [sys.executable, "-c", REFUSE, "report", "--results", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "known divergence (fixed-order)" in (tmp_path / "ch03.md").read_text()
    assert (tmp_path / "verdicts.json").is_file() and (tmp_path / "index.html").is_file()


def test_the_committed_manifest_is_in_step_with_the_declarations(manifest):
    """The committed results are judged by results/manifest.json: it must say what the
    declarations say (`dlwp-suite manifest` rewrites it)."""
    committed = Manifest.read(Path(__file__).parent.parent / "results" / "manifest.json")
    assert committed.profiles == manifest.profiles, "run `dlwp-suite manifest`"
    assert committed.divergences == manifest.divergences, "run `dlwp-suite manifest`"


def test_a_manifest_declaring_the_same_is_left_with_the_revision_that_wrote_it(tmp_path):
    """Every run writes its manifest beside its records: one that changed no
    declaration must leave the committed copy as it is, not stamp its own revision."""
    path = tmp_path / "manifest.json"
    dataclasses.replace(small_manifest(), revision="a1").write(path)
    written = path.read_text()
    dataclasses.replace(small_manifest(), revision="b2-dirty").write(path)
    assert path.read_text() == written and Manifest.read(path).revision == "a1"
    # A changed declaration is written, with the revision that changed it.
    dataclasses.replace(small_manifest(), revision="c3", divergences={}).write(path)
    assert (Manifest.read(path).revision, Manifest.read(path).divergences) == ("c3", {})


def test_stack_and_device_labels_name_a_gpus_model():
    from dlwp_suite.results.records import device_label, stack_label

    assert device_label({"device": "GPU NVIDIA H100 80GB HBM3 x1"}) == "GPU H100"
    assert device_label({"device": "CPU AMD EPYC (2 cores)"}) == "CPU"
    assert stack_label(JAX) == "keras3.15.1 jax" and stack_label(ENV).startswith("tf2.21.0")


def test_a_seed_that_measured_nothing_is_counted_apart_and_written_as_null(manifest, tmp_path):
    """The dream stand-in's seed 2 took no step: the value says two seeds measured of
    three (not "3 seeds"), and verdicts.json stays strict JSON (null, not NaN)."""
    from dlwp_suite.report.markdown import measured

    dream = "ch08.dream.mobilenet[book]"
    records = [
        model(dream, s, {"dream_rising_step_share": 1.0}, profile="book", seeds_planned=3)
        for s in (0, 1)
    ]
    records.append(model(dream, 2, {}, profile="book", seeds_planned=3))
    verdict = one(judge(records, manifest), dream, "dream_rising_step_share")
    assert verdict.status is Status.BAR_MISSED
    assert measured(verdict) == "1 [1–1], 2 of 3 seed(s)"
    write_report(records, tmp_path, manifest, **FIXED)

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    data = json.loads((tmp_path / "verdicts.json").read_text(), parse_constant=refuse)
    (written,) = [
        v
        for v in data["verdicts"]
        if v["subject"] == dream and v["metric"] == "dream_rising_step_share"
    ]
    assert written["values"] == [1.0, 1.0, None]
