"""Campaign items and chunks, and the one registry of every experiment's items.

An *item* is one paper-scale product (a trained checkpoint, a sweep of cached results). It is
split into *chunks* of at most about ten CPU minutes; each chunk writes its output
atomically (results cache or checkpoint store), so stopping at any moment loses at most the
chunk in progress. Whether a chunk is done is read from what is on disk, never from a log,
so a fresh checkout knows exactly what its committed files hold.
"""
from __future__ import annotations

import importlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .._io import atomic_write_json
from .._locks import exclusive_dir

# The one place where experiment modules register their items (each module has ``items()``).
MODULES = (
    "stego_lib.experiments.paper1.items",
    "stego_lib.experiments.paper1.diagnostics",
    "stego_lib.experiments.paper2.items",
    "stego_lib.experiments.paper2.rgb_bound",
    "stego_lib.experiments.paper2.authors",
    "stego_lib.experiments.paper2.bw_conversion",
    "stego_lib.experiments.paper2.c_gap",
    "stego_lib.experiments.perceptual_items",
    "stego_lib.experiments.paper2_figures_items",
    "stego_lib.experiments.beyond.items",
)
# Extra modules, e.g. for tests: a comma-separated list of importable module names.
EXTRA_ENV = "STEGO_CAMPAIGN_MODULES"


@dataclass
class Chunk:
    """One resumable unit of work.

    ``done()`` says whether its output is on disk; ``run(progress)`` computes and writes it,
    calling ``progress(n)`` as it completes ``n`` more of its ``units``.
    """

    name: str
    done: Callable[[], bool]
    run: Callable[[Callable[[int], None]], None]
    units: float = 1.0


@dataclass
class Item:
    """A named product of the campaign and the chunks that compute it.

    Args:
        name: unique, ``<group>-<what>`` (the group, e.g. ``paper1``, selects all its items).
        produces: what it writes, for the status table.
        chunks: ``device -> [Chunk, ...]`` (``device`` is ``"cpu"`` or ``"cuda"``).
        needs: items that must be complete first.
        unit: what ``Chunk.units`` counts (``"image"``, ``"step"``...).
        rate: measured units per second per device, used for the time estimate until this
            machine has measured its own.
    """

    name: str
    produces: str
    chunks: Callable[[str], list[Chunk]]
    needs: tuple[str, ...] = ()
    unit: str = "chunk"
    rate: dict = field(default_factory=dict)

    @property
    def group(self) -> str:
        return self.name.split("-", 1)[0]


class UnknownItemError(ValueError):
    """An item or group name that no module registers."""


def state_dir() -> Path:
    """Where unfinished training runs and measured throughput are kept: ``$STEGO_STATE``, else
    the user's cache (outside the checkout, never committed)."""
    env = os.environ.get("STEGO_STATE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stego_lib" / "state"


def registry() -> dict[str, Item]:
    """Every registered item by name, in registration order (which is a dependency order)."""
    mods = list(MODULES) + [m for m in os.environ.get(EXTRA_ENV, "").split(",") if m.strip()]
    out: dict[str, Item] = {}
    for name in mods:
        for item in importlib.import_module(name.strip()).items():
            if item.name in out:
                raise ValueError(f"campaign item {item.name!r} is registered twice")
            out[item.name] = item
    for item in out.values():
        for dep in item.needs:
            if dep not in out:
                raise ValueError(f"campaign item {item.name!r} needs unknown item {dep!r}")
    return out


def select(names: str | None, reg: dict[str, Item]) -> list[str]:
    """Item names for ``names`` (comma-separated items or groups; None: all), with every item
    they need, in dependency order."""
    if not names:
        wanted = set(reg)
    else:
        wanted = set()
        groups = {i.group for i in reg.values()}
        for n in (s.strip() for s in names.split(",") if s.strip()):
            if n in reg:
                wanted.add(n)
            elif n in groups:
                wanted |= {k for k, i in reg.items() if i.group == n}
            else:
                raise UnknownItemError(
                    f"unknown campaign item {n!r}; valid items: {', '.join(reg)}; "
                    f"groups: {', '.join(sorted(groups))}")
    todo = list(wanted)
    while todo:  # add what the wanted items need
        for dep in reg[todo.pop()].needs:
            if dep not in wanted:
                wanted.add(dep)
                todo.append(dep)
    return [k for k in reg if k in wanted]


class Throughput:
    """Units per second that this machine measured per (item, device), kept in the state dir."""

    def __init__(self, path: Path | None = None):
        self.path = path or state_dir() / "throughput.json"
        try:
            self.data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.data = {}

    def rate(self, item: Item, device: str) -> tuple[float | None, str]:
        rec = self.data.get(f"{item.name}@{device}")
        if rec and rec["seconds"] > 0:
            return rec["units"] / rec["seconds"], "measured here"
        if device in item.rate:
            return item.rate[device], "prior"
        return None, "unknown"

    def add(self, item: Item, device: str, units: float, seconds: float) -> None:
        with exclusive_dir(self.path.parent):  # re-read: another worker may have added since
            try:
                self.data = json.loads(self.path.read_text())
            except (OSError, ValueError):
                pass
            rec = self.data.setdefault(f"{item.name}@{device}", {"units": 0.0, "seconds": 0.0})
            rec["units"] += units
            rec["seconds"] += seconds
            atomic_write_json(self.path, self.data)
