"""Weighted stego-image (WS) steganalysis: Fridrich & Goljan (2004), revisited by
Ker & Böhme (2008), vectorised over a batch.

WS estimates the rate of LSB-replacement embedding. With ``x`` the 8-bit image,
``x_bar`` the image with every LSB flipped, and ``x_hat`` the pixel prediction of the
kernel [[-1, 2, -1], [2, 0, 2], [-1, 2, -1]] / 4 ('valid'), the estimate of half the
embedding rate (the change rate) is

    beta_hat = sum_i w_i (x_i - x_bar_i)(x_i - x_hat_i),    w_i ∝ 1 / (5 + sigma_i^2),

with weights normalised to sum 1. ``variance="cross4"`` takes sigma^2 over the 4 cross
neighbours (ddof = 1, as the detector of Schöttle et al. does), ``"window9"`` over the
whole 3x3 window, centre included (population variance), which is what sealwatch's
``ws.attack`` does. ``correct_bias=True`` applies sealwatch's bias correction. Like
sealwatch, the estimate is clipped at 0 before the correction.
"""
from __future__ import annotations

import torch

from .._checks import check_choice, check_images

__all__ = ["VARIANCES", "WS", "ws_estimate"]

VARIANCES = ("cross4", "window9")


def _to_int255(images: torch.Tensor, dtype) -> torch.Tensor:
    if isinstance(images, torch.Tensor) and images.dtype == torch.uint8:
        if images.ndim != 4:
            raise ValueError(f"images must have shape (N, C, H, W), got shape {tuple(images.shape)}")
        return images.to(dtype)
    check_images(images)
    return (images.to(dtype) * 255.0).round()


def _predict(x: torch.Tensor) -> torch.Tensor:
    cross = x[..., :-2, 1:-1] + x[..., 2:, 1:-1] + x[..., 1:-1, :-2] + x[..., 1:-1, 2:]
    corners = x[..., :-2, :-2] + x[..., :-2, 2:] + x[..., 2:, :-2] + x[..., 2:, 2:]
    return 0.5 * cross - 0.25 * corners


def _variance(x: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "cross4":
        nb = torch.stack([x[..., :-2, 1:-1], x[..., 2:, 1:-1], x[..., 1:-1, :-2], x[..., 1:-1, 2:]])
        return nb.var(dim=0, correction=1)
    h, w = x.shape[-2] - 2, x.shape[-1] - 2
    win = torch.stack([x[..., i:i + h, j:j + w] for i in range(3) for j in range(3)])
    mu = win.mean(0)
    return (win ** 2).mean(0) - mu ** 2


def ws_estimate(images: torch.Tensor, *, variance: str = "cross4", correct_bias: bool = False,
                weighted: bool = True, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """WS change-rate estimate per image (about half the LSB embedding rate).

    Args:
        images: ``(N, C, H, W)`` uint8 pixels, or float in [0, 1] (rounded to 8 bits).
        variance: ``"cross4"`` or ``"window9"`` (see module docstring).
        correct_bias: apply the bias correction of sealwatch's ``ws.attack``.
        weighted: False gives uniform weights.

    Returns:
        ``(N,)`` estimates, float64 by default, clipped below at 0 (before any correction).

    Example::

        >>> import torch
        >>> flat = torch.full((1, 1, 16, 16), 100, dtype=torch.uint8)
        >>> float(ws_estimate(flat)[0])
        0.0
    """
    check_choice(variance, VARIANCES, name="variance")
    x = _to_int255(images, dtype)
    if x.shape[-1] < 3 or x.shape[-2] < 3:
        raise ValueError(f"images must be at least 3x3 pixels, got shape {tuple(x.shape)}")
    odd = torch.remainder(x, 2)
    lsb_diff = 2.0 * odd - 1.0                       # x - x_bar: +1 for odd, -1 for even
    x_bar = x - lsb_diff
    c = x[..., 1:-1, 1:-1]
    d = lsb_diff[..., 1:-1, 1:-1]
    if weighted:
        w = 1.0 / (5.0 + _variance(x, variance))
    else:
        w = torch.ones_like(c)
    w = w / w.sum(dim=(-3, -2, -1), keepdim=True)
    beta = (w * d * (c - _predict(x))).sum(dim=(-3, -2, -1)).clamp_min(0)
    if correct_bias:
        beta = beta - beta * (w * d * _predict(x_bar - x)).sum(dim=(-3, -2, -1))
    return beta


class WS:
    """Module-like wrapper of :func:`ws_estimate` with fixed options and a ``__repr__``."""

    def __init__(self, *, variance: str = "cross4", correct_bias: bool = False,
                 weighted: bool = True):
        check_choice(variance, VARIANCES, name="variance")
        self.variance, self.correct_bias, self.weighted = variance, bool(correct_bias), bool(weighted)

    def __repr__(self) -> str:
        return (f"WS(variance={self.variance!r}, correct_bias={self.correct_bias}, "
                f"weighted={self.weighted})")

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        return ws_estimate(images, variance=self.variance, correct_bias=self.correct_bias,
                           weighted=self.weighted)
