"""Why our C+D and the authors' C+D differ on the authors' C+S+D-trained model.

On the released C+S+D-trained ResNet-32 and the first 282 exact-pixel test images, our C+D
leaves more images correctly classified than the authors' ``recoloradv`` package (13.1 % against
10.3 %, paired). Two places can part them:

- **the colour part**: the two deliberate differences :mod:`.c_gap` measures for C alone (the
  gamut handling and the lattice box; on the C-trained model the reference's box closed that
  gap);
- **the delta part**: ours clamps the image, ``clamp(x + δ, 0, 1)``, so a pixel pushed past 0
  or 1 passes no gradient back, to δ or to the colour function before it, while δ drifts on
  with Adam's momentum. The reference instead moves δ itself, before every forward pass, so
  that ``x + δ`` lies in ``[0, 1]``, and adds it unclamped: the same images, but every pixel
  keeps its gradient.

This runs our C+D with each part switched to the reference's, on the same model and images, so
the per-image outcomes can be compared with ours and the authors' (paired,
:func:`.c_gap.compare`). One cache entry per variant; the campaign item ``paper2-cd-gap``
computes them.

Beside them, one run of the authors' own C+D with a single change, CIELUV's white point set to
ours (``u'_n, v'_n`` from the sRGB matrix instead of rounded to four decimals, a change below
``5e-5``): how far the reference's own attack moves under a numerical change that small is the
floor below which two implementations of the same attack cannot be told apart on these images
(:func:`twin`).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from ...attacks import Combined, Delta, ReColorAdv
from ...attacks.reference_variants import (ReferenceBoxReColorAdv, ReferenceDelta,
                                           ReferenceLatticeReColorAdv)
from ...color import U_WHITE, V_WHITE
from ...cache import ResultsCache, cached
from ...tasks import Chunk, Item
from . import authors
from .c_gap import IMAGES, attacked_correct, released_sha
from .config import CAMPAIGN_COMMAND

__all__ = ["ATTACK", "EXPERIMENT", "ROW", "TWIN", "VARIANTS", "chunk_config", "has", "items",
           "result", "run_chunk", "run_twin", "threat", "twin"]

EXPERIMENT = "paper2_cd_gap"
VERSION = "1"
ROW = "c+s+d"             # the one cell whose gap to the authors' C+D was unexplained
ATTACK = "C+D"
CPU_RATE = 0.7            # images/s on one thread, as the Table 1 C+D cells
# variant -> (gamut mode, lattice box, delta); ours is ("shrink", "gamut", "clamp image")
VARIANTS = {"reference box": ("shrink", "reference", "clamp image"),
            "RGB clamp and reference box": ("clamp", "reference", "clamp image"),
            "reference delta": ("shrink", "gamut", "move delta"),
            "reference delta, RGB clamp and box": ("clamp", "reference", "move delta"),
            "reference colour function": ("clamp", "reference lattice", "clamp image"),
            "reference colour function and delta": ("clamp", "reference lattice", "move delta")}


def threat(variant: str) -> Combined:
    """Our C+D with the colour and delta parts of ``variant``.

    Example:
        >>> threat("reference delta").name
        'C+D'
    """
    gamut, box, delta = VARIANTS[variant]
    colour = (ReferenceLatticeReColorAdv() if box == "reference lattice" else
              ReferenceBoxReColorAdv(gamut=gamut) if box == "reference" else
              ReColorAdv(space="luv", gamut=gamut))
    return Combined([colour, ReferenceDelta() if delta == "move delta" else Delta()])


def chunk_config(variant: str, sha: str, cfg: dict) -> dict:
    """The cache key of one variant."""
    gamut, box, delta = VARIANTS[variant]
    return {"row": ROW, "checkpoint": sha, "attack": ATTACK, "gamut": gamut, "box": box,
            "delta": delta,
            "data": cfg.data, "n_images": IMAGES, "iterations": cfg.iterations,
            "lr": cfg.lr, "reg_weight": cfg.reg_weight}


def run_chunk(variant: str, *, mode: str = "auto", progress=None):
    """The cache entry of one variant (computed on a miss when ``mode`` allows)."""
    sha, cfg = released_sha(ROW)
    return cached(EXPERIMENT, chunk_config(variant, sha, cfg), VERSION,
                  lambda: attacked_correct(ROW, threat(variant), progress), needs_gpu=False,
                  command=CAMPAIGN_COMMAND, mode=mode)


def has(variant: str) -> bool:
    sha, cfg = released_sha(ROW, missing_ok=True)
    return sha is not None and ResultsCache().has(EXPERIMENT, chunk_config(variant, sha, cfg),
                                                  VERSION)


def result() -> dict[str, np.ndarray]:
    """The committed variants: name -> per-image bools (the model still right)."""
    return {v: np.asarray(run_chunk(v, mode="cache-only").arrays["correct"], bool)
            for v in VARIANTS if has(v)}


TWIN = "the authors' C+D with our white point"


def _twin_config(sha: str, cfg: dict) -> dict:
    return {"row": ROW, "checkpoint": sha, "attack": ATTACK, "package": "recoloradv==0.0.1",
            "white": [round(U_WHITE, 10), round(V_WHITE, 10)], "data": cfg.data,
            "n_images": IMAGES, "iterations": cfg.iterations}


def _with_our_white(compute):
    """Run ``compute()`` with the reference's CIELUV built around our white point."""
    authors.shim()
    from recoloradv import color_spaces
    init = color_spaces.CIELUVColorSpace.__init__

    def ours(self, up_white=U_WHITE, vp_white=V_WHITE, y_white=1, eps=1e-10):
        init(self, up_white, vp_white, y_white, eps)
    color_spaces.CIELUVColorSpace.__init__ = ours
    try:
        arrays, meta = compute()
    finally:
        color_spaces.CIELUVColorSpace.__init__ = init
    meta["attack"] += f", CIELUV white point (u'_n, v'_n) = ({U_WHITE:.6f}, {V_WHITE:.6f})"
    return arrays, meta


def run_twin(*, mode: str = "auto", progress=None):
    """The cache entry of :data:`TWIN` (computed on a miss when ``mode`` allows)."""
    sha, cfg = released_sha(ROW)
    return cached(EXPERIMENT, _twin_config(sha, cfg), VERSION,
                  lambda: _with_our_white(lambda: authors._compute(ROW, ATTACK, 0, IMAGES,
                                                                   progress)),
                  needs_gpu=False, command=CAMPAIGN_COMMAND, mode=mode)


def _has_twin() -> bool:
    sha, cfg = released_sha(ROW, missing_ok=True)
    return sha is not None and ResultsCache().has(EXPERIMENT, _twin_config(sha, cfg), VERSION)


def twin() -> np.ndarray | None:
    """Per image, whether the model is still right under :data:`TWIN`; None if not computed."""
    return (np.asarray(run_twin(mode="cache-only").arrays["correct"], bool) if _has_twin()
            else None)


def _chunks(device: str) -> list[Chunk]:
    twin_chunk = Chunk(TWIN, _has_twin, lambda progress: run_twin(progress=progress),
                       units=IMAGES)
    return [twin_chunk] + [Chunk(v, partial(has, v), partial(_run_variant, v), units=IMAGES)
                           for v in VARIANTS]


def _run_variant(variant: str, progress) -> None:
    run_chunk(variant, progress=progress)


def items() -> list[Item]:
    return [Item("paper2-cd-gap", f"results/{EXPERIMENT}: our C+D with the reference's delta and "
                                  f"colour choices on the authors' C+S+D-trained model, "
                                  f"{IMAGES} images", _chunks, unit="image",
                 rate={"cpu": CPU_RATE})]
