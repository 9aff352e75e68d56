"""Pretrained torchvision weights from the local torch hub cache, never from the network.

torchvision names each weights file after the last part of its download URL and keeps it in
``<torch hub dir>/checkpoints/``. These helpers look there and nowhere else: a missing file is
reported, not downloaded, so a notebook on a machine without the weights can say so in one line.

Example::

    >>> import tempfile
    >>> from torchvision.models import AlexNet_Weights
    >>> try:
    ...     weights_file(AlexNet_Weights.IMAGENET1K_V1, hub_dir=tempfile.mkdtemp())
    ... except WeightsMissingError:
    ...     print("not in this cache")
    not in this cache
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

__all__ = ["WeightsMissingError", "hub_checkpoints_dir", "load_cached_state_dict",
           "weights_file"]


class WeightsMissingError(FileNotFoundError):
    """The pretrained weights are not in the local torch hub cache (nothing is downloaded)."""


def hub_checkpoints_dir(hub_dir: str | os.PathLike | None = None) -> Path:
    """``<hub_dir>/checkpoints``; ``hub_dir`` defaults to ``torch.hub.get_dir()`` (``$TORCH_HOME/hub``)."""
    return Path(hub_dir if hub_dir is not None else torch.hub.get_dir()) / "checkpoints"


def weights_file(weights, hub_dir: str | os.PathLike | None = None) -> Path:
    """The local file of a torchvision weights enum (e.g. ``AlexNet_Weights.IMAGENET1K_V1``).

    Raises:
        TypeError: ``weights`` has no ``url`` (not a torchvision weights enum).
        WeightsMissingError: the file is not in the hub cache; the message names the path.
    """
    url = getattr(weights, "url", None)
    if not isinstance(url, str):
        raise TypeError(f"weights must be a torchvision weights enum with a url, got {weights!r}")
    path = hub_checkpoints_dir(hub_dir) / os.path.basename(url)
    if not path.is_file():
        raise WeightsMissingError(f"{weights} is not in the local torch hub cache: no file {path}")
    return path


def load_cached_state_dict(weights, hub_dir: str | os.PathLike | None = None) -> dict:
    """The state dict of ``weights`` read from the hub cache (``weights_only=True``)."""
    return torch.load(weights_file(weights, hub_dir), map_location="cpu", weights_only=True)
