"""The detectors on real steganography: LSB replacement and LSB matching.

Covers: MNIST and CIFAR-10 test images with exact pixels. Each is embedded at every rate
of ``lsb_rates`` (bits per pixel; change rate = rate / 2) with both LSB replacement and
LSB matching (:func:`stego_lib.embedding.lsb_embed`). Per stego image: the WS estimate
with the 4-neighbour variance (the detector of the matrix) and with sealwatch's 3 x 3
window, and the pixel predictor's score. The predictor and WS detectors use the
thresholds of the detection matrix (largest score over the clean calibration images).

WS is derived for LSB replacement: it should estimate the change rate there, and see next
to nothing under LSB matching. MNIST digits are mostly pixels at 0 and 255, where both
methods can only move a pixel one way (0 -> 1, 255 -> 254), so on MNIST matching behaves
much like replacement.

Example::

    >>> from stego_lib.experiments.beyond import make_config
    >>> cfg = make_config("smoke")
    >>> key = lsb_config(cfg, "mnist")
    >>> key["n"], key["modes"], key["rates"][:3]
    (100, ['replacement', 'matching'], [0.05, 0.1, 0.2])
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import data
from ...cache import cached
from ...detectors import score as predictor_score, ws_estimate
from ...embedding import LSB_MODES, lsb_embed
from .common import LazyPools, seed_of
from .config import BeyondConfig, CAMPAIGN_COMMAND, EXPERIMENT, VERSION, make_config, store
from .. import page_entry
from .detection import clean_entry
from .stats import auc, rate

DATASETS = ("mnist", "cifar10")


def covers(source: str, dataset: str, n: int) -> data.Split:
    """The first ``n`` test images of ``dataset`` from ``source`` ('sample' | 'root')."""
    if source == "sample":
        return data.load_sample(dataset, limit=n)
    if dataset == "mnist":
        return data.load_mnist("test", limit=n)
    return data.load_cifar10("test", exact_subset=True, limit=n)


def lsb_config(cfg, dataset) -> dict:
    return {"kind": "lsb", "dataset": dataset, "data": cfg.data, "n": cfg.lsb_n[dataset],
            "rates": [float(r) for r in cfg.lsb_rates], "modes": list(LSB_MODES),
            "seed": cfg.seed, "embedding": "conseal.lsb.simulate, permuted path"}


def statistics(cov_all, rates, seed: int, dataset: str, start: int = 0,
               stop: int | None = None) -> dict:
    """For covers ``[start, stop)`` of ``cov_all``, under each embedding and at rate 0 and
    every rate of ``rates``: the changed-pixel share, WS (cross4, window9) and the predictor
    score, each ``(1 + rates, N)`` under ``<mode>_<statistic>``."""
    stop = len(cov_all) if stop is None else stop
    cov, out = cov_all[start:stop], {}
    for m in LSB_MODES:
        rows = {"changed": [], "ws": [], "ws_window9": [], "predictor": []}
        for r in [0.0] + list(rates):
            # lsb_embed seeds image i by its place in the array it is given: embed from the
            # first cover to the slice's end (cheap next to WS) and keep the slice
            st = lsb_embed(cov_all[:stop], r, mode=m,
                           seed=seed_of(seed, dataset, m, r) % 2**31)[start:]
            rows["changed"].append((st != cov).flatten(1).float().mean(1).numpy())
            rows["ws"].append(ws_estimate(st, variance="cross4").numpy())
            rows["ws_window9"].append(ws_estimate(st, variance="window9").numpy())
            rows["predictor"].append(predictor_score(st).numpy())
        for name, v in rows.items():
            dtype = np.float32 if name == "predictor" else np.float16
            out[f"{m}_{name}"] = np.stack(v).astype(dtype)      # (1 + rates, N)
    return out


def entry(cfg, dataset, mode="auto"):
    """Per image and (mode, rate): changed-pixel share, WS (cross4, window9), predictor score
    (row 0 of each is the cover itself, rate 0); and per cover the share of saturated pixels."""
    ccfg = lsb_config(cfg, dataset)

    def compute():
        split = covers(cfg.data, dataset, cfg.lsb_n[dataset])
        cov = split.pixels
        # share of pixels at 0 or 255, where both methods can move a pixel one way only
        arrays = {"cover_saturated": ((cov == 0) | (cov == 255)).flatten(1).float().mean(1)
                  .numpy().astype(np.float16)}
        arrays.update(statistics(cov, ccfg["rates"], cfg.seed, dataset))
        return arrays, {"covers": split.provenance.describe()}

    return cached(EXPERIMENT + "_lsb", ccfg, VERSION, compute, needs_gpu=False,
                  command=CAMPAIGN_COMMAND, mode=mode, store=store(cfg))


@dataclass
class LSBResult:
    config: BeyondConfig
    rates: np.ndarray                    # (R,) with 0 first
    arrays: dict                         # dataset -> entry arrays
    covers: dict                         # dataset -> provenance
    thresholds: dict                     # dataset -> {"predictor": t, "ws": t}


def run(config: BeyondConfig, *, mode: str = "auto", progress: bool = False) -> LSBResult:
    """Embed, estimate and score on both data sets (cheap: no model is involved)."""
    cfg = config
    res = LSBResult(cfg, np.array([0.0] + [float(r) for r in cfg.lsb_rates]), {}, {}, {})
    for d in DATASETS:
        ent = entry(cfg, d, mode)
        res.arrays[d], res.covers[d] = ent.arrays, ent.meta.get("covers", "")
        clean = clean_entry(cfg, d, LazyPools(cfg, d), mode).arrays
        res.thresholds[d] = {"predictor": float(clean["thr_predictor"]),
                             "ws": float(clean["thr_ws"])}
    return res


def summary(res: LSBResult) -> dict:
    """Per data set and mode, arrays over the rates (0 first): ``change_rate`` (measured),
    WS mean / median / quartiles / share clipped at 0 (both variances), the covers' share of
    pixels at 0 or 255 (``saturated``), and per detector the flagged
    :class:`~.stats.Rate` at the zero-false-positive threshold and the AUC of covers
    against stego images."""
    out = {}
    for d, a in res.arrays.items():
        out[d] = {}
        for m in LSB_MODES:
            s = {"rate": res.rates, "change_rate": a[f"{m}_changed"].astype(np.float64).mean(1)}
            for k in ("ws", "ws_window9"):
                w = a[f"{m}_{k}"].astype(np.float64)
                s[f"{k}_mean"] = w.mean(1)
                s[f"{k}_zero"] = (w == 0).mean(1)        # clipped at 0
                s[f"{k}_q"] = np.quantile(w, [0.25, 0.5, 0.75], axis=1)    # (3, R)
            for det in ("predictor", "ws"):
                sc = a[f"{m}_{det}"].astype(np.float64)
                t = res.thresholds[d][det]
                s[f"{det}_flagged"] = [rate(row > t) for row in sc]
                s[f"{det}_auc"] = np.array([auc(sc[0], row) for row in sc])
            s["saturated"] = float(a["cover_saturated"].astype(np.float64).mean())
            out[d][m] = s
    return out


page_result = page_entry(make_config, run)
