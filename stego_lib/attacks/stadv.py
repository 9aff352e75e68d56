"""StAdv: spatially transformed adversarial examples (Xiao et al., ICLR 2018),
in the form used by Laidlaw & Feizi, *Functional Adversarial Attacks*
(NeurIPS 2019) and their reference code."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .._checks import check_choice, check_positive
from .linf import uniform_noise
from .threat import ThreatModel, pair_smoothness

__all__ = ["StAdv"]


def identity_grid(n: int, h: int, w: int, *, dtype=torch.float32, device=None) -> torch.Tensor:
    """The sampling grid ``(n, h, w, 2)`` that ``grid_sample(align_corners=False)``
    maps to the identity; the last axis is (x, y) in [−1, 1]."""
    ys = (2 * torch.arange(h, dtype=dtype, device=device) + 1) / h - 1
    xs = (2 * torch.arange(w, dtype=dtype, device=device) + 1) / w - 1
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx, gy], dim=-1).expand(n, h, w, 2)


class StAdv(ThreatModel):
    """A per-pixel flow field, applied by bilinear resampling.

    ``x'(p) = bilinear sample of x at p + flow(p)``, with the flow in
    ``grid_sample``'s normalised coordinates ([−1, 1] spans the image).

    Paper: Xiao et al. (ICLR 2018); attack S of Laidlaw & Feizi (NeurIPS 2019).

    Args:
        eps: L∞ bound on the flow in normalised grid units (default 0.05, the
            reference's; 0.8 pixel on a 32-pixel side). The sampling grid is
            also kept inside [−1, 1], as in the reference.
        padding: what is sampled beyond the image edge: ``"border"`` (default,
            repeats the edge pixel) or ``"zeros"`` (the reference's, which
            darkens edge pixels by up to half when the flow points outwards).
        random_start: start from a uniform flow in ±eps (default False).

    Parameters (``init``): ``(flow,)`` with shape ``(N, H, W, 2)`` (x, y).
    Regularizer: flow smoothness over the 4 pixel neighbours,
    ``Σ_p Σ_{q ∈ N(p)} sqrt(‖flow(p) − flow(q)‖² + 1e-10)``.

    Raises:
        ValueError: ``eps`` not a finite number > 0; unknown ``padding``.

    Example:
        >>> threat = StAdv()
        >>> x = torch.rand(2, 3, 8, 8)
        >>> bool((threat.apply(x, threat.init(x)) - x).abs().max() < 1e-6)
        True
    """

    name = "S"
    _hparams = ("eps", "padding", "random_start")

    def __init__(self, *, eps: float = 0.05, padding: str = "border", random_start: bool = False):
        check_positive(eps, name="eps")
        check_choice(padding, ("border", "zeros"), name="padding")
        self.eps = float(eps)
        self.padding = padding
        self.random_start = bool(random_start)

    def init(self, images: torch.Tensor, generator: torch.Generator | None = None) -> tuple:
        """``(flow,)``: zeros, or uniform in ±eps, shape ``(N, H, W, 2)``."""
        self.check_input(images)
        n, _, h, w = images.shape
        flow = torch.zeros(n, h, w, 2, dtype=images.dtype, device=images.device)
        if self.random_start:
            flow = uniform_noise(flow.shape, self.eps, like=images, generator=generator)
            self.project((flow,))
        return (flow,)

    def apply(self, images: torch.Tensor, params: tuple) -> torch.Tensor:
        (flow,) = params
        n, _, h, w = images.shape
        grid = identity_grid(n, h, w, dtype=images.dtype, device=images.device) + flow
        return F.grid_sample(images, grid, mode="bilinear", padding_mode=self.padding,
                             align_corners=False)

    @torch.no_grad()
    def project(self, params: tuple) -> tuple:
        """Clamp the flow to ±eps and the sampling grid to [−1, 1] (in place)."""
        (flow,) = params
        n, h, w, _ = flow.shape
        ident = identity_grid(n, h, w, dtype=flow.dtype, device=flow.device)
        lo = torch.clamp(-1 - ident, min=-self.eps)
        hi = torch.clamp(1 - ident, max=self.eps)
        flow.copy_(torch.maximum(torch.minimum(flow, hi), lo))
        return params

    def regularizer(self, params: tuple) -> torch.Tensor:
        """Flow smoothness over the 4 neighbours, ``(N,)``."""
        (flow,) = params
        return pair_smoothness(flow, dims=(1, 2), channel_dim=3)
