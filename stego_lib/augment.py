"""The test-time flip and crop of the data loader the paper's code base used.

mister_ed's ``cifar10/cifar_loader.py`` (the framework ReColorAdv was written in, 2019) builds
every CIFAR-10 loader, the evaluation one (``load_cifar_data('val')``) included, with
``RandomHorizontalFlip()`` then ``RandomCrop(32, 4)`` unless the caller passes
``no_transform=True``: each test image is mirrored with probability one half, padded with four
black pixels on every side and cut back to 32 × 32 at a random offset. :func:`flip_crop`
applies the same transform to a tensor of images.

The random draws are made per image from ``(seed, index)``, not from one stream over a batch,
so an image is transformed the same way whichever chunk or batch it is computed in.

Example::

    >>> x = torch.rand(3, 3, 32, 32)
    >>> y = flip_crop(x, [0, 1, 2], seed=0)
    >>> y.shape == x.shape, torch.equal(flip_crop(x[1:], [1, 2], seed=0), y[1:])
    (True, True)
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["PAD", "draws", "flip_crop"]

PAD = 4   # RandomCrop(32, 4): four black pixels on each side before the crop


def draws(index: int, seed: int) -> tuple[bool, int, int]:
    """``(flip, top, left)`` of image ``index`` under ``seed``: a mirror with probability
    1/2, then the crop's offsets in the padded image, each uniform on 0 … 2·PAD.

    Example:
        >>> draws(7, seed=0) == draws(7, seed=0), draws(7, seed=0) != draws(7, seed=1)
        (True, True)
    """
    rng = np.random.default_rng([int(seed), int(index)])
    flip = bool(rng.random() < 0.5)
    top, left = (int(v) for v in rng.integers(0, 2 * PAD + 1, size=2))
    return flip, top, left


def flip_crop(images: torch.Tensor, indices, seed: int) -> torch.Tensor:
    """``images`` ``(N, C, H, W)`` flipped and cropped as the loader does, image ``k`` by the
    draws of ``indices[k]`` (its index in the test set) under ``seed``. Padding is zero
    (black), as torchvision's ``RandomCrop`` pads a PIL image.

    Raises:
        ValueError: ``images`` is not 4-D, or ``indices`` does not hold one index per image.
    """
    if images.dim() != 4:
        raise ValueError(f"images must be (N, C, H, W), got shape {tuple(images.shape)}")
    indices = list(indices)
    if len(indices) != len(images):
        raise ValueError(f"one index per image needed: {len(images)} images, "
                         f"{len(indices)} indices")
    h, w = images.shape[-2:]
    out = torch.empty_like(images)
    for k, i in enumerate(indices):
        flip, top, left = draws(i, seed)
        img = images[k].flip(-1) if flip else images[k]
        out[k] = F.pad(img, (PAD, PAD, PAD, PAD))[:, top:top + h, left:left + w]
    return out
