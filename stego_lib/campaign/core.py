"""The one registry of every experiment's campaign items, item selection, and the measured
throughput. Items and chunks are defined in :mod:`stego_lib.tasks`, by the experiments.

Example::

    >>> import tempfile
    >>> item = registry()["paper2-figures"]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     tp = Throughput(Path(tmp) / "throughput.json")
    ...     before = tp.rate(item, "cpu")
    ...     tp.add(item, "cpu", units=846, seconds=423.0)
    ...     before, Throughput(tp.path).rate(item, "cpu")
    ((2.7, 'prior'), (2.0, 'measured here'))
"""
from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Sequence

from .._io import atomic_write_json
from ..experiments import paper2_figures_items, perceptual_items
from ..experiments.beyond import items as beyond_items
from ..experiments.paper1 import device_check as paper1_device_check
from ..experiments.paper1 import diagnostics as paper1_diagnostics
from ..experiments.paper1 import items as paper1_items
from ..experiments.paper2 import authors as paper2_authors
from ..experiments.paper2 import bw_conversion as paper2_bw_conversion
from ..experiments.paper2 import c_gap as paper2_c_gap
from ..experiments.paper2 import cd_gap as paper2_cd_gap
from ..experiments.paper2 import flip_crop as paper2_flip_crop
from ..experiments.paper2 import s_gap as paper2_s_gap
from ..experiments.paper2 import items as paper2_items
from ..experiments.paper2 import iterations as paper2_iterations
from ..experiments.paper2 import protocol as paper2_protocol
from ..experiments.paper2 import rgb_bound as paper2_rgb_bound
from ..storage import state_dir
from ..tasks import Item

# Every module with campaign items (each has ``items()``), in an order the needs respect.
MODULES = (paper1_items, paper1_diagnostics, paper1_device_check, paper2_items, paper2_rgb_bound,
           paper2_authors, paper2_bw_conversion, paper2_c_gap, paper2_cd_gap, paper2_s_gap,
           paper2_protocol, paper2_iterations, paper2_flip_crop, perceptual_items, paper2_figures_items, beyond_items)


class UnknownItemError(ValueError):
    """An item or group name that no module registers."""


def registry(extra: Sequence[ModuleType] = ()) -> dict[str, Item]:
    """Every registered item by name, in registration order (which is a dependency order).
    ``extra``: more modules with ``items()`` (the tests' toy campaign)."""
    out: dict[str, Item] = {}
    for module in (*MODULES, *extra):
        for item in module.items():
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
    """Units per second that this machine measured per (item, device), kept in the state dir.
    Only the campaign's client writes it (workers return their timings), so no lock."""

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
        rec = self.data.setdefault(f"{item.name}@{device}", {"units": 0.0, "seconds": 0.0})
        rec["units"] += units
        rec["seconds"] += seconds
        atomic_write_json(self.path, self.data)
