"""The pixel-predictor detector of Schöttle et al. (EUSIPCO 2018), vectorised.

Each interior pixel is predicted from its 8 neighbours with the kernel

    [[-1/4, 1/2, -1/4],
     [ 1/2,  0,   1/2],
     [-1/4, 1/2, -1/4]]

('valid' convolution, so a 28x28 MNIST image gives a 26x26 interior), on the
0-255 scale. Each residual is weighted by w = 1 / (5 + sigma^2), where sigma^2 is
the sample variance (ddof = 1) of the 4 cross neighbours, and the weights are
normalised to sum to 1 per image. The score is the mean over the interior of
``w * |x - x_hat|`` (the authors' code, alxshine/stego4secureML ``common.py``) or,
with ``residual="signed"``, of ``w * (x - x_hat)`` (the paper's Eq. 3). An image is
flagged when its score is strictly above the threshold, which the code sets to the
largest score over the MNIST training images.

Everything is elementwise on shifted slices of the batch, so no Python loop over
images or pixels remains: a million MNIST images take seconds.
"""
from __future__ import annotations

import torch

from .._checks import check_choice, check_images

__all__ = ["KERNEL", "PixelPredictorDetector", "RESIDUALS", "QUANTIZE", "score", "to_255"]

KERNEL = ((-0.25, 0.5, -0.25), (0.5, 0.0, 0.5), (-0.25, 0.5, -0.25))
RESIDUALS = ("abs", "signed")
QUANTIZE = (None, "floor", "round")


def to_255(images: torch.Tensor, *, quantize: str | None = None,
           dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """uint8 pixels, or floats in [0, 1] times 255, as ``dtype``.

    ``quantize`` applies to float input only: ``None`` keeps the real values,
    ``"floor"`` truncates like the reference's ``(x * 255).astype(int)``, ``"round"``
    rounds to the nearest 8-bit level (what saving the image as a PNG would do).
    """
    check_choice(quantize, QUANTIZE, name="quantize")
    if isinstance(images, torch.Tensor) and images.dtype == torch.uint8:
        if images.ndim != 4:
            raise ValueError(f"images must have shape (N, C, H, W), got shape {tuple(images.shape)}")
        return images.to(dtype)
    check_images(images)
    x = images.to(dtype) * 255.0
    if quantize == "floor":
        x = x.floor()
    elif quantize == "round":
        x = x.round()
    return x


def _score_255(x: torch.Tensor, residual: str) -> torch.Tensor:
    # x: (N, C, H, W) on the 0-255 scale. Shifted views of the (H-2, W-2) interior:
    c = x[..., 1:-1, 1:-1]
    up, down = x[..., :-2, 1:-1], x[..., 2:, 1:-1]
    left, right = x[..., 1:-1, :-2], x[..., 1:-1, 2:]
    corners = x[..., :-2, :-2] + x[..., :-2, 2:] + x[..., 2:, :-2] + x[..., 2:, 2:]
    cross = up + down + left + right
    x_hat = 0.5 * cross - 0.25 * corners                       # the kernel, 'valid'
    m = 0.25 * cross                                           # mean of the 4 neighbours
    var = ((up - m) ** 2 + (down - m) ** 2 + (left - m) ** 2 + (right - m) ** 2) / 3.0  # ddof=1
    w = 1.0 / (5.0 + var)
    w = w / w.sum(dim=(-3, -2, -1), keepdim=True)              # sum to 1 per image
    r = c - x_hat
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
            (see :func:`to_255`).
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
    if isinstance(images, torch.Tensor) and images.dtype == torch.uint8:
        if images.ndim != 4:
            raise ValueError(f"images must have shape (N, C, H, W), got shape {tuple(images.shape)}")
    else:
        check_images(images)
    if images.shape[-1] < 3 or images.shape[-2] < 3:
        raise ValueError(f"images must be at least 3x3 pixels, got shape {tuple(images.shape)}")
    out = [_score_255(to_255(images[i:i + batch_size], quantize=quantize, dtype=dtype), residual)
           for i in range(0, images.shape[0], batch_size)]
    return torch.cat(out) if out else torch.zeros(0, dtype=dtype, device=images.device)


class PixelPredictorDetector:
    """Score with :func:`score`; flag images whose score is strictly above ``threshold``.

    Args:
        residual, quantize, dtype: passed to :func:`score`.
        threshold: a known threshold, or None until :meth:`fit_threshold`.

    Example::

        >>> import torch
        >>> det = PixelPredictorDetector().fit_threshold(torch.full((3, 1, 8, 8), 0.5))
        >>> det.flag(torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))).tolist()
        [True, True]
    """

    def __init__(self, *, residual: str = "abs", quantize: str | None = None,
                 threshold: float | None = None, dtype: torch.dtype = torch.float32):
        check_choice(residual, RESIDUALS, name="residual")
        check_choice(quantize, QUANTIZE, name="quantize")
        self.residual, self.quantize, self.dtype = residual, quantize, dtype
        self.threshold = None if threshold is None else float(threshold)

    def __repr__(self) -> str:
        thr = "None" if self.threshold is None else f"{self.threshold:.6g}"
        return (f"PixelPredictorDetector(residual={self.residual!r}, quantize={self.quantize!r}, "
                f"threshold={thr})")

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return score(images, residual=self.residual, quantize=self.quantize, dtype=self.dtype)

    def fit_threshold(self, train_images: torch.Tensor) -> "PixelPredictorDetector":
        """Set the threshold to the largest score over ``train_images`` (no training image
        is flagged); returns ``self``."""
        s = self.score(train_images)
        if s.numel() == 0:
            raise ValueError("fit_threshold needs at least one image, got 0")
        self.threshold = float(s.max())
        return self

    def flag(self, images: torch.Tensor) -> torch.Tensor:
        """Boolean ``(N,)``: score > threshold (strict, as in the reference)."""
        if self.threshold is None:
            raise ValueError("the detector has no threshold: call fit_threshold(train_images) "
                             "or pass threshold=... first")
        return self.score(images) > self.threshold

    __call__ = flag
