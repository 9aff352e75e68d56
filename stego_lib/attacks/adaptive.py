"""An adaptive (strategic) L-infinity attack on a classifier guarded by a detector.

Carlini & Wagner ("Adversarial examples are not easily detected", AISec 2017) and Tramèr,
Carlini, Brendel & Madry ("On adaptive attacks to adversarial example defenses", NeurIPS
2020) ask that a detector be judged against an attacker who knows it. Here the attacker
knows the detector's score function and threshold and wants an image in the ε-ball that
the classifier gets wrong *and* whose score stays at or below the threshold.

Each step of sign-gradient PGD ascends, per image,

    loss = CE(f(q(x)), y) - c * max(0, score(q(x)) - (threshold - margin)),

where ``q`` rounds to 8-bit levels inside the ε-ball. ``q`` is applied with a
straight-through gradient, so the attack optimises the very quantised image that it
returns, and the detector's decision is never taken on an image the attacker did not
deliver. The penalty weight ``c`` is searched over ``c_grid`` from small to large (Carlini &
Wagner's search over the trade-off constant): an image that some iterate of a run pushed
past the classifier, but never without being flagged, is attacked again with the next
``c``; an image the classifier never got wrong is not, since a larger ``c`` only trades
classifier loss for detector score. An image keeps the first iterate that fools the
classifier undetected and leaves the attack then; one for which none does gets the last
iterate of its last run.

``score`` is any differentiable callable ``(N, C, H, W) -> (N,)``; attacks never import
detectors, the experiment passes e.g. ``lambda x: predictor.score(x)``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_images, check_labels, check_positive
from .linf import eval_mode, sign_step, uniform_noise

__all__ = ["AdaptivePGD", "quantize_in_ball"]


def quantize_in_ball(x: torch.Tensor, images: torch.Tensor, eps: float) -> torch.Tensor:
    """Round ``x`` to 8-bit levels, then clip to the levels inside ``[images ± eps] ∩ [0, 1]``.

    ``images`` are assumed to lie on 8-bit levels (clean data). The result is a float image
    with values k / 255 and ``‖result − images‖∞ ≤ eps`` (to float rounding).
    """
    k = (x * 255.0).round()
    base = (images * 255.0).round()
    r = eps * 255.0
    lo = torch.clamp(torch.ceil(base - r - 1e-4), min=0.0)      # tolerance: eps*255 may be k+1e-13
    hi = torch.clamp(torch.floor(base + r + 1e-4), max=255.0)
    return torch.min(torch.max(k, lo), hi) / 255.0


def _ste(x: torch.Tensor, images: torch.Tensor, eps: float) -> torch.Tensor:
    # forward: the quantised image; backward: identity (straight-through)
    return x + (quantize_in_ball(x, images, eps) - x).detach()


class AdaptivePGD:
    """PGD against ``classifier + detector``: fool the classifier, keep the score low.

    Args:
        eps: L∞ radius in [0, 1] pixel units (> 0).
        score: differentiable detector score, images -> ``(N,)``.
        threshold: the detector flags scores strictly above it.
        steps: PGD iterations per value of ``c`` (default 100).
        alpha: step size (default 0.01).
        c_grid: penalty weights tried in turn on the images not yet won (default
            ``(1e2, 1e3, 1e4, 1e5)``; on the pixel predictor's 0-255 scale a score
            excess of 1e-3 then costs 0.1 to 100 nats of cross-entropy).
        margin: aim at ``threshold - margin`` (default 0: the quantised score is exact).
        random_start: start at a uniform point of the ball (default True).

    Call ``atk(model, images, labels, *, generator=None)``; returns the adversarial images
    ``(N, C, H, W)`` on 8-bit levels, in the ε-ball and in [0, 1], detached. After a call,
    ``atk.found`` is a bool ``(N,)``: misclassified and not flagged during the attack (the
    experiment re-checks both on the returned images).

    Example::

        >>> import torch
        >>> from stego_lib.models import build
        >>> from stego_lib.detectors import score
        >>> atk = AdaptivePGD(eps=0.1, score=score, threshold=0.02, steps=2, c_grid=(1e3,))
        >>> x, y = torch.rand(2, 1, 28, 28), torch.tensor([0, 1])
        >>> adv = atk(build("mnist_cnn"), (x * 255).round() / 255, y,
        ...           generator=torch.Generator().manual_seed(0))
        >>> bool(((adv - (x * 255).round() / 255).abs() <= 0.1 + 1e-6).all())
        True
    """

    def __init__(self, *, eps: float, score: Callable[[torch.Tensor], torch.Tensor],
                 threshold: float, steps: int = 100, alpha: float = 0.01,
                 c_grid: Sequence[float] = (1e2, 1e3, 1e4, 1e5), margin: float = 0.0,
                 random_start: bool = True):
        check_positive(eps, name="eps")
        check_positive(alpha, name="alpha")
        check_positive(margin, name="margin", allow_zero=True)
        if not callable(score):
            raise TypeError(f"score must be callable, got {type(score).__name__}")
        if not isinstance(threshold, (int, float)) or isinstance(threshold, bool):
            raise TypeError(f"threshold must be a number, got {type(threshold).__name__}")
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
            raise ValueError(f"steps must be an int >= 1, got {steps!r}")
        c_grid = tuple(float(c) for c in c_grid)
        if not c_grid:
            raise ValueError("c_grid must hold at least one penalty weight, got none")
        for c in c_grid:
            check_positive(c, name="c")
        self.eps, self.score, self.threshold = float(eps), score, float(threshold)
        self.steps, self.alpha, self.c_grid = steps, float(alpha), c_grid
        self.margin = float(margin)
        self.random_start = bool(random_start)
        self.found = None

    def __repr__(self) -> str:
        return (f"AdaptivePGD(eps={self.eps:g}, threshold={self.threshold:.6g}, "
                f"steps={self.steps}, alpha={self.alpha:g}, c_grid={self.c_grid}, "
                f"margin={self.margin:g}, random_start={self.random_start})")

    def _start(self, images, generator):
        if not self.random_start:
            return images.clone()
        noise = uniform_noise(images.shape, self.eps, like=images, generator=generator)
        return (images + noise).clamp(0, 1)

    def _run(self, model, images, labels, start, c):
        """One PGD run at penalty ``c``. Returns (images, won, fooled): per image the first
        iterate that fooled the classifier undetected (else the last iterate), whether there
        was one, and whether any iterate fooled the classifier at all."""
        # PGD's step, but not PGD.run's loop: images leave the loop once won, and each
        # iterate is judged on its quantised image before the step.
        target = self.threshold - self.margin
        x = start.detach().clone()
        out = quantize_in_ball(x, images, self.eps)
        won = torch.zeros(len(x), dtype=torch.bool, device=x.device)
        fooled = torch.zeros_like(won)
        act = torch.arange(len(x), device=x.device)        # images still being attacked
        for step in range(self.steps + 1):
            xa = x[act].requires_grad_(True)
            xq = _ste(xa, images[act], self.eps)
            logits = model(xq)
            s = self.score(xq)
            with torch.no_grad():   # the iterate as the defender would see it
                wrong = logits.argmax(1) != labels[act]
                fooled[act] |= wrong
                hit = wrong & (s <= self.threshold)
                out[act] = xq.detach()
                won[act[hit]] = True
            if step == self.steps:
                break
            keep = ~hit                                     # winners keep their winning iterate
            loss = F.cross_entropy(logits, labels[act], reduction="none") - c * F.relu(s - target)
            (grad,) = torch.autograd.grad(loss[keep].sum(), xa)
            with torch.no_grad():
                act, xa, grad = act[keep], xa.detach()[keep], grad[keep]
                if len(act) == 0:
                    break
                x[act] = sign_step(xa, grad, images[act], eps=self.eps, alpha=self.alpha)
        return out, won, fooled

    def __call__(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        check_images(images)
        check_labels(labels, images.shape[0])
        images = images.detach()
        with eval_mode(model):
            start = self._start(images, generator)
            out = quantize_in_ball(start, images, self.eps)
            found = torch.zeros(len(images), dtype=torch.bool, device=images.device)
            todo = torch.arange(len(images), device=images.device)
            with torch.enable_grad():
                for c in self.c_grid:
                    if len(todo) == 0:
                        break
                    adv, won, fooled = self._run(model, images[todo], labels[todo],
                                                 start[todo], c)
                    out[todo] = adv
                    found[todo] = won
                    # a larger c helps only where the detector, not the classifier, was
                    # the obstacle: images fooled at some iterate but always flagged then
                    todo = todo[fooled & ~won]
        self.found = found
        return out.detach()
