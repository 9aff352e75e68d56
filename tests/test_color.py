"""stego_lib.color: sRGB <-> CIELUV (kornia's template: smoke, shapes,
exceptions, reference values, gradcheck, module == function)."""
import importlib.util

import numpy as np
import pytest
import torch

from stego_lib.color import (SRGB_LUV_BOUNDS, U_WHITE, V_WHITE, LuvGamutMap, LuvToRgb, RgbToLuv,
                             in_srgb_gamut, linear_to_srgb, luv_gamut_map, luv_shrink_to_gamut,
                             luv_to_rgb, luv_to_scaled, rgb_to_luv, scaled_to_luv, srgb_to_linear)


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


@pytest.mark.parametrize("fn", [rgb_to_luv, luv_to_rgb, luv_to_scaled, scaled_to_luv,
                                luv_gamut_map, in_srgb_gamut, lambda x: luv_shrink_to_gamut(x, x)])
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
    assert white[0] == pytest.approx(100.0, abs=1e-9)
    assert white[1:].abs().max() < 1e-10
    # u'_n, v'_n are the matrix's own white: 4 X_n / (X_n + 15 Y_n + 3 Z_n) with
    # (X_n, Y_n, Z_n) = (0.9505, 1, 1.0889); the rounded 0.1978, 0.4683 gave white u* = 0.057
    assert U_WHITE == pytest.approx(4 * 0.9505 / (0.9505 + 15 + 3 * 1.0889), abs=1e-15)
    assert V_WHITE == pytest.approx(9 / (0.9505 + 15 + 3 * 1.0889), abs=1e-15)
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
    # L agrees to rounding (colour uses the same 4-digit matrix); u, v differ by at most
    # 13·L·|Δu'_n| ≈ 0.02 because colour takes its white from the D65 chromaticity
    # (u'_n = 0.197830) and we from the matrix (0.197844)
    np.testing.assert_allclose(ours[:, 0], ref[:, 0], atol=1e-3)
    np.testing.assert_allclose(ours[:, 1:], ref[:, 1:], atol=0.02)
    back = luv_to_rgb(torch.tensor(ref.T.reshape(3, -1, 1))).reshape(3, -1).T.numpy()
    np.testing.assert_allclose(back, colour.XYZ_to_sRGB(colour.Luv_to_XYZ(ref)), atol=0.01)


@pytest.mark.skipif(importlib.util.find_spec("recoloradv") is None, reason="needs recoloradv")
def test_against_reference_code():
    pytest.importorskip("six")
    from recoloradv.color_spaces import CIELUVColorSpace
    x = torch.rand(4, 3, 8, 8)
    # the same formulas: given our white point, the reference agrees to float rounding
    ref = CIELUVColorSpace(up_white=U_WHITE, vp_white=V_WHITE).from_rgb(x)
    ours = luv_to_scaled(rgb_to_luv(x))
    torch.testing.assert_close(ours, ref, atol=1e-4, rtol=0)
    # with its own rounded white (0.1978, 0.4683) it differs by 13·L·Δ/200 in scaled units
    ref = CIELUVColorSpace().from_rgb(x)
    L = ref[:, :1]
    bound = 13 * 100 * L * torch.tensor([0.0, U_WHITE - 0.1978, V_WHITE - 0.4683]).view(1, 3, 1, 1) / 200
    assert ((ours - ref).abs() <= bound.abs() + 1e-4).all()
    assert (ours - ref).abs().max() > 1e-4  # ... and that difference is real


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


def test_white_and_greys_have_no_chroma():
    greys = torch.linspace(0, 1, 11, dtype=torch.float64).view(1, 1, 11).expand(3, 1, 11)
    assert rgb_to_luv(greys)[1:].abs().max() < 1e-10
    assert rgb_to_luv(greys.float())[1:].abs().max() < 1e-3  # float32 rounding of u', v'


# ---------------------------------------------------------------- gamut

def random_luv(n: int, seed: int = 0) -> torch.Tensor:
    """(1, 3, 1, n) L*u*v* colours, many of them outside the sRGB gamut."""
    g = torch.Generator().manual_seed(seed)
    return torch.stack([torch.rand(n, generator=g, dtype=torch.float64) * 120 - 10,
                        torch.randn(n, generator=g, dtype=torch.float64) * 80,
                        torch.randn(n, generator=g, dtype=torch.float64) * 80]).view(1, 3, 1, n)


def test_in_srgb_gamut_reference_values():
    x = srgb_grid(9)
    assert in_srgb_gamut(rgb_to_luv(x)).all()
    luv = torch.tensor([[50.0, 50.0, -1.0, 101.0, 0.5],  # L*
                        [0.0, 150.0, 0.0, 0.0, 0.0],
                        [0.0, 0.0, 0.0, 0.0, -200.0]], dtype=torch.float64).view(3, 1, 5)
    assert in_srgb_gamut(luv).flatten().tolist() == [True, False, False, False, False]


def test_gamut_map_lands_in_gamut_and_keeps_lightness_and_hue():
    luv = random_luv(4000)
    out = luv_gamut_map(luv)
    assert in_srgb_gamut(out, tol=1e-9).all()
    torch.testing.assert_close(out[:, 0], luv[:, 0].clamp(0, 100))
    # hue kept: (u, v) only scaled, by t in [0, 1]
    cross = out[:, 1] * luv[:, 2] - out[:, 2] * luv[:, 1]
    assert cross.abs().max() < 1e-9
    assert ((out[:, 1:] * luv[:, 1:]).sum(1) >= -1e-12).all()
    # chroma reduced no more than needed: 0.1 % more chroma leaves the gamut
    lclamped = torch.cat([luv[:, :1].clamp(0, 100), luv[:, 1:]], 1)
    moved = ~in_srgb_gamut(lclamped) & (luv[:, 0] > 0.5) & (luv[:, 0] < 99.5)
    more = out.clone()
    more[:, 1:] *= 1.001
    assert moved.sum() > 100 and not in_srgb_gamut(more, tol=0)[moved].any()


def test_gamut_map_is_identity_in_gamut():
    luv = rgb_to_luv(srgb_grid(33))
    assert torch.equal(luv_gamut_map(luv), luv)
    assert (luv_to_rgb(luv_gamut_map(rgb_to_luv(srgb_grid(33).float()))) - srgb_grid(33).float()
            ).abs().max() < 0.05 / 255


def test_shrink_to_gamut():
    origin = rgb_to_luv(srgb_grid(9)).unsqueeze(0)  # (1, 3, 9, 81)
    g = torch.Generator().manual_seed(0)
    d = (2 * torch.rand(origin.shape, generator=g, dtype=torch.float64) - 1) * torch.tensor(
        [6.0, 12.0, 12.0], dtype=torch.float64).view(1, 3, 1, 1)
    out = luv_shrink_to_gamut(origin, origin + d)
    assert in_srgb_gamut(out).all()
    # on the segment from origin, no further than the target
    s = ((out - origin) * d).sum(1) / (d * d).sum(1)
    torch.testing.assert_close(out - origin, s.unsqueeze(1) * d)
    assert (s >= 0).all() and (s <= 1 + 1e-12).all() and (s < 0.5).any()
    # targets in the gamut are returned as they are
    inside = in_srgb_gamut(origin + d)
    assert torch.equal(out.movedim(1, -1)[inside], (origin + d).movedim(1, -1)[inside])
    # a bright yellow lifted by 6 L* units can barely move (the gamut's cusp)
    yellow = rgb_to_luv(torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64).view(3, 1, 1))
    up = luv_shrink_to_gamut(yellow, yellow + torch.tensor([6.0, 0, 0], dtype=torch.float64).view(3, 1, 1))
    assert 0 <= float(up[0] - yellow[0]) < 0.01


def test_gamut_exceptions():
    with pytest.raises(ValueError, match=r"same shape, got \(3, 2, 2\) and \(3, 2, 3\)"):
        luv_shrink_to_gamut(torch.zeros(3, 2, 2), torch.zeros(3, 2, 3))
    with pytest.raises(ValueError, match="steps must be an int >= 1, got 0"):
        luv_shrink_to_gamut(torch.zeros(3, 2, 2), torch.zeros(3, 2, 2), steps=0)


def test_gamut_gradients():
    luv = torch.tensor([[50.0, 30.0, 2.0, 70.0], [150.0, -20.0, 40.0, 10.0], [0.0, 10.0, -40.0, -5.0]],
                       dtype=torch.float64).view(1, 3, 1, 4).requires_grad_()
    assert torch.autograd.gradcheck(luv_gamut_map, (luv,))
    origin = rgb_to_luv(torch.rand(1, 3, 2, 2, dtype=torch.float64))
    target = (origin + 20 * torch.randn(1, 3, 2, 2, dtype=torch.float64)).requires_grad_()
    out = luv_shrink_to_gamut(origin, target)
    (grad,) = torch.autograd.grad(out.sum(), target)
    assert torch.isfinite(grad).all() and (grad >= 0).all() and (grad <= 1).all()


def test_gamut_module_equals_function():
    luv = random_luv(50)
    torch.testing.assert_close(LuvGamutMap()(luv), luv_gamut_map(luv))
