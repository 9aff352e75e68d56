"""Where the project keeps what is not committed: unfinished training runs, measured
throughput and the campaign's scheduler address. Below both the experiments and the campaign,
so neither imports the other for it. (The committed stores are :mod:`stego_lib.cache` and
:mod:`stego_lib.checkpoints`.)"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["state_dir"]


def state_dir() -> Path:
    """``$STEGO_STATE``, else ``~/.cache/stego_lib/state`` (``$XDG_CACHE_HOME`` when set):
    outside the checkout, never committed."""
    env = os.environ.get("STEGO_STATE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stego_lib" / "state"
