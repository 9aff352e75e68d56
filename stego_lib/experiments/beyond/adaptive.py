"""The strategic attacker against Paper I's combined system (pixel predictor + classifier).

Per MNIST model and ε, on the same test images: Paper I's PGD-40 (non-adaptive; the
attacker ignores the detector) and :class:`~stego_lib.attacks.adaptive.AdaptivePGD`, which
knows the detector's score and threshold. Both deliver 8-bit images, on which the
classifier and the detector are then run. Reported, each with N and a Wilson interval:

* the attack's own success: the share of images misclassified *and* not flagged, the
  quantity an attacker cares about (Carlini & Wagner 2017; Tramèr et al. 2020);
* misclassified (the classifier alone), and flagged (the detector alone);
* combined accuracy = classified correctly or flagged (Paper I's Fig 4) = 1 - success.

Example::

    >>> import numpy as np
    >>> a = {"plain_pred": np.array([1, 1, 2, 0]), "plain_score": np.array([0.9, 0.1, 0.1, 0.9]),
    ...      "adaptive_pred": np.array([1, 0, 2, 0]),
    ...      "adaptive_score": np.array([0.2, 0.1, 0.1, 0.4])}
    >>> res = AdaptiveResult(config={}, labels=np.array([0, 1, 2, 3]), threshold=0.5,
    ...                      clean_fpr=None, pools={}, models={"natural": {0.1: a}})
    >>> c = curves(res)["natural"]
    >>> str(c["plain"]["success"][0]), str(c["adaptive"]["success"][0])
    ('0.000 (0/4; 0.000–0.490)', '0.750 (3/4; 0.301–0.954)')
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ...attacks.adaptive import AdaptivePGD
from ...cache import cached
from ...tasks import CachedUnit
from ...detectors import score as predictor_score
from .common import (LazyModel, LazyPools, attack_spec, model_sha, predict, run_attack,
                     seed_of, to_uint8)
from .config import (BeyondConfig, CAMPAIGN_COMMAND, EXPERIMENT, VERSION, checkpoint_name,
                     make_config, store)
from .. import page_entry
from .detection import clean_entry, needs_gpu
from .stats import rate


def adaptive_config(cfg, model, sha, eps, thr) -> dict:
    return {"kind": "adaptive", "model": model, "checkpoint": sha, "eps": eps,
            "data": cfg.data, "sizes": dict(cfg.mnist_n), "seed": cfg.seed,
            "plain": attack_spec(cfg, "mnist", "PGD", eps), "threshold": thr,
            "adaptive": {"steps": cfg.adaptive_steps, "alpha": cfg.pgd_alpha,
                         "c_grid": [float(c) for c in cfg.c_grid], "margin": 0.0,
                         "straight_through": True, "score": "predictor abs"}}


@dataclass(frozen=True, eq=False)
class AdaptivePoint(CachedUnit):
    """Both attacks at ``eps`` on the MNIST model ``model`` (checkpoint sha256 ``sha``), the
    detector's threshold ``thr``, under ``cfg``: one cache entry, whose key :meth:`key` builds
    once."""

    experiment, version = EXPERIMENT + "_adaptive", VERSION
    cfg: BeyondConfig
    model: str
    sha: str
    eps: float
    thr: float

    def key(self) -> dict:
        return adaptive_config(self.cfg, self.model, self.sha, self.eps, self.thr)


def entry(point: AdaptivePoint, lazy: LazyPools, lazy_model: LazyModel, mode="auto",
          progress=None, campaign=False):
    """Both attacks at one (model, ε); ``campaign=True`` computes it on any device."""
    cfg, model, eps, thr = point.cfg, point.model, point.eps, point.thr
    ccfg = point.key()

    def compute():
        test, net = lazy.get()["test"], lazy_model.get()
        dev = next(net.parameters()).device
        seed = seed_of(cfg.seed, "mnist", model, "PGD", eps)   # the detection cell's seed
        plain = run_attack(net, test.images, test.labels, ccfg["plain"], seed, cfg.batch_size)
        a = ccfg["adaptive"]
        atk = AdaptivePGD(eps=eps, score=predictor_score, threshold=thr, steps=a["steps"],
                          alpha=a["alpha"], c_grid=a["c_grid"], margin=a["margin"])
        gen = torch.Generator().manual_seed(seed)
        advs, found = [], []
        for i in range(0, len(test), cfg.batch_size):
            x = test.images[i:i + cfg.batch_size].to(dev)
            y = test.labels[i:i + cfg.batch_size].to(dev)
            advs.append(to_uint8(atk(net, x, y, generator=gen)).cpu())
            found.append(atk.found.cpu())
            if progress:
                progress(len(x))
        adv = torch.cat(advs)
        arrays = {"plain_pred": predict(net, plain),
                  "plain_score": predictor_score(plain).numpy(),
                  "adaptive_pred": predict(net, adv), "adaptive_score": predictor_score(adv).numpy(),
                  "found": torch.cat(found).numpy(),
                  "adaptive_linf": (adv.float() - test.pixels.float()).abs().flatten(1).amax(1)
                  .numpy().astype(np.uint8)}
        return arrays, {"attack": repr(atk)}

    return cached(EXPERIMENT + "_adaptive", ccfg, VERSION, compute,
                  needs_gpu=needs_gpu(cfg) and not campaign,
                  command=CAMPAIGN_COMMAND, mode=mode, store=store(cfg))


@dataclass
class AdaptiveResult:
    config: BeyondConfig
    labels: np.ndarray
    threshold: float
    clean_fpr: dict            # Rate of clean test images flagged
    pools: dict
    models: dict = field(default_factory=dict)   # model -> {eps: arrays}
    checkpoints: dict = field(default_factory=dict)


def run(config: BeyondConfig, *, mode: str = "auto", progress: bool = False) -> AdaptiveResult:
    """Both attacks on every (MNIST model, ε) of ``config``.

    Raises:
        ModelMissingError, GPURequiredError, CacheMiss: as :func:`.detection.run`.
    """
    cfg = config
    shas = {m: model_sha(cfg, "mnist", m) for m in cfg.mnist_models}
    lazy = LazyPools(cfg, "mnist")
    clean = clean_entry(cfg, "mnist", lazy, mode)
    thr = float(clean.arrays["thr_predictor"])
    res = AdaptiveResult(cfg, clean.arrays["labels"].astype(np.int64), thr,
                         rate(clean.arrays["score_predictor"] > thr), clean.meta.get("pools", {}))
    for m, sha in shas.items():
        net = LazyModel(checkpoint_name(cfg, "mnist", m))
        res.checkpoints[m] = checkpoint_name(cfg, "mnist", m)
        res.models[m] = {e: entry(AdaptivePoint(cfg, m, sha, e, thr), lazy, net, mode).arrays
                         for e in cfg.mnist_eps}
    return res


def curves(res: AdaptiveResult) -> dict:
    """Per model and attack (``plain``, ``adaptive``): ``eps`` and, per ε, the
    :class:`~.stats.Rate` of ``success`` (misclassified and not flagged), ``misclassified``,
    ``flagged`` and ``combined`` (correct or flagged)."""
    out = {}
    for m, per_eps in res.models.items():
        out[m] = {}
        for kind in ("plain", "adaptive"):
            rows = {"eps": [], "success": [], "misclassified": [], "flagged": [], "combined": []}
            for e, a in sorted(per_eps.items()):
                wrong = a[f"{kind}_pred"].astype(np.int64) != res.labels
                flag = a[f"{kind}_score"] > res.threshold
                rows["eps"].append(e)
                rows["success"].append(rate(wrong & ~flag))
                rows["misclassified"].append(rate(wrong))
                rows["flagged"].append(rate(flag))
                rows["combined"].append(rate(~wrong | flag))
            out[m][kind] = rows
    return out


page_result = page_entry(make_config, run)
