"""Why our S and the authors' S differ on the authors' S- and D-trained models.

On the released S-trained ResNet-32 and the first 282 exact-pixel test images, our StAdv leaves
more images correctly classified than the authors' ``recoloradv`` package, though both run 100
Adam steps of 0.001 with the same flow bound (0.05 of the normalised grid) and smoothness
weight. One difference is deliberate (see :class:`stego_lib.attacks.StAdv`): what is sampled
beyond the image's edge. Ours repeats the edge pixel (``padding="border"``); the reference's
``grid_sample`` reads zeros there, so a flow that points outwards darkens edge pixels by up to
half, which is a larger change than the bound suggests.

This runs our S with the reference's zero padding on the same models and images, so the
per-image outcomes can be compared with ours and the authors' (paired, :func:`.c_gap.compare`).
One cache entry per model; the campaign item ``paper2-s-gap`` computes them.

Example::

    >>> [c.name for c in items()[0].chunks("cpu")]
    ['S zero padding on released/s', 'S zero padding on released/d']
    >>> {row: correct.shape for row, correct in result().items()}   # the committed entries
    {'s': (282,), 'd': (282,)}
"""
from __future__ import annotations

import numpy as np

from ...attacks import StAdv
from ...cache import ResultsCache, cached
from ...tasks import Chunk, Item
from .c_gap import IMAGES, attacked_correct, released_sha
from .config import CAMPAIGN_COMMAND

__all__ = ["EXPERIMENT", "ROWS", "chunk_config", "items", "result", "run_chunk"]

EXPERIMENT = "paper2_s_gap"
VERSION = "1"
ROWS = ("s", "d")         # where the paper's S cells are furthest from ours
CPU_RATE = 1.2            # images/s on one thread, as the Table 1 S cells
PADDING = "zeros"         # the reference's; ours is "border"


def chunk_config(row: str, sha: str, cfg: dict) -> dict:
    """The cache key of our S with the reference's padding on the released model of ``row``."""
    return {"row": row, "checkpoint": sha, "attack": "S", "padding": PADDING,
            "data": cfg.data, "n_images": IMAGES, "iterations": cfg.iterations,
            "lr": cfg.lr, "reg_weight": cfg.reg_weight}


def run_chunk(row: str, *, mode: str = "auto", progress=None):
    """The cache entry of ``row`` (computed on a miss when ``mode`` allows)."""
    sha, cfg = released_sha(row)
    threat = StAdv(padding=PADDING)
    return cached(EXPERIMENT, chunk_config(row, sha, cfg), VERSION,
                  lambda: attacked_correct(row, threat, progress), needs_gpu=False,
                  command=CAMPAIGN_COMMAND, mode=mode)


def has(row: str) -> bool:
    sha, cfg = released_sha(row, missing_ok=True)
    return sha is not None and ResultsCache().has(EXPERIMENT, chunk_config(row, sha, cfg), VERSION)


def result() -> dict[str, np.ndarray]:
    """The committed rows: row -> per-image bools (the model still right under our zero-padded
    S)."""
    return {r: np.asarray(run_chunk(r, mode="cache-only").arrays["correct"], bool)
            for r in ROWS if has(r)}


def _chunks(device: str) -> list[Chunk]:
    out = []
    for row in ROWS:
        def run(progress, row=row) -> None:
            run_chunk(row, progress=progress)
        out.append(Chunk(f"S zero padding on released/{row}", lambda row=row: has(row), run,
                         units=IMAGES))
    return out


def items() -> list[Item]:
    return [Item("paper2-s-gap", f"results/{EXPERIMENT}: our S with the reference's zero "
                                 f"padding on the authors' S- and D-trained models, {IMAGES} "
                                 "images", _chunks, unit="image", rate={"cpu": CPU_RATE})]
