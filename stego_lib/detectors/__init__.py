"""Steganalysis-style detectors of adversarial examples: one class per method, each with
``fit`` (threshold from clean images), ``score`` and ``predict``, and the score as a plain
function too (``score`` for the pixel predictor, ``ws_estimate`` for WS).

Example::

    >>> import torch
    >>> clean = torch.full((2, 1, 8, 8), 0.5)
    >>> det = PixelPredictor().fit(clean)
    >>> det.threshold, det.predict(clean).tolist()
    (0.0, [False, False])
    >>> det.predict(torch.rand(1, 1, 8, 8, generator=torch.Generator().manual_seed(0))).tolist()
    [True]
"""
from .base import Detector
from .predictor import PixelPredictor, score
from .ws import WS, ws_estimate
from .learned import SpamEnsemble, extract_features
