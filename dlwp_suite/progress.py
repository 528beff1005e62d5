"""Progress a person can watch: one line at most every ``interval_s`` during a long fit.

The plugin attaches a writer (pytest's terminal, past output capture); without one, as
in a notebook, nothing is written. The runner says which case and seed is running and
the fits report their epochs; this module only keeps the time and writes the line.
Nothing here touches a model: the timed region gains one clock read per epoch. It also
keeps each seed's phases as timed, which a time probe (``RunContext.phase_budget_s``)
records to extrapolate a seed's time from phases it cut short.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

Write = Callable[[str], None]


@dataclass
class _State:
    write: Write | None = None
    interval_s: float = 30.0
    case: str = ""
    seed: int = 0
    seed_index: int = 0  # 0-based position among the case's seeds
    seeds: int = 1
    seed_started: float = field(default_factory=time.monotonic)
    seconds_per_seed: list[float] = field(default_factory=list)
    last_line: float = 0.0
    phase: str = ""
    phase_started: float = 0.0  # about when the phase's first step began
    last_step: float = 0.0
    phases: list[dict[str, Any]] = field(default_factory=list)  # this seed's, as timed
    # The validation pass running inside a fit: when it began, its batches, the end of
    # its first batch (which also compiles the test step) and of its last.
    validation: dict[str, float] = field(default_factory=dict)


_STATE = _State()


def attach(write: Write | None, interval_s: float = 30.0) -> None:
    """Send progress lines to ``write`` (None: silence), at most one per ``interval_s``."""
    _STATE.write, _STATE.interval_s = write, interval_s


@contextmanager
def seed(case: str, seed_: int, index: int, seeds: int) -> Iterator[None]:
    """Mark one seed of a case as running (the runner wraps each seed in this)."""
    if index == 0:
        _STATE.seconds_per_seed = []
    _STATE.case, _STATE.seed, _STATE.seed_index, _STATE.seeds = case, seed_, index, seeds
    _STATE.seed_started = _STATE.last_line = _STATE.last_step = time.monotonic()
    _STATE.phase = ""
    _STATE.phases = []
    _STATE.validation = {}
    try:
        yield
    finally:
        _STATE.seconds_per_seed.append(time.monotonic() - _STATE.seed_started)


def duration(seconds: float) -> str:
    """``4m05s`` or ``2h10m``."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


#: Reports a time probe lets every phase make: the first also builds and compiles, so
#: the rate of the rest is taken from the steps reported after it.
PROBE_MIN_REPORTS = 2


def past_budget(budget_s: float | None) -> bool:
    """Whether a time probe cuts the running phase now: it has run ``budget_s`` and
    reported at least ``PROBE_MIN_REPORTS`` times (never, without a budget). The phase is
    marked ``cut``: one that stopped on its own (early stopping, a loss cap) is not."""
    if budget_s is None or not _STATE.phases:
        return False
    timed = _STATE.last_step - _STATE.phase_started
    if _STATE.phases[-1]["calls"] >= PROBE_MIN_REPORTS and timed >= budget_s:
        _STATE.phases[-1]["cut"] = True
        return True
    return False


def timed_phases() -> list[dict[str, Any]]:
    """The running seed's phases so far: ``phase``, steps ``done`` of ``total``, their
    ``seconds``, the first report's (``first_step_s``, for ``first_done`` steps: it also
    builds and compiles), the reports made (``calls``) and, where a probe cut it, ``cut``.
    A phase counted in batches also has ``steps_per_epoch`` and, where its fit validated
    after an epoch, ``validations`` (the passes run) and ``validation_s`` (one pass at
    the rate of its batches after the first, which compiles)."""
    return [dict(p) for p in _STATE.phases]


def step(
    phase: str,
    done: int,
    total: int,
    metric: tuple[str, float] | None = None,
    steps_per_epoch: int | None = None,
) -> None:
    """Report that ``done`` of ``total`` steps (epochs, iterations, or batches of
    ``steps_per_epoch`` an epoch) of a phase ended; a line is written only when the
    interval has passed since the last one."""
    now = time.monotonic()
    if phase != _STATE.phase or done == 1:  # a new phase began when the last step ended
        _STATE.phase, _STATE.phase_started = phase, _STATE.last_step
        # The first report may cover several steps (fused steps report once a call).
        _STATE.phases.append(
            {"phase": phase, "first_step_s": now - _STATE.last_step, "first_done": done, "calls": 0}
        )
        if steps_per_epoch:
            _STATE.phases[-1]["steps_per_epoch"] = steps_per_epoch
        _STATE.validation = {}
    _STATE.last_step = now
    timed = _STATE.phases[-1]
    timed.update(done=done, total=total, seconds=now - _STATE.phase_started)
    timed["calls"] += 1
    if _STATE.write is None or now - _STATE.last_line < _STATE.interval_s:
        return
    _STATE.last_line = now
    parts = [
        f"{_STATE.case} seed {_STATE.seed} ({_STATE.seed_index + 1} of {_STATE.seeds})",
        f"{phase} {done}/{total}",
    ]
    if metric is not None:
        parts.append(f"{metric[0]} {metric[1]:.4g}")
    parts.append(f"{duration(now - _STATE.seed_started)} elapsed")
    parts.append(f"~{duration((now - _STATE.phase_started) / done * (total - done))} left")
    if later := _STATE.seeds - _STATE.seed_index - 1:
        finished = _STATE.seconds_per_seed
        each = f" of ~{duration(sum(finished) / len(finished))}" if finished else ""
        parts[-1] += f" in this phase, then {later} seed(s){each}"
    try:
        _STATE.write(" · ".join(parts))
    except (OSError, ValueError):  # a closed terminal: a progress line never stops a run
        _STATE.write = None


def validation_batch(done: int = 0, ended: bool = False) -> None:
    """``done`` batches of the validation pass a fit runs after an epoch have ended (a
    call of fused steps reports once, with its last), or (``ended``) the pass has. A
    phase counted in batches times no validation in its steps, so a probe keeps one
    pass's time, at the rate of the calls after the first (which compiles the test
    step), to add to each epoch it extrapolates; a pass of one call times nothing."""
    now = time.monotonic()
    pass_ = _STATE.validation
    if not ended:
        pass_.setdefault("began", _STATE.last_step)
        pass_.setdefault("first_done", done)
        pass_.setdefault("first", now)
        pass_.update(done=done, last=now)
        return
    _STATE.validation = {}
    if not _STATE.phases or not pass_:
        return
    timed = _STATE.phases[-1]
    timed["validations"] = timed.get("validations", 0) + 1
    if pass_["done"] > pass_["first_done"]:
        rate = (pass_["last"] - pass_["first"]) / (pass_["done"] - pass_["first_done"])
        timed["validation_s"] = rate * pass_["done"]
    # The phase's time stays its training steps' (the pass is added per epoch instead).
    _STATE.phase_started += now - pass_["began"]
    _STATE.last_step = now
