"""Where the project keeps what is not committed: unfinished training runs, measured
throughput and the campaign's scheduler address. Below both the experiments and the campaign,
so neither imports the other for it. (The committed stores are :mod:`stego_lib.cache` and
:mod:`stego_lib.checkpoints`.)

Example::

    >>> before = state_dir()
    >>> with scratch_state() as tmp:
    ...     state_dir() == tmp, tmp.is_dir()
    (True, True)
    >>> tmp.exists(), state_dir() == before   # a trial run leaves nothing to resume
    (False, True)
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["scratch_state", "state_dir"]


def state_dir() -> Path:
    """``$STEGO_STATE``, else ``~/.cache/stego_lib/state`` (``$XDG_CACHE_HOME`` when set):
    outside the checkout, never committed."""
    env = os.environ.get("STEGO_STATE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stego_lib" / "state"


@contextlib.contextmanager
def scratch_state():
    """Inside the block, :func:`state_dir` is a fresh temporary folder, deleted afterwards, so
    a trial run (a chunk's tiny run) never leaves a state file that a real run would resume."""
    old = os.environ.get("STEGO_STATE")
    with tempfile.TemporaryDirectory(prefix="stego-state-") as tmp:
        os.environ["STEGO_STATE"] = tmp
        try:
            yield Path(tmp)
        finally:
            if old is None:
                del os.environ["STEGO_STATE"]
            else:
                os.environ["STEGO_STATE"] = old
