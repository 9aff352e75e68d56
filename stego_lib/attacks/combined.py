"""Compositions of threat models, e.g. ReColorAdv + StAdv + delta
(Laidlaw & Feizi, *Functional Adversarial Attacks*, NeurIPS 2019, Sec. 3.2, 5)."""
from __future__ import annotations

from collections.abc import Sequence

import torch

from .threat import ThreatModel

__all__ = ["Combined"]


class Combined(ThreatModel):
    """Apply several threat models in sequence, optimised jointly.

    ``apply`` feeds the output of each component to the next; the paper's
    order is C → S → D (colour function, then flow, then additive). The
    parameters are the tuple of the components' parameter tuples, so the
    loop's single optimiser updates them all at once; ``project`` projects each
    component, and the regularizer is the sum of the components' (ReColorAdv's
    smoothness and StAdv's flow loss each with weight 1, delta none, as in the
    reference, all inside the loop's ``reg_weight``).

    Args:
        threats: the component threat models, in the order applied (at least one).

    Raises:
        TypeError: a component is not a :class:`ThreatModel`.
        ValueError: no components.

    Example:
        >>> from stego_lib.attacks import Delta, ReColorAdv, StAdv
        >>> threat = Combined([ReColorAdv(), StAdv(), Delta()])
        >>> threat.name
        'C+S+D'
    """

    def __init__(self, threats: Sequence[ThreatModel]):
        threats = tuple(threats)
        if not threats:
            raise ValueError("Combined needs at least one threat model, got none")
        for t in threats:
            if not isinstance(t, ThreatModel):
                raise TypeError(f"every component must be a ThreatModel, got {type(t).__name__}")
        self.threats = threats
        self.name = "+".join(t.name for t in threats)

    def check_input(self, images: torch.Tensor) -> None:
        for t in self.threats:
            t.check_input(images)

    def init(self, images: torch.Tensor, generator: torch.Generator | None = None) -> tuple:
        return tuple(t.init(images, generator) for t in self.threats)

    def apply(self, images: torch.Tensor, params: tuple) -> torch.Tensor:
        x = images
        for t, p in zip(self.threats, params):
            x = t.apply(x, p)
        return x

    def stages(self, images: torch.Tensor, params: tuple) -> list[torch.Tensor]:
        """The image after each component, for inspection (last = ``apply``)."""
        out, x = [], images
        for t, p in zip(self.threats, params):
            x = t.apply(x, p)
            out.append(x)
        return out

    @torch.no_grad()
    def project(self, params: tuple) -> tuple:
        for t, p in zip(self.threats, params):
            t.project(p)
        return params

    def regularizer(self, params: tuple) -> torch.Tensor:
        total = None
        for t, p in zip(self.threats, params):
            r = t.regularizer(p)
            total = r if total is None else total + r
        return total

    def tensors(self, params: tuple) -> list[torch.Tensor]:
        return [x for t, p in zip(self.threats, params) for x in t.tensors(p)]

    def __repr__(self) -> str:
        return f"Combined([{', '.join(map(repr, self.threats))}])"
