"""Differentiable sRGB <-> CIELUV conversion (D65), as used by ReColorAdv.

Laidlaw & Feizi, *Functional Adversarial Attacks* (NeurIPS 2019), perturb
colours in CIELUV because Euclidean distance there roughly tracks perceived
colour difference. The constants follow the reference code
(cassidylaidlaw/ReColorAdv) and IEC 61966-2-1:

* sRGB transfer function: linear below 0.04045 (encoded) / 0.0031308 (linear),
  otherwise the 2.4 power law with offset 0.055;
* the 4-digit sRGB -> XYZ matrix; its inverse is computed exactly from it,
  so a round trip is exact up to float rounding (the reference uses a
  separately rounded inverse matrix);
* D65 white with Y_n = 1 and chromaticity u'_n = 0.1978, v'_n = 0.4683.

Conversions do not clamp: ``luv_to_rgb`` of a colour outside the sRGB gamut
returns values outside [0, 1] (the transfer function is extended linearly
below 0 and by the power law above 1). Callers that need an image clamp.

The *scaled box* of the reference maps ``(L, u, v)`` to
``(L/100, (u+100)/200, (v+100)/200)``; :func:`luv_to_scaled` and
:func:`scaled_to_luv` expose it, and :data:`SRGB_LUV_BOUNDS` gives the box
that really contains the sRGB gamut (the reference's box does not).
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["LuvToRgb", "RgbToLuv", "SRGB_LUV_BOUNDS", "U_WHITE", "V_WHITE",
           "luv_to_rgb", "luv_to_scaled", "rgb_to_luv", "scaled_to_luv",
           "srgb_to_linear", "linear_to_srgb"]

U_WHITE = 0.1978  # u'_n of D65, as in the reference and the issue
V_WHITE = 0.4683  # v'_n of D65
_KAPPA = (29 / 3) ** 3  # CIE 903.3: slope of L* below the cube-root branch
_EPSILON = (6 / 29) ** 3  # CIE 0.008856: Y/Y_n where the branches meet

# IEC 61966-2-1 sRGB (linear) -> CIE XYZ, D65.
_RGB2XYZ = torch.tensor([[0.4124, 0.3576, 0.1805],
                         [0.2126, 0.7152, 0.0722],
                         [0.0193, 0.1192, 0.9504]], dtype=torch.float64)
_XYZ2RGB = torch.linalg.inv(_RGB2XYZ)

# (lo, hi) of L*, u*, v* over the sRGB cube, rounded outwards to whole units.
# Measured with these constants: L* in [0, 100], u* in [-83.1, 175.0],
# v* in [-134.1, 107.4] (red gives the largest u*, blue the smallest v*).
SRGB_LUV_BOUNDS = ((0.0, 100.0), (-84.0, 176.0), (-135.0, 108.0))


def _check_color(x, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (*, 3, H, W), got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.ndim < 3 or x.shape[-3] != 3:
        raise ValueError(f"{name} must have shape (*, 3, H, W), got shape {tuple(x.shape)}")


def _matmul3(m: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    # (3, 3) applied along the channel axis of (*, 3, H, W); three fused
    # multiply-adds per output channel are much faster on CPU than einsum here
    a, b, c = x.unbind(-3)
    rows = m.tolist()
    return torch.stack([r0 * a + r1 * b + r2 * c for r0, r1, r2 in rows], dim=-3)


def srgb_to_linear(x: torch.Tensor) -> torch.Tensor:
    """sRGB transfer function, encoded -> linear (threshold 0.04045). No clamping."""
    hi = x > 0.04045
    # clamp inside the power so the unused branch never makes NaN gradients
    power = ((torch.where(hi, x, torch.ones_like(x)) + 0.055) / 1.055) ** 2.4
    return torch.where(hi, power, x / 12.92)


def linear_to_srgb(x: torch.Tensor) -> torch.Tensor:
    """Inverse sRGB transfer function, linear -> encoded (threshold 0.0031308). No clamping."""
    hi = x > 0.0031308
    power = 1.055 * torch.where(hi, x, torch.ones_like(x)) ** (1 / 2.4) - 0.055
    return torch.where(hi, power, 12.92 * x)


def rgb_to_luv(image: torch.Tensor) -> torch.Tensor:
    """Convert sRGB to CIE 1976 L*u*v* (D65), differentiably.

    Args:
        image: sRGB values, shape ``(*, 3, H, W)``, nominally in [0, 1].

    Returns:
        ``(L, u, v)`` with the same shape and dtype: L in [0, 100]; for sRGB
        inputs u in about [-83, 175] and v in about [-134, 107].

    Raises:
        TypeError: not a floating-point tensor.
        ValueError: the channel axis (third from last) is not 3.

    Example:
        >>> rgb_to_luv(torch.ones(1, 3, 1, 1)).flatten().round()  # white
        tensor([100.,   0.,   0.])
    """
    _check_color(image, "image")
    xyz = _matmul3(_RGB2XYZ, srgb_to_linear(image))
    x, y, z = xyz.unbind(-3)
    hi = y > _EPSILON
    L = torch.where(hi, 116 * torch.where(hi, y, torch.ones_like(y)) ** (1 / 3) - 16, _KAPPA * y)
    denom = x + 15 * y + 3 * z
    ok = denom > 1e-12
    safe = torch.where(ok, denom, torch.ones_like(denom))
    # black has no chromaticity; take the white point so that u = v = 0 there
    up = torch.where(ok, 4 * x / safe, torch.full_like(x, U_WHITE))
    vp = torch.where(ok, 9 * y / safe, torch.full_like(y, V_WHITE))
    u = 13 * L * (up - U_WHITE)
    v = 13 * L * (vp - V_WHITE)
    return torch.stack([L, u, v], dim=-3)


def luv_to_rgb(image: torch.Tensor) -> torch.Tensor:
    """Convert CIE 1976 L*u*v* (D65) to sRGB, differentiably and without clamping.

    Args:
        image: ``(L, u, v)`` values, shape ``(*, 3, H, W)``; L >= 0.

    Returns:
        sRGB with the same shape and dtype; colours outside the sRGB gamut
        come back outside [0, 1] (clamp them yourself if you need an image).

    Raises:
        TypeError: not a floating-point tensor.
        ValueError: the channel axis (third from last) is not 3.

    Example:
        >>> x = torch.rand(2, 3, 4, 4)
        >>> bool((luv_to_rgb(rgb_to_luv(x)) - x).abs().max() < 1e-4)
        True
    """
    _check_color(image, "image")
    L, u, v = image.unbind(-3)
    ok = L > 1e-8
    safe_l = torch.where(ok, L, torch.ones_like(L))
    up = torch.where(ok, u / (13 * safe_l), torch.zeros_like(u)) + U_WHITE
    vp = torch.where(ok, v / (13 * safe_l), torch.zeros_like(v)) + V_WHITE
    y = torch.where(L > 8, ((L + 16) / 116) ** 3, L / _KAPPA)
    # v' > 0 for every real colour; guard only against invalid (u, v) inputs
    vp_safe = torch.where(vp.abs() > 1e-8, vp, torch.full_like(vp, 1e-8))
    x = y * 9 * up / (4 * vp_safe)
    z = y * (12 - 3 * up - 20 * vp) / (4 * vp_safe)
    lin = _matmul3(_XYZ2RGB, torch.stack([x, y, z], dim=-3))
    return linear_to_srgb(lin)


def luv_to_scaled(luv: torch.Tensor) -> torch.Tensor:
    """The reference's scaled box: ``(L/100, (u+100)/200, (v+100)/200)``, shape ``(*, 3, H, W)``."""
    _check_color(luv, "luv")
    L, u, v = luv.unbind(-3)
    return torch.stack([L / 100, (u + 100) / 200, (v + 100) / 200], dim=-3)


def scaled_to_luv(scaled: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`luv_to_scaled`, shape ``(*, 3, H, W)``."""
    _check_color(scaled, "scaled")
    a, b, c = scaled.unbind(-3)
    return torch.stack([a * 100, b * 200 - 100, c * 200 - 100], dim=-3)


class RgbToLuv(nn.Module):
    """Module form of :func:`rgb_to_luv`: ``(*, 3, H, W)`` sRGB -> L*u*v*.

    Example:
        >>> RgbToLuv()(torch.rand(2, 3, 4, 4)).shape
        torch.Size([2, 3, 4, 4])
    """

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return rgb_to_luv(image)


class LuvToRgb(nn.Module):
    """Module form of :func:`luv_to_rgb`: ``(*, 3, H, W)`` L*u*v* -> sRGB (unclamped).

    Example:
        >>> LuvToRgb()(torch.zeros(1, 3, 2, 2)).abs().max().item()
        0.0
    """

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return luv_to_rgb(image)
