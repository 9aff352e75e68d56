"""One interface for every detector of adversarial (or stego) images.

A detector maps a batch of images to one score per image; larger means "more likely
perturbed". Three verbs: :meth:`Detector.fit` learns whatever the detector learns and sets
the threshold to the largest score over clean training images, so that no clean training
image is flagged (the operating point of Schöttle et al., EUSIPCO 2018);
:meth:`Detector.score` scores; :meth:`Detector.predict` flags an image when its score lies
strictly above the threshold.

Images are ``(N, C, H, W)``: uint8 pixels, or floats in [0, 1] (rounded to 8-bit
levels first wherever a detector needs integers). Colour images are scored on all
channels together: the pixel predictor and WS pool their weighted residuals over the
channels (weights normalised over the whole image), i.e. each channel is predicted from
its own neighbours.

Example::

    >>> import torch
    >>> class Brightness(Detector):
    ...     def score(self, images):
    ...         return images.float().mean(dim=(1, 2, 3))
    >>> det = Brightness().fit(torch.zeros(2, 1, 4, 4))
    >>> det.threshold, det.predict(torch.ones(1, 1, 4, 4)).tolist()
    (0.0, [True])
"""
from __future__ import annotations

import torch

__all__ = ["Detector"]


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

    def fit(self, clean_train_images: torch.Tensor,
            attacked_train_images: torch.Tensor | None = None) -> "Detector":
        """Set the threshold to the largest score over ``clean_train_images`` (a fixed score
        learns nothing else); returns ``self``."""
        s = self.score(clean_train_images)
        if s.numel() == 0:
            raise ValueError("fit needs at least one clean image, got 0")
        self.threshold = float(s.max())
        return self

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """Boolean ``(N,)``: score strictly above the threshold."""
        if self.threshold is None:
            raise ValueError(f"{type(self).__name__} has no threshold: call "
                             f"fit(clean_train_images) or pass threshold=... first, "
                             f"got threshold=None")
        return self.score(images) > self.threshold

    def _thr(self) -> str:
        return "None" if self.threshold is None else f"{self.threshold:.6g}"
