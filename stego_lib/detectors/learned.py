"""A learned steganalysis detector: SPAM features and a Fisher-linear-discriminant ensemble.

Features: the second-order SPAM model of Pevný, Bas & Fridrich (IEEE TIFS 2010), 686
values per grey-scale image, computed by ``sealwatch.spam.extract`` (truncation T = 3).
Colour images: SPAM is computed on each channel separately and the three feature vectors
are averaged, so a colour image also gives 686 values (the channels share one model of
pixel dependencies; averaging keeps the dimension small next to a few hundred training
images). ``features="srmq1"`` uses sealwatch's SRMQ1 (12,753 values) instead; it costs
about 45 times as much per image (0.6 s for a 28 x 28 digit on one CPU core), which is why
the experiments use SPAM.

Classifier: the ensemble of Kodovský, Fridrich & Holub (IEEE TIFS 2012), i.e. sealwatch's
``FldEnsembleTrainer`` (random feature subspaces, bootstrap samples, each base learner a
Fisher linear discriminant; subspace size and number of learners chosen by out-of-bag
error unless fixed). It is trained on pairs: each clean training image and its attacked
version. The score of an image is the mean over base learners of their projections, each
divided by its spread on the training images: a continuous version of the ensemble's
majority vote (whose sign it shares in most cases), so that ROC curves have no ties.

The threshold is the largest score over clean images that the ensemble did not see,
when :meth:`SpamEnsemble.fit` is given ``calibration`` images, else over the clean
training images (which the ensemble has fitted, so their scores are optimistic).
"""
from __future__ import annotations

import logging

import numpy as np
import torch

from .._checks import check_choice
from .base import Detector
from .pixels import to_255

__all__ = ["FEATURES", "FEATURE_DIMS", "SECONDS_PER_CHANNEL", "SpamEnsemble", "extract_features"]

FEATURES = ("spam", "srmq1")
FEATURE_DIMS = {"spam": 686, "srmq1": 12753, "srm": 34671}
# Feature extraction time per grey-scale channel, sealwatch 2025.9 (Rust backend for SPAM),
# measured on the 2-core development CPU while other jobs ran (so upper bounds): averages over
# 200 MNIST digits / 50 CIFAR-10 images for SPAM, 5 / 3 images for SRMQ1.
SECONDS_PER_CHANNEL = {"spam": {"mnist": 0.014, "cifar10": 0.015},
                       "srmq1": {"mnist": 0.64, "cifar10": 0.81}}


def _to_uint8(images: torch.Tensor) -> np.ndarray:
    return to_255(images, quantize="round", dtype=torch.float64).to(torch.uint8).cpu().numpy()


def _one(x: np.ndarray, kind: str) -> np.ndarray:
    import sealwatch as sw

    f = sw.spam.extract(x) if kind == "spam" else sw.srm.srmq1.extract(x)
    return np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in f.values()])


def extract_features(images: torch.Tensor, *, features: str = "spam") -> np.ndarray:
    """Steganalysis features per image, ``(N, D)`` float32 (SPAM: D = 686).

    Args:
        images: ``(N, C, H, W)`` uint8, or float in [0, 1] (rounded to 8-bit levels).
        features: ``"spam"`` (default) or ``"srmq1"``.

    Colour images: the features of the channels are averaged.

    Example::

        >>> import torch
        >>> extract_features(torch.zeros(2, 1, 16, 16, dtype=torch.uint8)).shape
        (2, 686)
    """
    check_choice(features, FEATURES, name="features")
    px = _to_uint8(images)
    out = [np.mean([_one(np.ascontiguousarray(img[c]), features) for c in range(img.shape[0])],
                   axis=0) for img in px]
    dim = FEATURE_DIMS[features]
    return np.stack(out).astype(np.float32) if out else np.zeros((0, dim), np.float32)


class SpamEnsemble(Detector):
    """SPAM (or SRMQ1) features + sealwatch's FLD ensemble, trained on clean/attacked pairs.

    Args:
        features: ``"spam"`` (default) or ``"srmq1"``.
        n_learners: number of base learners; ``"automatic"`` lets out-of-bag error decide
            (Kodovský et al.), default 51.
        d_sub: subspace dimension; ``"automatic"`` (default) searches it by out-of-bag error.
        seed: seeds the ensemble's subspaces and bootstrap samples (default 0).

    Example::

        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> clean = (torch.rand(40, 1, 12, 12, generator=g) * 4 + 100).round().to(torch.uint8)
        >>> noisy = (clean.int() + torch.randint(-3, 4, clean.shape, generator=g)).to(torch.uint8)
        >>> det = SpamEnsemble(n_learners=11, d_sub=50).fit(clean, noisy)
        >>> bool(det.score(noisy).mean() > det.score(clean).mean())
        True
    """

    name = "spam_fld"

    def __init__(self, *, features: str = "spam", n_learners: int | str = 51,
                 d_sub: int | str = "automatic", seed: int = 0, threshold: float | None = None):
        check_choice(features, FEATURES, name="features")
        for key, v in (("n_learners", n_learners), ("d_sub", d_sub)):
            ok = v == "automatic" or (isinstance(v, int) and not isinstance(v, bool) and v >= 1)
            if not ok:
                raise ValueError(f"{key} must be an int >= 1 or 'automatic', got {v!r}")
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {seed!r}")
        super().__init__(threshold=threshold)
        self.features, self.n_learners, self.d_sub, self.seed = features, n_learners, d_sub, seed
        self.learners, self.scales, self.d_sub_used = None, None, None

    def __repr__(self) -> str:
        return (f"SpamEnsemble(features={self.features!r}, n_learners={self.n_learners!r}, "
                f"d_sub={self.d_sub!r}, seed={self.seed}, threshold={self._thr()})")

    # -- features in, scores out (the experiments compute each image's features once) --
    def extract(self, images: torch.Tensor) -> np.ndarray:
        return extract_features(images, features=self.features)

    def fit_features(self, clean: np.ndarray, attacked: np.ndarray,
                     calibration: np.ndarray | None = None) -> "SpamEnsemble":
        """Train on paired feature rows (``clean[i]`` and ``attacked[i]`` from one image) and
        set the threshold (see the module docstring); returns ``self``."""
        from sealwatch.ensemble_classifier import FldEnsembleTrainer

        clean = np.ascontiguousarray(clean, dtype=np.float64)
        attacked = np.ascontiguousarray(attacked, dtype=np.float64)
        if clean.ndim != 2 or clean.shape != attacked.shape or len(clean) < 2:
            raise ValueError(f"clean and attacked features must be paired (M, D) arrays with "
                             f"M >= 2, got shapes {clean.shape} and {attacked.shape}")
        d_sub = self.d_sub if self.d_sub == "automatic" else min(self.d_sub, clean.shape[1])
        # sealwatch logs every base learner at INFO; keep a long campaign's log readable
        logging.getLogger("fld_ensemble_trainer.py").setLevel(logging.WARNING)
        trainer = FldEnsembleTrainer(clean, attacked, seed=self.seed + 1, L=self.n_learners,
                                     d_sub=d_sub, verbose=0)
        ensemble, _ = trainer.train()
        self.learners = [(b.subspace, b.learner.w, b.learner.b) for b in ensemble.base_learners]
        self.d_sub_used = int(ensemble.d_sub) if ensemble.d_sub is not None else None
        train = np.concatenate([clean, attacked])
        raw = self._raw(train)
        self.scales = raw.std(axis=0) + 1e-12
        cal = clean if calibration is None else np.asarray(calibration, dtype=np.float64)
        self.threshold = float(self.score_features(cal).max())
        return self

    def _raw(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return np.stack([x[:, sub] @ w - b if sub is not None else x @ w - b
                         for sub, w, b in self.learners], axis=1)      # (N, L)

    def score_features(self, x: np.ndarray) -> np.ndarray:
        """Scores ``(N,)`` float64 from features ``(N, D)``."""
        if self.learners is None:
            raise ValueError("SpamEnsemble is not trained: call fit(clean, attacked) first, "
                             "got an untrained detector")
        return (self._raw(x) / self.scales).mean(axis=1)

    # -- the Detector interface on images --
    def fit(self, clean_train_images: torch.Tensor,
            attacked_train_images: torch.Tensor | None = None, *,
            calibration: torch.Tensor | None = None) -> "SpamEnsemble":
        """Train on ``clean_train_images[i]`` vs ``attacked_train_images[i]``; the threshold is
        the largest score over ``calibration`` (clean images the ensemble did not see), else
        over the clean training images."""
        if attacked_train_images is None:
            raise ValueError("SpamEnsemble.fit needs attacked_train_images (paired with the "
                             "clean ones), got None")
        cal = None if calibration is None else self.extract(calibration)
        return self.fit_features(self.extract(clean_train_images),
                                 self.extract(attacked_train_images), cal)

    def score(self, images: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.score_features(self.extract(images)))
