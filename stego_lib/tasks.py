"""The unit of paper-scale work, defined once and shared: each experiment lists its items and
their chunks here-defined, its own code computes them, and the campaign only schedules them.

An *item* is one paper-scale product (a trained checkpoint, a sweep of cached results). It is
split into *chunks* of at most about ten CPU minutes; each chunk writes its output
atomically (results cache or checkpoint store), so stopping at any moment loses at most the
chunk in progress. Whether a chunk is done is read from what is on disk, never from a log,
so a fresh checkout knows exactly what its committed files hold.

Example::

    >>> steps = chained([Chunk(f"steps {i}", lambda: False, print) for i in range(3)])
    >>> [c.after for c in steps]   # a slice resumes from the state the one before it saved
    [(), ('steps 0',), ('steps 1',)]
    >>> Item("paper1-train-natural", "a checkpoint", lambda device: steps).group
    'paper1'
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

__all__ = ["CachedUnit", "Chunk", "Item", "Lazy", "chained"]


class Lazy:
    """A value a chunk needs only when it computes (a model, an image set), loaded by
    ``load()`` on the first :meth:`get` and kept: a page that reads committed results never
    loads one.

    Example:
        >>> calls = []
        >>> x = Lazy(lambda: calls.append(1) or "model")
        >>> x.get(), x.get(), len(calls)
        ('model', 'model', 1)
    """

    def __init__(self, load: Callable):
        self.load, self.value = load, None

    def get(self):
        if self.value is None:
            self.value = self.load()
        return self.value


class CachedUnit:
    """One result-cache entry of an experiment, as a frozen dataclass of what determines it:
    a subclass names its ``experiment`` and ``version`` and builds its cache key once, in
    :meth:`key`; :meth:`done` says whether the entry is on disk.

    Example:
        >>> import tempfile
        >>> from stego_lib.cache import ResultsCache
        >>> @dataclass(frozen=True)
        ... class Point(CachedUnit):
        ...     experiment, version = "demo", "1"
        ...     n: int
        ...     def key(self): return {"n": self.n}
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     cache = ResultsCache(tmp)
        ...     _ = cache.put("demo", {"n": 3}, "1", {})
        ...     Point(3).done(cache), Point(4).done(cache)
        (True, False)
    """

    experiment: str = ""
    version: str = ""

    def key(self) -> dict:
        raise NotImplementedError

    def done(self, cache=None) -> bool:
        from .cache import ResultsCache   # the cache sits a floor above this module

        return (cache or ResultsCache()).has(self.experiment, self.key(), self.version)


@dataclass
class Chunk:
    """One resumable unit of work.

    ``done()`` says whether its output is on disk; ``run(progress)`` computes and writes it,
    calling ``progress(n)`` as it completes ``n`` more of its ``units``. ``after`` names the
    chunks of the same item that must be done before it starts (a training slice waits for
    the slice before it); chunks with nothing in ``after`` may run side by side.

    ``tiny()``, set where the chunk's recipe on a GPU differs from its recipe on a CPU, runs
    that recipe on the machine at hand on a few images for a couple of steps and stores
    nothing (no result; a training slice's state goes to a scratch state dir): a test
    executes every GPU-scale recipe on a CPU with it.
    """

    name: str
    done: Callable[[], bool]
    run: Callable[[Callable[[int], None]], None]
    units: float = 1.0
    after: tuple[str, ...] = ()
    tiny: Callable[[], None] | None = None


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


def chained(chunks: list[Chunk]) -> list[Chunk]:
    """``chunks`` with each one after the one before it (the slices of a training run)."""
    for prev, chunk in zip(chunks, chunks[1:]):
        chunk.after = (prev.name,)
    return chunks
