"""What machine computed a result: recorded beside every cache entry and checkpoint.

A sign-step attack turns float rounding into whole grey levels, so the kernel path (the CPU
capability PyTorch dispatched to), the CPU and the library versions decide whether a result
reproduces bit for bit. Entries written before these fields existed read as ``"unknown"``
through :func:`of`; nothing is backfilled.

Example::

    >>> p = machine()
    >>> sorted(p)
    ['cpu_capability', 'cpu_model', 'device', 'numpy', 'torch']
    >>> of({"torch": "2.11.0"})["cpu_capability"]    # an entry from before these fields
    'unknown'
"""
from __future__ import annotations

import collections
import functools
import json
import platform
from pathlib import Path

import numpy as np
import torch

__all__ = ["FIELDS", "committed", "machine", "markdown", "of"]

FIELDS = ("torch", "device", "cpu_capability", "cpu_model", "numpy")


def _cpu_model() -> str:
    # /proc/cpuinfo names the CPU on Linux; platform.processor() is often empty there.
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _cpu_capability() -> str:
    # Honours ATEN_CPU_CAPABILITY, so a run forced onto the plain kernels records "default".
    try:
        return str(torch.backends.cpu.get_cpu_capability())
    except (AttributeError, RuntimeError):
        return "unknown"


@functools.lru_cache(maxsize=1)
def _static() -> dict:
    return {"cpu_capability": _cpu_capability(), "cpu_model": _cpu_model(),
            "numpy": np.__version__, "torch": torch.__version__}


def machine() -> dict:
    """The provenance of a result computed now, in this process."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    return {**_static(), "device": gpu}


def of(meta: dict) -> dict:
    """The provenance fields of a stored entry's metadata, ``"unknown"`` where not recorded."""
    return {k: str(meta.get(k, "unknown")) for k in FIELDS}


def _device(meta: dict) -> str:
    # Some entries name the torch device ("cuda:0") where others name the GPU.
    d = str(meta.get("device", "unknown"))
    return "CPU" if d == "cpu" else ("GPU (not named)" if d.startswith("cuda") else d)


def committed(results_root, checkpoints_manifest=None) -> list[dict]:
    """The committed results (and checkpoints) grouped by what computed them: one dict per
    (kind, torch, device, CPU capability, CPU model, numpy) with its ``count``, most first.
    Entries written before the CPU fields were recorded say ``"unknown"``."""
    counts = collections.Counter()
    for path in sorted(Path(results_root).glob("*/*.json")):
        meta = json.loads(path.read_text())
        if "config" in meta and "key" in meta:   # a cache entry, not a benchmark's record
            p = of(meta)
            counts[("result", p["torch"], _device(meta), p["cpu_capability"], p["cpu_model"],
                    p["numpy"])] += 1
    if checkpoints_manifest is not None and Path(checkpoints_manifest).exists():
        for rec in json.loads(Path(checkpoints_manifest).read_text())["checkpoints"].values():
            p = of(rec)
            counts[("checkpoint", p["torch"], _device(rec), p["cpu_capability"],
                    p["cpu_model"], p["numpy"])] += 1
    keys = ("kind", "torch", "device", "cpu_capability", "cpu_model", "numpy")
    return [{**dict(zip(keys, k)), "count": n}
            for k, n in sorted(counts.items(), key=lambda kv: (kv[0][0] != "result", -kv[1], kv[0]))]


def markdown(groups: list[dict]) -> str:
    """:func:`committed` as a Markdown table."""
    lines = ["| what | how many | torch | device | CPU kernels | CPU | numpy |",
             "|---|---:|---|---|---|---|---|"]
    for g in groups:
        lines.append(f"| {g['kind']}s | {g['count']:,} | {g['torch']} | {g['device']} | "
                     f"{g['cpu_capability']} | {g['cpu_model']} | {g['numpy']} |")
    return "\n".join(lines)
