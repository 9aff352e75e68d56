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

import math
import time
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_choice, check_positive

__all__ = ["TrainState", "cifar_augment", "evaluate", "make_optimizer", "make_scheduler",
           "predict", "to_float", "train"]

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


def _check_int(value, *, name: str, minimum: int = 1, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


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


class TrainState:
    """Everything needed to resume a run: model, optimiser, scheduler, RNG and counters.

    ``save(path)`` / ``TrainState.load(path, model, opt, sched)`` write and read it with
    ``torch.save`` (a plain dict of tensors and numbers, read with ``weights_only=True``).
    """

    @staticmethod
    def save(path, *, model, opt, sched, step: int, epoch: int, history: dict,
             generator: torch.Generator) -> None:
        from pathlib import Path
        import io
        from ._io import atomic_write_bytes

        buf = io.BytesIO()
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                    "sched": sched.state_dict() if sched is not None else None,
                    "step": step, "epoch": epoch, "history": history,
                    "generator": generator.get_state()}, buf)
        atomic_write_bytes(Path(path), buf.getvalue())

    @staticmethod
    def load(path, *, model, opt, sched, generator: torch.Generator) -> tuple[int, int, dict]:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        if sched is not None and state["sched"] is not None:
            sched.load_state_dict(state["sched"])
        generator.set_state(state["generator"])
        return int(state["step"]), int(state["epoch"]), state["history"]


def train(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, epochs: int,
          batch_size: int, lr: float, optimizer: str = "adam", weight_decay: float = 0.0,
          momentum: float = 0.9, schedule: str | None = None, milestones=(),
          adversary: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
          augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
          objective: Callable | None = None, seed: int = 0,
          device: str | torch.device | None = None, progress: bool = True,
          max_steps: int | None = None, max_seconds: float | None = None,
          stop_at: int | None = None,
          state_path=None, log_every: int = 100) -> dict:
    """Train ``model`` with mini-batch SGD/Adam; optionally adversarially.

    Args:
        model: the network; moved to ``device`` and left in train mode during the loop,
            restored to its previous mode afterwards.
        images: ``(N, C, H, W)`` uint8 pixels or float in [0, 1]; kept where they are
            (CPU) and moved to ``device`` one batch at a time.
        labels: ``(N,)`` int64.
        epochs: passes over the data (>= 1); each epoch is a fresh seeded permutation, the
            last partial batch is kept.
        batch_size: images per step.
        lr: learning rate. optimizer: ``"adam"`` or ``"sgd"`` (momentum ``momentum``).
        weight_decay: L2 coefficient (default 0).
        schedule: None (constant), ``"cosine"`` (per step, to 0 at the end) or
            ``"multistep"`` (x0.1 at each epoch in ``milestones``).
        adversary: ``(model, x, y) -> x_adv``; when given, each step trains on ``x_adv`` only
            (Madry et al. 2018). It is called with the model in eval mode (MadryCNN has no
            batch norm so this changes nothing there; for BN nets it keeps running stats clean).
            An adversary with a ``set_step(step)`` method is told the step before each call.
        augment: ``x -> x`` applied to each float batch on the device before the adversary; one
            with a ``set_step(step)`` method is told the step too (so a resumed run can redraw
            exactly the augmentation an uninterrupted one would have).
        objective: ``(model, x, y, x_adv) -> (loss, logits, targets)``, called in train mode
            with the clean (augmented) batch ``x`` and the adversary's ``x_adv`` (None without
            an adversary); replaces the default, cross-entropy on ``x_adv`` (or on ``x``).
            ``logits`` and ``targets`` are what the logged accuracy counts. E.g. training on
            ``cat(x, x_adv)`` (Laidlaw & Feizi) or the TRADES loss.
        seed: seeds the data order (and torch's global RNG for the adversary's random start).
        device: where to train; default: the model's device.
        progress: show a tqdm bar.
        max_steps: stop after this many optimiser steps in total (None: all epochs).
        max_seconds: stop after this many seconds of wall-clock time (for time-limited GPU
            commands); with ``state_path`` the run resumes from there next time.
        stop_at: pause once this many steps are done in total (the schedule still spans the
            whole run); with ``state_path`` a later call continues from there.
        state_path: a file for a resumable :class:`TrainState`; loaded when it exists, written
            when the run stops early or finishes.
        log_every: record the running mean loss/accuracy every this many steps.

    Returns:
        ``{"loss": [...], "acc": [...], "step": [...], "steps": int, "epochs_done": int,
        "finished": bool, "seconds": float}``: the per-log-interval mean training loss and
        accuracy (on the batches trained on: adversarial ones when an adversary is set).

    Raises:
        ValueError / TypeError: bad hyperparameters or data.
    """
    _check_data(images, labels)
    _check_int(epochs, name="epochs")
    _check_int(batch_size, name="batch_size")
    _check_int(max_steps, name="max_steps", allow_none=True)
    _check_int(stop_at, name="stop_at", allow_none=True)
    _check_int(log_every, name="log_every")
    _check_int(seed, name="seed", minimum=0)
    if max_seconds is not None:
        check_positive(max_seconds, name="max_seconds")
    if adversary is not None and not callable(adversary):
        raise ValueError(f"adversary must be callable (model, x, y) -> x_adv, got {adversary!r}")
    if augment is not None and not callable(augment):
        raise ValueError(f"augment must be callable x -> x, got {augment!r}")
    if objective is not None and not callable(objective):
        raise ValueError(f"objective must be callable (model, x, y, x_adv) -> (loss, logits, "
                         f"targets), got {objective!r}")
    if device is None:
        p = next(model.parameters(), None)
        device = p.device if p is not None else torch.device("cpu")
    device = torch.device(device)
    model.to(device)

    n = images.shape[0]
    steps_per_epoch = math.ceil(n / batch_size)
    total = epochs * steps_per_epoch
    if max_steps is not None:
        total = min(total, max_steps)
    opt = make_optimizer(model, optimizer=optimizer, lr=lr, weight_decay=weight_decay,
                         momentum=momentum)
    sched = make_scheduler(opt, schedule=schedule, total_steps=total,
                           steps_per_epoch=steps_per_epoch, milestones=milestones)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    step, epoch, history = 0, 0, {"loss": [], "acc": [], "step": []}
    if state_path is not None:
        from pathlib import Path
        if Path(state_path).exists():
            step, epoch, history = TrainState.load(state_path, model=model, opt=opt, sched=sched,
                                                   generator=gen)
            torch.manual_seed(seed + step)  # fresh but reproducible adversary noise after resume

    was_training = model.training
    start = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=total, initial=step, desc="train", unit="step")
    run_loss = run_acc = 0.0
    run_n = 0
    stopped = False
    epoch_rng = gen.get_state()
    try:
        while step < total:
            epoch_rng = gen.get_state()  # saved, so a resumed run redraws the same permutation
            perm = torch.randperm(n, generator=gen)
            # Resume inside an epoch: skip the batches already done in this epoch.
            first = step - epoch * steps_per_epoch
            for b in range(first, steps_per_epoch):
                if step >= total:
                    break
                if (max_seconds is not None and time.perf_counter() - start > max_seconds) or (
                        stop_at is not None and step >= stop_at):
                    stopped = True
                    break
                idx = perm[b * batch_size:(b + 1) * batch_size]
                x = to_float(images[idx].to(device, non_blocking=True))
                y = labels[idx].to(device, non_blocking=True)
                if augment is not None:
                    if hasattr(augment, "set_step"):
                        augment.set_step(step)
                    x = augment(x)
                if adversary is not None:
                    if hasattr(adversary, "set_step"):  # e.g. an ε schedule
                        adversary.set_step(step)
                    model.eval()
                    x_adv = adversary(model, x, y).detach()
                else:
                    x_adv = None
                model.train()
                if objective is None:
                    logits = model(x if x_adv is None else x_adv)
                    loss, targets = F.cross_entropy(logits, y), y
                else:
                    loss, logits, targets = objective(model, x, y, x_adv)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if sched is not None:
                    sched.step()
                step += 1
                run_loss += float(loss.detach())
                run_acc += float((logits.detach().argmax(1) == targets).float().mean())
                run_n += 1
                if step % log_every == 0 or step == total:
                    history["loss"].append(run_loss / run_n)
                    history["acc"].append(run_acc / run_n)
                    history["step"].append(step)
                    if bar is not None:
                        bar.set_postfix(loss=f"{run_loss / run_n:.4f}", acc=f"{run_acc / run_n:.3f}")
                    run_loss = run_acc = 0.0
                    run_n = 0
                if bar is not None:
                    bar.update(1)
            if stopped:
                break
            if step - epoch * steps_per_epoch >= steps_per_epoch:
                epoch += 1
    finally:
        if bar is not None:
            bar.close()
        model.train(was_training)
    if state_path is not None:
        if step >= total or step - epoch * steps_per_epoch == 0:
            epoch_rng = gen.get_state()
        resume_gen = torch.Generator()
        resume_gen.set_state(epoch_rng)
        TrainState.save(state_path, model=model, opt=opt, sched=sched, step=step, epoch=epoch,
                        history=history, generator=resume_gen)
    return {**history, "steps": step, "epochs_done": epoch, "finished": step >= total,
            "seconds": round(time.perf_counter() - start, 2)}


@torch.no_grad()
def _predict_clean(model, x):
    return model(x).argmax(1)


def predict(model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None = None, *,
            batch_size: int = 500, attack=None, device=None) -> torch.Tensor:
    """Predicted labels ``(N,)`` int64 (on the CPU), optionally under ``attack(model, x, y)``.

    The model is put in eval mode for the call and its mode restored afterwards.
    """
    _check_int(batch_size, name="batch_size")
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
