"""The environment fingerprint every results record carries."""

from __future__ import annotations

import functools
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from types import ModuleType


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


#: The vector extensions that decide which CPU kernels a backend picks, in /proc/cpuinfo's
#: names: TensorFlow turns its oneDNN kernels on by default only with AVX-512 VNNI, BF16 or
#: AMX, so one "AMD EPYC" model string covered VMs 2x apart on convolutions.
VECTOR_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile")


def cpu_vector_flags(cpuinfo: str) -> str:
    """The ``VECTOR_FLAGS`` that ``/proc/cpuinfo``'s text lists, space-separated."""
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            present = set(line.split(":", 1)[1].split())
            return " ".join(flag for flag in VECTOR_FLAGS if flag in present)
    return ""


def _cpu_vector_flags() -> str | None:
    cpuinfo = Path("/proc/cpuinfo")
    return cpu_vector_flags(cpuinfo.read_text()) if cpuinfo.is_file() else None


def _onednn() -> str | None:
    """Whether TensorFlow runs its oneDNN kernels ("on"/"off"; None without TensorFlow)."""
    try:
        from tensorflow.python.util import _pywrap_util_port  # no public API says it
    except ImportError:
        return None
    enabled = getattr(_pywrap_util_port, "IsMklEnabled", None)
    return None if enabled is None else ("on" if enabled() else "off")


def _git(where: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(where), *args], capture_output=True, text=True, timeout=10, check=True
    ).stdout.strip()


def git_revision(where: Path) -> str:
    """The checkout's short revision, ``-dirty`` with uncommitted changes."""
    # A tree copied to another machine (a GPU machine's) may carry a stale .git: the
    # caller who copied it says which revision it is.
    if told := os.environ.get("DLWP_GIT_REVISION"):
        return told
    try:
        revision = _git(where, "rev-parse", "--short=12", "HEAD")
        dirty = _git(where, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{revision}-dirty" if dirty else revision


BACKENDS = ("tensorflow", "jax", "torch")


class BackendUnavailable(RuntimeError):
    """Keras is installed but cannot load the backend it was asked for."""


def _configured_backend() -> str:
    """The backend Keras will load: ``KERAS_BACKEND``, else ``keras.json``, else TF."""
    if backend := os.environ.get("KERAS_BACKEND"):
        return backend
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()
    try:
        return str(json.loads((home / "keras.json").read_text()).get("backend", "tensorflow"))
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def import_keras() -> ModuleType:
    """Keras, or one clear message naming the install extras when its backend is missing."""
    try:
        import keras
    except (ImportError, ValueError) as error:  # a missing package / an unknown name
        if isinstance(error, ModuleNotFoundError) and error.name == "keras":
            raise BackendUnavailable(
                "Keras is not installed: pip install -e '.[cpu]' (or '.[gpu]')"
            ) from error
        wanted = _configured_backend()
        fix = (
            f"{wanted!r} (from KERAS_BACKEND or keras.json) is not a Keras backend: "
            f"use one of {', '.join(BACKENDS)}"
            if wanted not in BACKENDS
            else "Install it: pip install -e '.[cpu]' (TensorFlow for CPU) or '.[gpu]' "
            "(TensorFlow with CUDA); for KERAS_BACKEND=jax or torch, pip install jax or torch"
        )
        raise BackendUnavailable(
            f"Keras cannot load its '{wanted}' backend ({type(error).__name__}: {error}). {fix}."
        ) from error
    return keras


def _tensorflow_version() -> str | None:
    try:
        import tensorflow as tf
    except ImportError:
        return None
    return tf.__version__


def accelerator() -> str | None:
    """The accelerator the Keras backend sees (model and count), or None on CPU only."""
    keras = import_keras()

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            return f"GPU {details.get('device_name', gpus[0].name)} x{len(gpus)}"
    elif backend == "jax":
        import jax

        devices = jax.devices()
        if devices[0].platform != "cpu":
            return f"{devices[0].platform.upper()} {devices[0].device_kind} x{len(devices)}"
    elif backend == "torch":
        import torch

        if torch.cuda.is_available():
            return f"GPU {torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}"
    return None


def accelerator_peak_memory_mb() -> float | None:
    """The process' peak accelerator memory so far, in MiB; None on CPU or when unknown.

    Read from the backend's own allocator: JAX's ``peak_bytes_in_use``, PyTorch's
    ``max_memory_allocated``, TensorFlow's ``get_memory_info(...)["peak"]``.
    """
    keras = import_keras()
    backend = keras.backend.backend()
    peak: int | None = None
    if backend == "jax":
        import jax

        device = jax.local_devices()[0]
        if device.platform != "cpu":
            peak = (device.memory_stats() or {}).get("peak_bytes_in_use")
    elif backend == "torch":
        import torch

        if torch.cuda.is_available():
            peak = torch.cuda.max_memory_allocated()
    elif backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            peak = tf.config.experimental.get_memory_info("GPU:0")["peak"]
    return None if peak is None else peak / 2**20


@functools.lru_cache(maxsize=1)
def fingerprint(repository: Path | None = None) -> dict[str, str | None]:
    """Python, TF, Keras, backend, device, CPU (and its vector flags), whether TF runs
    oneDNN, git revision of the suite."""
    keras = import_keras()

    return {
        "python": platform.python_version(),
        "tensorflow": _tensorflow_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "device": accelerator() or f"CPU {_cpu_model()} ({os.cpu_count()} cores)",
        "cpu": f"{_cpu_model()} ({os.cpu_count()} cores)",
        "cpu_vector_flags": _cpu_vector_flags(),
        "tensorflow_onednn": _onednn(),
        "platform": f"{sys.platform}-{platform.machine()}",
        "git_revision": git_revision(repository or Path(__file__).resolve().parent),
    }
