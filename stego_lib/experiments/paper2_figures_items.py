"""Campaign items of the qualitative figures page at paper scale.

One chunk per attack of :mod:`.paper2_figures`' paper profile (846 exact-pixel test images,
100 iterations), attacking ``cifar_resnet32_natural``, which ``paper2-train-natural`` trains,
and the same on the authors' released D-trained ResNet-32 (from the data root).

Example::

    >>> [i.name for i in items()]
    ['paper2-figures', 'paper2-figures-released']
    >>> chunks = items()[0].chunks("cpu")
    >>> [c.name for c in chunks], chunks[0].done()   # done: the committed results cache holds it
    (['C', 'C-RGB', 'D', 'C+D', 'C+S+D'], True)
"""
from __future__ import annotations

from ..cache import ResultsCache
from ..tasks import Chunk, Item
from . import paper2_figures as figures

NAME = "paper2-figures"
MODEL = "cifar_resnet32_natural"
NEEDS = ("paper2-train-natural",)
# A defended model on which no attack of the page reaches 100 %: the same released model as
# Fig 6's defended sweep (perceptual_items.RELEASED_MODEL), so the two pages agree.
RELEASED_MODEL = "released/d"
# the five attacks cost 1.0 (C), 1.16 (C-RGB), 0.66 (D), 1.1 (C+D) and 1.17 (C+S+D) times
# ReColorAdv C's 2.8 images/s (2 threads; see paper2/items.py): about 2.7 images/s on average
CPU_RATE = 2.7


def config(model: str = MODEL) -> dict:
    return figures.make_config("paper", model=model)


def _chunks(device: str, model: str = MODEL) -> list[Chunk]:
    try:
        cfg = config(model)
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
            c = config(model)
            figures.chunk_entry(c, name, needs_gpu=False)
            progress(c["n_images"])
        out.append(Chunk(name, done, run, units=846))
    return out


def items() -> list[Item]:
    return [Item(NAME, f"results/paper2_figures: the figures page's five attacks on {MODEL}, "
                       f"846 images", _chunks, needs=NEEDS, unit="image",
                 rate={"cpu": CPU_RATE}),
            Item(NAME + "-released", "results/paper2_figures: the same five attacks on the "
                                     "authors' released D-trained ResNet-32, 846 images",
                 lambda device: _chunks(device, RELEASED_MODEL), unit="image",
                 rate={"cpu": CPU_RATE})]
