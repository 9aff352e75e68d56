"""A store of trained weights with a manifest.

``checkpoints/manifest.json`` holds, per checkpoint: file name, sha256,
architecture, training config, data provenance, metrics, torch version and
creation time. Weights are state dicts saved with ``torch.save`` and read back
with ``torch.load(weights_only=True)``, after the sha256 is verified: a foreign
or corrupt file raises :class:`ChecksumError` and never runs code.

The manifest has one writer at a time: in the campaign, the workers compute inside
:func:`deferred_manifest` and hand their changes to the campaign's client, which applies them
with :func:`apply_changes`; so workers on several machines need no lock on a shared folder.
"""
from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import time
from pathlib import Path

import torch
from torch import nn

from . import models, provenance
from .models import reference
from ._io import atomic_write_bytes, atomic_write_json, default_dir, read_weights, sha256_file
from .tasks import Lazy

__all__ = ["CheckpointNotFoundError", "ChecksumError", "LazyModel", "apply_changes", "available",
           "checkpoints_dir", "deferred_manifest", "device", "entry", "load", "plain_name", "save",
           "sha", "sha256_file", "update_metrics"]

MANIFEST = "manifest.json"
# Inside deferred_manifest(): the manifest changes made since, as (root, op, name, value).
_deferred: list | None = None


# What the book calls the models its pages name: a checkpoint's file name means nothing to a
# reader. Models not listed keep their checkpoint name.
PLAIN_NAMES = {
    "mnist_natural": "the MNIST classifier trained without adversarial training",
    "mnist_adversarial": "the MNIST classifier trained adversarially against PGD "
                         "(Paper I's secret model)",
    "mnist_adversarial_madry": "the MNIST classifier trained adversarially with Madry's recipe",
    "mnist_natural_pytorch_init": "an MNIST classifier with PyTorch's default initialisation, "
                                  "trained briefly without adversarial training",
    "cifar_resnet32_natural": "the CIFAR-10 ResNet-32 trained here without adversarial training",
    "cifar_resnet32_brief": "a CIFAR-10 ResNet-32 trained only briefly here",
}


def plain_name(name: str) -> str:
    """The words the book uses for checkpoint ``name`` (:data:`PLAIN_NAMES`), else ``name``.

    Example:
        >>> plain_name("cifar_resnet32_natural")
        'the CIFAR-10 ResNet-32 trained here without adversarial training'
    """
    return PLAIN_NAMES.get(name, name)


class CheckpointNotFoundError(FileNotFoundError):
    """The named checkpoint is not in the manifest, or its file is missing."""


class ChecksumError(RuntimeError):
    """A checkpoint file does not match the sha256 in the manifest, or cannot be read."""


def checkpoints_dir(root: str | os.PathLike | None = None) -> Path:
    """``root``, else ``$STEGO_CHECKPOINTS``, else the checkout's ``checkpoints/``."""
    return default_dir(root, "STEGO_CHECKPOINTS", "checkpoints")


def _manifest(root: Path) -> dict:
    """The manifest on disk, with this process's deferred changes to it applied."""
    data = _read_manifest(root)
    for where, op, name, value in _deferred or ():
        if where == str(root):
            _apply(data, op, name, value)
    return data


def _read_manifest(root: Path) -> dict:
    path = root / MANIFEST
    if not path.exists():
        return {"format": 1, "checkpoints": {}}
    try:
        data = json.loads(path.read_text())
    except ValueError as err:
        raise ChecksumError(f"corrupt checkpoint manifest {path}: {err}") from err
    if not isinstance(data, dict) or not isinstance(data.get("checkpoints"), dict):
        raise ChecksumError(f"{path} is not a checkpoint manifest (no 'checkpoints' mapping)")
    return data


def _apply(manifest: dict, op: str, name: str, value: dict) -> None:
    if op == "save":  # a copy: later metrics merges must not change the recorded change
        manifest["checkpoints"][name] = copy.deepcopy(value)
    elif name not in manifest["checkpoints"]:
        raise CheckpointNotFoundError(f"unknown checkpoint {name!r}")
    else:
        manifest["checkpoints"][name]["metrics"].update(value)


def _change(root: Path, op: str, name: str, value: dict) -> dict:
    """Record one change (``save`` a record, or merge ``metrics``) and return the entry."""
    if _deferred is not None:
        _apply(_manifest(root), op, name, value)  # fails here, not in the client, if unknown
        _deferred.append((str(root), op, name, value))
        return _manifest(root)["checkpoints"][name]
    manifest = _read_manifest(root)
    _apply(manifest, op, name, value)
    atomic_write_json(root / MANIFEST, manifest)
    return manifest["checkpoints"][name]


@contextlib.contextmanager
def deferred_manifest():
    """Inside the block, :func:`save` and :func:`update_metrics` write weights but not the
    manifest; this process reads the manifest as if they had. Yields the list of changes,
    which :func:`apply_changes` writes (in the process that owns the manifest).

    Example:
        >>> with deferred_manifest() as changes:
        ...     pass
        >>> changes
        []
    """
    global _deferred
    outer, _deferred = _deferred, []
    try:
        yield _deferred
    finally:
        _deferred = outer


def apply_changes(changes: list) -> None:
    """Write the changes collected by :func:`deferred_manifest`, in order: a metrics update
    merges into the entry as it is now, so updates from parallel workers all stay."""
    for root in dict.fromkeys(c[0] for c in changes):
        manifest = _read_manifest(Path(root))
        for where, op, name, value in changes:
            if where == root:
                _apply(manifest, op, name, value)
        atomic_write_json(Path(root) / MANIFEST, manifest)


def available(root=None) -> list[str]:
    """Names of the checkpoints in the manifest."""
    return sorted(_manifest(checkpoints_dir(root))["checkpoints"])


def entry(name: str, root=None) -> dict:
    """The manifest entry of ``name``; for ``"released/<row>"``, the record of the authors'
    released model of that Table 1 row (:mod:`stego_lib.models.reference`).

    Example:
        >>> entry("released/c")["file"]
        'recoloradv.resnet32.pt'
    """
    if name.startswith(reference.PREFIX):
        return reference.entry(name[len(reference.PREFIX):])
    entries = _manifest(checkpoints_dir(root))["checkpoints"]
    if name not in entries:
        names = ", ".join(sorted(entries)) or "none"
        raise CheckpointNotFoundError(f"unknown checkpoint {name!r}; available: {names}")
    return entries[name]


def sha(name: str, root=None) -> str | None:
    """The sha256 of checkpoint ``name`` as the manifest records it; None when it is not
    committed (an experiment then reads committed results or says which model is missing).

    Example:
        >>> sha("no such model") is None
        True
        >>> len(sha("released/c"))
        64
    """
    try:
        return entry(name, root)["sha256"]
    except CheckpointNotFoundError:
        return None


def device() -> torch.device:
    """Where models are loaded and attacked: the GPU when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def save(model: nn.Module, name: str, *, arch: str, config: dict, data: dict, metrics: dict,
         arch_kwargs: dict | None = None, half: bool = True, root=None) -> dict:
    """Save ``model``'s weights as ``<name>.pt`` and record them in the manifest.

    Args:
        half: store floating-point tensors as float16 to halve the file (loaded back
            as float32); record metrics measured on the reloaded weights.
    """
    root = checkpoints_dir(root)
    state = {k: (v.detach().cpu().half() if half and v.is_floating_point() else v.detach().cpu())
             for k, v in model.state_dict().items()}
    buf = io.BytesIO()
    torch.save(state, buf)
    path = atomic_write_bytes(root / f"{name}.pt", buf.getvalue())
    record = {
        "file": path.name, "sha256": sha256_file(path), "bytes": path.stat().st_size,
        "arch": arch, "arch_kwargs": arch_kwargs or {}, "dtype": "float16" if half else "float32",
        "config": config, "data": data, "metrics": metrics, **provenance.machine(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return _change(root, "save", name, record)


def update_metrics(name: str, metrics: dict, root=None) -> dict:
    """Merge ``metrics`` into the manifest entry of ``name``."""
    return _change(checkpoints_dir(root), "metrics", name, metrics)


def load(name: str, *, root=None, device: str | torch.device = "cpu") -> nn.Module:
    """Build the architecture, load the verified weights, and return the model in eval mode.
    ``"released/<row>"`` loads the authors' released model of that row from the data root.

    Raises:
        CheckpointNotFoundError: ``name`` is not in the manifest or its file is missing.
        ChecksumError: the file's sha256 differs from the manifest, or it is not a state dict.
    """
    if name.startswith(reference.PREFIX):
        return reference.load_reference(name[len(reference.PREFIX):], device=device)
    root = checkpoints_dir(root)
    rec = entry(name, root)
    path = root / rec["file"]
    if not path.exists():
        raise CheckpointNotFoundError(f"checkpoint file {path} listed in the manifest is missing")
    digest = sha256_file(path)
    if digest != rec["sha256"]:
        raise ChecksumError(f"checkpoint {path} has sha256 {digest[:12]}..., the manifest says "
                            f"{rec['sha256'][:12]}...; the file is corrupt or not the one recorded")
    state = read_weights(path, ChecksumError)
    model = models.build(rec["arch"], **rec.get("arch_kwargs", {}))
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return model.to(device).eval()


class LazyModel(Lazy):
    """Loads checkpoint ``name`` on the first ``get()`` (on the GPU when there is one), so an
    experiment that reads only committed results never loads a model."""

    def __init__(self, name: str):
        super().__init__(lambda: load(name, device=device()))
        self.name = name
