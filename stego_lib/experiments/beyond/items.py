"""Campaign items of the "beyond both papers" experiments, at the paper profile.

* ``beyond-lsb``: LSB replacement and matching on MNIST and CIFAR-10 covers (no model);
* ``beyond-clean``: clean scores, thresholds and image features of the three pools;
* ``beyond-detect-mnist-natural`` / ``-adversarial``: PGD-40 at 6 ε, 2,000 test images and
  1,000 training pairs per cell;
* ``beyond-detect-cifar10``: 9 attacks x 4 bounds on the ResNet-32, 200 test images and
  200 training pairs per cell;
* ``beyond-adaptive-natural`` / ``-adversarial``: plain and adaptive PGD at 6 ε, 2,000
  test images.

Every chunk is one cell (a few CPU minutes) written atomically to the results cache.

Example::

    >>> names = [i.name for i in items()]
    >>> len(names), names[:2]
    (8, ['beyond-lsb', 'beyond-clean'])
    >>> released = items()[names.index("beyond-detect-cifar10-released")].chunks("cpu")
    >>> len(released), released[0].name, released[0].done()   # its own clean scores come first
    (37, 'cifar10: clean scores and thresholds', True)
"""
from __future__ import annotations

from ...cache import CacheMiss, ResultsCache
from ...tasks import Chunk, Item
from . import adaptive, detection, lsb
from .common import LazyModel, LazyPools, model_sha
from .config import (EXPERIMENT, VERSION, BeyondConfig, ModelMissingError, checkpoint_name,
                     make_config)

# Priors: units per second on the 2-core CPU (units: images attacked, training and test
# together; for beyond-clean images whose features are extracted; for beyond-lsb covers).
# Built from quiet-machine rates measured elsewhere in the project (PGD-40 on MadryCNN 43
# images/s; ResNet-32 functional attacks 2.2-4.8 ms per image and iteration) and from short
# timing runs of the new parts on the shared CPU, scaled by PGD-40's slowdown in the same
# process (3-4x at the time): SPAM 14 ms per MNIST image and 11-15 ms per CIFAR-10 channel;
# the FLD ensemble (51 learners, subspace searched) 18-27 s for 300-600 pairs; ResNet-32 PGD
# about 5 ms per image and step; the adaptive attack 0.8x (ε 0.3, most images won early) to
# 6x (ε 0.1, most images never won) PGD-40's time on the same images; the LSB item 200 s for
# its 2,846 covers. Per cell: MNIST ~160 s, CIFAR-10 functional ~225 s, CIFAR-10 PGD ~60 s,
# adaptive ~280 s.
CPU_RATE = {"mnist": 18.0, "cifar10": 1.9, "adaptive": 7.0, "clean": 45.0, "lsb": 14.0}


def _has(experiment: str, ccfg: dict, cache: ResultsCache | None = None) -> bool:
    return (cache or ResultsCache()).has(experiment, ccfg, VERSION)


def _sha(cfg, dataset, model):
    try:
        return model_sha(cfg, dataset, model)
    except ModelMissingError:
        return None


def _lsb_chunks(device: str) -> list[Chunk]:
    cfg = make_config("paper")
    return [Chunk(f"{d}: {cfg.lsb_n[d]:,} covers",
                  lambda d=d: _has(EXPERIMENT + "_lsb", lsb.lsb_config(cfg, d)),
                  lambda progress, d=d: (lsb.entry(cfg, d), progress(cfg.lsb_n[d])),
                  units=cfg.lsb_n[d]) for d in lsb.DATASETS]


def _clean_chunks(device: str) -> list[Chunk]:
    cfg = make_config("paper")
    out = []
    for d in ("mnist", "cifar10"):
        lazy = LazyPools(cfg, d)
        n = detection._sizes(cfg, d)
        out.append(Chunk(f"{d}: clean scores and thresholds",
                         lambda d=d: _has(EXPERIMENT, detection.clean_config(cfg, d)),
                         lambda p, d=d, lazy=lazy: (detection.clean_entry(cfg, d, lazy), p(1)),
                         units=1))
        for role in ("cal", "train", "test"):
            def done(d=d, role=role):
                try:
                    detection.features_entry(cfg, d, role, None, mode="cache-only")
                    return True
                except CacheMiss:
                    # The features are a cache outside the checkout, so a fresh machine lacks
                    # them; they are work left only while a cell that reads them is.
                    return _readers_done(cfg, d, device)
            out.append(Chunk(f"{d}: SPAM features of the {role} pool", done,
                             lambda p, d=d, role=role, lazy=lazy: (
                                 detection.features_entry(cfg, d, role, lazy), p(n[role])),
                             units=n[role]))
    return out


def _readers_done(cfg: BeyondConfig, dataset: str, device: str) -> bool:
    """Whether every detection cell that reads ``cfg``'s ``dataset`` features is committed
    (the released model's cells read their own, sized for its test set)."""
    models = dict.fromkeys(m for d, m, _, _ in detection.cells(cfg) if d == dataset)
    return all(c.done() for m in models for c in _detect_chunks(dataset, m)(device))


# The CIFAR-10 half of the matrix again, on the authors' released undefended ResNet-32 and all
# 846 exact-pixel test images (the training pairs and calibration pool as before).
RELEASED = dict(checkpoints={"cifar10:natural": "released/natural"},
                cifar_n=dict(test=846, train=200, cal=4460))


def released_config() -> dict:
    return make_config("paper", **RELEASED)


def _detect_chunks(dataset: str, model: str, overrides: dict | None = None):
    def chunks(device: str) -> list[Chunk]:
        cfg = make_config("paper", **(overrides or {}))
        lazy, net = LazyPools(cfg, dataset), LazyModel(checkpoint_name(cfg, dataset, model))
        n = detection._sizes(cfg, dataset)
        out = []
        for d, m, a, b in detection.cells(cfg):
            if (d, m) != (dataset, model):
                continue

            def done(a=a, b=b):
                sha = _sha(cfg, dataset, model)
                return sha is not None and detection.MatrixCell(cfg, dataset, model, sha, a,
                                                                b).done()

            def run(progress, a=a, b=b):
                sha = model_sha(cfg, dataset, model)
                detection.clean_pred_entry(cfg, dataset, model, sha, lazy, net)
                detection.cell_entry(detection.MatrixCell(cfg, dataset, model, sha, a, b), lazy,
                                     net, progress=progress, campaign=True)
            label = f"ε {b:g}" if dataset == "mnist" else f"{a} × {b:g}"
            out.append(Chunk(label, done, run, units=n["train"] + n["test"]))
        if overrides:   # the papers' bounds first: a campaign that stops early has them
            out.sort(key=lambda c: not c.name.endswith("× 1"))
            # and this config's own clean scores, which the matrix is read with: its test set
            # is not the paper profile's, so beyond-clean does not hold them
            out.insert(0, Chunk(f"{dataset}: clean scores and thresholds",
                                lambda: _has(EXPERIMENT, detection.clean_config(cfg, dataset)),
                                lambda p: (detection.clean_entry(cfg, dataset, lazy), p(1)),
                                units=1))
        return out
    return chunks


def _adaptive_chunks(model: str):
    def chunks(device: str) -> list[Chunk]:
        cfg = make_config("paper")
        lazy, net = LazyPools(cfg, "mnist"), LazyModel(checkpoint_name(cfg, "mnist", model))
        out = []
        for e in cfg.mnist_eps:
            def thr():
                ent = detection.clean_entry(cfg, "mnist", lazy, mode="cache-only")
                return float(ent.arrays["thr_predictor"])

            def done(e=e):
                sha = _sha(cfg, "mnist", model)
                try:
                    t = thr()
                except CacheMiss:
                    return False
                return sha is not None and adaptive.AdaptivePoint(cfg, model, sha, e, t).done()

            def run(progress, e=e):
                point = adaptive.AdaptivePoint(cfg, model, model_sha(cfg, "mnist", model), e,
                                               thr())
                adaptive.entry(point, lazy, net, progress=progress, campaign=True)
            out.append(Chunk(f"ε {e:g}", done, run, units=cfg.mnist_n["test"]))
        return out
    return chunks


def items() -> list[Item]:
    clean = ("beyond-clean",)
    return [
        Item("beyond-lsb", "results/beyond_lsb: LSB replacement and matching, MNIST and CIFAR-10",
             _lsb_chunks, unit="image", rate={"cpu": CPU_RATE["lsb"]}),
        Item("beyond-clean", "results/beyond: clean scores and thresholds (features: state dir)",
             _clean_chunks, unit="image", rate={"cpu": CPU_RATE["clean"]}),
        Item("beyond-detect-mnist-natural",
             "results/beyond: detection matrix, PGD-40 on the natural MNIST model",
             _detect_chunks("mnist", "natural"), needs=("paper1-train-natural",) + clean,
             unit="image", rate={"cpu": CPU_RATE["mnist"]}),
        Item("beyond-detect-mnist-adversarial",
             "results/beyond: detection matrix, PGD-40 on the adversarially trained MNIST model",
             _detect_chunks("mnist", "adversarial"), needs=("paper1-train-adversarial",) + clean,
             unit="image", rate={"cpu": CPU_RATE["mnist"]}),
        Item("beyond-detect-cifar10",
             "results/beyond: detection matrix, 9 attacks x 4 bounds on the CIFAR-10 ResNet-32",
             _detect_chunks("cifar10", "natural"), needs=("paper2-train-natural",) + clean,
             unit="image", rate={"cpu": CPU_RATE["cifar10"]}),
        Item("beyond-detect-cifar10-released",
             "results/beyond: detection matrix, 9 attacks x 4 bounds on the authors' released "
             "undefended ResNet-32, 846 test images",
             _detect_chunks("cifar10", "natural", RELEASED), needs=clean,
             unit="image", rate={"cpu": CPU_RATE["cifar10"]}),
        Item("beyond-adaptive-natural",
             "results/beyond_adaptive: plain vs adaptive PGD, natural MNIST model",
             _adaptive_chunks("natural"), needs=("paper1-train-natural",) + clean,
             unit="image", rate={"cpu": CPU_RATE["adaptive"]}),
        Item("beyond-adaptive-adversarial",
             "results/beyond_adaptive: plain vs adaptive PGD, adversarially trained MNIST model",
             _adaptive_chunks("adversarial"), needs=("paper1-train-adversarial",) + clean,
             unit="image", rate={"cpu": CPU_RATE["adaptive"]}),
    ]
