"""Which accelerator a run uses, chosen before any framework loads (``--dlwp-device``;
one GPU per xdist worker)."""

from __future__ import annotations

import os
import subprocess

import pytest


def gpu_for_worker(worker_id: str, visible: list[str]) -> str | None:
    """The one GPU an xdist worker (``gw<N>``) should own when several are visible."""
    if len(visible) < 2 or not worker_id.startswith("gw"):
        return None
    return visible[int(worker_id[2:]) % len(visible)]


def visible_gpus() -> list[str]:
    """CUDA devices by ``CUDA_VISIBLE_DEVICES`` or ``nvidia-smi``, without loading a framework."""
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        return [d for d in os.environ["CUDA_VISIBLE_DEVICES"].split(",") if d.strip()]
    try:
        listing = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(listing.splitlines()) if line.startswith("GPU ")]


def select_device(choice: str, worker_id: str | None) -> None:
    """Hide accelerators (``cpu``), give an xdist worker its own GPU, or check one is
    visible (``gpu``)."""
    # Environment variables work only before a framework loads; the plugin loads none at
    # start-up. TensorFlow, JAX and PyTorch all honour CUDA_VISIBLE_DEVICES.
    if choice == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        return
    if worker_id and (gpu := gpu_for_worker(worker_id, visible_gpus())) is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu
    if choice == "gpu":
        from dlwp_suite.environment import accelerator

        if accelerator() is None:
            import keras

            raise pytest.UsageError(
                f"--dlwp-device=gpu: the Keras backend '{keras.backend.backend()}' sees no "
                "GPU; install the CUDA build (pip install -e '.[gpu]') or use "
                "--dlwp-device=auto|cpu"
            )
