"""TensorBoard logs of any benchmark run (1e 7.2.2, 2e 7.3.4), on request.

``--dlwp-tensorboard DIR`` puts ``DIR`` in the run's context
(``RunContext.tensorboard_dir``); every training call then adds Keras' own
``TensorBoard`` callback, writing to ``DIR/<case id>/seed<seed>/<phase>/{train,validation}``:
one run per fit, named so TensorBoard's run selector reads like the suite's records
(``<phase>-2`` and on for a fit of the same case, seed and phase again).
"""

from __future__ import annotations

from pathlib import Path

import keras


def tensorboard_callbacks(
    log_root: Path | None, case_id: str, seed: int, phase: str
) -> list[keras.callbacks.Callback]:
    """Keras' ``TensorBoard`` callback for one fit, logging under ``log_root``; none if
    it is None (no logs asked for)."""
    if log_root is None:
        return []
    base = log_root / case_id / f"seed{seed}" / phase
    log_dir, again = base, 1
    while log_dir.exists():  # a retrain (another xdist worker, a rerun) is a run of its own
        again += 1
        log_dir = base.with_name(f"{phase}-{again}")
    return [keras.callbacks.TensorBoard(log_dir=str(log_dir))]
