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
* the white point is the matrix's own white, ``M · (1, 1, 1)``: Y_n = 1 and
  u'_n = 0.197844, v'_n = 0.468330, so sRGB white and every grey have
  u* = v* = 0 to float precision. The reference rounds them to 0.1978 and
  0.4683, which puts white at u* = 0.057, v* = 0.040; colour-science derives
  0.197830, 0.468320 from the D65 chromaticity (0.3127, 0.3290).

Conversions do not clamp: ``luv_to_rgb`` of a colour outside the sRGB gamut
returns values outside [0, 1] (the transfer function is extended linearly
below 0 and by the power law above 1). Two functions move such a colour into
the gamut in CIELUV and leave every colour inside the gamut as it is:
:func:`luv_shrink_to_gamut` along the segment from a known in-gamut colour
(what ReColorAdv uses), :func:`luv_gamut_map` by clamping L* to [0, 100] and
reducing chroma at fixed L* and hue.

The *scaled box* of the reference maps ``(L, u, v)`` to
``(L/100, (u+100)/200, (v+100)/200)``; :func:`luv_to_scaled` and
:func:`scaled_to_luv` expose it, and :data:`SRGB_LUV_BOUNDS` gives the box
that really contains the sRGB gamut (the reference's box does not).
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["LuvGamutMap", "LuvToRgb", "RgbToLuv", "SRGB_LUV_BOUNDS", "U_WHITE", "V_WHITE",
           "in_srgb_gamut", "linear_to_srgb", "luv_gamut_map", "luv_shrink_to_gamut", "luv_to_rgb",
           "luv_to_scaled", "rgb_to_luv", "scaled_to_luv", "srgb_to_linear"]

_KAPPA = (29 / 3) ** 3  # CIE 903.3: slope of L* below the cube-root branch
_EPSILON = (6 / 29) ** 3  # CIE 0.008856: Y/Y_n where the branches meet

# IEC 61966-2-1 sRGB (linear) -> CIE XYZ, D65.
_RGB2XYZ = torch.tensor([[0.4124, 0.3576, 0.1805],
                         [0.2126, 0.7152, 0.0722],
                         [0.0193, 0.1192, 0.9504]], dtype=torch.float64)
_XYZ2RGB = torch.linalg.inv(_RGB2XYZ)

# The matrix's own white (R = G = B = 1): X_n = 0.9505, Y_n = 1, Z_n = 1.0889. Deriving u'_n,
# v'_n from it (not from rounded D65 values) makes every grey land on u* = v* = 0.
_XN, _YN, _ZN = _RGB2XYZ.sum(1).tolist()
U_WHITE = 4 * _XN / (_XN + 15 * _YN + 3 * _ZN)  # u'_n = 0.19784359...
V_WHITE = 9 * _YN / (_XN + 15 * _YN + 3 * _ZN)  # v'_n = 0.46833045...

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
        >>> white = rgb_to_luv(torch.ones(1, 3, 1, 1, dtype=torch.float64)).flatten()
        >>> torch.allclose(white, torch.tensor([100.0, 0.0, 0.0], dtype=torch.float64), atol=1e-9)
        True
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


# Chromaticity (u', v') = (u'_n, v'_n) + t (a, b) at luminance Y gives 4 v' XYZ / Y =
# _P0 + t (9a, 4b, -3a - 20b); linear RGB = Y (M^-1 (4 v' XYZ / Y)) / (4 v'), so each gamut
# face 0 <= RGB_k <= 1 is a linear inequality in t (v' > 0 inside the gamut).
_P0 = _XYZ2RGB @ torch.tensor([9 * U_WHITE, 4 * V_WHITE, 12 - 3 * U_WHITE - 20 * V_WHITE],
                              dtype=torch.float64)  # = 4 v'_n (1, 1, 1): greys are in gamut
_PA = (_XYZ2RGB @ torch.tensor([9.0, 0.0, -3.0], dtype=torch.float64)).tolist()  # d/da
_PB = (_XYZ2RGB @ torch.tensor([0.0, 4.0, -20.0], dtype=torch.float64)).tolist()  # d/db


def luv_gamut_map(image: torch.Tensor) -> torch.Tensor:
    """Move L*u*v* colours into the sRGB gamut along the chroma direction, differentiably.

    L* is clamped to [0, 100]; then ``(u*, v*)`` is scaled by the largest
    ``t`` in [0, 1] for which ``(L*, t u*, t v*)`` lies in the sRGB gamut.
    Lightness and hue are kept, only chroma shrinks, and a colour already in
    the gamut has ``t = 1`` and comes back unchanged (up to float rounding
    for colours on the gamut's surface). At fixed L* and hue each face of
    the RGB cube is a linear inequality in ``t``, so ``t`` is exact, not
    searched for.

    Used by ReColorAdv so that its colour function ``f`` maps colours to
    colours (Laidlaw & Feizi, NeurIPS 2019, Sec. 4: ``f: C -> C``).

    Args:
        image: ``(L, u, v)`` values, shape ``(*, 3, H, W)``, any real numbers.

    Returns:
        ``(L, u, v)`` of the same shape and dtype, inside the sRGB gamut:
        :func:`luv_to_rgb` of it lies in [0, 1] up to float rounding.

    Raises:
        TypeError: not a floating-point tensor.
        ValueError: the channel axis (third from last) is not 3.

    Example:
        >>> luv = torch.tensor([50.0, 150.0, 0.0]).view(1, 3, 1, 1)  # too saturated
        >>> rgb = luv_to_rgb(luv_gamut_map(luv))
        >>> bool(rgb.min() >= -1e-6 and rgb.max() <= 1 + 1e-6)
        True
        >>> x = torch.rand(1, 3, 4, 4)
        >>> bool((luv_gamut_map(rgb_to_luv(x)) - rgb_to_luv(x)).abs().max() < 1e-3)
        True
    """
    _check_color(image, "image")
    L, u, v = image.unbind(-3)
    L = L.clamp(0, 100)
    ok = L > 1e-8
    safe_l = torch.where(ok, L, torch.ones_like(L))
    y = torch.where(L > 8, ((L + 16) / 116) ** 3, L / _KAPPA)
    a = torch.where(ok, u / (13 * safe_l), torch.zeros_like(u))  # u' - u'_n at t = 1
    b = torch.where(ok, v / (13 * safe_l), torch.zeros_like(v))  # v' - v'_n at t = 1
    p0 = _P0.tolist()
    bounds = [torch.ones_like(L)]
    for k in range(3):
        slope = _PA[k] * a + _PB[k] * b  # RGB_k = y (p0_k + t slope) / (4 v')
        # RGB_k >= 0  <=>  p0_k + t slope >= 0
        neg = slope < 0
        bounds.append(torch.where(neg, p0[k] / torch.where(neg, -slope, torch.ones_like(slope)),
                                  torch.full_like(L, float("inf"))))
        # RGB_k <= 1  <=>  t (y slope - 4 b) <= 4 v'_n - y p0_k
        up = y * slope - 4 * b
        pos = up > 0
        room = (4 * V_WHITE - y * p0[k]).clamp(min=0)
        bounds.append(torch.where(pos, room / torch.where(pos, up, torch.ones_like(up)),
                                  torch.full_like(L, float("inf"))))
    t = torch.stack(bounds, dim=-1).amin(-1).clamp(min=0)
    # a colour on the gamut's surface can get t = 1 - 1e-7 from rounding alone: keep it as is
    t = torch.where(t > 1 - 1e-6, torch.ones_like(t), t)
    t = torch.where(ok, t, torch.zeros_like(t))  # black has no chroma
    return torch.stack([L, t * u, t * v], dim=-3)


def in_srgb_gamut(image: torch.Tensor, *, tol: float = 1e-5) -> torch.Tensor:
    """Which L*u*v* colours lie in the sRGB gamut: ``L* >= 0`` and RGB in ``[-tol, 1 + tol]``.

    Args:
        image: ``(L, u, v)`` values, shape ``(*, 3, H, W)``.
        tol: slack for float rounding, in RGB units (default 1e-5, about 0.003/255: a
            float32 round trip of an 8-bit colour on the cube's surface can land that far out).

    Returns:
        Bool tensor of shape ``(*, H, W)``.

    Example:
        >>> in_srgb_gamut(torch.tensor([[50.0, 50.0], [0.0, 150.0], [0.0, 0.0]]).view(1, 3, 1, 2))
        tensor([[[ True, False]]])
    """
    _check_color(image, "image")
    rgb = luv_to_rgb(image)
    return (image.select(-3, 0) >= 0) & ((rgb >= -tol) & (rgb <= 1 + tol)).all(-3)


def luv_shrink_to_gamut(origin: torch.Tensor, target: torch.Tensor, *, steps: int = 24,
                        tol: float = 1e-5) -> torch.Tensor:
    """Pull L*u*v* colours back into the sRGB gamut along the segment from in-gamut origins.

    Returns ``origin + s (target − origin)`` per pixel, with ``s = 1`` where
    ``target`` is in the gamut and otherwise the largest ``s`` in [0, 1] found
    by ``steps`` bisection steps whose point is in the gamut (the segment
    starts inside, at ``origin``). So every returned colour is a valid colour,
    it differs from ``origin`` by at most what ``target`` does in each of L*,
    u* and v*, and a target in the gamut is returned unchanged.

    Used by ReColorAdv: with ``origin`` the pixel's colour ``c`` and ``target``
    its new colour ``f(c) = c + δ(c)``, the displacement is shrunk just enough
    that the new colour is real (``f: C -> C``, Laidlaw & Feizi, NeurIPS 2019,
    Sec. 4) and the per-channel bound ``|δ_k| <= ε_k`` holds at every pixel.

    ``s`` is computed without gradient: gradients flow as through a fixed
    scaling of the displacement.

    Args:
        origin: ``(*, 3, H, W)`` colours in the gamut (e.g. ``rgb_to_luv`` of an image).
        target: ``(*, 3, H, W)`` colours, any values.
        steps: bisection steps (default 24: ``s`` to within 6e-8).
        tol: slack of the gamut test in RGB units (see :func:`in_srgb_gamut`).

    Returns:
        ``(*, 3, H, W)`` colours, same dtype as ``target``.

    Raises:
        TypeError: not floating-point tensors.
        ValueError: the channel axis is not 3, the shapes differ, or ``steps`` < 1.

    Example:
        >>> c = rgb_to_luv(torch.tensor([1.0, 1.0, 0.0]).view(1, 3, 1, 1))  # yellow, L* = 97
        >>> out = luv_shrink_to_gamut(c, c + torch.tensor([6.0, 0, 0]).view(1, 3, 1, 1))
        >>> bool(in_srgb_gamut(out).all()) and float(out[0, 0] - c[0, 0]) < 6
        True
    """
    _check_color(origin, "origin")
    _check_color(target, "target")
    if origin.shape != target.shape:
        raise ValueError(f"origin and target must have the same shape, got {tuple(origin.shape)} "
                         f"and {tuple(target.shape)}")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be an int >= 1, got {steps!r}")
    d = target - origin
    with torch.no_grad():
        s = torch.ones_like(target.select(-3, 0))  # (*, H, W)
        out = ~in_srgb_gamut(target.detach(), tol=tol)
        if bool(out.any()):
            o = origin.detach().movedim(-3, -1)[out]  # (M, 3)
            dd = d.detach().movedim(-3, -1)[out]      # (M, 3)
            lo, hi = torch.zeros_like(o[:, 0]), torch.ones_like(o[:, 0])
            for _ in range(steps):
                mid = (lo + hi) / 2
                ok = in_srgb_gamut((o + mid[:, None] * dd).T.unsqueeze(-1), tol=tol)[:, 0]
                lo, hi = torch.where(ok, mid, lo), torch.where(ok, hi, mid)
            s[out] = lo
    return origin + s.unsqueeze(-3) * d


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


class LuvGamutMap(nn.Module):
    """Module form of :func:`luv_gamut_map`: ``(*, 3, H, W)`` L*u*v* -> L*u*v* in the sRGB gamut.

    Example:
        >>> LuvGamutMap()(torch.tensor([50.0, 150.0, 0.0]).view(1, 3, 1, 1)).shape
        torch.Size([1, 3, 1, 1])
    """

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return luv_gamut_map(image)
