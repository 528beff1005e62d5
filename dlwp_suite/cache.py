"""Cache of derived arrays (vectorised inputs), keyed by source hashes and settings.

Writes go to a temporary file in the same directory and are renamed into place, so an
interrupted run never leaves a half-written cache entry, and parallel workers that
build the same entry both end with a complete file. A killed writer's temporary file
is removed by the next run (`remove_stale_temporaries`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

Arrays = dict[str, np.ndarray]
TEMPORARY_SUFFIX = ".tmp"
STALE_AFTER_S = 24 * 3600.0  # a temporary file this old belongs to no live writer


def cache_key(parts: Mapping[str, Any]) -> str:
    """A short stable key for a mapping of source hashes and settings."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _read(path: Path) -> Arrays | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files if name != "_key"}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        return None  # unreadable entry: rebuilt below rather than trusted


def _write(path: Path, arrays: Arrays, parts: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # The writer's pid in the name lets a later run remove what a killed writer left.
    handle, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.{_writer()}.", suffix=TEMPORARY_SUFFIX
    )
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache may be shared
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, _key=np.array(json.dumps(parts, default=str)), **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _writer() -> str:
    """``<host>-<pid>``: who writes a temporary file (a cache may be shared by hosts)."""
    host = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname().split(".")[0]) or "host"
    return f"{host}-{os.getpid()}"


def remove_stale_temporaries(directory: Path, max_age_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove cache files half-written by writers that are gone; return them.

    A writer on this host is gone when its process is; one elsewhere (a shared cache)
    only once its file is older than ``max_age_s``.
    """
    removed = []
    this_host = _writer().rsplit("-", 1)[0]
    for tmp in directory.rglob(f".*{TEMPORARY_SUFFIX}"):
        host, _, pid = tmp.name.removesuffix(TEMPORARY_SUFFIX).split(".")[-2].rpartition("-")
        try:
            age = time.time() - tmp.stat().st_mtime
        except FileNotFoundError:
            continue  # its writer just finished
        dead = pid.isdigit() and host == this_host and not _alive(int(pid))
        if dead or age > max_age_s:
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def cached_arrays(
    directory: Path, name: str, parts: Mapping[str, Any], build: Callable[[], Arrays]
) -> tuple[Arrays, bool]:
    """Load ``name`` for ``parts`` from ``directory`` or build and store it.

    Returns the arrays and whether they came from the cache.
    """
    path = directory / f"{name}-{cache_key(parts)}.npz"
    if path.is_file() and (arrays := _read(path)) is not None:
        return arrays, True
    arrays = build()
    _write(path, arrays, parts)
    return arrays, False
