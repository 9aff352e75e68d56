"""Steganalysis-style detectors of adversarial examples."""
from .predictor import PixelPredictorDetector, score
from .ws import WS, ws_estimate
from .base import Detector, PixelPredictor, WSDetector
from .learned import SpamEnsemble, extract_features
