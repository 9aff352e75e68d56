"""Campaign item of the Fig 6 sweep: perceptual distance against error rate at paper scale.

One chunk per (attack, bound) of :mod:`.perceptual`'s paper profile, attacking the naturally
trained ResNet-32 (``cifar_resnet32_natural``), which the item ``paper2-train-natural`` trains.
A chunk is done when its cache entry for the committed checkpoint is on disk.

Example::

    >>> [(i.name, i.needs) for i in items()]   # the released model is not trained here
    [('paper2-perceptual', ('paper2-train-natural',)), ('paper2-perceptual-released', ())]
"""
from __future__ import annotations

from .. import checkpoints
from ..cache import ResultsCache
from ..tasks import Chunk, Item
from . import perceptual

NAME = "paper2-perceptual"
NEEDS = ("paper2-train-natural",)
# The paper's point for Fig 6 (adding C to D raises the error rate at little perceptual cost)
# cannot show on an undefended model, which D alone already fools on every image. The
# authors' released D-trained model is the one whose D column leaves room (paper: 30.6 %
# accuracy under D, 8.9 % under C+D), so the sweep runs on it too.
RELEASED_MODEL = "released/d"
# C and C+D, 100 Adam steps of ResNet-32 per image, on a 2-core CPU: about 2 images/s
CPU_RATE = 2.0


def _chunks(device: str, model: str | None = None) -> list[Chunk]:
    cfg = perceptual.make_config("paper", model=model)
    out = []
    for name in cfg.attacks:
        for scale in cfg.scales:
            def done(name=name, scale=scale) -> bool:
                sha = checkpoints.sha(cfg.model)
                if sha is None:
                    return False
                return ResultsCache().has(perceptual.EXPERIMENT,
                                          perceptual.chunk_config(cfg, name, scale, sha),
                                          perceptual.VERSION)

            def run(progress, name=name, scale=scale) -> None:
                perceptual.run_chunk(cfg, name, scale, mode="auto", allow_cpu=True)
                progress(cfg.n_images)
            out.append(Chunk(f"{name} x{scale:g}", done, run, units=cfg.n_images))
    return out


def items() -> list[Item]:
    return [Item(NAME, "results/perceptual: Fig 6 sweep of C, D and C+D bounds on the "
                       "natural ResNet-32 (error rate and perceptual distances)",
                 _chunks, needs=NEEDS, unit="image", rate={"cpu": CPU_RATE}),
            Item(NAME + "-released", "results/perceptual: the same sweep on the authors' "
                                     "released D-trained ResNet-32",
                 lambda device: _chunks(device, RELEASED_MODEL), unit="image",
                 rate={"cpu": CPU_RATE})]
