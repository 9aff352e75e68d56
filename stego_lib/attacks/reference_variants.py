"""Our threat models with one of the reference implementation's choices switched in, so that
a gap between our attack and the authors' ``recoloradv`` package can be measured one choice at
a time (the Table 1 gap studies of Paper II).

- :class:`ReferenceBoxReColorAdv`: ReColorAdv in CIELUV over the reference's lattice box;
- :class:`ReferenceLatticeReColorAdv`: the reference's whole colour function (box, clips,
  XYZ and RGB clamps);
- :class:`ReferenceDelta`: the reference's way of keeping ``x + δ`` in ``[0, 1]``.
"""
from __future__ import annotations

import torch

from ..color import luv_to_rgb, luv_to_scaled, rgb_to_luv, scaled_to_luv
from .delta import Delta
from .linf import project_linf
from .recolor import ReColorAdv

__all__ = ["ReferenceBoxReColorAdv", "ReferenceDelta", "ReferenceLatticeReColorAdv"]


class ReferenceBoxReColorAdv(ReColorAdv):
    """Our ReColorAdv in CIELUV with the reference's lattice box: ``[0, 1]`` on each of its
    scaled channels ``(L/100, (u+100)/200, (v+100)/200)``; colours outside the box take the
    values at its edge, as the reference's clamp to the box does.

    Example:
        >>> t = ReferenceBoxReColorAdv()
        >>> x = torch.rand(1, 3, 4, 4)
        >>> bool((t.apply(x, t.init(x)) - x).abs().max() < 1e-4)
        True
    """

    def __init__(self, **kwargs):
        super().__init__(space="luv", **kwargs)
        self._box = ((0.0, 1.0),) * 3


class ReferenceDelta(Delta):
    """Our Delta with the reference's handling of the image range: before each forward pass δ
    is moved so that ``x + δ`` lies in ``[0, 1]`` (then clipped to ``±eps``), and ``x + δ`` is
    returned unclamped, so that every pixel passes its gradient back.

    Example:
        >>> t = ReferenceDelta()
        >>> x = torch.ones(1, 3, 2, 2)
        >>> (d,) = t.init(x); _ = d.fill_(0.02)
        >>> bool(t.apply(x, (d,)).max() == 1.0), float(d.max())
        (True, 0.0)
    """

    def apply(self, images: torch.Tensor, params: tuple) -> torch.Tensor:
        (delta,) = params
        with torch.no_grad():   # in place, as the reference edits its parameter's data
            delta.copy_(project_linf((images + delta).clamp(0, 1) - images, 0.0, self.eps))
        return images + delta


class ReferenceLatticeReColorAdv(ReferenceBoxReColorAdv):
    """Our ReColorAdv with the reference's colour function itself, not only its box: the lattice
    holds ``f`` on the box ``[0, 1]^3`` of scaled CIELUV; a colour beyond the box reads the
    value at its edge (so ``f`` at the identity moves it onto the box); every projection first
    clips the lattice, to the box and then through an RGB clamp (its lattice colours moved
    into the sRGB gamut), before clamping ``f − identity`` to ``±eps``; the new colour goes to
    RGB through an XYZ clamp to ``[0, 1.1]`` and an RGB clamp. The parameters stay the
    displacement ``δ = f − identity``, so the smoothness term is the same.

    Even with ``δ = 0`` after its first projection, this moves saturated colours: the
    reference's attack starts from a changed image.

    Example:
        >>> t = ReferenceLatticeReColorAdv()
        >>> red = torch.tensor([0.98, 0.27, 0.02]).view(1, 3, 1, 1)
        >>> p = t.project(t.init(red))
        >>> bool((t.apply(red, p) - red).abs().max() > 0.05)
        True
    """

    def __init__(self):
        super().__init__(gamut="clamp")

    def _identity(self, like: torch.Tensor) -> torch.Tensor:
        axes = [a.to(like) for a in self.lattice_axes()]
        return torch.stack(torch.meshgrid(*axes, indexing="ij")).unsqueeze(0)  # (1, 3, *res)

    @staticmethod
    def _to_rgb(scaled: torch.Tensor) -> torch.Tensor:
        # the reference's CIELUV -> RGB: XYZ clamped to [0, 1.1] first, RGB to [0, 1] last
        from ..color import _RGB2XYZ, _matmul3, srgb_to_linear, linear_to_srgb
        xyz = _matmul3(_RGB2XYZ, srgb_to_linear(luv_to_rgb(scaled_to_luv(scaled))))
        return linear_to_srgb(_matmul3(torch.linalg.inv(_RGB2XYZ), xyz.clamp(0, 1.1))).clamp(0, 1)

    def apply(self, images: torch.Tensor, params: tuple) -> torch.Tensor:
        (delta,) = params
        coords = self.to_space(images)
        # the identity lattice read at the box-clamped colour, plus the displacement there
        return self._to_rgb(coords.clamp(0, 1) + self.displacement(coords, delta))

    @torch.no_grad()
    def project(self, params: tuple) -> tuple:
        (delta,) = params
        ident = self._identity(delta)
        f = (ident + delta).clamp(0, 1)
        n, c, *res = f.shape
        flat = f.reshape(n, c, -1, 1)   # the lattice as an (N, 3, points, 1) image
        f = luv_to_scaled(rgb_to_luv(self._to_rgb(flat))).reshape(n, c, *res)
        delta.copy_(f - ident)
        return super().project(params)
