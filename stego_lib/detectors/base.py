"""One interface for every detector of adversarial (or stego) images.

A detector maps a batch of images to one score per image; larger means "more likely
perturbed". :meth:`Detector.fit` learns whatever the detector learns and sets the
threshold to the largest score over clean training images, so that no clean training
image is flagged (the operating point of Schöttle et al., EUSIPCO 2018). An image is
flagged when its score lies strictly above the threshold.

Images are ``(N, C, H, W)``: uint8 pixels, or floats in [0, 1] (rounded to 8-bit
levels first wherever a detector needs integers). Colour images are scored on all
channels together: the pixel predictor and WS pool their weighted residuals over the
channels (weights normalised over the whole image), i.e. each channel is predicted from
its own neighbours.
"""
from __future__ import annotations

import torch

from .._checks import check_choice, check_images
from .predictor import QUANTIZE, RESIDUALS, score as predictor_score
from .ws import VARIANCES, ws_estimate

__all__ = ["Detector", "PixelPredictor", "WSDetector", "check_pixels"]


def check_pixels(images, *, name: str = "images") -> None:
    """Accept uint8 ``(N, C, H, W)`` pixels or float images in [0, 1] (TypeError/ValueError)."""
    if isinstance(images, torch.Tensor) and images.dtype == torch.uint8:
        if images.ndim != 4:
            raise ValueError(f"{name} must have shape (N, C, H, W), "
                             f"got shape {tuple(images.shape)}")
        return
    check_images(images, name=name)


class Detector:
    """Base class: ``score`` -> ``(N,)``, ``fit`` -> threshold, ``predict`` -> flags.

    Subclasses override :meth:`score` and, when they learn something from attacked
    images, :meth:`fit`.
    """

    name = "detector"

    def __init__(self, *, threshold: float | None = None):
        self.threshold = None if threshold is None else float(threshold)

    def score(self, images: torch.Tensor) -> torch.Tensor:
        """Score per image, ``(N,)`` on the CPU or the images' device."""
        raise NotImplementedError

    def calibrate(self, clean_images: torch.Tensor) -> "Detector":
        """Set the threshold to the largest score over ``clean_images``; returns ``self``."""
        s = self.score(clean_images)
        if s.numel() == 0:
            raise ValueError("calibration needs at least one clean image, got 0")
        self.threshold = float(s.max())
        return self

    def fit(self, clean_train_images: torch.Tensor,
            attacked_train_images: torch.Tensor | None = None) -> "Detector":
        """Learn (nothing, for a fixed score) and calibrate on the clean training images."""
        return self.calibrate(clean_train_images)

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """Boolean ``(N,)``: score strictly above the threshold."""
        if self.threshold is None:
            raise ValueError(f"{type(self).__name__} has no threshold: call "
                             f"fit(clean_train_images) or pass threshold=... first, "
                             f"got threshold=None")
        return self.score(images) > self.threshold

    def _thr(self) -> str:
        return "None" if self.threshold is None else f"{self.threshold:.6g}"


class PixelPredictor(Detector):
    """The pixel-predictor detector of Schöttle et al. (EUSIPCO 2018), wrapping
    :func:`stego_lib.detectors.predictor.score`.

    Args:
        residual: ``"abs"`` (the authors' code, default) or ``"signed"`` (the paper's Eq. 3).
        quantize: for float input, ``None`` (default), ``"floor"`` or ``"round"`` to 8 bits.
        threshold: a known threshold, or None until :meth:`fit`.

    Example::

        >>> import torch
        >>> det = PixelPredictor().fit(torch.full((3, 1, 8, 8), 0.5))
        >>> det.predict(torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))).tolist()
        [True, True]
    """

    name = "predictor"

    def __init__(self, *, residual: str = "abs", quantize: str | None = None,
                 threshold: float | None = None):
        check_choice(residual, RESIDUALS, name="residual")
        check_choice(quantize, QUANTIZE, name="quantize")
        super().__init__(threshold=threshold)
        self.residual, self.quantize = residual, quantize

    def __repr__(self) -> str:
        return (f"PixelPredictor(residual={self.residual!r}, quantize={self.quantize!r}, "
                f"threshold={self._thr()})")

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return predictor_score(images, residual=self.residual, quantize=self.quantize)


class WSDetector(Detector):
    """The weighted-stego (WS) change-rate estimate as a detector score, wrapping
    :func:`stego_lib.detectors.ws.ws_estimate` (Fridrich & Goljan 2004; Ker & Böhme 2008).

    Float images are rounded to 8-bit levels first. The score estimates the share of
    pixels whose LSB was flipped (half the LSB-replacement embedding rate).

    Example::

        >>> import torch
        >>> WSDetector().score(torch.full((1, 1, 8, 8), 100, dtype=torch.uint8)).tolist()
        [0.0]
    """

    name = "ws"

    def __init__(self, *, variance: str = "cross4", correct_bias: bool = False,
                 threshold: float | None = None):
        check_choice(variance, VARIANCES, name="variance")
        super().__init__(threshold=threshold)
        self.variance, self.correct_bias = variance, bool(correct_bias)

    def __repr__(self) -> str:
        return (f"WSDetector(variance={self.variance!r}, correct_bias={self.correct_bias}, "
                f"threshold={self._thr()})")

    def score(self, images: torch.Tensor) -> torch.Tensor:
        check_pixels(images)
        return ws_estimate(images, variance=self.variance, correct_bias=self.correct_bias)
