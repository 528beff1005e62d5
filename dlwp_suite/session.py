"""The suite's session object behind the ``dlwp`` fixture: data, seeds, the store, and
the checks a benchmark test calls (a case, its comparisons, a claim, a pairing with the
book's code). The judge decides every assertion (``dlwp_suite.results.judge``).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import statistics
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from dlwp_suite.case_ids import baseline_id, case_id
from dlwp_suite.claims import Claim, Side
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.environment import fingerprint
from dlwp_suite.errors import DatasetCorrupt, DatasetUnavailable
from dlwp_suite.experiment import Case, Experiment
from dlwp_suite.results import (
    RecordsNotWritten,
    ResultsStore,
    read_records,
    read_run,
    recorded_in_run,
)
from dlwp_suite.results.manifest import Manifest
from dlwp_suite.results.verdicts import Status
from dlwp_suite.run_context import KeptModels, RunContext

CLAIM_POLL_S = 2.0


def case_test_id(case: Case) -> str:
    """The id pytest gives a case's parameter in a benchmark test's node id."""
    return f"{case.experiment.id}-{case.variant}"


def model_key(case: Case) -> str:
    """The key of a case's model test (what claims and outcome records name)."""
    return f"model:{case.id}"


def comparisons_key(experiment_id: str) -> str:
    """The key of an experiment's baselines-and-ensemble test."""
    return f"comparisons:{experiment_id}"


def side_key(side: Side) -> str:
    """The test whose records hold a claim side's values."""
    if side.variant is not None:
        return f"model:{case_id(side.experiment, side.variant)}"
    return comparisons_key(side.experiment)


def _stop_on_unwritable_records(session: pytest.Session, error: RecordsNotWritten) -> None:
    """Fail the current test with the message and stop the run: records are being lost."""
    session.shouldstop = str(error)
    pytest.fail(str(error), pytrace=False)


@functools.cache
def run_manifest() -> Manifest:
    """The manifest of the declarations this process runs (built once)."""
    from dlwp_suite.declarations import build_manifest

    return build_manifest(fingerprint().get("git_revision") or "")


def _assert_verdicts(records: list[dict[str, Any]], subjects: set[str]) -> None:
    """Judge this test's records and fail with one line per miss (no traceback).

    The judge (``dlwp_suite.results.judge``) decides, as it does for the report, so the
    test's outcome is the verdict's: a miss whose declared divergence applies to this
    stack, and whose probe shows its mechanism, xfails with the divergence's reason; any
    other miss fails; a bar that passes passes, though a divergence is declared for it (a
    band measured where the order reshuffles can hold a stack's shifted value).
    """
    from dlwp_suite.report.terminal import verdict_line
    from dlwp_suite.results.judge import judge

    verdicts = [v for v in judge(records, run_manifest()) if v.subject in subjects]
    failing = [v for v in verdicts if v.status.failing or v.status is Status.INCOMPLETE]
    if failing:
        pytest.fail("\n".join(verdict_line(v) for v in failing), pytrace=False)
    diverging = [v for v in verdicts if v.status is Status.KNOWN_DIVERGENCE]
    if diverging:
        pytest.xfail("\n".join(f"{verdict_line(v)}: {v.reason}" for v in diverging))


class Dlwp:
    """What a benchmark test calls: load data, run, record, time and assert."""

    def __init__(
        self,
        session: pytest.Session,
        data_config: DataConfig,
        scratch: Path,
        store: ResultsStore,
        selected: set[str],
        context: RunContext,
    ) -> None:
        from dlwp_suite import experiments

        config = session.config
        self.session = session
        self.config = config
        self.profile: str = config.getoption("--dlwp-profile")
        first = config.getoption("--dlwp-first-seed")
        self.seeds = list(range(first, first + config.getoption("--dlwp-seeds")))
        # A time probe times one seed and judges nothing.
        self.time_probe = context.phase_budget_s is not None
        self.real_data = data_config
        self.scratch = scratch  # generated datasets for profiles that declare them
        self.store = store
        self.selected = selected  # keys of the case and comparisons tests selected
        # Pictures, TensorBoard logs, fused steps, for the protocols; and the trained
        # models this process keeps for the cases that look inside them (not in a time
        # probe: it times what each case takes alone).
        kept = None if self.time_probe else KeptModels(experiments.viewed_cases(self.profile))
        self.context = dataclasses.replace(context, kept_models=kept)
        self.environment = fingerprint()
        self._data: dict[str, TaskData] = {}
        self._generated: set[str] = set()
        self._tested: dict[tuple[str, int], Any] = {}  # (case id, seed) -> tested model
        self._probe_readings: dict[str, float] = {}  # a probe's reading, once a process
        self._baselines: dict[tuple[str, int, str], Any] = {}  # (experiment, seed, name)

    def data_config(self, experiment: Experiment) -> DataConfig:
        """Real data, or generated canonical files where the profile declares them."""
        if not experiment.profile(self.profile).synthetic_data:
            return self.real_data
        if experiment.id not in self._generated:  # once: the files are seeded, so identical
            experiment.write_synthetic(self.scratch / "mirror")
            self._generated.add(experiment.id)
        return DataConfig(
            self.scratch / "mirror", self.scratch / "keras", self.scratch / "cache", True
        )

    def data(self, experiment: Experiment) -> TaskData:
        """The experiment's data; a missing dataset skips, a corrupt one fails."""
        from dlwp_suite.experiments import load_task_data

        if experiment.id not in self._data:
            try:
                self._data[experiment.id] = load_task_data(
                    experiment, self.data_config(experiment), self.profile
                )
            except DatasetUnavailable as missing:
                pytest.skip(f"{experiment.id}: dataset unavailable: {missing}")
            except DatasetCorrupt as corrupt:
                pytest.fail(f"{experiment.id}: dataset corrupt: {corrupt}", pytrace=False)
        return self._data[experiment.id]

    def _extra_info(self, benchmark: Any, experiment: Experiment, records: list[dict]) -> None:
        from dlwp_suite.results.records import device_label, stack_label

        benchmark.group = experiment.id
        environment = self.environment
        benchmark.extra_info["environment"] = (
            f"{stack_label(environment)} {device_label(environment)}"
        )
        benchmark.extra_info["profile"] = self.profile
        for record in records:
            prefix = "" if record["kind"] == "model" else f"{record['name']}."
            for key, value in {**record["metrics"], **record["timings"]}.items():
                benchmark.extra_info.setdefault(f"{prefix}{key}", []).append(value)
        for key, values in list(benchmark.extra_info.items()):
            if isinstance(values, list) and all(isinstance(v, float) for v in values):
                benchmark.extra_info[key] = statistics.median(values)

    def baselines(self, experiment: Experiment, data: TaskData, names: Any) -> dict[str, Any]:
        """The experiment's named baselines for the first seed, each fitted once.

        They are fitted on the splits of the profile's first case, outside any timed
        region, and shared by its targets and its comparisons test, and by experiments
        that declare them theirs (``baselines_of``).
        """
        from dlwp_suite.experiments import get
        from dlwp_suite.runner import fit_baselines

        asked_for = experiment.id
        if experiment.baselines_of is not None:
            experiment = get(experiment.baselines_of)
            data = self.data(experiment)
        case, seed = experiment.cases(self.profile)[0], self.seeds[0]
        missing = [n for n in names if (experiment.id, seed, n) not in self._baselines]
        for name, result in fit_baselines(case, data, seed, missing).items():
            self._baselines[(experiment.id, seed, name)] = result
        fitted = {n: self._baselines[(experiment.id, seed, n)] for n in names}
        if experiment.id == asked_for:
            return fitted
        return {n: dataclasses.replace(b, fitted_for=experiment.id) for n, b in fitted.items()}

    def probes(self, case: Case) -> dict[str, float]:
        """Readings of the probes of the divergences declared on the case's targets and on
        the claims that compare it (each probe runs once a process), on every stack: where
        the divergence is not declared, the reading shows its mechanism is absent."""
        from dlwp_suite import experiments
        from dlwp_suite.probes import PROBES

        declared = [t.divergence for t in case.targets]
        for claim in experiments.claims(self.profile):
            sides = {(s.experiment, s.variant) for s in (claim.a, claim.b)}
            if (case.experiment.id, case.variant) in sides:
                declared.append(claim.divergence)
        needed = {d.probe.measure for d in declared if d is not None and d.probe.metric is None}
        for name in needed - self._probe_readings.keys():
            self._probe_readings[name] = PROBES[name]()
        return {name: self._probe_readings[name] for name in sorted(needed)}

    def _resumed(self, case: Case, kinds: set[str], seeds: list[int]) -> list[dict[str, Any]]:
        """With ``--dlwp-resume``: the resumed run's records of ``kinds`` for ``case`` in
        this profile on ``seeds``; without it, none."""
        if not self.config.getoption("--dlwp-resume"):
            return []
        recorded = recorded_in_run(
            read_records(self.store.directory), self.store.run_id, self.profile, kinds
        )
        return [
            r
            for r in recorded
            if (r.get("experiment"), r.get("variant")) == (case.experiment.id, case.variant)
            and r.get("seed") in seeds
        ]

    def recorded_seeds(self, case: Case) -> list[dict[str, Any]]:
        """With ``--dlwp-resume``: the resumed run's records of this case's seeds."""
        return self._resumed(case, {"model"}, self.seeds)

    def recorded_comparisons(self, case: Case, data: TaskData) -> list[dict[str, Any]]:
        """With ``--dlwp-resume``: the resumed run's baselines and ensemble for ``case``
        (its experiment's ensemble case) on the first seed, if they are all there."""
        found = self._resumed(case, {"baseline", "ensemble"}, self.seeds[:1])
        fitted = {r["name"] for r in found if r["kind"] == "baseline"}
        ensembled = any(r["kind"] == "ensemble" for r in found) or data.y_test is None
        return found if ensembled and set(case.experiment.baselines) <= fitted else []

    def check_model(self, case: Case, benchmark: Any) -> None:
        """Train the case's model for every seed (timed), record, and assert its targets.

        Resuming a run, the seeds it recorded are not trained again: the case is judged
        on those and the ones trained now."""
        from dlwp_suite.runner import run_case

        if self.time_probe:
            self._time_probe(case, benchmark)
        earlier = self.recorded_seeds(case)
        seeds = [s for s in self.seeds if s not in {r["seed"] for r in earlier}]
        if not seeds:
            _assert_verdicts(earlier, {case.id})
            return
        data = self.data(case.experiment)
        compared = {t.baseline for t in case.targets if t.baseline is not None}
        baselines = self.baselines(case.experiment, data, sorted(compared))
        probes = self.probes(case)  # before the clock
        try:
            outcome = benchmark.pedantic(
                run_case,
                args=(case, data, seeds, self.store.run_id, self.environment, baselines),
                kwargs={
                    "write": self.store.append,
                    "probes": probes,
                    "seeds_planned": len(self.seeds),
                    "context": self.context,
                },
                rounds=1,
                iterations=1,
            )
        except RecordsNotWritten as error:
            _stop_on_unwritable_records(self.session, error)
        self._tested[(case.id, seeds[0])] = outcome.tested
        self._extra_info(benchmark, case.experiment, outcome.records)
        _assert_verdicts([*earlier, *outcome.records], {case.id})

    def _time_probe(self, case: Case, benchmark: Any) -> None:
        """Time the case's first seed with its phases cut (``runner.time_case``), its
        experiment's baselines fitted and timed beside it (once a process), and skip:
        a time probe records a plan, never a verdict."""
        from dlwp_suite.results.plan import seed_estimate
        from dlwp_suite.runner import time_case

        data = self.data(case.experiment)
        fitted, started = len(self._baselines), time.perf_counter()
        self.baselines(case.experiment, data, case.experiment.baselines)
        # Fitted once an experiment: the case that fitted them carries their time.
        baselines_s = time.perf_counter() - started if len(self._baselines) > fitted else None
        try:
            record = benchmark.pedantic(
                time_case,
                args=(case, data, self.seeds[0], self.store.run_id, self.environment),
                kwargs={
                    "write": self.store.append,
                    "context": self.context,
                    "baselines_s": baselines_s,
                },
                rounds=1,
                iterations=1,
            )
        except RecordsNotWritten as error:
            _stop_on_unwritable_records(self.session, error)
        estimate = seed_estimate(record)
        pytest.skip(
            f"time probe: ~{estimate.seconds / 60:.1f} min a seed ({estimate.how}); not judged"
        )

    def _skip_if_time_probe(self) -> None:
        if self.time_probe:
            pytest.skip("time probe: only the cases' first seeds are timed; nothing is judged")

    def check_comparisons(self, experiment: Experiment, benchmark: Any) -> None:
        """Record the baselines and the ensemble for the experiment's ensemble case (its
        ``ensemble_variant``, else its first); resuming a run that has them, judge those.

        The network is the one ``check_model`` trained on the first seed when this
        process ran it (it does unless xdist sent that test elsewhere), else retrained.
        """
        from dlwp_suite.runner import run_comparisons

        self._skip_if_time_probe()
        case = experiment.ensemble_case(self.profile)
        if case is None:
            pytest.skip(f"{experiment.id}: the {self.profile} profile runs no variant")
        data = self.data(experiment)
        subjects = {baseline_id(experiment.id, b) for b in experiment.baselines}
        if earlier := self.recorded_comparisons(case, data):  # a resumed run has them
            _assert_verdicts(earlier, subjects)
            return
        baselines = self.baselines(experiment, data, experiment.baselines)
        network = self._tested.get((case.id, self.seeds[0]))
        try:
            outcome = benchmark.pedantic(
                run_comparisons,
                args=(case, data, self.seeds[0], self.store.run_id, self.environment, baselines),
                kwargs={"network": network, "write": self.store.append, "context": self.context},
                rounds=1,
                iterations=1,
            )
        except RecordsNotWritten as error:
            _stop_on_unwritable_records(self.session, error)
        self._extra_info(benchmark, experiment, outcome.records)
        # The book's numbers for its baselines.
        _assert_verdicts(outcome.records, subjects)

    def check_book_code(
        self,
        case: Case,
        metric: str,
        book_code: Callable[[int], Mapping[str, float]],
        benchmark: Any,
        band: float | None = None,
        time_goal: float | None = None,
        note: str = "",
    ) -> None:
        """Run ``case`` through the suite and through ``book_code(seed)`` (the book's plain
        code, its data already in memory), first seed, one after the other in this
        process after a warm-up; record both measurements and times, and assert that
        they agree within the paired tolerance (``band``, the single-run band, defaults
        to the case's: 3 x the single-seed std) and that the suite meets ``time_goal``
        (suite / book's code)."""
        from dlwp_suite import book_code as pairing
        from dlwp_suite.experiments import load_task_data
        from dlwp_suite.protocols import PROTOCOLS
        from dlwp_suite.results import make_record

        self._skip_if_time_probe()
        experiment, seed = case.experiment, self.seeds[0]
        data = self.data(experiment)  # skips or fails with the dataset's reason; fills caches
        config = self.data_config(experiment)
        protocol = PROTOCOLS[experiment.protocol]
        tolerance = pairing.paired_tolerance(
            pairing.single_run_band(case, metric) if band is None else band
        )
        pairing.warm_up()  # the process' one-time costs on neither side

        def both() -> pairing.BookCodeRun:
            started = time.perf_counter()
            theirs = book_code(seed)
            book_code_s = time.perf_counter() - started
            started = time.perf_counter()
            inputs = load_task_data(experiment, config, self.profile)
            ours = protocol.run(case, inputs, seed, context=self.context)
            suite_s = time.perf_counter() - started
            return pairing.BookCodeRun(
                metric=metric,
                suite=pairing.measured(ours.metrics, metric),
                book_code=pairing.measured(theirs, metric),
                tolerance=tolerance,
                suite_s=suite_s,
                book_code_s=book_code_s,
                time_goal=time_goal,
                note=note,
            )

        run = benchmark.pedantic(both, rounds=1, iterations=1)
        benchmark.extra_info.update(run.as_record())
        record = make_record(
            run_id=self.store.run_id,
            experiment=experiment.id,
            variant=case.variant,
            kind="reference",
            name="book_code",
            profile=self.profile,
            seed=seed,
            params=case.params,
            metrics={metric: run.suite, f"book_code_{metric}": run.book_code},
            targets=[],
            timings={"suite_s": run.suite_s, "book_code_s": run.book_code_s},
            environment=self.environment,
            data=data.provenance,
            book_code=run.as_record(),
        )
        try:
            self.store.append(record)
        except RecordsNotWritten as error:
            _stop_on_unwritable_records(self.session, error)
        if experiment.profile(self.profile).synthetic_data:
            # Seconds on tiny generated data: nothing to compare, but both must measure.
            if not (math.isfinite(run.suite) and math.isfinite(run.book_code)):
                pytest.fail(f"{metric}: suite {run.suite}, book's code {run.book_code}")
            return
        if problems := run.problems():
            pytest.fail("\n".join(problems), pytrace=False)

    def _records_for(self, claim: Claim) -> list[dict[str, Any]]:
        """This run's records once both sides' tests have ended; skip if one has none."""
        needed = {side_key(claim.a), side_key(claim.b)}
        missing = sorted(needed - self.selected)
        if missing:
            # An earlier invocation of this run (DLWP_RUN_ID) may have recorded them.
            records = read_run(self.store.directory, self.store.run_id)
            if all(any(side.matches(r) for r in records) for side in (claim.a, claim.b)):
                return records
            pytest.skip(
                f"claim {claim.id} needs {', '.join(missing)}, not selected in this run "
                "(deselected with -k/-m, or outside the chosen files)"
            )
        under_xdist = hasattr(self.config, "workerinput")
        deadline = time.monotonic() + self.config.getoption("--dlwp-claim-wait")
        while True:
            records = read_run(self.store.directory, self.store.run_id)
            ended = {r["test"]: r for r in records if r.get("kind") == "outcome"}
            if needed <= ended.keys() or not under_xdist or time.monotonic() > deadline:
                break
            time.sleep(CLAIM_POLL_S)  # the other worker is still running a needed test
        for side in (claim.a, claim.b):
            if not any(side.matches(r) for r in records):
                ending = ended.get(side_key(side))
                how = (
                    f"{ending['outcome']}: {ending['reason']}"
                    if ending
                    else "has not ended (timed out waiting)"
                )
                pytest.skip(f"claim {claim.id}: {side.label} has no records ({how})")
        return records

    def check_claim(self, claim: Claim) -> None:
        """Judge a claim on this run's records of its two sides; record and assert it.

        It passes when it holds, fails when it does not (xfails where its divergence
        applies) and skips, saying why, when the seeds cannot conclude.
        """
        from dlwp_suite.report.terminal import verdict_line
        from dlwp_suite.results.judge import judge
        from dlwp_suite.runner import judge_claim

        self._skip_if_time_probe()
        records = self._records_for(claim)
        _, record = judge_claim(claim, records, self.store.run_id, self.profile, self.environment)
        try:
            self.store.append(record)
        except RecordsNotWritten as error:
            _stop_on_unwritable_records(self.session, error)
        here = [r for r in records if r.get("run_id") == self.store.run_id]
        (verdict,) = [v for v in judge(here, run_manifest()) if v.subject == claim.id]
        line = f"{verdict_line(verdict)} ({claim.source})"
        if verdict.status is Status.KNOWN_DIVERGENCE:
            pytest.xfail(f"{line}: {verdict.reason}")
        if verdict.status.failing:
            pytest.fail(line, pytrace=False)
        if verdict.status is Status.INCONCLUSIVE:
            pytest.skip(f"inconclusive: {verdict.reason}; run more seeds (--dlwp-seeds 3)")
