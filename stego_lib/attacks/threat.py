"""The threat-model interface shared by every functional attack.

A threat model is an object with four methods, driven by one loop
(:func:`stego_lib.attacks.loop.attack`), after MadryLab's *robustness*:

* ``init(images, generator)`` -> params: the starting parameters for a batch
  (the identity perturbation unless the threat model says otherwise);
* ``apply(images, params)`` -> adversarial images ``(N, C, H, W)`` in [0, 1];
* ``project(params)`` -> params moved back inside the threat model, in place;
* ``regularizer(params)`` -> ``(N,)`` per-image penalty (zeros if none).

The loop owns the ``step``: one Adam update of every tensor in ``params``.
``params`` is always a tuple of tensors so that composite threat models
(:class:`~stego_lib.attacks.combined.Combined`) are tuples of tuples
flattened by :meth:`ThreatModel.tensors`.

Example::

    >>> import torch
    >>> flat = torch.zeros(2, 3, 4, 4)
    >>> pair_smoothness(flat, dims=(2, 3), channel_dim=1)
    tensor([0.0005, 0.0005])
    >>> ramp = torch.arange(4.0).expand(2, 1, 4, 4)
    >>> pair_smoothness(ramp, dims=(3,), channel_dim=1)
    tensor([24., 24.])
"""
from __future__ import annotations

import torch

__all__ = ["ThreatModel"]


class ThreatModel:
    """Base class: a set of allowed perturbations with a parameterisation.

    Subclasses set :attr:`name` and override :meth:`init`, :meth:`apply`,
    :meth:`project` and (optionally) :meth:`regularizer`. Hyperparameters are
    keyword-only constructor arguments, validated there, and listed in
    :attr:`_hparams` for ``__repr__``.
    """

    name = "threat"
    _hparams: tuple[str, ...] = ()

    def init(self, images: torch.Tensor, generator: torch.Generator | None = None) -> tuple:
        """Parameters of the identity perturbation for ``images`` ``(N, C, H, W)``."""
        raise NotImplementedError

    def apply(self, images: torch.Tensor, params: tuple) -> torch.Tensor:
        """The perturbed images ``(N, C, H, W)`` in [0, 1]; differentiable in ``params``."""
        raise NotImplementedError

    @torch.no_grad()
    def project(self, params: tuple) -> tuple:
        """Move ``params`` into the threat model, in place; returns ``params``."""
        raise NotImplementedError

    def regularizer(self, params: tuple) -> torch.Tensor:
        """Per-image penalty ``(N,)`` added (times the loop's ``reg_weight``) to the loss."""
        first = self.tensors(params)[0]
        return first.new_zeros(first.shape[0])

    def tensors(self, params: tuple) -> list[torch.Tensor]:
        """The leaf tensors that the optimiser updates."""
        return list(params)

    def check_input(self, images: torch.Tensor) -> None:
        """Validate an image batch for this threat model (ValueError / TypeError)."""
        from .._checks import check_images
        check_images(images)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_fmt(getattr(self, k))}" for k in self._hparams)
        return f"{type(self).__name__}({args})"


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


class _PairSmoothness(torch.autograd.Function):
    # Autograd would keep every difference, square and root, and its backward of each narrow()
    # zero-fills a whole lattice-sized tensor (6 per call for ReColorAdv). Here the backward
    # keeps only the unit differences and scatters them into one gradient: the same gradient,
    # 1.8-2.4x faster for a batch of 100 lattices, which makes a whole C or C-RGB attack
    # iteration 1.4x faster on a 2-core CPU (benchmarks/bench_smoothness.py).

    @staticmethod
    def forward(ctx, field, dims, channel_dim):
        total = field.new_zeros(field.shape[0])
        units = []
        for d in dims:
            n = field.shape[d]
            if n < 2:
                continue
            diff = field.narrow(d, 1, n - 1) - field.narrow(d, 0, n - 1)
            norm = (diff.square().sum(channel_dim, keepdim=True) + 1e-10).sqrt_()
            total += 2 * norm.flatten(1).sum(1)
            units.append((d, diff.div_(norm)))   # d‖Δ‖/dΔ
        ctx.units, ctx.shape = units, field.shape
        return total

    @staticmethod
    def backward(ctx, grad_total):
        if not ctx.units:
            return None, None, None
        grad = grad_total.new_zeros(ctx.shape)
        for d, unit in ctx.units:
            g = unit * (2 * grad_total).view(-1, *([1] * (unit.dim() - 1)))
            n = ctx.shape[d]
            grad.narrow(d, 1, n - 1).add_(g)
            grad.narrow(d, 0, n - 1).sub_(g)
        return grad, None, None


def pair_smoothness(field: torch.Tensor, dims: tuple[int, ...], channel_dim: int) -> torch.Tensor:
    """Sum over every lattice point and each of its 2·len(dims) neighbours of
    ``sqrt(‖Δ‖² + 1e-10)``, per image: the reference's smoothness loss.

    Each neighbouring pair appears twice (once from each side), as in the
    reference; at the lattice edge the reference compares a point with itself,
    which adds only a constant, so those terms are left out here. The gradient
    is written out by hand (first order only: no double backward).

    Args:
        field: ``(N, ...)`` tensor; ``channel_dim`` holds the vector components.
        dims: the lattice axes.
        channel_dim: the axis over which ‖·‖ is taken.

    Returns:
        ``(N,)`` tensor.
    """
    return _PairSmoothness.apply(field, tuple(dims), channel_dim)
