"""L-infinity projected gradient descent (Madry et al., ICLR 2018), as in
MadryLab/mnist_challenge ``pgd_attack.py``.

Start at ``x + U(-eps, eps)``; repeat ``steps`` times: ascend the loss by ``alpha``
times the sign of its gradient, project onto the eps-ball around ``x``, then onto
[0, 1]. The reference does not clip the random start to [0, 1] (the first gradient
is taken at a point that may lie outside the valid range); ``clip_start=False``
reproduces that, ``clip_start=True`` clips it. Every returned image lies in
``[x - eps, x + eps]`` and in [0, 1] either way, because the last operation is
the projection.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_choice, check_images, check_labels, check_positive
from .linf import eval_mode, project_linf, sign_step, uniform_noise

__all__ = ["PGD", "check_eps"]

LOSSES = ("ce", "cw")


def _loss(logits: torch.Tensor, y: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "ce":
        # Summed, like mnist_challenge's model.xent; the sign step ignores the scale anyway.
        return F.cross_entropy(logits, y, reduction="sum")
    # mnist_challenge's 'cw' loss: -relu(correct - best wrong + 50).
    onehot = F.one_hot(y, logits.shape[1]).to(logits.dtype)
    correct = (onehot * logits).sum(1)
    wrong = ((1 - onehot) * logits - onehot * 1e4).max(1).values
    return -F.relu(correct - wrong + 50).sum()


def check_eps(eps, images: torch.Tensor) -> torch.Tensor:
    """A per-image ε: a float tensor ``(N,)`` for ``N`` images, every value in (0, 1], on the
    images' device.

    Example:
        >>> check_eps(torch.tensor([0.1, 0.3]), torch.zeros(2, 1, 4, 4)).tolist()
        [0.10000000149011612, 0.30000001192092896]
        >>> check_eps(torch.tensor([0.1]), torch.zeros(2, 1, 4, 4))
        Traceback (most recent call last):
        ...
        ValueError: eps must have shape (2,) (one per image), got (1,)
    """
    if not isinstance(eps, torch.Tensor):
        raise TypeError(f"a per-image eps must be a torch.Tensor, got {type(eps).__name__}")
    if not eps.is_floating_point():
        raise TypeError(f"eps must be a floating-point tensor, got {eps.dtype}")
    if tuple(eps.shape) != (images.shape[0],):
        raise ValueError(f"eps must have shape ({images.shape[0]},) (one per image), "
                         f"got {tuple(eps.shape)}")
    if eps.device != images.device:
        raise ValueError(f"eps is on {eps.device}, the images on {images.device}")
    if not bool(torch.isfinite(eps).all() and (eps > 0).all() and (eps <= 1).all()):
        raise ValueError(f"every eps must lie in (0, 1], got values from "
                         f"{float(eps.min()):g} to {float(eps.max()):g}")
    return eps.to(images.dtype)


class PGD:
    """L-infinity PGD with a random start.

    Args:
        eps: radius of the L-infinity ball in pixel units of [0, 1] (e.g. 0.3). Must be > 0.
        steps: number of gradient steps k (default 40, mnist_challenge). 0 returns the start.
        alpha: step size a (default 0.01).
        random_start: start at x + U(-eps, eps) (default True) instead of x.
        clip_start: clip the random start to [0, 1] (default False: the reference does not).
        loss: ``"ce"`` (cross-entropy, default) or ``"cw"`` (mnist_challenge's margin loss).

    Call ``attack(model, images, labels, *, generator=None)`` with images ``(N, C, H, W)``
    float in [0, 1] and int64 labels ``(N,)`` on the model's device; returns adversarial
    images of the same shape, detached. The model is put in eval mode for the attack and
    its mode restored afterwards; its parameters' ``requires_grad`` flags are untouched.

    Example::

        >>> import torch
        >>> from stego_lib.models import build
        >>> atk = PGD(eps=0.3, steps=2)
        >>> x, y = torch.rand(4, 1, 28, 28), torch.tensor([0, 1, 2, 3])
        >>> x_adv = atk(build("mnist_cnn"), x, y, generator=torch.Generator().manual_seed(0))
        >>> bool(((x_adv - x).abs() <= 0.3 + 1e-6).all())
        True
    """

    def __init__(self, *, eps: float, steps: int = 40, alpha: float = 0.01,
                 random_start: bool = True, clip_start: bool = False, loss: str = "ce"):
        check_positive(eps, name="eps")
        check_positive(alpha, name="alpha")
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
            raise ValueError(f"steps must be an int >= 0, got {steps!r}")
        check_choice(loss, LOSSES, name="loss")
        self.eps, self.steps, self.alpha = float(eps), steps, float(alpha)
        self.random_start, self.clip_start, self.loss = bool(random_start), bool(clip_start), loss

    def __repr__(self) -> str:
        return (f"PGD(eps={self.eps:g}, steps={self.steps}, alpha={self.alpha:g}, "
                f"random_start={self.random_start}, clip_start={self.clip_start}, "
                f"loss={self.loss!r})")

    def _eps(self, eps, images: torch.Tensor):
        """This attack's ε, or a per-image ε tensor ``(N,)`` shaped to broadcast over
        ``images`` ``(N, C, H, W)``."""
        if eps is None:
            return self.eps
        return check_eps(eps, images).view(-1, *([1] * (images.dim() - 1)))

    def init(self, images: torch.Tensor, *, generator: torch.Generator | None = None,
             eps: torch.Tensor | None = None) -> torch.Tensor:
        """The starting point: ``images + U(-eps, eps)`` (see
        :func:`~stego_lib.attacks.linf.uniform_noise`), optionally clipped to [0, 1].
        ``eps``: a per-image ε ``(N,)`` instead of this attack's."""
        if not self.random_start:
            return images.clone()
        x = images + uniform_noise(images.shape, self._eps(eps, images), like=images,
                                   generator=generator)
        return x.clamp(0, 1) if self.clip_start else x

    def project(self, x: torch.Tensor, images: torch.Tensor,
                eps: torch.Tensor | None = None) -> torch.Tensor:
        """Project onto the eps-ball around ``images``, then onto [0, 1] (the reference order)."""
        return project_linf(x, images, self._eps(eps, images)).clamp(0, 1)

    def run(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
            start: torch.Tensor, *, on_grad: Callable[[torch.Tensor], None] | None = None,
            eps: torch.Tensor | None = None) -> torch.Tensor:
        """PGD from a given ``start`` (same shape as ``images``); inputs are not re-checked.
        ``on_grad``, if given, sees each step's input gradient (a diagnostic hook: it must not
        change the tensor). ``eps``: a per-image ε ``(N,)`` (float, > 0, on the images'
        device) instead of this attack's, so that one batch can hold several ε; an image gets
        the same numbers as in a batch of its own ε."""
        radius = self._eps(eps, images)
        # Not the functional attacks' loop (stego_lib.attacks.loop): that one minimises with
        # Adam over a threat model's parameters; this ascends by the sign of the gradient on
        # the image itself, which is mnist_challenge's attack and its speed.
        with eval_mode(model):
            x = start.detach().clone()
            for _ in range(self.steps):
                x.requires_grad_(True)
                loss = _loss(model(x), labels, self.loss)
                (grad,) = torch.autograd.grad(loss, x)
                if on_grad is not None:
                    on_grad(grad)
                x = sign_step(x.detach(), grad, images, eps=radius, alpha=self.alpha)
            if self.steps == 0:
                x = project_linf(x, images, radius).clamp(0, 1)
        return x.detach()

    def __call__(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        check_images(images)
        check_labels(labels, images.shape[0])
        images = images.detach()
        return self.run(model, images, labels, self.init(images, generator=generator))
