"""Why our C and the authors' C differ on the authors' C-trained model.

On the released C-trained ResNet-32 and the first 282 exact-pixel test images, the authors'
``recoloradv`` package leaves fewer images correctly classified than our ReColorAdv, though
both run 100 Adam steps of 0.001 with the same bound and smoothness weight. Our C differs from
the reference in two deliberate ways (see :mod:`stego_lib.attacks.recolor`):

- **gamut**: ours shrinks a pixel's displacement until its new colour is a real sRGB colour,
  so no pixel moves more than ε per CIELUV channel; the reference clamps in RGB, which can
  move a pixel further than ε;
- **lattice box**: ours spans the box that holds the whole sRGB gamut, the reference's the
  scaled box ``L ∈ [0, 100], u, v ∈ [−100, 100]`` (a finer lattice in u and v, and colours
  beyond it sharing the edge's lattice values).

This runs our C with each difference switched to the reference's, and both, on the same model
and images, so the per-image outcomes can be compared with ours and the authors' (paired).
One cache entry per variant; the campaign item ``paper2-c-gap`` computes them.
"""
from __future__ import annotations


import numpy as np
import torch

from ... import checkpoints
from ...attacks import ReColorAdv, attack
from ...attacks.reference_variants import ReferenceBoxReColorAdv
from ...cache import ResultsCache, cached
from ...stats import paired_difference
from ...tasks import Chunk, Item
from .config import CAMPAIGN_COMMAND, make_config
from .table1 import lazy_images, lazy_model

__all__ = ["EXPERIMENT", "VARIANTS", "attacked_correct",
           "chunk_config", "compare", "items", "released_sha", "run_chunk"]

EXPERIMENT = "paper2_c_gap"
VERSION = "1"
ROW = "c"
IMAGES = 282              # the images of the authors' runs (paper2_authors)
CPU_RATE = 0.8            # images/s on one thread, as the Table 1 C cells
# variant -> (gamut mode, lattice box); ours is ("shrink", "gamut")
VARIANTS = {"RGB clamp": ("clamp", "gamut"),
            "reference box": ("shrink", "reference"),
            "RGB clamp and reference box": ("clamp", "reference")}


def _cfg(row: str = ROW) -> dict:
    return make_config("paper", models="released", rows=[row], n_images=IMAGES,
                       chunk_images=IMAGES)


def _threat(variant: str) -> ReColorAdv:
    gamut, box = VARIANTS[variant]
    return ReferenceBoxReColorAdv(gamut=gamut) if box == "reference" else \
        ReColorAdv(space="luv", gamut=gamut)


def released_sha(row: str, missing_ok: bool = False) -> tuple[str | None, dict]:
    """The pinned sha256 of the released model of ``row`` and the config of its runs here;
    a missing entry raises CheckpointNotFoundError unless ``missing_ok`` (then None)."""
    cfg = _cfg(row)
    sha = checkpoints.sha(cfg.checkpoints[row])
    if sha is None and not missing_ok:
        raise checkpoints.CheckpointNotFoundError(f"{cfg.checkpoints[row]} is missing")
    return sha, cfg


def chunk_config(variant: str, sha: str) -> dict:
    """The cache key of one variant."""
    cfg = _cfg()
    gamut, box = VARIANTS[variant]
    return {"row": ROW, "checkpoint": sha, "attack": "C", "gamut": gamut, "box": box,
            "data": cfg.data, "n_images": IMAGES, "iterations": cfg.iterations,
            "lr": cfg.lr, "reg_weight": cfg.reg_weight}


def attacked_correct(row: str, threat, progress) -> tuple[dict, dict]:
    """Whether the released model of ``row`` still classifies each of the first ``IMAGES``
    test images correctly under our attack ``threat`` (Table 1's settings): ``({"correct"},
    meta)``."""
    cfg = _cfg(row)
    model = lazy_model(cfg.checkpoints[row]).get()
    split = lazy_images(cfg).get()
    dev = next(model.parameters()).device
    correct = []
    for i in range(0, IMAGES, cfg.batch_size):
        x = split.images[i:i + cfg.batch_size].to(dev)
        y = split.labels[i:i + cfg.batch_size].to(dev)
        adv = attack(model, x, y, threat, steps=cfg.iterations, lr=cfg.lr,
                     reg_weight=cfg.reg_weight)
        with torch.no_grad():
            correct.append((model(adv).argmax(1) == y).cpu())
        if progress is not None:
            progress(len(x))
    meta = {"attack": repr(threat), "data": split.provenance.to_dict(), "images": [0, IMAGES],
            "model_checkpoint": cfg.checkpoints[row], "device": str(dev)}
    return {"correct": torch.cat(correct).numpy()}, meta


def run_chunk(variant: str, *, mode: str = "auto", progress=None):
    """The cache entry of one variant (computed on a miss when ``mode`` allows)."""
    sha, _ = released_sha(ROW)
    return cached(EXPERIMENT, chunk_config(variant, sha), VERSION,
                  lambda: attacked_correct(ROW, _threat(variant), progress), needs_gpu=False,
                  command=CAMPAIGN_COMMAND, mode=mode)


def has(variant: str) -> bool:
    sha, _ = released_sha(ROW, missing_ok=True)
    return sha is not None and ResultsCache().has(EXPERIMENT, chunk_config(variant, sha), VERSION)


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean of ``a − b`` in points and its paired standard error."""
    return paired_difference(a, b)


def compare(ours: np.ndarray | None, authors: np.ndarray | None,
            variants: dict[str, np.ndarray]) -> list[dict]:
    """Each variant's accuracy and its paired differences from ours and from the authors'
    (per-image bools over the same images): ``variant``, ``accuracy``, ``n``, ``vs_ours`` and
    ``vs_authors`` (``(diff, se)`` in points, or None without that side).

    Example:
        >>> o = np.array([1, 1, 0, 1], bool); a = np.array([0, 1, 0, 0], bool)
        >>> r = compare(o, a, {"x": np.array([0, 1, 0, 1], bool)})[0]
        >>> r["accuracy"], r["vs_ours"][0], r["vs_authors"][0]
        (50.0, -25.0, 25.0)
    """
    out = []
    for name, ok in variants.items():
        ok = np.asarray(ok, bool)
        out.append({"variant": name, "accuracy": 100 * float(ok.mean()), "n": int(ok.size),
                    "vs_ours": None if ours is None else _paired(ok, np.asarray(ours, bool)),
                    "vs_authors": None if authors is None else
                    _paired(ok, np.asarray(authors, bool))})
    return out


def result() -> dict[str, np.ndarray]:
    """The committed variants: name -> per-image bools (the model still right)."""
    return {v: np.asarray(run_chunk(v, mode="cache-only").arrays["correct"], bool)
            for v in VARIANTS if has(v)}


def _chunks(device: str) -> list[Chunk]:
    out = []
    for v in VARIANTS:
        def run(progress, v=v) -> None:
            run_chunk(v, progress=progress)
        out.append(Chunk(v, lambda v=v: has(v), run, units=IMAGES))
    return out


def items() -> list[Item]:
    return [Item("paper2-c-gap", f"results/{EXPERIMENT}: our C with the reference's gamut clamp "
                                 f"and lattice box on the authors' C-trained model, {IMAGES} "
                                 "images", _chunks, unit="image", rate={"cpu": CPU_RATE})]
