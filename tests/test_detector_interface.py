"""The common detector interface and the learned SPAM + FLD-ensemble detector."""
import numpy as np
import pytest
import torch

from stego_lib.detectors import score, ws_estimate
from stego_lib.detectors import WS, Detector, PixelPredictor

pytest.importorskip("sealwatch")
from stego_lib.detectors.learned import SpamEnsemble, extract_features  # noqa: E402


def _toy(seed: int, n: int = 60):
    """Smooth random images (clean) and the same images with ±1/±2 noise (attacked)."""
    g = torch.Generator().manual_seed(seed)
    base = torch.rand(n, 1, 4, 4, generator=g)
    smooth = torch.nn.functional.interpolate(base, size=(16, 16), mode="bilinear",
                                             align_corners=False)
    clean = (smooth * 200 + 20).round().to(torch.uint8)
    noise = torch.randint(-2, 3, clean.shape, generator=g)
    return clean, (clean.int() + noise).clamp(0, 255).to(torch.uint8)


def test_fixed_detectors_wrap_the_scores():
    px, _ = _toy(0, 8)
    torch.testing.assert_close(PixelPredictor().score(px), score(px))
    torch.testing.assert_close(WS().score(px), ws_estimate(px))
    det = PixelPredictor().fit(px)
    assert det.threshold == pytest.approx(float(score(px).max()))
    assert not bool(det.predict(px).any())                # zero false positives on its data
    with pytest.raises(ValueError, match="got threshold=None"):
        WS().predict(px)
    with pytest.raises(NotImplementedError):
        Detector().score(px)


def test_features_shape_and_colour_averaging():
    px, _ = _toy(1, 3)
    f = extract_features(px)
    assert f.shape == (3, 686) and f.dtype == np.float32
    rgb = px.repeat(1, 3, 1, 1)
    np.testing.assert_allclose(extract_features(rgb), f, rtol=1e-6)   # equal channels: same
    np.testing.assert_allclose(extract_features(px.float() / 255), f)  # float input rounds


def test_learned_detector_beats_chance_on_held_out_toy_data():
    from stego_lib.experiments.beyond.stats import auc
    train_c, train_a = _toy(2)
    test_c, test_a = _toy(3)
    det = SpamEnsemble(n_learners=15, d_sub=100, seed=0).fit(train_c, train_a)
    a = auc(det.score(test_c).numpy(), det.score(test_a).numpy())
    assert a > 0.9
    assert det.threshold == pytest.approx(float(det.score(train_c).max()))


def test_learned_detector_is_deterministic_given_its_seed():
    c, a = _toy(4, 40)
    fc, fa = extract_features(c), extract_features(a)
    s1 = SpamEnsemble(n_learners=7, d_sub=60, seed=3).fit_features(fc, fa).score_features(fa)
    s2 = SpamEnsemble(n_learners=7, d_sub=60, seed=3).fit_features(fc, fa).score_features(fa)
    s3 = SpamEnsemble(n_learners=7, d_sub=60, seed=4).fit_features(fc, fa).score_features(fa)
    np.testing.assert_array_equal(s1, s2)
    assert not np.array_equal(s1, s3)


def test_calibration_images_set_the_threshold():
    c, a = _toy(5, 40)
    cal, _ = _toy(6, 30)
    det = SpamEnsemble(n_learners=5, d_sub=50).fit(c, a, calibration=cal)
    assert det.threshold == pytest.approx(float(det.score(cal).max()))


def test_learned_detector_validates():
    with pytest.raises(ValueError, match="got 0"):
        SpamEnsemble(n_learners=0)
    with pytest.raises(ValueError, match="unknown features"):
        SpamEnsemble(features="dctr")
    c, _ = _toy(7, 4)
    with pytest.raises(ValueError, match="got None"):
        SpamEnsemble().fit(c)
    with pytest.raises(ValueError, match="untrained"):
        SpamEnsemble().score(c)
