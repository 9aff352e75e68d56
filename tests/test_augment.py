"""The evaluation loader's flip and crop: the transform torchvision's RandomHorizontalFlip then
RandomCrop(32, 4) apply, drawn per image so chunking cannot change it."""
import numpy as np
import pytest
import torch

from stego_lib.augment import PAD, draws, flip_crop


def _images(n=4):
    return torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(0)) + 0.1


def test_each_image_is_the_flipped_padded_crop_its_draws_name():
    x = _images()
    y = flip_crop(x, [10, 11, 12, 13], seed=3)
    for k, i in enumerate([10, 11, 12, 13]):
        flip, top, left = draws(i, 3)
        img = x[k].flip(-1) if flip else x[k]
        padded = torch.zeros(3, 40, 40)
        padded[:, PAD:PAD + 32, PAD:PAD + 32] = img
        assert torch.equal(y[k], padded[:, top:top + 32, left:left + 32])


def test_the_border_the_crop_brings_in_is_black():
    x = _images(200)
    y = flip_crop(x, range(200), seed=0)
    for k in range(200):
        _, top, left = draws(k, 0)
        # rows and columns that come from the padding are zero; no pixel of x is
        rows, cols = max(0, PAD - top), max(0, PAD - left)
        assert bool((y[k, :, :rows] == 0).all()) and bool((y[k, :, :, :cols] == 0).all())
        assert bool((y[k, :, rows:32 - max(0, top - PAD), cols:32 - max(0, left - PAD)] > 0).all())


def test_an_image_does_not_depend_on_its_batch_or_chunk():
    x = _images(6)
    whole = flip_crop(x, range(100, 106), seed=1)
    parts = torch.cat([flip_crop(x[:2], [100, 101], seed=1), flip_crop(x[2:], range(102, 106), 1)])
    assert torch.equal(whole, parts)
    assert not torch.equal(whole, flip_crop(x, range(100, 106), seed=2))


def test_draws_follow_the_loader_distribution():
    d = np.array([draws(i, 0) for i in range(4000)], dtype=float)
    assert abs(d[:, 0].mean() - 0.5) < 0.03                  # mirrored half of the time
    for col in (1, 2):                                       # offsets uniform on 0 ... 8
        counts = np.bincount(d[:, col].astype(int), minlength=9)
        assert counts.size == 9 and counts.min() > 4000 / 9 * 0.8


def test_bad_input():
    with pytest.raises(ValueError, match="one index per image"):
        flip_crop(_images(2), [0], seed=0)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        flip_crop(torch.rand(3, 32, 32), [0, 1, 2], seed=0)
