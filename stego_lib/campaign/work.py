"""What a Dask worker runs: one chunk, found by its item and name in the worker's own
registry, so a task carries names rather than code or loaded data."""
from __future__ import annotations

import os
import time
from types import ModuleType
from typing import Sequence

import torch

from .. import checkpoints
from .core import registry


def run_chunk(item: str, chunk: str, device: str, extra: Sequence[ModuleType] = ()) -> dict:
    """Compute the chunk ``chunk`` of ``item`` unless it is on disk already (a retry after a
    worker died may find it written). Returns ``seconds`` (None when skipped) and the checkpoint
    ``manifest`` changes it made, which the client writes.

    Example:
        >>> import types
        >>> from stego_lib.tasks import Chunk, Item
        >>> ran = []
        >>> chunks = [Chunk("done", lambda: True, ran.append), Chunk("todo", lambda: False, ran.append)]
        >>> toy = types.SimpleNamespace(items=lambda: [Item("toy-demo", "", lambda d: chunks)])
        >>> [run_chunk("toy-demo", c.name, "cpu", extra=[toy])["seconds"] is None for c in chunks]
        [True, False]
        >>> len(ran)   # only the chunk that was not on disk ran
        1
    """
    # A task runs in a thread of the worker's pool, not in the thread that torch configured
    # at import: give this thread the worker's torch thread count.
    threads = os.environ.get("OMP_NUM_THREADS")
    if threads:
        torch.set_num_threads(int(threads))
    found = [c for c in registry(extra)[item].chunks(device) if c.name == chunk]
    if not found:
        raise LookupError(f"{item}: no chunk {chunk!r} on this worker (is its checkout the "
                          f"same as the client's?)")
    with checkpoints.deferred_manifest() as changes:
        if found[0].done():
            return {"seconds": None, "manifest": list(changes)}
        t0 = time.perf_counter()
        found[0].run(lambda n: None)
        return {"seconds": time.perf_counter() - t0, "manifest": list(changes)}
