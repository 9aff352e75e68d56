"""The pieces every attack shares: the uniform random start, the L∞ projection, the signed
gradient step, and running a model in eval mode.

PGD, the adaptive attack and the additive threat model (``Delta``) all move inside an L∞ ball,
and every attack with a random start draws it the same way, so each of these is written once.

Example::

    >>> import torch
    >>> x = torch.full((1, 1, 2, 2), 0.5)
    >>> project_linf(x + 0.3, x, 0.1).flatten().tolist()
    [0.6000000238418579, 0.6000000238418579, 0.6000000238418579, 0.6000000238418579]
"""
from __future__ import annotations

import contextlib

import torch
from torch import nn

__all__ = ["eval_mode", "project_linf", "sign_step", "uniform_noise"]


def uniform_noise(shape, eps, *, like: torch.Tensor,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """``U(−eps, eps)`` of ``shape`` in ``like``'s dtype and on its device.

    Drawn on ``generator``'s device (the CPU by default) and then moved, so a CPU generator
    gives the same start on any device. ``eps`` is a number or a tensor that broadcasts.

    Example::

        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> u = uniform_noise((3,), 0.5, like=torch.zeros(1), generator=g)
        >>> bool((u.abs() <= 0.5).all())
        True
    """
    dev = generator.device if generator is not None else torch.device("cpu")
    u = torch.rand(shape, generator=generator, device=dev, dtype=like.dtype)
    return (2 * u.to(like.device) - 1) * eps


def project_linf(x: torch.Tensor, center, eps: float) -> torch.Tensor:
    """``x`` clipped elementwise into ``[center − eps, center + eps]`` (``center``: a tensor
    that broadcasts with ``x``, or a number)."""
    return x.clamp(center - eps, center + eps)


def sign_step(x: torch.Tensor, grad: torch.Tensor, images: torch.Tensor, *, eps: float,
              alpha: float) -> torch.Tensor:
    """One step of L∞ PGD (mnist_challenge's order): ``x + alpha · sign(grad)``, projected onto
    the eps-ball around ``images``, then onto [0, 1]."""
    return project_linf(x + alpha * grad.sign(), images, eps).clamp(0, 1)


@contextlib.contextmanager
def eval_mode(model: nn.Module):
    """Run ``model`` in eval mode inside the block and restore its train/eval mode after."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)
