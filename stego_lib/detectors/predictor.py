"""The pixel-predictor detector of Schöttle et al. (EUSIPCO 2018), vectorised.

Each interior pixel is predicted by the KB predictor (:func:`~.pixels.kb_predict`) on the
0-255 scale. Each residual is weighted by w = 1 / (5 + sigma^2), where sigma^2 is the sample
variance (ddof = 1) of the 4 cross neighbours, and the weights are normalised to sum to 1
per image. The score is the mean over the interior of ``w * |x - x_hat|`` (the authors'
code, alxshine/stego4secureML ``common.py``) or, with ``residual="signed"``, of
``w * (x - x_hat)`` (the paper's Eq. 3). An image is flagged when its score is strictly
above the threshold, which the code sets to the largest score over the MNIST training
images. A million MNIST images take seconds.
"""
from __future__ import annotations

import torch

from .._checks import check_choice
from .base import Detector
from .pixels import QUANTIZE, check_3x3, check_pixels, kb_predict, to_255

__all__ = ["PixelPredictor", "QUANTIZE", "RESIDUALS", "score"]

RESIDUALS = ("abs", "signed")


def _score_255(x: torch.Tensor, residual: str) -> torch.Tensor:
    # x: (N, C, H, W) on the 0-255 scale
    x_hat, var = kb_predict(x)
    w = 1.0 / (5.0 + var)
    w = w / w.sum(dim=(-3, -2, -1), keepdim=True)              # sum to 1 per image
    r = x[..., 1:-1, 1:-1] - x_hat
    r = r.abs() if residual == "abs" else r
    return (w * r).mean(dim=(-3, -2, -1))                      # (N,)


def score(images: torch.Tensor, *, residual: str = "abs", quantize: str | None = None,
          batch_size: int = 32768, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Detector score per image.

    Args:
        images: ``(N, C, H, W)``, uint8 pixels or float in [0, 1]; H, W >= 3. Computed on
            the images' device.
        residual: ``"abs"`` (the authors' code, default) or ``"signed"`` (the paper's Eq. 3).
        quantize: for float input, ``None`` / ``"floor"`` / ``"round"`` to 8 bits first
            (see :func:`~.pixels.to_255`).
        batch_size: images per vectorised block (bounds memory).
        dtype: computation dtype (float32 default; float64 for reference checks).

    Returns:
        ``(N,)`` scores in ``dtype`` on the images' device.

    Raises:
        TypeError / ValueError: not a tensor, wrong rank, NaN, values outside [0, 1],
            images smaller than 3x3, or an unknown option.

    Example::

        >>> import torch
        >>> flat = torch.full((2, 1, 28, 28), 0.5)
        >>> score(flat).tolist()
        [0.0, 0.0]
    """
    check_choice(residual, RESIDUALS, name="residual")
    check_choice(quantize, QUANTIZE, name="quantize")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    check_pixels(images)
    check_3x3(images)
    out = [_score_255(to_255(images[i:i + batch_size], quantize=quantize, dtype=dtype), residual)
           for i in range(0, images.shape[0], batch_size)]
    return torch.cat(out) if out else torch.zeros(0, dtype=dtype, device=images.device)


class PixelPredictor(Detector):
    """The pixel-predictor detector: :func:`score` with fixed options, and a threshold.

    Args:
        residual: ``"abs"`` (the authors' code, default) or ``"signed"`` (the paper's Eq. 3).
        quantize: for float input, ``None`` (default), ``"floor"`` or ``"round"`` to 8 bits.
        dtype: computation dtype (float32 default).
        threshold: a known threshold, or None until :meth:`fit`.

    Example::

        >>> import torch
        >>> det = PixelPredictor().fit(torch.full((3, 1, 8, 8), 0.5))
        >>> det.predict(torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))).tolist()
        [True, True]
    """

    name = "predictor"

    def __init__(self, *, residual: str = "abs", quantize: str | None = None,
                 dtype: torch.dtype = torch.float32, threshold: float | None = None):
        check_choice(residual, RESIDUALS, name="residual")
        check_choice(quantize, QUANTIZE, name="quantize")
        super().__init__(threshold=threshold)
        self.residual, self.quantize, self.dtype = residual, quantize, dtype

    def __repr__(self) -> str:
        return (f"PixelPredictor(residual={self.residual!r}, quantize={self.quantize!r}, "
                f"threshold={self._thr()})")

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return score(images, residual=self.residual, quantize=self.quantize, dtype=self.dtype)
