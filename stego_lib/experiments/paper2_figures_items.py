"""Campaign item of the qualitative figures page at paper scale, on the undefended ResNet-32.

One chunk per attack of :mod:`.paper2_figures`' paper profile (846 exact-pixel test images,
100 iterations), attacking ``cifar_resnet32_natural``, which ``paper2-train-natural`` trains.
"""
from __future__ import annotations

from ..cache import ResultsCache
from ..tasks import Chunk, Item
from . import paper2_figures as figures

NAME = "paper2-figures"
MODEL = "cifar_resnet32_natural"
NEEDS = ("paper2-train-natural",)
# the five attacks cost 1.0 (C), 1.16 (C-RGB), 0.66 (D), 1.1 (C+D) and 1.17 (C+S+D) times
# ReColorAdv C's 2.8 images/s (2 threads; see paper2/items.py): about 2.7 images/s on average
CPU_RATE = 2.7


def config() -> dict:
    return figures.make_config("paper", model=MODEL)


def _chunks(device: str) -> list[Chunk]:
    try:
        cfg = config()
    except ValueError:   # the model is not committed yet: nothing is done
        cfg = None
    out = []
    for name in figures.ATTACKS:
        def done(name=name) -> bool:
            if cfg is None:
                return False
            return ResultsCache().has(figures.EXPERIMENT, figures.chunk_config(cfg, name),
                                      figures.VERSION)

        def run(progress, name=name) -> None:
            c = config()
            figures.chunk_entry(c, name, needs_gpu=False)
            progress(c["n_images"])
        out.append(Chunk(name, done, run, units=846))
    return out


def items() -> list[Item]:
    return [Item(NAME, f"results/paper2_figures: the figures page's five attacks on {MODEL}, "
                       f"846 images", _chunks, needs=NEEDS, unit="image",
                 rate={"cpu": CPU_RATE})]
