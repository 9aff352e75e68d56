"""The attacks that run inside adversarial training, one call per batch.

- :class:`FunctionalAdversary`: Paper II's defences (after the reference's ``mister_ed``
  trainer): a short run of the evaluation attack :func:`~stego_lib.attacks.attack`.
- :class:`TradesPGD`: TRADES' inner maximisation (Zhang et al., ICML 2019, ``trades.py`` of
  yaodongyu/TRADES), sign steps on ``KL(p(x) || p(x'))`` inside the L∞ ball.
- :class:`RampedPGD`: PGD whose ε grows over the first training steps (Paper I's adversarial
  training recipe).

A training loop tells an attack the step it is at through ``set_step`` where the attack has
one, so that its randomness is drawn from ``(seed, step)`` and a run resumed from its state
file repeats an uninterrupted run exactly.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_positive
from .linf import eval_mode, sign_step
from .loop import FUNCTIONAL_ATTACKS, attack, functional_attack
from .pgd import PGD

__all__ = ["FunctionalAdversary", "RampedPGD", "TradesPGD", "step_generator"]


def step_generator(seed: int, step: int) -> torch.Generator:
    """The CPU generator of training step ``step`` of the run seeded ``seed``."""
    return torch.Generator().manual_seed(int(seed) * 1_000_003 + int(step))


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


class RampedPGD:
    """PGD whose ε grows linearly from 0 to its final value over ``ramp_steps`` training
    steps; the training loop tells it the step through :meth:`set_step`."""

    def __init__(self, ramp_steps: int, **pgd):
        self.final, self.ramp, self.step = dict(pgd), int(ramp_steps), 0

    def set_step(self, step: int) -> None:
        self.step = step

    def __call__(self, model, x, y):
        frac = 1.0 if self.ramp <= 0 else min(1.0, (self.step + 1) / self.ramp)
        cfg = dict(self.final)
        cfg["eps"] = self.final["eps"] * frac
        cfg["alpha"] = self.final["alpha"] * frac
        return PGD(**cfg)(model, x, y)


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
        self.seed, self.gen = int(seed), step_generator(seed, 0)

    def set_step(self, step: int) -> None:
        self.gen = step_generator(self.seed, step)

    def __call__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        with eval_mode(model):
            with torch.no_grad():
                p_clean = F.softmax(model(x), 1)   # fixed target of the ascent
            noise = torch.randn(x.shape, generator=self.gen, dtype=x.dtype)
            x_adv = (x + self.init_std * noise.to(x.device)).detach()
            for _ in range(self.steps):
                x_adv.requires_grad_(True)
                with torch.enable_grad():
                    kl = F.kl_div(F.log_softmax(model(x_adv), 1), p_clean, reduction="sum")
                (grad,) = torch.autograd.grad(kl, x_adv)
                x_adv = sign_step(x_adv.detach(), grad, x, eps=self.eps, alpha=self.step_size)
        return x_adv.detach()

    def __repr__(self) -> str:
        return (f"TradesPGD(eps={self.eps:g}, step_size={self.step_size:g}, steps={self.steps}, "
                f"init_std={self.init_std:g})")
