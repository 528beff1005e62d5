"""The one record builder the tests share: records as a run writes them."""

from __future__ import annotations

from typing import Any

from dlwp_suite.results import make_outcome, make_record

ENV = {"tensorflow": "2.21.0", "keras": "3.15.1", "backend": "tensorflow", "device": "CPU x"}
JAX = {"tensorflow": None, "keras": "3.15.1", "backend": "jax", "device": "CPU x"}


def model(
    case: str,
    seed: int,
    metrics: dict[str, float],
    *,
    run_id: str = "run",
    profile: str = "quick",
    env: dict[str, Any] | None = None,
    targets: list[dict[str, Any]] | None = None,
    seeds_planned: int | None = None,
    notes: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A network's record of ``case`` ("experiment[variant]") for one seed."""
    experiment, variant = case.rstrip("]").split("[")
    fields = {"seeds_planned": seeds_planned} if seeds_planned else {}
    return make_record(
        run_id=run_id,
        experiment=experiment,
        variant=variant,
        kind="model",
        name="network",
        profile=profile,
        seed=seed,
        params={},
        metrics=metrics,
        targets=targets or [],
        timings=extra.pop("timings", {"wall_s": 1.0, "train_samples_per_s": 1000.0}),
        environment=env or ENV,
        data={"notes": notes or []},
        **fields,
        **extra,
    )


def baseline(
    experiment: str,
    name: str,
    metrics: dict[str, float],
    *,
    run_id: str = "run",
    profile: str = "quick",
    env: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A fitted baseline's record."""
    return make_record(
        run_id=run_id,
        experiment=experiment,
        variant="",
        kind="baseline",
        name=name,
        profile=profile,
        seed=0,
        params={},
        metrics=metrics,
        targets=[],
        timings={"fit_s": 1.0},
        environment=env or ENV,
        data={},
        trivial=True,
    )


def outcome(
    test: str, how: str, reason: str, *, run_id: str = "run", profile: str = "quick", env=None
) -> dict[str, Any]:
    """How a case's test ended (``test`` = "model:<case>")."""
    case = test.split(":", 1)[1]
    return make_outcome(
        run_id=run_id,
        test=test,
        experiment=case.split("[", 1)[0],
        variant=case.split("[", 1)[1].rstrip("]") if "[" in case else "",
        profile=profile,
        outcome=how,
        reason=reason,
        environment=env or ENV,
    )
