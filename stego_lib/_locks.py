"""Advisory file locks, so that several processes (parallel campaign workers) can share the
checkpoint manifest, the throughput record and the queue without losing an update or
computing the same item twice.

The locks are ``flock`` locks: the kernel drops them when the process dies, so a worker
killed with SIGKILL never leaves a stale lock behind.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

__all__ = ["exclusive_dir", "try_lock", "is_locked"]


@contextlib.contextmanager
def exclusive_dir(path: str | os.PathLike):
    """Hold an exclusive lock on the directory ``path`` (blocking) for a read-modify-write of
    a file in it. Locking the directory, not the file, survives the atomic rename that
    replaces the file, and leaves no lock file in a committed folder."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def try_lock(path: str | os.PathLike):
    """Try to take the lock file ``path`` without waiting; yields True if this process now
    holds it (until the block ends), False if another process does."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def is_locked(path: str | os.PathLike) -> bool:
    """Whether another process holds the lock file ``path`` right now."""
    if not Path(path).exists():
        return False
    with try_lock(path) as got:
        return not got
