"""Results cache keyed by a hash of (experiment version, config).

A long run is split into chunks, each cached on its own, so it resumes across
separate commands; the book re-executes notebooks and reads heavy results from
the committed entries instead of recomputing them.

Each entry is two files under ``<results>/<experiment>/``: ``<key>.npz`` (arrays,
loaded with ``allow_pickle=False``) and ``<key>.json`` (config, version, sha256 of
the npz, provenance, timing). Both are written atomically.

Example::

    >>> import tempfile
    >>> config_key({"eps": 0.3, "n": 10}, "1")   # committed entries are found by this key
    '10425137de241e33'
    >>> config_key({"n": 10, "eps": 0.3}, "1") == config_key({"eps": 0.3, "n": 10}, "1")
    True
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     cache = ResultsCache(tmp)
    ...     _ = cache.put("demo", {"n": 3}, "1", {"x": np.arange(3)})
    ...     cache.get("demo", {"n": 3}, "1").arrays["x"].tolist(), cache.has("demo", {"n": 3}, "2")
    ([0, 1, 2], False)
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import torch

from . import provenance
from ._io import atomic_write_bytes, atomic_write_json, canonical_json, default_dir, sha256_file

__all__ = ["CacheCorruptError", "CacheMiss", "Entry", "GPURequiredError", "ModelMissingError",
           "ResultsCache", "cached", "can_compute", "config_key", "results_dir"]


class CacheMiss(LookupError):
    """The entry is not in the cache and computing it was not allowed."""


class CacheCorruptError(RuntimeError):
    """A cache file exists but cannot be read or does not match its metadata."""


class GPURequiredError(RuntimeError):
    """A paper-scale result is not cached and is too large to compute here in passing.

    Such results are computed by a separate, resumable command (the campaign, or a GPU run)
    whose finished chunks are committed; the message names that command.
    """


class ModelMissingError(GPURequiredError):
    """A checkpoint needed for a result that is not cached is not committed yet (the campaign
    trains it); the message names the model and the command."""


def results_dir(root: str | os.PathLike | None = None) -> Path:
    """``root``, else ``$STEGO_RESULTS``, else the checkout's ``results/``, else ``./results``."""
    return default_dir(root, "STEGO_RESULTS", "results")


def config_key(config: Mapping, version: str) -> str:
    """16 hex digits of sha256 over the canonical JSON of ``{config, version}``."""
    blob = canonical_json({"config": dict(config), "version": str(version)})
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def can_compute(needs_gpu: bool) -> bool:
    """True when this machine may compute a chunk: it has a GPU, the chunk is CPU-scale,
    or ``STEGO_ALLOW_CPU=1`` says to run GPU-scale work on the CPU anyway."""
    return (not needs_gpu) or torch.cuda.is_available() or os.environ.get("STEGO_ALLOW_CPU") == "1"


@dataclass
class Entry:
    arrays: dict[str, np.ndarray]
    meta: dict = field(default_factory=dict)


class ResultsCache:
    """Read and write cache entries under :func:`results_dir`."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = results_dir(root)

    def paths(self, experiment: str, key: str) -> tuple[Path, Path]:
        folder = self.root / experiment
        return folder / f"{key}.npz", folder / f"{key}.json"

    def has(self, experiment: str, config: Mapping, version: str) -> bool:
        """Whether both files of the entry of ``config`` are on disk (not verified)."""
        npz, meta = self.paths(experiment, config_key(config, version))
        return npz.exists() and meta.exists()

    def get(self, experiment: str, config: Mapping, version: str) -> Entry | None:
        key = config_key(config, version)
        npz, meta_path = self.paths(experiment, key)
        if not npz.exists() and not meta_path.exists():
            return None
        if not (npz.exists() and meta_path.exists()):
            raise CacheCorruptError(f"incomplete cache entry {npz.with_suffix('')}.{{npz,json}}: "
                                    f"one of the two files is missing; delete it to recompute")
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError) as err:
            raise CacheCorruptError(f"corrupt cache metadata {meta_path}: {err}; "
                                    f"delete it to recompute") from err
        if meta.get("key") != key or meta.get("sha256") != sha256_file(npz):
            raise CacheCorruptError(f"corrupt cache entry {npz}: its sha256 or key does not match "
                                    f"{meta_path.name}; delete both files to recompute")
        try:
            with np.load(npz, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (OSError, ValueError, zipfile.BadZipFile, KeyError) as err:
            raise CacheCorruptError(f"corrupt cache entry {npz}: {err}; "
                                    f"delete it to recompute") from err
        return Entry(arrays, meta)

    def put(self, experiment: str, config: Mapping, version: str,
            arrays: Mapping[str, np.ndarray], meta: Mapping | None = None) -> Entry:
        key = config_key(config, version)
        npz, meta_path = self.paths(experiment, key)
        buf = io.BytesIO()
        np.savez_compressed(buf, **{k: np.asarray(v) for k, v in arrays.items()})
        atomic_write_bytes(npz, buf.getvalue())
        full = {
            "experiment": experiment, "key": key, "version": str(version), "config": dict(config),
            "sha256": sha256_file(npz), "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **provenance.machine(),
            **dict(meta or {}),
        }
        # The json goes last: an entry without it reads as incomplete, never as valid.
        atomic_write_json(meta_path, full)
        return Entry({k: np.asarray(v) for k, v in arrays.items()}, full)


def cached(experiment: str, config: Mapping, version: str,
           compute: Callable[[], tuple[Mapping[str, np.ndarray], Mapping]], *,
           needs_gpu: bool, command: str, mode: str = "auto", store: bool = True,
           cache: ResultsCache | None = None) -> Entry:
    """Return the cached entry for ``config``, computing and storing it when allowed.

    Args:
        experiment: folder name under the results root.
        config: JSON-serialisable dict that fully determines the result.
        version: bump it when the code's output changes, so old entries are not reused.
        compute: returns ``(arrays, meta)`` for the entry.
        needs_gpu: the chunk is paper-scale; on a CPU-only machine a miss fails fast with
            :class:`GPURequiredError` (unless ``STEGO_ALLOW_CPU=1``).
        command: the resumable command that computes it, quoted in the error.
        mode: ``"auto"`` (compute on a miss), ``"cache-only"`` (raise CacheMiss) or
            ``"recompute"`` (ignore the cache).
        store: write the computed entry (smoke runs pass False).
    """
    if mode not in ("auto", "cache-only", "recompute"):
        raise ValueError(f"unknown mode {mode!r}; expected one of 'auto', 'cache-only', 'recompute'")
    cache = cache or ResultsCache()
    if mode != "recompute":
        hit = cache.get(experiment, config, version)
        if hit is not None:
            return hit
    where = cache.paths(experiment, config_key(config, version))[0]
    # Name the entry relative to the results folder: messages end up on book pages.
    shown = where.relative_to(cache.root.parent).as_posix()
    if mode == "cache-only":
        raise CacheMiss(f"{experiment}: no cached result {shown}")
    if not can_compute(needs_gpu):
        raise GPURequiredError(
            f"{experiment}: the paper-scale result {shown} is not computed yet; compute it with "
            f"`{command}` (resumable), or set STEGO_ALLOW_CPU=1 to compute it in place")
    start = time.perf_counter()
    arrays, meta = compute()
    meta = {"runtime_s": round(time.perf_counter() - start, 3), **dict(meta)}
    if not store:
        return Entry({k: np.asarray(v) for k, v in arrays.items()}, {"config": dict(config), **meta})
    return cache.put(experiment, config, version, arrays, meta)
