"""The additive L∞ threat model ("delta"), as combined with ReColorAdv in
Laidlaw & Feizi, *Functional Adversarial Attacks* (NeurIPS 2019), Sec. 5."""
from __future__ import annotations

import torch

from .._checks import check_positive
from .linf import project_linf, uniform_noise
from .threat import ThreatModel

__all__ = ["Delta"]


class Delta(ThreatModel):
    """Additive perturbation with ``‖δ‖∞ <= eps``: ``x' = clamp(x + δ, 0, 1)``.

    Paper: Laidlaw & Feizi (NeurIPS 2019), the attack D of Table 1.

    Args:
        eps: L∞ bound in [0, 1] pixel units (default 8/255, the paper's).
        random_start: start from a uniform ``δ`` in ±eps (default False, as in
            the reference).

    Parameters (``init``): ``(δ,)`` of the images' shape ``(N, C, H, W)``.
    No regularizer (the reference gives delta's norm weight 0).

    The reference moves ``δ`` itself so that ``x + δ`` stays in [0, 1]; here
    the image is clamped instead, which gives the same images.

    Raises:
        ValueError: ``eps`` not a finite number > 0.

    Example:
        >>> threat = Delta(eps=8 / 255)
        >>> x = torch.rand(2, 3, 8, 8)
        >>> bool(torch.equal(threat.apply(x, threat.init(x)), x))
        True
    """

    name = "D"
    _hparams = ("eps", "random_start")

    def __init__(self, *, eps: float = 8 / 255, random_start: bool = False):
        check_positive(eps, name="eps")
        self.eps = float(eps)
        self.random_start = bool(random_start)

    def init(self, images: torch.Tensor, generator: torch.Generator | None = None) -> tuple:
        """``(δ,)``: zeros, or uniform in ±eps, shape ``(N, C, H, W)``."""
        self.check_input(images)
        if not self.random_start:
            return (torch.zeros_like(images),)
        return (uniform_noise(images.shape, self.eps, like=images, generator=generator),)

    def apply(self, images: torch.Tensor, params: tuple) -> torch.Tensor:
        (delta,) = params
        return (images + delta).clamp(0, 1)

    @torch.no_grad()
    def project(self, params: tuple) -> tuple:
        """Clamp ``δ`` to ``[−eps, eps]`` (in place): PGD's projection around 0."""
        params[0].copy_(project_linf(params[0], 0.0, self.eps))
        return params
