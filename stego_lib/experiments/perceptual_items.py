"""Campaign item of the Fig 6 sweep: perceptual distance against error rate at paper scale.

One chunk per (attack, bound) of :mod:`.perceptual`'s paper profile, attacking the naturally
trained ResNet-32 (``cifar_resnet32_natural``), which the item ``paper2-train-natural`` trains.
A chunk is done when its cache entry for the committed checkpoint is on disk.
"""
from __future__ import annotations

from ..cache import ResultsCache
from ..campaign.core import Chunk, Item
from . import perceptual

NAME = "paper2-perceptual"
NEEDS = ("paper2-train-natural",)
# C and C+D, 100 Adam steps of ResNet-32 per image, on a 2-core CPU: about 2 images/s
CPU_RATE = 2.0


def _chunks(device: str) -> list[Chunk]:
    cfg = perceptual.make_config("paper")
    out = []
    for name in cfg["attacks"]:
        for scale in cfg["scales"]:
            def done(name=name, scale=scale) -> bool:
                sha = perceptual.checkpoint_sha(cfg["model"])
                if sha is None:
                    return False
                return ResultsCache().has(perceptual.EXPERIMENT,
                                          perceptual.chunk_config(cfg, name, scale, sha),
                                          perceptual.VERSION)

            def run(progress, name=name, scale=scale) -> None:
                perceptual.run_chunk(cfg, name, scale, mode="auto", allow_cpu=True)
                progress(cfg["n_images"])
            out.append(Chunk(f"{name} x{scale:g}", done, run, units=cfg["n_images"]))
    return out


def items() -> list[Item]:
    return [Item(NAME, "results/perceptual: Fig 6 sweep of C, D and C+D bounds on the "
                       "natural ResNet-32 (error rate and perceptual distances)",
                 _chunks, needs=NEEDS, unit="image", rate={"cpu": CPU_RATE})]
