"""Work through the campaign queue on a Dask cluster, chunk by chunk.

The client (this process) decides what may start: a chunk is submitted once the items its
item needs are complete and the chunks it comes ``after`` are done, and at most as many run
as the cluster has worker threads, so ``max_minutes`` and a stop take effect between chunks.
The client alone writes the checkpoint manifest and the throughput record: workers return
their manifest changes and timings with their result.
"""
from __future__ import annotations

import signal
import sys
import time
import uuid

from .. import checkpoints
from .._io import atomic_write_json
from ..tasks import Item
from .cluster import Engine, connect
from .core import Throughput, registry, select
from .status import scheduler_file
from .work import run_chunk


class _Stop:
    """First SIGINT/SIGTERM: start no new chunk and let the running ones finish. Second:
    abandon them (outputs are written atomically, so nothing half-written is left)."""

    def __init__(self, log):
        self.requested, self.log = False, log

    def __call__(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.log(f"signal {signal.Signals(signum).name}: stopping after the running chunks "
                 f"(send it again to abandon them)")


class _Queue:
    """Which chunks may start: an item opens once the items it needs are complete (its
    chunk list is read then, since it may depend on their outputs); a chunk is ready once the
    chunks it comes after are done."""

    def __init__(self, reg: dict[str, Item], names: list[str], device: str, log):
        self.reg, self.device, self.log = reg, device, log
        self.waiting = list(names)      # items not opened yet
        self.open: dict[str, dict] = {}  # item -> {"chunks": [...], "done": set()}
        self.complete, self.failed = set(), set()
        self._open_ready()

    def _open_ready(self):
        """Open every waiting item whose needs are complete, until none is left to open (an
        item found complete on opening may let others open)."""
        progress = True
        while progress:
            progress = False
            for name in list(self.waiting):
                item = self.reg[name]
                if any(d in self.failed for d in item.needs):
                    self.waiting.remove(name)
                    self.failed.add(name)
                    self.log(f"{name}: skipped, a chunk of an item it needs failed")
                elif all(d in self.complete for d in item.needs):
                    self.waiting.remove(name)
                    chunks = item.chunks(self.device)
                    self.open[name] = {"chunks": chunks, "failed": set(),
                                       "done": {c.name for c in chunks if c.done()}}
                    progress |= self._check_complete(name)

    def _check_complete(self, name) -> bool:
        state = self.open[name]
        if len(state["done"]) < len(state["chunks"]):
            return False
        del self.open[name]
        self.complete.add(name)
        return True

    def ready(self, busy: set) -> list[tuple[str, object]]:
        """(item, chunk) pairs that may start now, item by item in queue order; on a GPU the
        items that cost the most CPU time come first."""
        names = list(self.open)
        if self.device == "cuda":
            names.sort(key=lambda n: -self._cpu_cost(n))
        out = []
        for name in names:
            state = self.open[name]
            for c in state["chunks"]:
                if (c.name not in state["done"] | state["failed"] and (name, c.name) not in busy
                        and set(c.after) <= state["done"]):
                    out.append((name, c))
        return out

    def _cpu_cost(self, name):
        state = self.open[name]
        rate = self.reg[name].rate.get("cpu") or 1.0
        return sum(c.units for c in state["chunks"] if c.name not in state["done"]) / rate

    def finished(self, name, chunk):
        self.open[name]["done"].add(chunk)
        if self._check_complete(name):
            self._open_ready()

    def failed_chunk(self, name, chunk):
        """A failed chunk leaves its item incomplete: nothing that needs it starts."""
        self.open[name]["failed"].add(chunk)
        self.failed.add(name)
        self._open_ready()


def run(items: str | None = None, *, max_minutes: float | None = None, device: str = "cpu",
        progress: bool = True, log=None, engine: Engine | None = None, extra=()) -> dict:
    """Compute every missing chunk of the selected items (and the items they need) on the
    Dask cluster that ``engine`` describes (default: one local one-thread worker process
    per core).

    Independent chunks run side by side; a chunk that fails is reported with its item and
    the others go on; a worker that dies has its chunk recomputed on another. Starts no chunk
    after ``max_minutes``; stops cleanly on SIGINT/SIGTERM. Never commits anything.
    Returns ``{"chunks": n_done_now, "stopped": reason | None, "failed": [(item, chunk,
    error)]}``.

    Example:
        >>> import types
        >>> from stego_lib.tasks import Chunk, Item
        >>> on_disk = [Chunk("only", done=lambda: True, run=print)]
        >>> toy = types.SimpleNamespace(items=lambda: [Item("toy-done", "nothing", lambda d: on_disk)])
        >>> run("toy-done", extra=[toy])   # nothing is missing, so no cluster is started
        {'chunks': 0, 'stopped': None, 'failed': []}
    """
    log = log or (lambda msg: print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True))
    reg = registry(extra)
    queue = _Queue(reg, select(items, reg), device, log)
    tp = Throughput()
    stop = _Stop(log)
    old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    start, n_done, stopped, failed = time.monotonic(), 0, None, []
    inflight: dict = {}  # future -> (item name, chunk)
    bar = client = cluster = None
    try:
        if not queue.open:
            return {"chunks": 0, "stopped": None, "failed": []}
        client, cluster = connect(engine or Engine(), device, log)
        _publish(client)
        log(f"Dask dashboard: {client.dashboard_link}")
        if progress:
            from tqdm import tqdm
            bar = tqdm(desc="chunks", unit="chunk", disable=None, file=sys.stderr,
                       dynamic_ncols=True, total=0)
        while True:
            stopped = stopped or _stop_reason(stop, start, max_minutes, log)
            if not stopped:
                _submit(client, queue, inflight, device, extra, bar)
            if not inflight:
                break
            for fut in _wait_some(inflight):
                name, chunk = inflight.pop(fut)
                try:
                    out = fut.result()
                except Exception as err:  # reported; the other chunks go on
                    failed.append((name, chunk.name, repr(err)))
                    log(f"{name}: {chunk.name} failed: {err!r}")
                    queue.failed_chunk(name, chunk.name)
                    continue
                checkpoints.apply_changes(out["manifest"])
                queue.finished(name, chunk.name)
                if bar is not None:
                    bar.update(1)
                if out["seconds"] is None:
                    continue
                n_done += 1
                tp.add(reg[name], device, chunk.units, out["seconds"])
                log(f"{name}: {chunk.name} done in {out['seconds']:.1f} s "
                    f"({chunk.units / out['seconds']:.1f} {reg[name].unit}/s)")
    except KeyboardInterrupt:
        stopped = "abandoned"
        for fut in inflight:
            fut.cancel()
        log("abandoned the running chunks; finished chunks are kept")
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        if bar is not None:
            bar.close()
        _close(client, cluster)
    return {"chunks": n_done, "stopped": stopped, "failed": failed}


def _stop_reason(stop: _Stop, start: float, max_minutes: float | None, log) -> str | None:
    """Why no new chunk may start now (a signal, the time limit), or None."""
    if stop.requested:
        return "signal"
    if max_minutes is not None and time.monotonic() - start > max_minutes * 60:
        log("time limit reached; run again to continue")
        return "time limit"
    return None


def _submit(client, queue: _Queue, inflight: dict, device: str, extra, bar) -> None:
    """Fill the free worker threads with ready chunks."""
    threads = sum(w["nthreads"] for w in client.scheduler_info()["workers"].values())
    busy = {(n, c.name) for n, c in inflight.values()}
    free = max(1, threads) - len(inflight)
    for name, chunk in queue.ready(busy)[:max(0, free)]:
        # The key names the item first: `status` reads the running items from it.
        key = f"{name}/{chunk.name}#{uuid.uuid4().hex[:8]}"
        fut = client.submit(run_chunk, name, chunk.name, device, tuple(extra), key=key,
                            pure=False, resources={"GPU": 1} if device == "cuda" else None)
        inflight[fut] = (name, chunk)
        if bar is not None:
            bar.total += 1
            bar.refresh()


def _wait_some(inflight: dict) -> list:
    """The futures that finished, waiting up to a few seconds (so that a stop request or
    workers joining later are noticed)."""
    from distributed import wait

    try:
        done, _ = wait(list(inflight), timeout=2, return_when="FIRST_COMPLETED")
    except TimeoutError:
        return []
    return list(done)


def _publish(client) -> None:
    atomic_write_json(scheduler_file(), {"address": client.scheduler.address,
                                         "dashboard": client.dashboard_link})


def _close(client, cluster) -> None:
    if client is None:
        return
    scheduler_file().unlink(missing_ok=True)
    client.close()
    if cluster is not None:
        cluster.close()
