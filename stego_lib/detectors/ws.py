"""Weighted stego-image (WS) steganalysis: Fridrich & Goljan (2004), revisited by
Ker & Böhme (2008), vectorised over a batch.

WS estimates the rate of LSB-replacement embedding. With ``x`` the 8-bit image,
``x_bar`` the image with every LSB flipped, and ``x_hat`` the KB pixel prediction
(:func:`~.pixels.kb_predict`), the estimate of half the embedding rate (the change rate) is

    beta_hat = sum_i w_i (x_i - x_bar_i)(x_i - x_hat_i),    w_i ∝ 1 / (5 + sigma_i^2),

with weights normalised to sum 1. ``variance="cross4"`` takes sigma^2 over the 4 cross
neighbours (ddof = 1, as the detector of Schöttle et al. does), ``"window9"`` over the
whole 3x3 window, centre included (population variance), which is what sealwatch's
``ws.attack`` does. ``correct_bias=True`` applies sealwatch's bias correction. Like
sealwatch, the estimate is clipped at 0 before the correction.
"""
from __future__ import annotations

import torch

from .._checks import check_choice
from .base import Detector
from .pixels import VARIANCES, check_3x3, kb_predict, local_variance, to_255

__all__ = ["VARIANCES", "WS", "ws_estimate"]


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
    x = to_255(images, quantize="round", dtype=dtype)
    check_3x3(x)
    odd = torch.remainder(x, 2)
    lsb_diff = 2.0 * odd - 1.0                       # x - x_bar: +1 for odd, -1 for even
    x_bar = x - lsb_diff
    c = x[..., 1:-1, 1:-1]
    d = lsb_diff[..., 1:-1, 1:-1]
    x_hat = kb_predict(x)[0]
    if weighted:
        w = 1.0 / (5.0 + local_variance(x, variance))
    else:
        w = torch.ones_like(c)
    w = w / w.sum(dim=(-3, -2, -1), keepdim=True)
    beta = (w * d * (c - x_hat)).sum(dim=(-3, -2, -1)).clamp_min(0)
    if correct_bias:
        beta = beta - beta * (w * d * kb_predict(x_bar - x)[0]).sum(dim=(-3, -2, -1))
    return beta


class WS(Detector):
    """The WS change-rate estimate (:func:`ws_estimate`) as a detector score, with fixed
    options and a threshold (Fridrich & Goljan 2004; Ker & Böhme 2008).

    Float images are rounded to 8-bit levels first. The score estimates the share of
    pixels whose LSB was flipped (half the LSB-replacement embedding rate).

    Args:
        variance: ``"cross4"`` (default) or ``"window9"``.
        correct_bias: apply sealwatch's bias correction (default False).
        weighted: False gives uniform weights (default True).
        threshold: a known threshold, or None until :meth:`fit`.

    Example::

        >>> import torch
        >>> WS().score(torch.full((1, 1, 8, 8), 100, dtype=torch.uint8)).tolist()
        [0.0]
    """

    name = "ws"

    def __init__(self, *, variance: str = "cross4", correct_bias: bool = False,
                 weighted: bool = True, threshold: float | None = None):
        check_choice(variance, VARIANCES, name="variance")
        super().__init__(threshold=threshold)
        self.variance = variance
        self.correct_bias, self.weighted = bool(correct_bias), bool(weighted)

    def __repr__(self) -> str:
        return (f"WS(variance={self.variance!r}, correct_bias={self.correct_bias}, "
                f"weighted={self.weighted}, threshold={self._thr()})")

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return ws_estimate(images, variance=self.variance, correct_bias=self.correct_bias,
                           weighted=self.weighted)
