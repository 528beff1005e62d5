"""The one record builder the tests share: records as a run writes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dlwp_suite.results import make_outcome, make_record

ENV = {"tensorflow": "2.21.0", "keras": "3.15.1", "backend": "tensorflow", "device": "CPU x"}
JAX = {"tensorflow": None, "keras": "3.15.1", "backend": "jax", "device": "CPU x"}
TIMINGS = {"wall_s": 1.0, "train_samples_per_s": 1000.0}


def record(
    case: str,
    seed: int,
    metrics: dict[str, float],
    *,
    kind: str = "model",
    name: str = "network",
    run_id: str = "run",
    profile: str = "quick",
    env: dict[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    targets: list[dict[str, Any]] | None = None,
    timings: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A record of ``case`` ("experiment[variant]") for one seed: a network's unless
    ``kind`` and ``name`` say otherwise (a book-code reference's: "reference", "book_code")."""
    experiment, variant = case.rstrip("]").split("[")
    return make_record(
        run_id=run_id,
        experiment=experiment,
        variant=variant,
        kind=kind,
        name=name,
        profile=profile,
        seed=seed,
        params=params or {},
        metrics=metrics,
        targets=targets or [],
        timings=TIMINGS if timings is None else timings,
        environment=env or ENV,
        data=data or {},
        **extra,
    )


def model(
    case: str,
    seed: int,
    metrics: dict[str, float],
    *,
    seeds_planned: int | None = None,
    notes: list[str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A network's record of ``case`` for one seed, with the data notes a run writes;
    ``fields``: :func:`record`'s keywords and extra fields (``probes``)."""
    planned = {"seeds_planned": seeds_planned} if seeds_planned else {}
    return record(case, seed, metrics, data={"notes": notes or []}, **planned, **fields)


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
    test: str,
    how: str,
    reason: str,
    *,
    run_id: str = "run",
    profile: str = "quick",
    env: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """How a case's test ended (``test`` = "model:<case>" or "book_code:<case>")."""
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
