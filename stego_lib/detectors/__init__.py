"""Steganalysis-style detectors of adversarial examples: one class per method, each with
``fit`` (threshold from clean images), ``score`` and ``predict``, and the score as a plain
function too (``score`` for the pixel predictor, ``ws_estimate`` for WS)."""
from .base import Detector
from .predictor import PixelPredictor, score
from .ws import WS, ws_estimate
from .learned import SpamEnsemble, extract_features
