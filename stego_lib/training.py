"""Generic supervised and adversarial training loops, dataset-agnostic.

One loop serves natural training (clean batches) and Madry-style adversarial
training (an ``adversary`` replaces every batch by its adversarial version and
the model is trained on that batch only, as MadryLab/mnist_challenge's
``train.py`` does). Images may be given as uint8 ``(N, C, H, W)`` pixels; they are
converted to float in [0, 1] one batch at a time, so a whole data set never sits
in memory as float32.

Example::

    >>> from stego_lib import models, training
    >>> import torch
    >>> x = torch.randint(0, 256, (64, 1, 28, 28), dtype=torch.uint8)
    >>> y = torch.randint(0, 10, (64,))
    >>> hist = training.train(models.build("mnist_cnn"), x, y, epochs=1, batch_size=32,
    ...                       lr=1e-3, seed=0, progress=False)
    >>> hist["steps"], hist["finished"], len(hist["loss"])  # one logged mean: log_every=100
    (2, True, 1)
"""
from __future__ import annotations

import contextlib
import io
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_choice, check_int, check_positive
from ._io import atomic_write_bytes

__all__ = ["TrainConfig", "TrainState", "cifar_augment", "evaluate", "make_optimizer",
           "make_scheduler", "predict", "to_float", "train"]

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = (None, "cosine", "multistep", "onecycle")


def to_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 pixels -> float32 in [0, 1]; float input is returned as float32 unchanged."""
    if x.dtype == torch.uint8:
        return x.float().div_(255.0)
    if not x.is_floating_point():
        raise TypeError(f"images must be uint8 pixels or floats in [0, 1], got dtype {x.dtype}")
    return x.float()


def _check_data(images, labels) -> None:
    if not isinstance(images, torch.Tensor) or not isinstance(labels, torch.Tensor):
        raise TypeError(f"images and labels must be torch.Tensors, got "
                        f"{type(images).__name__} and {type(labels).__name__}")
    if images.ndim != 4:
        raise ValueError(f"images must have shape (N, C, H, W), got shape {tuple(images.shape)}")
    if labels.dtype != torch.int64 or labels.shape != (images.shape[0],):
        raise ValueError(f"labels must be int64 of shape ({images.shape[0]},), "
                         f"got {labels.dtype} of shape {tuple(labels.shape)}")
    if images.shape[0] == 0:
        raise ValueError("images must hold at least one image, got 0")
    if images.is_floating_point():
        lo, hi = float(images.min()), float(images.max())
        if not (0.0 <= lo and hi <= 1.0):  # also false for NaN
            raise ValueError(f"float images must lie in [0, 1], got values in [{lo:.4g}, {hi:.4g}]")


def cifar_augment(x: torch.Tensor, *, padding: int = 4, generator: torch.Generator | None = None
                  ) -> torch.Tensor:
    """Random crop with zero padding (4 px) and random horizontal flip, per image.

    The standard CIFAR-10 augmentation (He et al. 2016). Works on any ``(N, C, H, W)``
    float batch on any device; ``generator`` must live on the CPU.
    """
    n, _, h, w = x.shape
    padded = F.pad(x, (padding,) * 4)
    dx = torch.randint(0, 2 * padding + 1, (n,), generator=generator).to(x.device)
    dy = torch.randint(0, 2 * padding + 1, (n,), generator=generator).to(x.device)
    flip = (torch.rand(n, generator=generator) < 0.5).to(x.device)
    rows = (dy[:, None] + torch.arange(h, device=x.device)[None, :])          # (N, H)
    cols = (dx[:, None] + torch.arange(w, device=x.device)[None, :])          # (N, W)
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    idx_n = torch.arange(n, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[idx_n, rows[:, :, None], cols[:, None, :]]  # (N, H, W, C)
    return out.permute(0, 3, 1, 2).contiguous()


def make_optimizer(model: nn.Module, *, optimizer: str, lr: float, weight_decay: float = 0.0,
                   momentum: float = 0.9) -> torch.optim.Optimizer:
    check_choice(optimizer, OPTIMIZERS, name="optimizer")
    check_positive(lr, name="lr")
    check_positive(weight_decay, name="weight_decay", allow_zero=True)
    if optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    check_positive(momentum, name="momentum", allow_zero=True)
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum,
                           weight_decay=weight_decay, nesterov=False)


def make_scheduler(opt: torch.optim.Optimizer, *, schedule: str | None, total_steps: int,
                   steps_per_epoch: int, milestones=(), gamma: float = 0.1):
    """A per-step scheduler: cosine over ``total_steps``, multistep at epoch ``milestones``, or
    one-cycle (Smith & Topin 2019: cosine warm-up over the first 15 % of the steps from lr/25 to
    lr, then cosine annealing to lr/2,500; with SGD the momentum cycles 0.95 -> 0.85 -> 0.95)."""
    check_choice(schedule, SCHEDULES, name="schedule")
    if schedule is None:
        return None
    if schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(total_steps, 1))
    if schedule == "onecycle":
        lr = opt.param_groups[0]["lr"]
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(total_steps, 2),
                                                   pct_start=0.15, div_factor=25.0,
                                                   final_div_factor=100.0)
    ms = [int(m) * steps_per_epoch for m in milestones]
    if not ms:
        raise ValueError("schedule='multistep' needs milestones (epochs), got none")
    return torch.optim.lr_scheduler.MultiStepLR(opt, milestones=ms, gamma=gamma)


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a training run, with its default; validated on construction.

    The schedule spans ``epochs`` (or ``max_steps``, when smaller); ``stop_at`` and
    ``max_seconds`` only pause the run, which a later call resumes from its state file.
    """

    epochs: int                        # passes over the data, each a fresh seeded permutation
    batch_size: int                    # images per step; the last partial batch is kept
    lr: float                          # learning rate
    optimizer: str = "adam"            # "adam" or "sgd" (with momentum)
    weight_decay: float = 0.0          # L2 coefficient
    momentum: float = 0.9              # SGD only
    schedule: str | None = None        # None, "cosine", "multistep" or "onecycle" (per step)
    milestones: tuple = ()             # epochs at which "multistep" multiplies the lr by 0.1
    seed: int = 0                      # data order and the adversary's random numbers
    max_steps: int | None = None       # caps the run; None: all epochs
    stop_at: int | None = None         # pause once this many steps are done in total
    max_seconds: float | None = None   # pause after this much wall-clock time
    log_every: int = 100               # steps per logged mean loss and accuracy
    progress: bool = True              # show a tqdm bar

    def __post_init__(self):
        for name in ("epochs", "batch_size", "log_every"):
            check_int(getattr(self, name), name=name)
        check_int(self.max_steps, name="max_steps", allow_none=True)
        check_int(self.stop_at, name="stop_at", allow_none=True)
        check_int(self.seed, name="seed", minimum=0)
        check_positive(self.lr, name="lr")
        check_positive(self.weight_decay, name="weight_decay", allow_zero=True)
        check_positive(self.momentum, name="momentum", allow_zero=True)
        check_choice(self.optimizer, OPTIMIZERS, name="optimizer")
        check_choice(self.schedule, SCHEDULES, name="schedule")
        if self.schedule == "multistep" and not self.milestones:
            raise ValueError("schedule='multistep' needs milestones (epochs), got none")
        if self.max_seconds is not None:
            check_positive(self.max_seconds, name="max_seconds")

    def steps_per_epoch(self, n: int) -> int:
        return math.ceil(n / self.batch_size)

    def total_steps(self, n: int) -> int:
        """Optimiser steps of the whole run on ``n`` images."""
        total = self.epochs * self.steps_per_epoch(n)
        return total if self.max_steps is None else min(total, self.max_steps)


class TrainState:
    """Where a run stands, and the file it resumes from.

    ``step``, ``epoch`` and ``history`` (the logged means) count the run so far; ``order`` is
    the generator of the data order. The file (``torch.save`` of a plain dict, read with
    ``weights_only=True``) also holds the model, optimiser and scheduler, and the data-order
    generator as it was when the current epoch began, so that a resumed run redraws the same
    permutation and skips the batches already done.
    """

    def __init__(self, path=None, *, seed: int = 0):
        self.path = None if path is None else Path(path)
        self.step, self.epoch = 0, 0
        self.history = {"loss": [], "acc": [], "step": []}
        self.order = torch.Generator().manual_seed(seed)
        self.epoch_start = self.order.get_state()

    def load(self, model: nn.Module, opt, sched) -> bool:
        """Restore everything from the file, when there is one; returns whether there was."""
        if self.path is None or not self.path.exists():
            return False
        state = torch.load(self.path, map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        if sched is not None and state["sched"] is not None:
            sched.load_state_dict(state["sched"])
        self.order.set_state(state["generator"])
        self.epoch_start = self.order.get_state()
        self.step, self.epoch = int(state["step"]), int(state["epoch"])
        self.history = state["history"]
        return True

    def save(self, model: nn.Module, opt, sched, *, at_epoch_start: bool = False) -> None:
        """Write the file (atomically). ``at_epoch_start``: the run stands at the start of an
        epoch whose permutation is not needed again, so the generator's current state is
        stored rather than the state the epoch began with."""
        order = self.order.get_state() if at_epoch_start else self.epoch_start
        buf = io.BytesIO()
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                    "sched": sched.state_dict() if sched is not None else None,
                    "step": self.step, "epoch": self.epoch, "history": self.history,
                    "generator": order}, buf)
        atomic_write_bytes(self.path, buf.getvalue())

    def batches(self, n: int, cfg: TrainConfig, total: int, pause: Callable[[int], bool]):
        """Index tensors of the remaining batches, epoch by epoch, from where the run stands;
        stops at ``total`` steps or as soon as ``pause(step)`` says so. The caller counts
        ``step``; ``epoch`` and ``epoch_start`` are kept here."""
        per_epoch = cfg.steps_per_epoch(n)
        while self.step < total:
            self.epoch_start = self.order.get_state()
            perm = torch.randperm(n, generator=self.order)
            for b in range(self.step - self.epoch * per_epoch, per_epoch):
                if self.step >= total or pause(self.step):
                    return
                yield perm[b * cfg.batch_size:(b + 1) * cfg.batch_size]
            self.epoch += 1


@contextlib.contextmanager
def _drawing_from(gen: torch.Generator):
    # Adversaries that take no generator (PGD called without one) draw from torch's global
    # CPU generator: inside this block it continues `gen`'s stream, and afterwards `gen`
    # continues from there and the caller's global state is back.
    saved = torch.get_rng_state()
    torch.set_rng_state(gen.get_state())
    try:
        yield
    finally:
        gen.set_state(torch.get_rng_state())
        torch.set_rng_state(saved)


def _batch_loss(model, x, y, step, hooks, noise):
    adversary, augment, objective = hooks
    if augment is not None:
        if hasattr(augment, "set_step"):
            augment.set_step(step)
        x = augment(x)
    x_adv = None
    if adversary is not None:
        if hasattr(adversary, "set_step"):   # e.g. an ε schedule
            adversary.set_step(step)
        model.eval()
        with _drawing_from(noise):
            x_adv = adversary(model, x, y).detach()
    model.train()
    if objective is not None:
        return objective(model, x, y, x_adv)
    logits = model(x if x_adv is None else x_adv)
    return F.cross_entropy(logits, y), logits, y


def _check_hooks(adversary, augment, objective) -> None:
    if adversary is not None and not callable(adversary):
        raise ValueError(f"adversary must be callable (model, x, y) -> x_adv, got {adversary!r}")
    if augment is not None and not callable(augment):
        raise ValueError(f"augment must be callable x -> x, got {augment!r}")
    if objective is not None and not callable(objective):
        raise ValueError(f"objective must be callable (model, x, y, x_adv) -> (loss, logits, "
                         f"targets), got {objective!r}")


def _model_device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def train(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
          config: TrainConfig | None = None, *, adversary: Callable | None = None,
          augment: Callable | None = None, objective: Callable | None = None,
          device: str | torch.device | None = None, state_path=None, **settings) -> dict:
    """Train ``model`` with mini-batch SGD/Adam; optionally adversarially.

    Args:
        model: the network; moved to ``device``, in train mode during the loop and restored
            to its previous mode afterwards.
        images: ``(N, C, H, W)`` uint8 pixels or float in [0, 1]; kept where they are
            (CPU) and moved to ``device`` one batch at a time.
        labels: ``(N,)`` int64.
        config: a :class:`TrainConfig`; or leave it out and pass its fields as keywords.
        adversary: ``(model, x, y) -> x_adv``; each step then trains on ``x_adv`` only (Madry
            et al. 2018). Called in eval mode (for BN nets it keeps running stats clean).
            What it draws from torch's global generator comes from a generator seeded with
            ``seed`` (``seed + step`` in a resumed run); the caller's global state is untouched.
        augment: ``x -> x`` applied to each float batch on the device before the adversary.
            An augment or adversary with a ``set_step(step)`` method is told the step first
            (so a resumed run redraws exactly what an uninterrupted one would have).
        objective: ``(model, x, y, x_adv) -> (loss, logits, targets)``, called in train mode
            with the clean (augmented) batch and the adversary's ``x_adv`` (None without one);
            replaces cross-entropy on ``x_adv`` (or on ``x``), e.g. training on
            ``cat(x, x_adv)`` (Laidlaw & Feizi) or TRADES. The logged accuracy counts
            ``logits`` against ``targets``.
        device: where to train; default: the model's device.
        state_path: a file for a resumable :class:`TrainState`; loaded when it exists, written
            when the run pauses or finishes.

    Returns:
        ``{"loss": [...], "acc": [...], "step": [...], "steps": int, "epochs_done": int,
        "finished": bool, "seconds": float}``: the per-log-interval mean training loss and
        accuracy (on the batches trained on: adversarial ones when an adversary is set).

    Raises:
        ValueError / TypeError: bad settings or data.
    """
    config = _config(config, settings)
    _check_data(images, labels)
    _check_hooks(adversary, augment, objective)
    device = _model_device(model) if device is None else torch.device(device)
    model.to(device)
    n, total = images.shape[0], config.total_steps(images.shape[0])
    opt, sched = _optimiser(model, config, n)
    state = TrainState(state_path, seed=config.seed)
    state.load(model, opt, sched)
    noise = torch.Generator().manual_seed(config.seed + state.step)  # fresh after a resume
    start = time.perf_counter()
    log = _RunningMean(state.history, config, total, state.step)
    with _restored_mode(model), log:
        for idx in state.batches(n, config, total, _pause(config, start)):
            x = to_float(images[idx].to(device, non_blocking=True))
            y = labels[idx].to(device, non_blocking=True)
            loss, logits, targets = _batch_loss(model, x, y, state.step,
                                                (adversary, augment, objective), noise)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            state.step += 1
            log.add(state.step, loss, logits, targets)
    if state.path is not None:
        at_start = state.step >= total or state.step == state.epoch * config.steps_per_epoch(n)
        state.save(model, opt, sched, at_epoch_start=at_start)
    return {**state.history, "steps": state.step, "epochs_done": state.epoch,
            "finished": state.step >= total, "seconds": round(time.perf_counter() - start, 2)}


def _config(config: TrainConfig | None, settings: dict) -> TrainConfig:
    if config is None:
        return TrainConfig(**settings)
    if settings:
        raise TypeError(f"pass either config or its fields as keywords, got both "
                        f"(config and {sorted(settings)})")
    return config


def _optimiser(model: nn.Module, config: TrainConfig, n: int):
    opt = make_optimizer(model, optimizer=config.optimizer, lr=config.lr,
                         weight_decay=config.weight_decay, momentum=config.momentum)
    sched = make_scheduler(opt, schedule=config.schedule, total_steps=config.total_steps(n),
                           steps_per_epoch=config.steps_per_epoch(n), milestones=config.milestones)
    return opt, sched


def _pause(config: TrainConfig, start: float) -> Callable[[int], bool]:
    def pause(step: int) -> bool:
        late = (config.max_seconds is not None
                and time.perf_counter() - start > config.max_seconds)
        return late or (config.stop_at is not None and step >= config.stop_at)
    return pause


@contextlib.contextmanager
def _restored_mode(model: nn.Module):
    was_training = model.training
    try:
        yield
    finally:
        model.train(was_training)


class _RunningMean:
    # The mean training loss and accuracy since the last entry, appended to `history` every
    # `log_every` steps and at the last one; shown on a progress bar when asked for.

    def __init__(self, history: dict, config: TrainConfig, total: int, initial: int):
        self.history, self.every, self.total = history, config.log_every, total
        self.loss = self.acc = 0.0
        self.n = 0
        self.bar = None
        if config.progress:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, initial=initial, desc="train", unit="step")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()

    def add(self, step, loss, logits, targets) -> None:
        self.loss += float(loss.detach())
        self.acc += float((logits.detach().argmax(1) == targets).float().mean())
        self.n += 1
        if step % self.every == 0 or step == self.total:
            for key, value in (("loss", self.loss / self.n), ("acc", self.acc / self.n),
                               ("step", step)):
                self.history[key].append(value)
            if self.bar is not None:
                self.bar.set_postfix(loss=f"{self.loss / self.n:.4f}",
                                     acc=f"{self.acc / self.n:.3f}")
            self.loss = self.acc = 0.0
            self.n = 0
        if self.bar is not None:
            self.bar.update(1)


@torch.no_grad()
def _predict_clean(model, x):
    return model(x).argmax(1)


def predict(model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None = None, *,
            batch_size: int = 500, attack=None, device=None) -> torch.Tensor:
    """Predicted labels ``(N,)`` int64 (on the CPU), optionally under ``attack(model, x, y)``.

    The model is put in eval mode for the call and its mode restored afterwards.
    """
    check_int(batch_size, name="batch_size")
    if attack is not None and labels is None:
        raise ValueError("an attack needs the true labels, got labels=None")
    if device is None:
        p = next(model.parameters(), None)
        device = p.device if p is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    out = []
    try:
        for i in range(0, images.shape[0], batch_size):
            x = to_float(images[i:i + batch_size].to(device))
            if attack is not None:
                y = labels[i:i + batch_size].to(device)
                x = attack(model, x, y)
            out.append(_predict_clean(model, x).cpu())
    finally:
        model.train(was_training)
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.int64)


def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *,
             batch_size: int = 500, attack=None, device=None) -> float:
    """Accuracy in [0, 1] of ``model`` on ``images`` (uint8 or float in [0, 1]),
    under ``attack(model, x, y) -> x_adv`` when given."""
    _check_data(images, labels)
    pred = predict(model, images, labels, batch_size=batch_size, attack=attack, device=device)
    return float((pred == labels.cpu()).float().mean())
