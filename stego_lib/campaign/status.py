"""The status table: per item, what is on disk, the time left, and what a running campaign's
Dask scheduler is computing now.

Example::

    >>> import types
    >>> from stego_lib.storage import scratch_state
    >>> from stego_lib.tasks import Chunk, Item
    >>> chunks = [Chunk("a", lambda: True, print), Chunk("b", lambda: False, print, units=30)]
    >>> toy = types.SimpleNamespace(items=lambda: [Item("toy-sum", "", lambda d: chunks,
    ...                                                 rate={"cpu": 10.0})])
    >>> with scratch_state():   # away from a running campaign's scheduler and measured rates
    ...     [(r["done"], r["total"], r["left_s"], r["rate_source"]) for r in status("toy", extra=[toy])]
    [(1, 2, 3.0, 'prior')]
"""
from __future__ import annotations

import json

from ..storage import state_dir
from .core import Throughput, registry, select


def _fmt_seconds(s: float | None) -> str:
    if s is None:
        return "?"
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def scheduler_file():
    """Where a running campaign leaves its scheduler's address for ``status``."""
    return state_dir() / "campaign-scheduler.json"


def running_items() -> set[str]:
    """Items whose chunks a running campaign's Dask scheduler is computing now (none when no
    campaign runs, or its scheduler cannot be reached)."""
    try:
        address = json.loads(scheduler_file().read_text())["address"]
    except (OSError, ValueError, KeyError):
        return set()
    from distributed import Client

    try:
        with Client(address, timeout="3s") as client:
            keys = [k for ks in client.processing().values() for k in ks]
    except (OSError, TimeoutError):
        return set()
    return {str(k).split("/", 1)[0] for k in keys}


def status(items: str | None = None, device: str = "cpu", extra=()) -> list[dict]:
    """One row per selected item: ``item``, ``produces``, ``done``/``total`` chunks, ``left_s``
    (estimated seconds on ``device``; None if unknown), ``rate_source``, ``running`` (a running
    campaign's scheduler is computing it now) and ``waits_for``."""
    reg = registry(extra)
    tp = Throughput()
    running = running_items()
    rows, complete = [], {}
    for name in select(items, reg):
        item = reg[name]
        chunks = item.chunks(device)
        flags = [c.done() for c in chunks]
        complete[name] = all(flags)
        rate, source = tp.rate(item, device)
        left_units = sum(c.units for c, f in zip(chunks, flags) if not f)
        rows.append({"item": name, "produces": item.produces, "done": sum(flags),
                     "total": len(chunks), "left_s": (left_units / rate) if rate else None,
                     "rate_source": source, "running": name in running,
                     "waits_for": [d for d in item.needs if not complete.get(d, True)]})
    return rows


def format_status(rows: list[dict], device: str) -> str:
    head = f"{'item':<30} {'done':>9} {'left (' + device + ')':>12}  waits for / produces"
    lines = [head, "-" * len(head)]
    for r in rows:
        left = "done" if r["done"] == r["total"] else _fmt_seconds(r["left_s"])
        if r["done"] != r["total"] and r["rate_source"] == "prior":
            left += "*"
        what = ("waits for " + ", ".join(r["waits_for"])) if r["waits_for"] else r["produces"]
        if r.get("running"):
            what = "running now: " + what
        lines.append(f"{r['item']:<30} {r['done']:>4}/{r['total']:<4} {left:>12}  {what}")
    pending = [r for r in rows if r["done"] != r["total"]]
    total = sum(r["left_s"] or 0 for r in pending)
    lines.append(f"{len(pending)} item(s) pending, about {_fmt_seconds(total)} of work left on "
                 f"{device} (* from the rate measured on a 2-core CPU; otherwise measured here)")
    return "\n".join(lines)
