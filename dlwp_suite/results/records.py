"""Records as the judge reads them: upgraded to the current schema, labelled with their
stack and device, and cut down to the newest run of each case on each stack."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dlwp_suite.results.store import run_starts, upgraded

Record = dict[str, Any]


def stack_label(environment: Mapping[str, Any]) -> str:
    """``tf2.21.0 keras3.15.1 tensorflow`` or ``keras3.15.1 jax``: the software stack."""
    tf = f"tf{environment['tensorflow']} " if environment.get("tensorflow") else ""
    return f"{tf}keras{environment.get('keras')} {environment.get('backend')}"


def device_label(environment: Mapping[str, Any]) -> str:
    """``CPU`` or ``GPU H200``: a GPU's model is named (an H100 and an H200 differ)."""
    words = str(environment.get("device") or "?").split()
    if words[0] == "GPU":
        model = next((w for w in words[1:] if w.upper() != "NVIDIA"), None)
        return f"GPU {model}" if model else "GPU"
    return words[0]


#: The vector extensions that pick a CPU's kernels, highest first, as ``cpu_kernels``
#: names them (``environment.VECTOR_FLAGS`` are /proc/cpuinfo's names of the same).
_VECTOR_LEVELS = (
    ("amx_tile", "AMX"),
    ("avx512_bf16", "AVX-512 BF16"),
    ("avx512_vnni", "AVX-512 VNNI"),
    ("avx512f", "AVX-512"),
    ("avx2", "AVX2"),
)


def cpu_kernels(environment: Mapping[str, Any]) -> str:
    """``AVX2, oneDNN off``: what picked a CPU run's kernels, the highest vector extension
    its CPU has and, on TensorFlow, whether oneDNN ran (one CPU model string covered VMs
    2-4x apart on convolutions: docs/results.md). "" on a GPU and in records that predate
    both (2026-12-07); "vector flags unknown" where a newer record could not read them
    (no /proc/cpuinfo)."""
    if device_label(environment) != "CPU" or "cpu_vector_flags" not in environment:
        return ""
    if (flags := environment["cpu_vector_flags"]) is None:
        return "vector flags unknown"
    present = set(str(flags).split())
    level = next((name for flag, name in _VECTOR_LEVELS if flag in present), "no AVX2")
    onednn = environment.get("tensorflow_onednn")
    if environment.get("backend") == "tensorflow" and onednn:
        return f"{level}, oneDNN {onednn}"
    return level


def data_kind(record: Mapping[str, Any]) -> str:
    """What a record ran on, from its loader's notes: generated, stand-in or real."""
    if record.get("profile") == "smoke":
        return "generated"
    notes = " ".join((record.get("data") or {}).get("notes") or [])
    if "GENERATED" in notes:
        return "generated"
    return "stand-in" if "STAND-IN" in notes else "real"


_GROUP = ("profile", "stack", "device", "experiment", "variant", "kind", "name")


def newest(records: Iterable[Mapping[str, Any]], by_kernels: bool = False) -> list[Record]:
    """The newest run of each case, baseline and outcome per stack and device (and CPU
    kernels, ``by_kernels``: the plan's times), each seed once.

    "Newest" is the run that started last (its first invocation, on any machine; ties go
    to the larger id). A seed recorded twice in that run (two invocations sharing a run
    id) counts once, its latest record, with ``times_recorded`` saying how often.
    """
    rows = [upgraded(r) for r in records]  # records made in memory, not read
    starts = run_starts(rows)
    for row in rows:
        row["stack"] = stack_label(row["environment"])
        row["device"] = device_label(row["environment"])
        row["kernels"] = cpu_kernels(row["environment"])
    group = (*_GROUP, "kernels") if by_kernels else _GROUP
    order = {run: f"{start}|{run}" for run, start in starts.items()}
    latest: dict[tuple, str] = {}
    for row in rows:
        key = tuple(row.get(k) for k in group)
        latest[key] = max(latest.get(key, ""), order[row["run_id"]])
    kept: dict[tuple, Record] = {}
    counts: dict[tuple, int] = {}
    for row in sorted(rows, key=lambda r: r.get("recorded_at") or ""):
        key = tuple(row.get(k) for k in group)
        if order[row["run_id"]] != latest[key]:
            continue
        once = (*key, row["seed"] if row["kind"] != "outcome" else row.get("test"))
        counts[once] = counts.get(once, 0) + 1
        kept[once] = {**row, "times_recorded": counts[once]}
    return list(kept.values())
