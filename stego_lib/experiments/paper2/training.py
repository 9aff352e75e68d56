"""Train Paper II's models in resumable slices and store them with their manifest.

Each campaign chunk calls :func:`train_slice` with the step at which to pause; the run keeps
its model, optimiser, scheduler and data order in a state file in the campaign's state folder
(git-ignored), and every random draw of a step (crop + flip, the TRADES start noise) comes from
``(seed, step)``, so a run cut into slices gives the weights of an uninterrupted one. The last
slice stores the model as float16 in the checkpoint store and measures the reloaded weights on
the 10,000 JPEG test images and the 846 exact-pixel ones.

Example::

    >>> cpu = slices("natural", "cpu")
    >>> len(cpu), cpu[:2], cpu[-1]   # 35 epochs of 391 batches, in chunks of 782 steps
    (18, [782, 1564], 13685)
    >>> slices("c", "cpu")   # one epoch of fine-tuning, 100 steps a chunk
    [100, 200, 300, 391]
"""
from __future__ import annotations

import functools
import math
from pathlib import Path

import torch

from ... import checkpoints, data, models
from ..._checks import check_choice
from ...storage import state_dir
from .config import CHECKPOINTS, LABELS
from ...attacks.training import FunctionalAdversary, TradesPGD
from .objectives import StepAugment, concat_objective, trades_objective
from .recipes import DEVICES, recipe
from .table1 import cpu_layout

__all__ = ["SLICE_STEPS", "build_model", "is_trained", "slices", "state_path", "steps_done",
           "total_steps", "train_slice"]

TRAIN_IMAGES = 50_000
# Steps per campaign chunk, sized from early one-thread estimates (a natural step 0.61 s, an
# adversarial one 4-5.7 s, a TRADES one ~4 s) so that a chunk stays under ten minutes. With
# two threads the campaign measured 0.25 s, ~1.8 s and 1.25 s (items.CPU_STEP_SECONDS), so a
# CPU chunk takes 3-4 minutes; the sizes stay, since they name the chunks of running items.
SLICE_STEPS = {
    "cpu": {"ce": 782, "concat": 100, "trades": 120},
    "cuda": {"ce": 7820, "concat": 1000, "trades": 1500},
}


def _device_kind(device) -> str:
    kind = torch.device(device).type
    check_choice(kind, DEVICES, name="device")
    return kind


def total_steps(r: dict, n_train: int = TRAIN_IMAGES) -> int:
    return r["epochs"] * math.ceil(n_train / r["batch_size"])


def slices(row: str, device: str) -> list[int]:
    """The step at which each training chunk of ``row`` on ``device`` ends."""
    r = recipe(row, device)
    total, size = total_steps(r), SLICE_STEPS[device][r["objective"]]
    return sorted(set(range(size, total, size)) | {total})


def _parent_sha(r: dict) -> str:
    """Fingerprint of the starting point: the parent checkpoint's sha256, or 'scratch'."""
    if r["init"] == "scratch":
        return "scratch"
    return checkpoints.entry(CHECKPOINTS[r["init"]])["sha256"]


def state_path(row: str, device: str, seed: int = 0, *, parent: str | None = None) -> Path:
    """The state file of an unfinished run. It names the parent checkpoint, so a run never
    resumes on top of a parent that has been retrained since."""
    parent = parent if parent is not None else _parent_sha(recipe(row, device))
    return state_dir() / f"paper2-{row}-{device}-seed{seed}-from-{parent[:12]}.state.pt"


def steps_done(row: str, device: str, seed: int = 0) -> int:
    """Steps in the saved state of an unfinished run (0 if none, or if its parent is missing)."""
    try:
        p = state_path(row, device, seed)
    except checkpoints.CheckpointNotFoundError:
        return 0
    if not p.exists():
        return 0
    return int(torch.load(p, map_location="cpu", weights_only=True)["step"])


def is_trained(row: str, device: str = "cpu", seed: int = 0) -> bool:
    """The checkpoint of ``row`` exists, was trained by its Paper II recipe with ``seed`` from
    the parent checkpoint that is stored now (a retrained parent makes its children stale), and
    is good enough for ``device``: on a CPU any recipe counts, on a GPU only the GPU one."""
    try:
        cfg = checkpoints.entry(CHECKPOINTS[row])["config"]
    except checkpoints.CheckpointNotFoundError:
        return False
    if cfg.get("row") != row or cfg.get("seed") != seed:
        return False
    parent = cfg.get("parent")
    if parent is not None:
        try:
            if checkpoints.entry(parent["checkpoint"])["sha256"] != parent["sha256"]:
                return False
        except checkpoints.CheckpointNotFoundError:
            return False
    return device == "cpu" or cfg.get("device_path") == "cuda"


def build_model(r: dict, *, seed: int = 0) -> torch.nn.Module:
    """The model a recipe starts from: seeded random weights, or its parent checkpoint (the
    natural ResNet-32's weights go inside the grayscale wrapper for the gray model)."""
    if r["init"] == "scratch":
        torch.manual_seed(seed)
        return models.build(r["arch"])
    parent = checkpoints.load(CHECKPOINTS[r["init"]])
    if r["arch"] == "resnet32_gray" and not isinstance(parent, models.Grayscale):
        model = models.build("resnet32_gray")
        model.model.load_state_dict(parent.state_dict())
        return model
    return parent


def _adversary(r: dict, seed: int):
    adv = r["adversary"]
    if adv is None:
        return None
    if adv["kind"] == "functional":
        return FunctionalAdversary(adv["threat"], iterations=adv["iterations"], lr=adv["lr"],
                                   reg_weight=adv["reg_weight"])
    return TradesPGD(eps=adv["eps"], step_size=adv["step_size"], steps=adv["steps"],
                     init_std=adv["init_std"], seed=seed)


def _objective(r: dict):
    if r["objective"] == "trades":
        return trades_objective(r["beta"])
    return concat_objective if r["objective"] == "concat" else None  # None: plain CE


@functools.lru_cache(maxsize=1)
def _train_split() -> data.Split:
    return data.load_cifar10("train")   # 50,000 images; decoded once per process


def train_slice(row: str, stop_at: int, *, device="cpu", seed: int = 0, progress: bool = False,
                train_split: data.Split | None = None, override: dict | None = None,
                test_splits: dict | None = None) -> dict | None:
    """Train ``row`` up to step ``stop_at`` (resuming from its state file) and pause; after the
    last step, store the checkpoint and measure it.

    Args:
        row: a row of Table 1 (see ``config.ROWS``).
        stop_at: pause once this many steps are done in total.
        device: where to train; its kind (``cpu`` / ``cuda``) picks the recipe.
        seed: seeds the initial weights, data order, augmentation and TRADES noise.
        train_split: the training images (default: all 50,000 of CIFAR-10's JPEG copy).
        override: recipe entries to replace (tests use a tiny recipe).
        test_splits: ``{name: Split}`` to measure the stored model on (default: the JPEG test
            set and the exact-pixel test images).

    Returns:
        The manifest record when the checkpoint was stored, else None.
    """
    from ... import training

    kind = _device_kind(device)
    r = recipe(row, kind)
    if override:
        from .recipes import validate
        r = validate({**r, **override})
    train = train_split if train_split is not None else _train_split()
    parent = _parent_sha(r)
    path = state_path(row, kind, seed, parent=parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = cpu_layout(build_model(r, seed=seed).to(device))
    hist = training.train(
        model, train.pixels, train.labels, epochs=r["epochs"], batch_size=r["batch_size"],
        lr=r["lr"], optimizer=r["optimizer"], weight_decay=r["weight_decay"],
        momentum=r["momentum"], schedule=r["schedule"], milestones=r["milestones"],
        adversary=_adversary(r, seed), augment=StepAugment(seed=seed), objective=_objective(r),
        seed=seed, device=device, progress=progress, stop_at=stop_at, state_path=path,
        log_every=50)
    if not hist["finished"]:
        return None
    record = _save(model, row, r, _record_config(row, r, kind, seed, parent, hist), train,
                   test_splits)
    path.unlink(missing_ok=True)
    return record


def _record_config(row, r, kind, seed, parent, hist) -> dict:
    """The config a trained checkpoint records: its row, recipe, parent, and training run."""
    return {"row": row, "table1_row": LABELS[row], "recipe_name": f"{row}-{kind}",
            "device_path": kind, "seed": seed,
            "recipe": {k: v for k, v in r.items() if k != "deviations"},
            "parent": None if r["init"] == "scratch" else
            {"checkpoint": CHECKPOINTS[r["init"]], "sha256": parent},
            "deviations": list(r["deviations"]), "steps_done": hist["steps"],
            "train_seconds_last_slice": hist["seconds"],
            "final_train_loss": hist["loss"][-1:], "final_train_acc": hist["acc"][-1:]}


def _save(model, row, r, config, train, test_splits) -> dict:
    from ... import training

    name = CHECKPOINTS[row]
    if test_splits is None:
        test_splits = {"test_jpeg_10000": data.load_cifar10("test"),
                       "test_exact_846": data.load_sample("cifar10")}
    provenance = {"train": train.provenance.to_dict(),
                  **{k: s.provenance.to_dict() for k, s in test_splits.items()}}
    checkpoints.save(model, name, arch=r["arch"], config=config, data=provenance, metrics={},
                     half=True)
    reloaded = checkpoints.load(name, device=next(model.parameters()).device)
    metrics = {f"clean_accuracy_{k}": round(training.evaluate(reloaded, s.pixels, s.labels), 4)
               for k, s in test_splits.items()}
    metrics["measured_on"] = ("reloaded float16 weights; accuracies under attack are in "
                              "Table 1 (results/paper2_table1)")
    return checkpoints.update_metrics(name, metrics)

