"""Work through the campaign queue, chunk by chunk; and the status table."""
from __future__ import annotations

import signal
import sys
import time

from .core import Item, Throughput, registry, select


def _fmt_seconds(s: float | None) -> str:
    if s is None:
        return "?"
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def _complete(item: Item, device: str) -> bool:
    return all(c.done() for c in item.chunks(device))


def status(items: str | None = None, device: str = "cpu") -> list[dict]:
    """One row per selected item: ``item``, ``produces``, ``done``/``total`` chunks, ``left_s``
    (estimated seconds on ``device``; None if unknown), ``rate_source`` and ``waits_for``."""
    reg = registry()
    tp = Throughput()
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
                     "rate_source": source,
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
        lines.append(f"{r['item']:<30} {r['done']:>4}/{r['total']:<4} {left:>12}  {what}")
    pending = [r for r in rows if r["done"] != r["total"]]
    total = sum(r["left_s"] or 0 for r in pending)
    lines.append(f"{len(pending)} item(s) pending, about {_fmt_seconds(total)} of work left on "
                 f"{device} (* from the rate measured on a 2-core CPU; otherwise measured here)")
    return "\n".join(lines)


class _Stop:
    """First SIGINT/SIGTERM: finish the current chunk, then stop. Second: abandon it (its
    output is written atomically, so nothing half-written is left)."""

    def __init__(self, log):
        self.requested, self.log = False, log

    def __call__(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.log(f"signal {signal.Signals(signum).name}: stopping after the current chunk "
                 f"(send it again to abandon the chunk)")


def _order(names: list[str], reg: dict, device: str, tp: Throughput) -> list[str]:
    """Dependency order; on a GPU, among the items whose needs are met, the ones that cost the
    most CPU time first."""
    if device != "cuda":
        return names

    def cpu_cost(n):
        item = reg[n]
        rate = item.rate.get("cpu") or 1.0
        return sum(c.units for c in item.chunks(device) if not c.done()) / rate

    out, left = [], list(names)
    while left:
        ready = [n for n in left if all(d in out or d not in left for d in reg[n].needs)]
        best = max(ready or left, key=cpu_cost)
        out.append(best)
        left.remove(best)
    return out


def run(items: str | None = None, *, max_minutes: float | None = None, device: str = "cpu",
        progress: bool = True, log=None) -> dict:
    """Compute every missing chunk of the selected items (and the items they need).

    Stops after ``max_minutes`` (no new chunk starts later), or cleanly on SIGINT/SIGTERM.
    Never commits anything. Returns ``{"chunks": n_done_now, "stopped": reason | None}``.
    """
    log = log or (lambda msg: print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True))
    reg = registry()
    names = select(items, reg)
    tp = Throughput()
    stop = _Stop(log)
    old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    start, n_done, stopped = time.monotonic(), 0, None
    try:
        for name in _order(names, reg, device, tp):
            item = reg[name]
            blocked = [d for d in item.needs if not _complete(reg[d], device)]
            if blocked:
                log(f"{name}: skipped, waits for {', '.join(blocked)}")
                continue
            chunks = [c for c in item.chunks(device) if not c.done()]
            if not chunks:
                continue
            total_units = sum(c.units for c in chunks)
            bar = None
            if progress:
                from tqdm import tqdm
                bar = tqdm(total=total_units, desc=name, unit=item.unit, disable=None,
                           file=sys.stderr, dynamic_ncols=True)
            try:
                for i, chunk in enumerate(chunks, 1):
                    if stop.requested:
                        stopped = "signal"
                        return {"chunks": n_done, "stopped": stopped}
                    if max_minutes is not None and time.monotonic() - start > max_minutes * 60:
                        stopped = "time limit"
                        log(f"time limit of {max_minutes:g} min reached; run again to continue")
                        return {"chunks": n_done, "stopped": stopped}
                    t0 = time.monotonic()
                    chunk.run(bar.update if bar is not None else (lambda n: None))
                    dt = time.monotonic() - t0
                    tp.add(item, device, chunk.units, dt)
                    n_done += 1
                    log(f"{name}: {chunk.name} done in {dt:.1f} s "
                        f"({chunk.units / dt:.1f} {item.unit}/s; {i}/{len(chunks)} of this run)")
            finally:
                if bar is not None:
                    bar.close()
    except KeyboardInterrupt:
        stopped = "abandoned"
        log("abandoned the current chunk; finished chunks are kept")
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    return {"chunks": n_done, "stopped": stopped}
