"""The stego4secureML detector and the WS estimator."""
import numpy as np
import pytest
import torch

from stego_lib.data import load_sample
from stego_lib.detectors import PixelPredictor, WS, score, ws_estimate

K = np.array([[-0.25, 0.5, -0.25], [0.5, 0.0, 0.5], [-0.25, 0.5, -0.25]])


def slow_reference(img255: np.ndarray, residual: str = "abs") -> float:
    """Loop over pixels, written from the formula: predict, 4-neighbour variance (ddof=1),
    w = 1/(5 + var) normalised, mean of weighted residuals."""
    h, w = img255.shape
    res, wts = [], []
    for i in range(1, h - 1):
        for j in range(1, w - 1):
            pred = sum(K[a, b] * img255[i - 1 + a, j - 1 + b] for a in range(3) for b in range(3))
            nb = [img255[i - 1, j], img255[i + 1, j], img255[i, j - 1], img255[i, j + 1]]
            res.append(img255[i, j] - pred)
            wts.append(1.0 / (5.0 + np.var(nb, ddof=1)))
    wts = np.array(wts) / np.sum(wts)
    r = np.array(res)
    r = np.abs(r) if residual == "abs" else r
    return float(np.mean(wts * r))


@pytest.mark.parametrize("residual", ["abs", "signed"])
def test_matches_slow_reference_on_random_images(residual):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 1, 9, 11, generator=g, dtype=torch.float64)
    ours = score(x, residual=residual, dtype=torch.float64)
    ref = [slow_reference(x[i, 0].numpy() * 255, residual) for i in range(4)]
    np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-10)


def test_uint8_and_float_input_agree_and_quantize_floor_truncates():
    px = torch.randint(0, 256, (3, 1, 10, 10), generator=torch.Generator().manual_seed(1),
                       dtype=torch.uint8)
    a = score(px, dtype=torch.float64)
    b = score(px.double() / 255, dtype=torch.float64, quantize="round")
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    from stego_lib.detectors.pixels import to_255
    x = torch.tensor([0.9999, 0.5, 0.0, 1.0]).reshape(1, 1, 2, 2)  # 254.97 and 127.5
    assert to_255(x, quantize="floor").flatten().tolist() == [254, 127, 0, 255]
    assert to_255(x, quantize="round").flatten().tolist() == [255, 128, 0, 255]
    r = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(3))
    assert not torch.equal(score(r, quantize="floor"), score(r, quantize="round"))


def test_clean_mnist_scores_low_and_heavy_noise_high():
    s = load_sample("mnist", limit=200)
    clean = score(s.pixels)
    noisy_imgs = (s.images + 0.3 * torch.randn(s.images.shape,
                                               generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    noisy = score(noisy_imgs)
    assert clean.max() < noisy.min()
    det = PixelPredictor().fit(s.pixels[:100])
    assert not det.predict(s.pixels[:100]).any()   # max of the fitted set is not flagged (strict >)
    assert det.predict(noisy_imgs).all()
    assert det.predict(s.pixels[100:]).float().mean() < 0.1


def test_flat_image_scores_zero_and_detector_repr():
    assert score(torch.full((2, 1, 6, 6), 0.3)).abs().max() < 1e-6
    det = PixelPredictor(residual="signed", threshold=0.01)
    assert "residual='signed'" in repr(det) and "threshold=0.01" in repr(det)


def test_predict_without_threshold_raises():
    with pytest.raises(ValueError, match="threshold"):
        PixelPredictor().predict(torch.rand(1, 1, 5, 5))


@pytest.mark.parametrize("x, err, text", [
    (torch.rand(2, 1, 8, 8) + 1.0, ValueError, "[0, 1]"),
    (torch.full((2, 1, 8, 8), float("nan")), ValueError, "finite"),
    (torch.rand(8, 8), ValueError, "(N, C, H, W)"),
    (torch.rand(2, 1, 2, 8), ValueError, "3x3"),
    (np.zeros((1, 1, 8, 8)), TypeError, "torch.Tensor"),
])
def test_bad_input_raises_saying_what_was_expected(x, err, text):
    with pytest.raises(err) as info:
        score(x)
    assert text in str(info.value)
    with pytest.raises(err):
        ws_estimate(x)


def test_bad_options_raise():
    with pytest.raises(ValueError, match="residual"):
        score(torch.rand(1, 1, 5, 5), residual="squared")
    with pytest.raises(ValueError, match="variance"):
        WS(variance="cross8")


def ws_slow(img: np.ndarray, variance: str, correct_bias: bool) -> float:
    x = img.astype(np.float64)
    xb = (img ^ 1).astype(np.float64)
    h, w = x.shape
    kb = K

    def pred(a, i, j):
        return sum(kb[p, q] * a[i - 1 + p, j - 1 + q] for p in range(3) for q in range(3))

    num, wts, dd, bias = [], [], [], []
    for i in range(1, h - 1):
        for j in range(1, w - 1):
            if variance == "cross4":
                v = np.var([x[i - 1, j], x[i + 1, j], x[i, j - 1], x[i, j + 1]], ddof=1)
            else:
                v = np.var(x[i - 1:i + 2, j - 1:j + 2])
            wts.append(1 / (5 + v))
            dd.append(x[i, j] - xb[i, j])
            num.append(x[i, j] - pred(x, i, j))
            bias.append(pred(xb - x, i, j))
    wts = np.array(wts) / np.sum(wts)
    beta = max(float(np.sum(wts * np.array(dd) * np.array(num))), 0.0)
    if correct_bias:
        beta -= beta * float(np.sum(wts * np.array(dd) * np.array(bias)))
    return beta


@pytest.mark.parametrize("variance", ["cross4", "window9"])
@pytest.mark.parametrize("correct_bias", [False, True])
def test_ws_matches_slow_loop(variance, correct_bias):
    px = torch.randint(0, 256, (3, 1, 9, 9), generator=torch.Generator().manual_seed(4),
                       dtype=torch.uint8)
    # smooth images give positive estimates, so the clip at 0 is not all that is tested
    px[1, 0] = torch.arange(81, dtype=torch.uint8).reshape(9, 9)
    ours = ws_estimate(px, variance=variance, correct_bias=correct_bias)
    ref = [ws_slow(px[i, 0].numpy(), variance, correct_bias) for i in range(3)]
    np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("correct_bias", [False, True])
def test_ws_matches_sealwatch(correct_bias):
    sw = pytest.importorskip("sealwatch.ws")
    g = torch.Generator().manual_seed(7)
    base = torch.linspace(40, 200, 32).repeat(32, 1)
    smooth = (base + base.T) / 2 + torch.randn(32, 32, generator=g) * 3
    px = torch.stack([smooth.round().clamp(0, 255).to(torch.uint8),
                      torch.randint(0, 256, (32, 32), generator=g, dtype=torch.uint8)])[:, None]
    ours = ws_estimate(px, variance="window9", correct_bias=correct_bias)
    ref = [float(sw.attack(px[i, 0].numpy(), correct_bias=correct_bias)) for i in range(2)]
    np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-4, atol=1e-6)


def test_ws_statistical_cover_near_zero_and_embedding_near_half_rate():
    # smooth synthetic covers (WS is built for natural, unsaturated images)
    g = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    covers = torch.stack([(100 + 40 * torch.sin(xx / (6 + k)) + 30 * torch.cos(yy / (9 + k))
                           + torch.randn(64, 64, generator=g) * 2).round().clamp(0, 255)
                          for k in range(8)])[:, None].to(torch.uint8)
    rate = 0.6
    change = torch.rand(covers.shape, generator=g) < rate
    bits = torch.randint(0, 2, covers.shape, generator=g, dtype=torch.uint8)
    stego = torch.where(change, (covers & 0xFE) | bits, covers)
    est_cover = ws_estimate(covers).mean()
    est_stego = ws_estimate(stego).mean()
    assert est_cover < 0.05
    assert abs(est_stego - rate / 2) < 0.07
