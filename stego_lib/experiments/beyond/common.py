"""Shared pieces: the three disjoint data pools, models, attacks, 8-bit images, scores.

Every attacked image is delivered on 8-bit levels (as saved to a PNG) before the
classifier and the detectors see it: the L∞ attacks are rounded to the nearest level
inside their ε-ball, the functional attacks to the nearest level. The classifier's
decision and every detector's score are taken on that one image.

Example::

    >>> from stego_lib.experiments.beyond import make_config
    >>> split = pools(make_config("smoke"), "mnist")
    >>> {role: s.provenance.source.split(", ")[-1] for role, s in split.items()}
    {'test': 'images 0-39', 'train': 'images 500-539', 'cal': 'images 900-999'}
    >>> to_uint8(torch.tensor([0.0, 0.5, 1.0])).tolist()
    [0, 128, 255]
"""
from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import torch

from ... import checkpoints, data
from ...attacks import PGD, attack, functional_attack
from ...tasks import Lazy
from ...attacks.adaptive import quantize_in_ball
from ...cache import ResultsCache
from ...checkpoints import LazyModel  # noqa: F401 - re-exported for the other beyond modules
from ...storage import state_dir
from ...detectors import score as predictor_score, ws_estimate
from .config import BeyondConfig, CIFAR_BOUNDS, ModelMissingError, checkpoint_name


def state_cache() -> ResultsCache:
    """Intermediate arrays (image features) that are too large to commit: kept outside the
    checkout and recomputed on a fresh machine."""
    return ResultsCache(state_dir() / "results")


def seed_of(*parts) -> int:
    """A seed from the parts of a cell's name, independent of the order chunks run in."""
    return int(hashlib.sha256(repr(parts).encode()).hexdigest()[:8], 16)


def _sub(split: data.Split, start: int, stop: int, what: str) -> data.Split:
    stop = min(stop, len(split))
    if stop - start <= 0:
        raise ValueError(f"the {what} pool is empty: images {start}-{stop} of {len(split)}")
    prov = dataclasses.replace(split.provenance, count=stop - start,
                               source=f"{split.provenance.source}, images {start}-{stop - 1}")
    return data.Split(split.pixels[start:stop], split.labels[start:stop], prov)


def pools(cfg: BeyondConfig, dataset: str) -> dict[str, data.Split]:
    """The disjoint ``test``, ``train`` and ``cal`` (calibration) pools of ``dataset``.

    Real data: MNIST test images from the first, training pairs from the first training
    images, calibration from the last training images; CIFAR-10 from the exact-pixel
    images (test: the first test images; train and calibration: the exact training
    subset, train first). Samples (smoke): the package's test images, split in three.
    """
    n = cfg.mnist_n if dataset == "mnist" else cfg.cifar_n
    if cfg.data == "sample":
        s = data.load_sample(dataset)
        half = len(s) // 2
        if n["test"] > half or n["train"] + n["cal"] > len(s) - half:
            raise ValueError(f"the {dataset} sample holds {len(s)} images, too few for {n}")
        return {"test": _sub(s, 0, n["test"], "test"),
                "train": _sub(s, half, half + n["train"], "train"),
                "cal": _sub(s, len(s) - n["cal"], len(s), "calibration")}
    if dataset == "mnist":
        test = data.load_mnist("test", limit=n["test"])
        train = data.load_mnist("train")
        return {"test": test, "train": _sub(train, 0, n["train"], "train"),
                "cal": _sub(train, len(train) - n["cal"], len(train), "calibration")}
    test = data.load_cifar10("test", exact_subset=True, limit=n["test"])
    train = data.load_cifar10("train", exact_subset=True)
    return {"test": test, "train": _sub(train, 0, n["train"], "train"),
            "cal": _sub(train, n["train"], n["train"] + n["cal"], "calibration")}


class LazyPools(Lazy):
    """Loads the pools only when some chunk has to compute (a page that reads committed
    results needs no data root)."""

    def __init__(self, cfg: BeyondConfig, dataset: str):
        super().__init__(lambda: pools(cfg, dataset))
        self.cfg, self.dataset = cfg, dataset


def model_sha(cfg: BeyondConfig, dataset: str, model: str) -> str:
    name = checkpoint_name(cfg, dataset, model)
    sha = checkpoints.sha(name)
    if sha is None:
        raise ModelMissingError(
            f"the {dataset} {model} model (checkpoint {name!r}) is not committed yet; the "
            f"campaign trains it before it runs these experiments: {CAMPAIGN_HINT}")
    return sha


CAMPAIGN_HINT = "python -m stego_lib.campaign run --items beyond"


def attack_spec(cfg: BeyondConfig, dataset: str, name: str, bound: float) -> dict:
    """Everything that determines an attack: for MNIST ``bound`` is ε; for CIFAR-10 it is the
    multiple of the papers' bound (so ``C+S+D`` at 0.5 halves all three bounds)."""
    if dataset == "mnist":
        return {"attack": "PGD", "eps": bound, "steps": cfg.pgd_steps,
                "alpha": cfg.pgd_alpha, "clip_start": False}
    if name == "PGD":
        eps = round(CIFAR_BOUNDS["PGD"] * bound, 8)
        return {"attack": "PGD", "eps": eps, "steps": cfg.cifar_pgd_steps,
                "alpha": round(2.5 * eps / cfg.cifar_pgd_steps, 8), "clip_start": True}
    eps = {k: round(CIFAR_BOUNDS[k] * bound, 8) for k in ("C", "C-RGB", "S", "D")
           if k in name.split("+")}
    return {"attack": name, "eps": eps, "iterations": cfg.iterations, "lr": cfg.lr,
            "reg_weight": cfg.reg_weight}


def run_attack(model, images: torch.Tensor, labels: torch.Tensor, spec: dict, seed: int,
               batch_size: int) -> torch.Tensor:
    """Attack ``images`` (float, on 8-bit levels) and deliver uint8 pixels ``(N, C, H, W)``."""
    dev = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    out = []
    if spec["attack"] == "PGD":
        atk = PGD(eps=spec["eps"], steps=spec["steps"], alpha=spec["alpha"],
                  clip_start=spec["clip_start"])
        start = atk.init(images, generator=gen)   # all at once: independent of the batch size
    for i in range(0, len(images), batch_size):
        x, y = images[i:i + batch_size].to(dev), labels[i:i + batch_size].to(dev)
        if spec["attack"] == "PGD":
            adv = quantize_in_ball(atk.run(model, x, y, start[i:i + batch_size].to(dev)), x,
                                   spec["eps"])
        else:
            e = spec["eps"]
            threat = functional_attack(
                spec["attack"],
                recolor={"eps": e.get("C", e.get("C-RGB"))} if ("C" in e or "C-RGB" in e) else None,
                stadv={"eps": e["S"]} if "S" in e else None,
                delta={"eps": e["D"]} if "D" in e else None)
            adv = attack(model, x, y, threat, steps=spec["iterations"], lr=spec["lr"],
                         reg_weight=spec["reg_weight"], generator=gen)
            if spec["attack"] == "D":
                adv = quantize_in_ball(adv, x, e["D"])
        out.append(to_uint8(adv).cpu())
    return torch.cat(out)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    return (images.detach() * 255.0).round().clamp(0, 255).to(torch.uint8)


@torch.no_grad()
def predict(model, pixels: torch.Tensor, batch_size: int = 1000) -> np.ndarray:
    dev = next(model.parameters()).device
    was = model.training
    model.eval()
    try:
        out = [model(pixels[i:i + batch_size].to(dev).float() / 255.0).argmax(1).cpu()
               for i in range(0, len(pixels), batch_size)]
    finally:
        model.train(was)
    return torch.cat(out).numpy().astype(np.int8)


def fixed_scores(pixels: torch.Tensor) -> dict[str, np.ndarray]:
    """The two detectors that learn nothing: pixel predictor (absolute residual, the
    authors' code) and WS (4-neighbour variance), on uint8 pixels."""
    return {"predictor": predictor_score(pixels).cpu().numpy().astype(np.float64),
            "ws": ws_estimate(pixels, variance="cross4").cpu().numpy().astype(np.float64)}
