"""The CIFAR-10 half of the detection matrix on the authors' released undefended ResNet-32
(all 846 exact-pixel test images), as far as its cells are committed.

The campaign item ``beyond-detect-cifar10-released`` computes the cells, the papers' bounds
first; this module reads whichever are in the results cache, bound by bound.

Example::

    >>> cfg = config()
    >>> cfg.mnist_models, cfg.cifar_attacks[:4]
    ((), ('PGD', 'D', 'C', 'C-RGB'))
"""
from __future__ import annotations

from ...cache import ResultsCache
from .common import model_sha
from .config import EXPERIMENT, VERSION, make_config
from .detection import cell_config, matrix, run
from .items import RELEASED

__all__ = ["config", "rows"]


def config(**overrides) -> dict:
    """The paper profile with the released model, 846 test images, and no MNIST cells."""
    return make_config("paper", **{**RELEASED, "mnist_models": [], **overrides})


def rows() -> list[dict]:
    """:func:`.detection.matrix` rows of every committed cell (empty when none is)."""
    cfg = config()
    sha = model_sha(cfg, "cifar10", "natural")
    cache, out = ResultsCache(), []
    for b in cfg.cifar_scales:
        done = [a for a in cfg.cifar_attacks if cache.has(
            EXPERIMENT, cell_config(cfg, "cifar10", "natural", sha, a, b), VERSION)]
        if done:
            res = run(config(cifar_attacks=done, cifar_scales=[b]), mode="cache-only")
            out += matrix(res)
    return out
