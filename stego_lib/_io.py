"""Atomic file writes, hashing, and reading a verified weights file: nothing is ever half-written,
and nothing beyond plain tensors is unpickled."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path

import torch

__all__ = ["atomic_write_bytes", "atomic_write_json", "canonical_json", "default_dir",
           "read_weights", "sha256_file"]

_PKG_PARENT = Path(__file__).resolve().parent.parent


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; give the file the mode a plain open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def canonical_json(obj) -> str:
    """JSON with sorted keys and no whitespace, so equal configs hash equally."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def atomic_write_json(path: str | os.PathLike, obj) -> Path:
    return atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def default_dir(root, env: str, name: str) -> Path:
    """``root``, else ``$env``, else the checkout's ``name/`` folder, else ``./name``."""
    if root is not None:
        return Path(root)
    if os.environ.get(env):
        return Path(os.environ[env])
    repo = _PKG_PARENT / name
    return repo if repo.is_dir() else Path(name)


def read_weights(path: str | os.PathLike, error: type[Exception]) -> dict:
    """``torch.load(path, weights_only=True)`` onto the CPU; a file that does not unpickle as
    plain tensors and containers raises ``error`` (the caller's checksum error: a file that
    passed its sha256 check but cannot be read is as untrustworthy as one that failed it)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as err:
        raise error(f"{path} is not a loadable state dict: {err}") from err
