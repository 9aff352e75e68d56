"""stego_lib.color: sRGB <-> CIELUV (kornia's template: smoke, shapes,
exceptions, reference values, gradcheck, module == function)."""
import importlib.util

import numpy as np
import pytest
import torch

from stego_lib.color import (SRGB_LUV_BOUNDS, LuvToRgb, RgbToLuv, linear_to_srgb, luv_to_rgb,
                             luv_to_scaled, rgb_to_luv, scaled_to_luv, srgb_to_linear)


pytestmark = pytest.mark.usefixtures("one_thread")


def srgb_grid(n: int = 33) -> torch.Tensor:
    """A dense grid over the sRGB cube as a (3, n, n*n) float64 image."""
    v = torch.linspace(0, 1, n, dtype=torch.float64)
    r, g, b = torch.meshgrid(v, v, v, indexing="ij")
    return torch.stack([r, g, b]).reshape(3, n, n * n)


def test_smoke_and_shapes():
    for shape in [(3, 4, 5), (2, 3, 4, 5), (2, 2, 3, 1, 1)]:
        x = torch.rand(shape)
        assert rgb_to_luv(x).shape == shape
        assert luv_to_rgb(rgb_to_luv(x)).shape == shape
        assert rgb_to_luv(x).dtype == x.dtype


@pytest.mark.parametrize("fn", [rgb_to_luv, luv_to_rgb, luv_to_scaled, scaled_to_luv])
def test_exceptions(fn):
    with pytest.raises(TypeError, match="got list"):
        fn([[0.0]])
    with pytest.raises(TypeError, match="got dtype torch.int64"):
        fn(torch.zeros(1, 3, 2, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"got shape \(1, 4, 2, 2\)"):
        fn(torch.zeros(1, 4, 2, 2))
    with pytest.raises(ValueError, match=r"got shape \(3, 2\)"):
        fn(torch.zeros(3, 2))


def test_known_values():
    white = rgb_to_luv(torch.ones(3, 1, 1, dtype=torch.float64)).flatten()
    # Y = 1 exactly; u'n = 0.1978 is the rounded D65 value, so u*, v* of
    # white are only ~0.05 from 0
    assert white[0] == pytest.approx(100.0, abs=1e-9)
    assert white[1:].abs().max() < 0.06
    black = rgb_to_luv(torch.zeros(3, 1, 1, dtype=torch.float64)).flatten()
    assert torch.equal(black, torch.zeros(3, dtype=torch.float64))
    assert torch.equal(luv_to_rgb(torch.zeros(3, 1, 1)), torch.zeros(3, 1, 1))
    # sRGB transfer function: the two branches meet at the thresholds
    t = torch.tensor([0.04045], dtype=torch.float64)
    assert float(srgb_to_linear(t)) == pytest.approx(0.04045 / 12.92, rel=1e-4)
    t = torch.tensor([0.0031308], dtype=torch.float64)
    assert float(linear_to_srgb(t)) == pytest.approx(0.0031308 * 12.92, rel=1e-4)


@pytest.mark.skipif(importlib.util.find_spec("colour") is None, reason="needs colour-science")
def test_against_colour_science():
    import colour
    rgb = srgb_grid(17).reshape(3, -1).T.numpy()
    ref = colour.XYZ_to_Luv(colour.sRGB_to_XYZ(rgb))  # D65, L in [0, 100]
    ours = rgb_to_luv(torch.tensor(rgb.T.reshape(3, -1, 1))).reshape(3, -1).T.numpy()
    # L agrees to rounding; u, v differ by <= 13·L·|Δu'n| ≈ 0.05 because the
    # issue fixes u'n = 0.1978, v'n = 0.4683 (colour uses 0.19784, 0.46832)
    np.testing.assert_allclose(ours[:, 0], ref[:, 0], atol=1e-3)
    np.testing.assert_allclose(ours[:, 1:], ref[:, 1:], atol=0.08)
    back = luv_to_rgb(torch.tensor(ref.T.reshape(3, -1, 1))).reshape(3, -1).T.numpy()
    np.testing.assert_allclose(back, colour.XYZ_to_sRGB(colour.Luv_to_XYZ(ref)), atol=0.01)


@pytest.mark.skipif(importlib.util.find_spec("recoloradv") is None, reason="needs recoloradv")
def test_against_reference_code():
    pytest.importorskip("six")
    from recoloradv.color_spaces import CIELUVColorSpace
    x = torch.rand(4, 3, 8, 8)
    ref = CIELUVColorSpace().from_rgb(x)
    torch.testing.assert_close(luv_to_scaled(rgb_to_luv(x)), ref, atol=1e-4, rtol=0)


def test_round_trip_whole_gamut():
    x = srgb_grid(65)
    assert (luv_to_rgb(rgb_to_luv(x)) - x).abs().max() < 1e-10
    assert (luv_to_rgb(rgb_to_luv(x.float())) - x.float()).abs().max() < 1e-4


def test_gamut_bounds_cover_srgb():
    luv = rgb_to_luv(srgb_grid(65)).reshape(3, -1)
    for k, (lo, hi) in enumerate(SRGB_LUV_BOUNDS):
        assert lo <= float(luv[k].min()) and float(luv[k].max()) <= hi
    # ... and the reference's scaled box does not: red has u* ≈ 175
    s = luv_to_scaled(luv.reshape(3, -1, 1))
    assert float(s.max()) > 1.3 and float(s.min()) < -0.15


def test_scaled_round_trip():
    x = torch.randn(2, 3, 4, 4, dtype=torch.float64) * 50
    torch.testing.assert_close(scaled_to_luv(luv_to_scaled(x)), x)


def test_gradcheck():
    x = (torch.rand(1, 3, 3, 3, dtype=torch.float64) * 0.9 + 0.05).requires_grad_()
    assert torch.autograd.gradcheck(rgb_to_luv, (x,))
    luv = rgb_to_luv(x.detach()).requires_grad_()
    assert torch.autograd.gradcheck(luv_to_rgb, (luv,))
    # near black and in the linear branches too
    dark = (torch.rand(1, 3, 2, 2, dtype=torch.float64) * 0.03 + 0.001).requires_grad_()
    assert torch.autograd.gradcheck(rgb_to_luv, (dark,))


def test_gradients_finite_at_black_and_white():
    x = torch.tensor([0.0, 1.0]).view(1, 1, 2, 1).expand(1, 3, 2, 1).clone().requires_grad_()
    rgb_to_luv(x).sum().backward()
    assert torch.isfinite(x.grad).all()
    luv = torch.zeros(1, 3, 1, 1, requires_grad=True)
    luv_to_rgb(luv).sum().backward()
    assert torch.isfinite(luv.grad).all()


def test_module_equals_function():
    x = torch.rand(2, 3, 5, 5)
    torch.testing.assert_close(RgbToLuv()(x), rgb_to_luv(x))
    luv = rgb_to_luv(x)
    torch.testing.assert_close(LuvToRgb()(luv), luv_to_rgb(luv))
