"""ReColorAdv: one colour function per image (Laidlaw & Feizi, NeurIPS 2019, Sec. 4).

Every pixel colour ``c`` of an image goes through the same function
``f(c) = c + δ(c)``, where ``δ`` is defined on a regular lattice in colour space
and extended to all colours by trilinear interpolation. Each lattice value is
bounded per channel, ``|δ_k(g)| <= eps_k``, and the loop adds the smoothness
penalty ``Σ_g Σ_{g' ∈ N(g)} ‖δ(g) − δ(g')‖`` over the 6 lattice neighbours.

Two colour spaces:

* ``space="luv"`` (the paper's C): CIELUV, measured in the reference's scaled
  units ``(L/100, u/200, v/200)``; the default bound ``eps = 0.06`` per channel
  is the reference's, i.e. 6 L* units and 12 u*/v* units. The lattice
  (default resolution (16, 32, 32) along L, u, v) spans the box that contains
  the whole sRGB gamut, ``L ∈ [0, 100], u ∈ [−84, 176], v ∈ [−135, 108]``.
* ``space="rgb"`` (the paper's C-RGB): the lattice spans the RGB cube,
  default resolution (32, 32, 32); the default bound ``eps = 0.06`` per
  channel (about 15/255) is our choice, since the reference never states one:
  the same number as in CIELUV, on a cube of the same unit size.

The paper's ``f`` maps the colour space to itself (``f: C → C``), so every new
colour must be a real colour. In CIELUV a pixel's new colour ``c + δ(c)`` can
fall outside the sRGB gamut; the ``gamut`` argument says what happens then:

* ``"shrink"`` (default): the pixel's displacement is shrunk along the segment
  from ``c`` until the colour is in the gamut
  (:func:`stego_lib.color.luv_shrink_to_gamut`). Every pixel's change then
  stays inside the ε box in CIELUV (6 L*, 12 u*, 12 v* units by default), the
  paper's per-channel bound, and a zero displacement is still the identity.
* ``"chroma"``: L* clamped to [0, 100], then chroma reduced at fixed L* and
  hue (:func:`stego_lib.color.luv_gamut_map`). Valid colours and an exact
  identity too, but not bounded: lifting a bright yellow (L* = 97) by 6 L*
  units leaves only colours near white, so a pixel can change by a whole
  channel.
* ``"clamp"``: convert the colour as it is and clamp the RGB image to [0, 1]
  (this class's behaviour before the modes were added, kept for comparison).
  Near black, 12 u*/v* units are an enormous chromaticity change and the clamp
  can turn an almost black pixel almost white.

In RGB the cube is the gamut and clamping is the projection onto it, so
``"clamp"`` is the only mode there.

Deliberate differences from the reference code (cassidylaidlaw/ReColorAdv):

* The reference's lattice spans the scaled box ``L ∈ [0, 100],
  u, v ∈ [−100, 100]``, which does not contain the sRGB gamut (saturated reds
  reach u ≈ 175, blues v ≈ −134); colours outside it are clamped to the box.
  Every projection also sends the lattice through an sRGB gamut clip (an RGB
  clamp of the lattice's colours), which moves lattice points that lie
  outside the gamut, so even a zero perturbation changes pixels. Here the
  lattice covers the gamut and holds the displacement ``δ`` (not ``f``); the
  gamut is enforced on each pixel's new colour instead of on the lattice,
  so the identity lattice reproduces every sRGB colour to float rounding.
* Lattice interpolation is one ``grid_sample`` call (no Python loop, no gather).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .._checks import check_choice, check_images, check_positive
from ..color import (SRGB_LUV_BOUNDS, luv_gamut_map, luv_shrink_to_gamut, luv_to_rgb,
                     luv_to_scaled, rgb_to_luv, scaled_to_luv)
from .linf import uniform_noise
from .threat import ThreatModel, pair_smoothness

__all__ = ["ReColorAdv"]

# The lattice box in the units of the perturbation: scaled CIELUV or RGB.
_LUV_BOX = tuple(((lo + off) / scale, (hi + off) / scale)
                 for (lo, hi), off, scale in zip(SRGB_LUV_BOUNDS, (0, 100, 100), (100, 200, 200)))
_RGB_BOX = ((0.0, 1.0),) * 3
_DEFAULTS = {"luv": {"eps": 0.06, "resolution": (16, 32, 32), "gamut": "shrink"},  # ref. eps, res.
             "rgb": {"eps": 0.06, "resolution": (32, 32, 32), "gamut": "clamp"}}   # our choice
_GAMUTS = {"luv": ("shrink", "chroma", "clamp"), "rgb": ("clamp",)}


class ReColorAdv(ThreatModel):
    """ReColorAdv threat model: a bounded, smooth colour function per image.

    Paper: Laidlaw & Feizi, *Functional Adversarial Attacks*, NeurIPS 2019.

    Args:
        space: ``"luv"`` (CIELUV, the paper's C) or ``"rgb"`` (C-RGB).
        eps: per-channel bound on ``f(g) − g`` at every lattice point ``g``;
            a float or three floats. Units: scaled CIELUV ``(L/100, u/200,
            v/200)`` for ``"luv"`` (default 0.06, the reference's), RGB in
            [0, 1] for ``"rgb"`` (default 0.06, ≈ 15/255, our choice).
        resolution: lattice points per colour axis, three ints >= 2. Default
            (16, 32, 32) along (L, u, v) for ``"luv"``; (32, 32, 32) for ``"rgb"``.
        gamut: how a new colour outside the sRGB gamut is made valid (see
            the module docstring). ``"shrink"`` (default for ``"luv"``): the
            pixel's displacement is shrunk until the colour is valid, so each
            pixel moves at most ``eps`` per CIELUV channel. ``"chroma"``:
            chroma reduced at fixed L* and hue. ``"clamp"``: RGB clamp of the
            output (the only mode for ``"rgb"``; for ``"luv"`` the earlier
            behaviour, kept for comparison).
        random_start: start from a uniform random ``δ`` in the bound instead
            of the identity (default False, as in the reference).

    Parameters (``init``): a 1-tuple holding ``δ``, shape ``(N, 3, *resolution)``.

    Raises:
        ValueError: unknown ``space`` or ``gamut``; non-positive ``eps``;
            resolution not three ints >= 2. ``apply`` raises on images that are not
            ``(N, 3, H, W)`` floats in [0, 1].

    Example:
        >>> threat = ReColorAdv(space="luv")
        >>> x = torch.rand(2, 3, 8, 8)
        >>> params = threat.init(x)
        >>> bool((threat.apply(x, params) - x).abs().max() < 1e-4)
        True
    """

    name = "C"
    _hparams = ("space", "eps", "resolution", "gamut", "random_start")

    def __init__(self, *, space: str = "luv", eps: float | tuple[float, float, float] | None = None,
                 resolution: tuple[int, int, int] | None = None, gamut: str | None = None,
                 random_start: bool = False):
        check_choice(space, ("luv", "rgb"), name="colour space")
        gamut = _DEFAULTS[space]["gamut"] if gamut is None else gamut
        check_choice(gamut, _GAMUTS[space], name=f"gamut mode for space {space!r}")
        eps = _DEFAULTS[space]["eps"] if eps is None else eps
        eps = (eps,) * 3 if isinstance(eps, (int, float)) and not isinstance(eps, bool) else tuple(eps)
        if len(eps) != 3:
            raise ValueError(f"eps must be a number or three numbers, got {eps!r}")
        for e in eps:
            check_positive(e, name="eps")
        resolution = tuple(_DEFAULTS[space]["resolution"] if resolution is None else resolution)
        if len(resolution) != 3 or not all(isinstance(r, int) and not isinstance(r, bool) and r >= 2
                                           for r in resolution):
            raise ValueError(f"resolution must be three ints >= 2, got {resolution!r}")
        self.space = space
        self.eps = tuple(float(e) for e in eps)
        self.resolution = resolution
        self.gamut = gamut
        self.random_start = bool(random_start)
        self.name = "C" if space == "luv" else "C-RGB"
        self._box = _LUV_BOX if space == "luv" else _RGB_BOX

    def check_input(self, images: torch.Tensor) -> None:
        check_images(images, channels=3)

    def lattice_axes(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The lattice's coordinates along each colour axis (scaled CIELUV or RGB), float64:
        lattice point ``(i, j, k)`` sits at ``(axes[0][i], axes[1][j], axes[2][k])``."""
        # numpy's linspace: the points the released figures were drawn at, to the last bit
        return tuple(torch.from_numpy(np.linspace(lo, hi, n))
                     for (lo, hi), n in zip(self._box, self.resolution))

    def _eps(self, like: torch.Tensor) -> torch.Tensor:
        return torch.tensor(self.eps, dtype=like.dtype, device=like.device).view(1, 3, 1, 1, 1)

    def init(self, images: torch.Tensor, generator: torch.Generator | None = None) -> tuple:
        """``(δ,)`` with ``δ`` of shape ``(N, 3, *resolution)``: zeros, or uniform in ±eps."""
        self.check_input(images)
        shape = (images.shape[0], 3, *self.resolution)
        delta = torch.zeros(shape, dtype=images.dtype, device=images.device)
        if self.random_start:
            delta = uniform_noise(shape, self._eps(delta), like=images, generator=generator)
        return (delta,)

    def to_space(self, images: torch.Tensor) -> torch.Tensor:
        """Images ``(N, 3, H, W)`` in the perturbation's coordinates (scaled LUV or RGB)."""
        return luv_to_scaled(rgb_to_luv(images)) if self.space == "luv" else images

    def from_space(self, coords: torch.Tensor, origin: torch.Tensor | None = None) -> torch.Tensor:
        """Inverse of :meth:`to_space` that returns valid colours: ``(N, 3, H, W)`` in [0, 1].

        ``origin`` (same shape, in the same coordinates) is where each pixel's colour
        started; ``gamut="shrink"`` needs it and pulls out-of-gamut colours back toward it.
        With ``"shrink"`` and ``"chroma"`` colours are moved into the gamut in CIELUV, so the
        final clamp removes only float rounding; with ``"clamp"`` the clamp does all the work.
        """
        if self.space == "rgb":
            return coords.clamp(0, 1)
        luv = scaled_to_luv(coords)
        if self.gamut == "shrink":
            if origin is None:
                raise ValueError("gamut='shrink' needs the pixels' original colours (origin), "
                                 "got None")
            luv = luv_shrink_to_gamut(scaled_to_luv(origin), luv)
        elif self.gamut == "chroma":
            luv = luv_gamut_map(luv)
        return luv_to_rgb(luv).clamp(0, 1)

    def displacement(self, coords: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        """``δ`` interpolated trilinearly at ``coords`` ``(N, 3, H, W)``; returns ``(N, 3, H, W)``."""
        lo = torch.tensor([b[0] for b in self._box], dtype=coords.dtype, device=coords.device)
        hi = torch.tensor([b[1] for b in self._box], dtype=coords.dtype, device=coords.device)
        t = 2 * (coords - lo.view(1, 3, 1, 1)) / (hi - lo).view(1, 3, 1, 1) - 1
        # grid_sample's last grid axis is (x, y, z) = (W, H, D) of δ = (ch2, ch1, ch0)
        grid = t.flip(1).permute(0, 2, 3, 1).unsqueeze(1)  # (N, 1, H, W, 3)
        out = F.grid_sample(delta, grid, mode="bilinear", padding_mode="border", align_corners=True)
        return out.squeeze(2)  # (N, 3, H, W)

    def apply(self, images: torch.Tensor, params: tuple) -> torch.Tensor:
        """``f`` applied to every pixel: ``(N, 3, H, W)`` in [0, 1]."""
        (delta,) = params
        coords = self.to_space(images)
        return self.from_space(coords + self.displacement(coords, delta), origin=coords)

    @torch.no_grad()
    def project(self, params: tuple) -> tuple:
        """Clamp each channel of ``δ`` to ``[−eps_k, eps_k]`` (in place)."""
        (delta,) = params
        eps = self._eps(delta)
        delta.copy_(torch.maximum(torch.minimum(delta, eps), -eps))
        return params

    def regularizer(self, params: tuple) -> torch.Tensor:
        """Smoothness of ``δ = f(g) − g`` over the 6 lattice neighbours, ``(N,)``."""
        (delta,) = params
        return pair_smoothness(delta, dims=(2, 3, 4), channel_dim=1)
