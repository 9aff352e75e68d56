"""The training objectives of Paper II's defences, as hooks for :func:`stego_lib.training.train`.

* Adversarial training against a functional threat model (Laidlaw & Feizi 2019, Sec. 5, after
  the reference's ``mister_ed`` trainer): each step attacks the batch with a short run of the
  evaluation attack (:class:`stego_lib.attacks.training.FunctionalAdversary`) and trains on ``cat(clean, adversarial)``
  with the labels twice (:func:`concat_objective`).
* TRADES (Zhang et al., ICML 2019, ``trades.py`` of yaodongyu/TRADES): the inner maximisation
  is sign-gradient ascent on ``KL(p(x) || p(x'))`` from ``x + 0.001·N(0, 1)`` inside the L∞
  ball (:class:`stego_lib.attacks.training.TradesPGD`); the loss is ``CE(f(x), y) + β · KL(p(x) || p(x')) / batch``
  (:func:`trades_loss`).
* :class:`StepAugment`: crop + flip whose randomness is drawn from ``(seed, step)``, so a run
  resumed from its state file repeats the augmentation of an uninterrupted run exactly.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..._checks import check_positive
from ...attacks.training import step_generator
from ...training import cifar_augment

__all__ = ["StepAugment", "concat_objective", "trades_loss", "trades_objective"]


class StepAugment:
    """Random crop (4-pixel zero padding) and horizontal flip, seeded per training step.

    The training loop calls ``set_step(step)`` before each batch.

    Example:
        >>> aug = StepAugment(seed=0)
        >>> aug.set_step(7)
        >>> aug(torch.rand(2, 3, 32, 32)).shape
        torch.Size([2, 3, 32, 32])
    """

    def __init__(self, *, seed: int = 0):
        self.seed, self.gen = int(seed), step_generator(seed, 0)

    def set_step(self, step: int) -> None:
        self.gen = step_generator(self.seed, step)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return cifar_augment(x, generator=self.gen)


def concat_objective(model: nn.Module, x: torch.Tensor, y: torch.Tensor, x_adv: torch.Tensor):
    """Cross-entropy on ``cat(x, x_adv)`` with labels ``cat(y, y)``: one forward pass, so batch
    norm sees clean and adversarial images together, as in the reference trainer."""
    both, targets = torch.cat([x, x_adv]), torch.cat([y, y])   # (2N, C, H, W), (2N,)
    logits = model(both)
    return F.cross_entropy(logits, targets), logits, targets


def trades_loss(logits_clean: torch.Tensor, logits_adv: torch.Tensor, labels: torch.Tensor, *,
                beta: float) -> torch.Tensor:
    """TRADES: ``CE(z, y) + β · Σ_n KL(softmax(z_n) || softmax(z'_n)) / N`` (Zhang et al. 2019).

    Args:
        logits_clean: ``(N, K)`` logits of the clean images (gradients flow through both terms,
            as in the authors' code).
        logits_adv: ``(N, K)`` logits of the adversarial images.
        labels: ``(N,)`` int64.
        beta: weight of the robustness term (>= 0; the authors' CIFAR-10 value is 6).

    Example:
        >>> z = torch.tensor([[0.0, 0.0]])
        >>> float(trades_loss(z, z, torch.tensor([0]), beta=6.0))  # CE = log 2, KL = 0
        0.6931471824645996
    """
    check_positive(beta, name="beta", allow_zero=True)
    n = logits_clean.shape[0]
    kl = F.kl_div(F.log_softmax(logits_adv, 1), F.softmax(logits_clean, 1), reduction="sum")
    return F.cross_entropy(logits_clean, labels) + beta * kl / n


def trades_objective(beta: float):
    """The training-loop objective of TRADES: clean and adversarial batches through the model
    in train mode (two passes, as the authors' code), loss :func:`trades_loss`."""
    check_positive(beta, name="beta", allow_zero=True)

    def objective(model, x, y, x_adv):
        logits = model(x)
        return trades_loss(logits, model(x_adv), y, beta=beta), logits, y
    return objective
