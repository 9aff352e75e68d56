"""LSB steganography, simulated: the real-steganography sanity check of the detectors.

At embedding rate α (bits per pixel) with a random (permuted) path, every pixel carries a
message bit with probability α, and half of those already hold the right least
significant bit, so each pixel is changed with probability α / 2 (the *change rate*):

* **LSB replacement** sets the LSB to the message bit: an even value can only go up by 1
  and an odd value only down by 1 (2k <-> 2k + 1), so the parity of every changed pixel
  flips and the pairs of values stay fixed. This asymmetry is what WS analysis detects.
* **LSB matching** (±1 embedding) adds +1 or -1 at random with equal probability (only +1
  at 0 and only -1 at 255), which also flips the parity but leaves no pair structure.

The changes are drawn by ``conseal.lsb.simulate`` (University of Innsbruck), seeded, one
call per image with the image's own seed, so an image's stego version does not depend on
the batch it is in.
"""
from __future__ import annotations

import numpy as np
import torch

from ._checks import check_choice

__all__ = ["LSB_MODES", "lsb_embed"]

LSB_MODES = ("replacement", "matching")


def lsb_embed(pixels: torch.Tensor, rate: float, *, mode: str = "replacement",
              seed: int = 0) -> torch.Tensor:
    """Simulate LSB embedding at ``rate`` bits per pixel (change rate ``rate / 2``).

    Args:
        pixels: ``(N, C, H, W)`` uint8 cover images.
        rate: embedding rate α in [0, 1] bits per pixel (per channel value for colour).
        mode: ``"replacement"`` (default) or ``"matching"``.
        seed: image ``i`` uses the seed ``seed * 1_000_003 + i``.

    Returns:
        ``(N, C, H, W)`` uint8 stego images; every pixel differs from the cover by at most 1.

    Raises:
        TypeError: ``pixels`` is not a uint8 tensor.
        ValueError: wrong shape, rate outside [0, 1], unknown mode or negative seed.

    Example::

        >>> import torch
        >>> cover = torch.full((1, 1, 64, 64), 100, dtype=torch.uint8)
        >>> stego = lsb_embed(cover, 1.0, seed=0)
        >>> round(float((stego != cover).float().mean()), 1), int(stego.max())
        (0.5, 101)
    """
    if not isinstance(pixels, torch.Tensor) or pixels.dtype != torch.uint8:
        got = pixels.dtype if isinstance(pixels, torch.Tensor) else type(pixels).__name__
        raise TypeError(f"pixels must be a uint8 torch.Tensor, got {got}")
    if pixels.ndim != 4:
        raise ValueError(f"pixels must have shape (N, C, H, W), got shape {tuple(pixels.shape)}")
    ok = isinstance(rate, (int, float)) and not isinstance(rate, bool) and 0.0 <= rate <= 1.0
    if not ok:
        raise ValueError(f"rate must be a number in [0, 1] bits per pixel, got {rate!r}")
    check_choice(mode, LSB_MODES, name="LSB mode")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    if rate == 0:
        return pixels.clone()
    import conseal as cl

    modify = cl.lsb.Change.LSB_REPLACEMENT if mode == "replacement" else cl.lsb.Change.LSB_MATCHING
    covers = pixels.cpu().numpy()
    out = np.empty_like(covers)
    for i, cover in enumerate(covers):
        out[i] = cl.lsb.simulate(cover, float(rate), modify=modify,
                                 locate=cl.lsb.Location.LOCATION_PERMUTED,
                                 seed=seed * 1_000_003 + i)
    return torch.from_numpy(out).to(pixels.device)
