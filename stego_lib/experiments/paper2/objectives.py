"""The training objectives of Paper II's defences, as hooks for :func:`stego_lib.training.train`.

* Adversarial training against a functional threat model (Laidlaw & Feizi 2019, Sec. 5, after
  the reference's ``mister_ed`` trainer): each step attacks the batch with a short run of the
  evaluation attack (:class:`FunctionalAdversary`) and trains on ``cat(clean, adversarial)``
  with the labels twice (:func:`concat_objective`).
* TRADES (Zhang et al., ICML 2019, ``trades.py`` of yaodongyu/TRADES): the inner maximisation
  is sign-gradient ascent on ``KL(p(x) || p(x'))`` from ``x + 0.001·N(0, 1)`` inside the L∞
  ball (:class:`TradesPGD`); the loss is ``CE(f(x), y) + β · KL(p(x) || p(x')) / batch``
  (:func:`trades_loss`).
* :class:`StepAugment`: crop + flip whose randomness is drawn from ``(seed, step)``, so a run
  resumed from its state file repeats the augmentation of an uninterrupted run exactly.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..._checks import check_positive
from ...attacks import FUNCTIONAL_ATTACKS, attack, functional_attack
from ...training import cifar_augment

__all__ = ["FunctionalAdversary", "StepAugment", "TradesPGD", "concat_objective",
           "trades_loss", "trades_objective"]


def _step_generator(seed: int, step: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed) * 1_000_003 + int(step))


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
        self.seed, self.gen = int(seed), _step_generator(seed, 0)

    def set_step(self, step: int) -> None:
        self.gen = _step_generator(self.seed, step)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return cifar_augment(x, generator=self.gen)


class FunctionalAdversary:
    """The training attack: :func:`stego_lib.attacks.attack` with fewer iterations.

    Same threat model, bounds, CW margin loss and regulariser as the evaluation attack; only
    the number of Adam steps (and, so that few steps still reach the bounds, the step size)
    differ. Deterministic (identity start).

    Args:
        threat: a Table 1 name, e.g. ``"C"`` or ``"C+S+D"``.
        iterations: Adam steps (>= 1).
        lr: Adam learning rate (> 0).
        reg_weight: weight of the smoothness regulariser (default 0.05, the reference's).

    Raises:
        ValueError: unknown threat, or a bad number.
    """

    def __init__(self, threat: str, *, iterations: int, lr: float, reg_weight: float = 0.05):
        if threat not in FUNCTIONAL_ATTACKS:
            raise ValueError(f"threat must be one of {FUNCTIONAL_ATTACKS}, got {threat!r}")
        if not isinstance(iterations, int) or isinstance(iterations, bool) or iterations < 1:
            raise ValueError(f"iterations must be an int >= 1, got {iterations!r}")
        check_positive(lr, name="lr")
        check_positive(reg_weight, name="reg_weight", allow_zero=True)
        self.threat, self.iterations, self.lr, self.reg_weight = threat, iterations, lr, reg_weight
        self._model = functional_attack(threat)

    def __call__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return attack(model, x, y, self._model, steps=self.iterations, lr=self.lr,
                      reg_weight=self.reg_weight)

    def __repr__(self) -> str:
        return (f"FunctionalAdversary({self.threat!r}, iterations={self.iterations}, "
                f"lr={self.lr:g}, reg_weight={self.reg_weight:g})")


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


class TradesPGD:
    """TRADES' inner maximisation: ``steps`` sign-gradient steps of size ``step_size`` on
    ``Σ_n KL(p(x_n) || p(x'_n))``, from ``x + init_std · N(0, 1)``, each followed by projection
    onto the L∞ ball of radius ``eps`` and onto [0, 1].

    The defaults are the authors' CIFAR-10 values (step 0.007, 10 steps, start noise 0.001),
    with eps 8/255 (the authors write 0.031, i.e. 7.9/255). The noise is drawn from
    ``(seed, step)`` (the loop calls :meth:`set_step`).

    Raises:
        ValueError: a non-positive eps or step size, or a bad number of steps.
    """

    def __init__(self, *, eps: float = 8 / 255, step_size: float = 0.007, steps: int = 10,
                 init_std: float = 0.001, seed: int = 0):
        check_positive(eps, name="eps")
        check_positive(step_size, name="step_size")
        check_positive(init_std, name="init_std", allow_zero=True)
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
            raise ValueError(f"steps must be an int >= 1, got {steps!r}")
        self.eps, self.step_size, self.steps, self.init_std = eps, step_size, steps, init_std
        self.seed, self.gen = int(seed), _step_generator(seed, 0)

    def set_step(self, step: int) -> None:
        self.gen = _step_generator(self.seed, step)

    def __call__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                p_clean = F.softmax(model(x), 1)   # fixed target of the ascent
            noise = torch.randn(x.shape, generator=self.gen, dtype=x.dtype)
            x_adv = (x + self.init_std * noise.to(x.device)).detach()
            for _ in range(self.steps):
                x_adv.requires_grad_(True)
                with torch.enable_grad():
                    kl = F.kl_div(F.log_softmax(model(x_adv), 1), p_clean, reduction="sum")
                (grad,) = torch.autograd.grad(kl, x_adv)
                x_adv = x_adv.detach() + self.step_size * grad.sign()
                x_adv = torch.min(torch.max(x_adv, x - self.eps), x + self.eps).clamp(0, 1)
        finally:
            model.train(was_training)
        return x_adv.detach()

    def __repr__(self) -> str:
        return (f"TradesPGD(eps={self.eps:g}, step_size={self.step_size:g}, steps={self.steps}, "
                f"init_std={self.init_std:g})")
