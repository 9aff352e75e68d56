"""Which bound of ReColorAdv in RGB (C-RGB) reproduces the paper's C-RGB column?

The paper states no bound for C-RGB, and the reference code does not contain one; ours is
0.06 per channel, the CIELUV number. This sweeps the bound on two models, the undefended one
and the C-trained one, with everything else as in Table 1 (the first 200 exact-pixel test
images, 100 Adam steps of 0.001, smoothness weight 0.05). If one bound brings both cells to
the paper's values, the C-RGB column's gap is the unknown bound rather than the models.

One cache entry per (model, bound); the campaign item ``paper2-crgb-bound`` computes them.
The same sweep runs on the authors' released undefended and C-trained models
(``models="released"``, item ``paper2-crgb-bound-released``), on the first 282 exact-pixel
test images, at smaller bounds too, and at the larger bounds also with an Adam step scaled
with the bound (``lr = 0.001 × ε / 0.06``), since 100 steps of 0.001 cannot reach them.
"""
from __future__ import annotations

import numpy as np
import torch

from ... import checkpoints
from ...attacks import attack, functional_attack, protocol_kappa
from ...attacks.loop import DEFAULT_PROTOCOL
from ...cache import ResultsCache, cached
from ...tasks import Chunk, Item
from ...papers import paper2_accuracy
from .config import CAMPAIGN_COMMAND, CHECKPOINTS, LABELS, PAPER_IMAGES, make_config
from . import summaries
from .table1 import lazy_images, lazy_model

__all__ = ["BOUNDS", "EXPERIMENT", "ROWS", "chunk_config", "items", "matching_bounds", "near_paper",
           "result", "run_chunk"]

EXPERIMENT = "paper2_crgb_bound"
VERSION = "2"   # 2: stores each image's largest per-pixel change
BOUNDS = (0.06, 0.09, 0.12, 0.18)   # per RGB channel, in [0, 1] units; 0.06 is Table 1's
ROWS = ("natural", "c")
CPU_RATE = 2.0   # images/s, measured on a 2-core CPU (C at the same settings: 4.6)
# models -> the (bound, Adam step) pairs swept; None: the Table 1 step (0.001).
GRID = {"trained": tuple((e, None) for e in BOUNDS),
        "released": ((0.02, None), (0.03, None), (0.04, None), (0.06, None), (0.09, None),
                     (0.12, None), (0.09, 0.0015), (0.12, 0.002))}
RELEASED_IMAGES = 282


def _cfg(models: str = "trained") -> dict:
    if models == "released":
        return make_config("paper", models="released", rows=list(ROWS),
                           n_images=RELEASED_IMAGES, chunk_images=RELEASED_IMAGES)
    return make_config("paper", rows=list(ROWS), **PAPER_IMAGES["cpu"])


def _checkpoint(row: str, models: str) -> str:
    return CHECKPOINTS[row] if models == "trained" else _cfg(models).checkpoints[row]


def _sha(row: str, models: str = "trained") -> str | None:
    return checkpoints.sha(_checkpoint(row, models))


def chunk_config(row: str, eps: float, sha: str, lr: float | None = None,
                 models: str = "trained", protocol: str = DEFAULT_PROTOCOL) -> dict:
    """The cache key of one (model, bound[, Adam step]); the protocol only when it is not the
    released package's, so every committed key stays as it was."""
    cfg = _cfg(models)
    key = {"row": row, "checkpoint": sha, "attack": "C-RGB", "eps": float(eps),
           "data": cfg.data, "n_images": cfg.n_images, "iterations": cfg.iterations,
           "lr": cfg.lr if lr is None else float(lr), "reg_weight": cfg.reg_weight}
    if protocol != DEFAULT_PROTOCOL:
        key["protocol"] = protocol
    return key


def _compute(row: str, eps: float, progress, lr: float | None = None, models: str = "trained",
             protocol: str = DEFAULT_PROTOCOL):
    cfg = _cfg(models)
    model = lazy_model(_checkpoint(row, models)).get()
    split = lazy_images(cfg).get()
    dev = next(model.parameters()).device
    threat = functional_attack("C-RGB", recolor={"eps": eps})
    correct, change = [], []
    for i in range(0, cfg.n_images, cfg.batch_size):
        x = split.images[i:i + cfg.batch_size].to(dev)
        y = split.labels[i:i + cfg.batch_size].to(dev)
        adv = attack(model, x, y, threat, steps=cfg.iterations,
                     lr=cfg.lr if lr is None else lr, reg_weight=cfg.reg_weight,
                     kappa=protocol_kappa(protocol))
        with torch.no_grad():
            correct.append((model(adv).argmax(1) == y).cpu())
        # Whether the bound binds: 100 Adam steps of 0.001 move a lattice point by about 0.1.
        change.append((adv - x).abs().amax(dim=(1, 2, 3)).cpu())
        if progress is not None:
            progress(len(x))
    meta = {"attack": repr(threat), "data": split.provenance.to_dict(),
            "model_checkpoint": _checkpoint(row, models), "device": str(dev)}
    return {"correct": torch.cat(correct).numpy(),
            "max_change": torch.cat(change).numpy().astype(np.float32)}, meta


def run_chunk(row: str, eps: float, *, lr: float | None = None, models: str = "trained",
              protocol: str = DEFAULT_PROTOCOL, mode: str = "auto", progress=None):
    """The cache entry of ``row``'s model under C-RGB with bound ``eps`` (computed on a miss
    when ``mode`` allows; see :func:`stego_lib.cache.cached`)."""
    sha = _sha(row, models)
    if sha is None:
        raise checkpoints.CheckpointNotFoundError(f"{_checkpoint(row, models)} is not trained yet")
    return cached(EXPERIMENT, chunk_config(row, eps, sha, lr, models, protocol), VERSION,
                  lambda: _compute(row, eps, progress, lr, models, protocol), needs_gpu=False,
                  command=CAMPAIGN_COMMAND, mode=mode)


def result(models: str = "trained", protocol: str = DEFAULT_PROTOCOL) -> list[dict]:
    """The committed entries: ``row``, ``label``, ``eps``, ``lr`` (the Adam step), ``accuracy``
    (%), ``n``, ``paper`` (the paper's C-RGB cell, %), ``max_change`` (the largest per-pixel
    change of any image, in [0, 1] units: below ``eps``, the attack never reached its bound),
    ``near`` (:func:`near_paper`), in the order of ``ROWS`` and the grid of ``models``."""
    out = []
    for row in ROWS:
        sha = _sha(row, models)
        for eps, lr in GRID[models]:
            key = chunk_config(row, eps, sha, lr, models, protocol) if sha else None
            if key is None or not ResultsCache().has(EXPERIMENT, key, VERSION):
                continue
            arrays = run_chunk(row, eps, lr=lr, models=models, protocol=protocol,
                               mode="cache-only").arrays
            ok = np.asarray(arrays["correct"], bool)
            out.append({"row": row, "label": LABELS[row], "eps": eps, "lr": key["lr"],
                        "accuracy": 100 * float(ok.mean()), "n": int(ok.size),
                        "paper": paper2_accuracy(LABELS[row], "C-RGB"),
                        "max_change": float(np.max(arrays["max_change"]))})
            out[-1]["near"] = near_paper(out[-1])
    return out


def near_paper(entry: dict) -> bool:
    """Whether an entry of :func:`result` lies within two standard errors of the paper's cell
    (:func:`stego_lib.experiments.paper2.near_paper`)."""
    return summaries.near_paper(entry["accuracy"], entry["paper"], entry["n"])


def matching_bounds(entries: list[dict], rows=ROWS) -> list[float]:
    """The bounds at which every model of ``rows`` has an entry :func:`near_paper`.

    Example:
        >>> e = [{"row": "natural", "eps": 0.06, "accuracy": 10.0, "paper": 5.9, "n": 200},
        ...      {"row": "c", "eps": 0.06, "accuracy": 74.0, "paper": 43.5, "n": 200},
        ...      {"row": "natural", "eps": 0.12, "accuracy": 4.0, "paper": 5.9, "n": 200},
        ...      {"row": "c", "eps": 0.12, "accuracy": 45.0, "paper": 43.5, "n": 200}]
        >>> matching_bounds(e)
        [0.12]
    """
    out = []
    for eps, lr in sorted({(e["eps"], e.get("lr", 1e-3)) for e in entries}):
        at = {e["row"]: e for e in entries if e["eps"] == eps and e.get("lr", 1e-3) == lr}
        if all(r in at for r in rows) and all(near_paper(at[r]) for r in rows):
            out.append(eps)
    return out


def _chunks(device: str, models: str = "trained",
            protocol: str = DEFAULT_PROTOCOL) -> list[Chunk]:
    n = _cfg(models).n_images
    out = []
    for row in ROWS:
        for eps, lr in GRID[models]:
            def done(row=row, eps=eps, lr=lr) -> bool:
                sha = _sha(row, models)
                return sha is not None and ResultsCache().has(
                    EXPERIMENT, chunk_config(row, eps, sha, lr, models, protocol), VERSION)

            def run(progress, row=row, eps=eps, lr=lr) -> None:
                run_chunk(row, eps, lr=lr, models=models, protocol=protocol,
                          progress=progress)
            step = "" if lr is None else f" lr {lr:g}"
            out.append(Chunk(f"{row} eps {eps:g}{step}", done, run, units=n))
    return out


def items() -> list[Item]:
    return [Item("paper2-crgb-bound", f"results/{EXPERIMENT}: C-RGB at {len(BOUNDS)} bounds on "
                                      "the undefended and the C-trained model",
                 _chunks, needs=("paper2-train-natural", "paper2-train-c"), unit="image",
                 rate={"cpu": CPU_RATE}),
            Item("paper2-crgb-bound-released",
                 f"results/{EXPERIMENT}: C-RGB at {len(GRID['released'])} bounds and steps on "
                 "the authors' released undefended and C-trained models, 282 images",
                 lambda device: _chunks(device, "released"), unit="image",
                 rate={"cpu": CPU_RATE})]
