"""What a run asks of the protocols beyond the case itself: pictures, TensorBoard logs,
fused training steps, a time probe's cut, and the trained models kept for other cases.

The pytest plugin builds one a process from its options and hands it down the one way:
the ``dlwp`` fixture's session, the runner, the protocol, and from there to where models
train, callbacks are made and pictures are saved. A notebook passes its own to
``runner.run_case`` or a protocol's ``run``, or none: the default context draws no
pictures, writes no logs and fuses the default number of steps. Free of any framework,
so the plugin can import it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class KeptModels:
    """The trained models a run keeps for the cases that look inside them
    (``ProfileSpec.trained_by``): what a wanted case's protocol kept for a seed, held
    until the viewing case takes it (once; then the model can be freed)."""

    def __init__(self, wanted: Iterable[str]) -> None:
        self.wanted = frozenset(wanted)
        self._kept: dict[tuple[str, int], Any] = {}

    def keep(self, case_id: str, seed: int, kept: Any) -> None:
        """Hold ``kept`` for ``case_id``'s ``seed`` if a case looks inside it."""
        if case_id in self.wanted:
            self._kept[(case_id, seed)] = kept

    def take(self, case_id: str, seed: int) -> Any | None:
        """What was kept for ``case_id``'s ``seed``, or None; it is not kept after."""
        return self._kept.pop((case_id, seed), None)


@dataclass(frozen=True)
class RunContext:
    """The settings a run's protocols follow, the same under pytest and in a notebook.

    ``images_dir``: where pictures go (``<case id>/seed<N>-<name>.png`` under it; the
    plugin uses ``<results>/images/<run id>``), none drawn if None. ``tensorboard_dir``:
    where every fit's TensorBoard logs go (``--dlwp-tensorboard``), none if None.
    ``steps_per_execution``: batches one fused training call runs on Keras 3 with
    TensorFlow (``--dlwp-steps-per-execution``); None: ``compat.FUSED_STEPS``.
    ``phase_budget_s``: a time probe (``--dlwp-time-probe``): each training phase stops
    at the first epoch (or step) that ends past this many seconds, and not before its
    second, so a seed's time can be extrapolated from its phases; what it trains is not
    judged. None: no cut. ``kept_models``: where trained models wait for the cases that
    look inside them; None: every case trains its own.
    """

    images_dir: Path | None = None
    tensorboard_dir: Path | None = None
    steps_per_execution: int | None = None
    phase_budget_s: float | None = None
    kept_models: KeptModels | None = None


#: No pictures, no TensorBoard logs, the default fused steps: what a caller that passes
#: no context gets.
DEFAULT_CONTEXT = RunContext()
