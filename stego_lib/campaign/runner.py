"""Work through the campaign queue, chunk by chunk; and the status table."""
from __future__ import annotations

import os
import signal
import sys
import time

from .._locks import is_locked, try_lock
from .core import Item, Throughput, registry, select, state_dir


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
    (estimated seconds on ``device``; None if unknown), ``rate_source``, ``running`` (a run
    on this machine is computing it now) and ``waits_for``."""
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
                     "rate_source": source, "running": is_locked(_lock_path(name)),
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


class _Stop:
    """First SIGINT/SIGTERM: finish the current chunk, then stop. Second: abandon it (its
    output is written atomically, so nothing half-written is left).

    A repeat within ``same_request_s`` counts as the same request: with ``--workers``, a
    Ctrl-C or a ``pkill`` reaches a worker both directly and through the parent, which
    forwards it."""

    same_request_s = 2.0

    def __init__(self, log):
        self.requested, self.log, self.first = False, log, None

    def __call__(self, signum, frame):
        if self.requested:
            if time.monotonic() - self.first < self.same_request_s:
                return
            raise KeyboardInterrupt
        self.requested, self.first = True, time.monotonic()
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


def _lock_path(name: str):
    return state_dir() / "locks" / f"{name}.lock"


def _poll_seconds() -> float:
    return float(os.environ.get("STEGO_CAMPAIGN_POLL", "30"))


def run(items: str | None = None, *, max_minutes: float | None = None, device: str = "cpu",
        progress: bool = True, log=None) -> dict:
    """Compute every missing chunk of the selected items (and the items they need).

    Several runs may work on one queue at once (``--workers``, or runs started by hand): each
    item is locked while a run computes it, so no two runs compute the same item; a run
    whose remaining items wait for one that another run is computing waits for it.
    Stops after ``max_minutes`` (no new chunk starts later), or cleanly on SIGINT/SIGTERM.
    Never commits anything. Returns ``{"chunks": n_done_now, "stopped": reason | None}``.
    """
    who = f" worker {os.environ['STEGO_CAMPAIGN_WORKER']}" if os.environ.get(
        "STEGO_CAMPAIGN_WORKER") else ""
    log = log or (lambda msg: print(f"[{time.strftime('%H:%M:%S')}{who}] {msg}", flush=True))
    reg = registry()
    names = select(items, reg)
    tp = Throughput()
    stop = _Stop(log)
    old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    start, n_done, stopped = time.monotonic(), 0, None
    said, ran = set(), set()  # log each wait once; run each item at most once per call

    def out_of_time():
        return max_minutes is not None and time.monotonic() - start > max_minutes * 60

    try:
        while True:
            busy, worked = False, False
            for name in _order(names, reg, device, tp):
                item = reg[name]
                if name in ran or _complete(item, device):
                    continue
                # A need that another worker still holds may look complete on disk a moment
                # before its run has finished writing (a checkpoint's metrics, say).
                blocked = [d for d in item.needs
                           if not _complete(reg[d], device) or is_locked(_lock_path(d))]
                if blocked:
                    if (name, "needs") not in said:
                        log(f"{name}: skipped, waits for {', '.join(blocked)}")
                        said.add((name, "needs"))
                    continue
                with try_lock(_lock_path(name)) as mine:
                    if not mine:
                        busy = True
                        if (name, "lock") not in said:
                            log(f"{name}: another worker is computing it")
                            said.add((name, "lock"))
                        continue
                    ran.add(name)
                    worked = True
                    n, stopped = _run_item(item, device, tp, stop, out_of_time, progress, log)
                    n_done += n
                if stopped:
                    return {"chunks": n_done, "stopped": stopped}
                break  # rescan from the top: what this item unblocked comes first
            if worked:
                continue
            # Nothing to do here now; wait only if another worker can still unblock something.
            busy = busy or any(is_locked(_lock_path(n)) for n in names)
            if not busy:
                return {"chunks": n_done, "stopped": None}
            if stop.requested or out_of_time():
                return {"chunks": n_done, "stopped": "signal" if stop.requested else "time limit"}
            time.sleep(_poll_seconds())
    except KeyboardInterrupt:
        stopped = "abandoned"
        log("abandoned the current chunk; finished chunks are kept")
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    return {"chunks": n_done, "stopped": stopped}


def _run_item(item: Item, device: str, tp: Throughput, stop: _Stop, out_of_time, progress: bool,
              log) -> tuple[int, str | None]:
    """The missing chunks of one item, in order; returns (chunks computed, stop reason)."""
    chunks = [c for c in item.chunks(device) if not c.done()]
    bar = None
    if progress and chunks:
        from tqdm import tqdm
        bar = tqdm(total=sum(c.units for c in chunks), desc=item.name, unit=item.unit,
                   disable=None, file=sys.stderr, dynamic_ncols=True)
    n = 0
    try:
        for i, chunk in enumerate(chunks, 1):
            if stop.requested:
                return n, "signal"
            if out_of_time():
                log("time limit reached; run again to continue")
                return n, "time limit"
            if chunk.done():  # a run that held the lock before us may have written it
                continue
            t0 = time.monotonic()
            chunk.run(bar.update if bar is not None else (lambda k: None))
            dt = time.monotonic() - t0
            tp.add(item, device, chunk.units, dt)
            n += 1
            log(f"{item.name}: {chunk.name} done in {dt:.1f} s "
                f"({chunk.units / dt:.1f} {item.unit}/s; {i}/{len(chunks)} of this run)")
    finally:
        if bar is not None:
            bar.close()
    return n, None
