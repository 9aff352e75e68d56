"""The detection matrix: three detectors against every attack, bound and model.

One cache entry per cell (data set, model, attack, bound) holds, per test image, the
classifier's label for the attacked image and the three detector scores, and the learned
detector's scores of the clean test images (it is trained per cell, on pairs of clean
and attacked training images). Clean scores of the fixed detectors and all thresholds
are per data set. Image features, too large to commit, are kept outside the checkout.

Example::

    >>> from stego_lib.experiments.beyond import make_config
    >>> cfg = make_config("smoke", mnist_models=["natural"], mnist_eps=[0.1], cifar_attacks=["C"],
    ...                   cifar_scales=[1.0])
    >>> cells(cfg)
    [('mnist', 'natural', 'PGD', 0.1), ('cifar10', 'natural', 'C', 1.0)]
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...cache import CacheMiss, GPURequiredError, ResultsCache, cached
from ...tasks import CachedUnit
from ...detectors.learned import SpamEnsemble, extract_features
from .common import (LazyModel, LazyPools, attack_spec, model_sha, fixed_scores, predict,
                     run_attack, seed_of, state_cache)
from .. import Shown, best_available
from .config import (CAMPAIGN_COMMAND, EXPERIMENT, VERSION, BeyondConfig, ModelMissingError,
                     checkpoint_name, make_config, store)
from .stats import auc, auc_se, rate, roc_curve, tpr_at_fpr


def _sizes(cfg, dataset):
    return dict(cfg.mnist_n if dataset == "mnist" else cfg.cifar_n)


def cells(cfg: BeyondConfig) -> list[tuple[str, str, str, float]]:
    """Every (data set, model, attack, bound) of ``cfg``, MNIST first."""
    out = [("mnist", m, "PGD", e) for m in cfg.mnist_models for e in cfg.mnist_eps]
    out += [("cifar10", "natural", a, s) for a in cfg.cifar_attacks for s in cfg.cifar_scales]
    return out


def features_entry(cfg, dataset, role, lazy: LazyPools, mode="auto"):
    """SPAM features of one clean pool, kept in the state cache (recomputed when missing)."""
    ccfg = {"kind": "features", "dataset": dataset, "data": cfg.data, "role": role,
            "sizes": _sizes(cfg, dataset), "features": "spam"}

    def compute():
        return {"x": extract_features(lazy.get()[role].pixels)}, {}
    return cached(EXPERIMENT + "_features", ccfg, VERSION, compute, needs_gpu=False,
                  command=CAMPAIGN_COMMAND, mode=mode, cache=state_cache())


def clean_config(cfg, dataset):
    return {"kind": "clean", "dataset": dataset, "data": cfg.data,
            "sizes": _sizes(cfg, dataset)}


def clean_entry(cfg, dataset, lazy: LazyPools, mode="auto"):
    """Labels and fixed-detector scores of the clean test images, and the fixed detectors'
    thresholds (largest score over the calibration images)."""
    def compute():
        p = lazy.get()
        test, cal = fixed_scores(p["test"].pixels), fixed_scores(p["cal"].pixels)
        arrays = {"labels": p["test"].labels.numpy().astype(np.int8)}
        arrays.update({f"score_{k}": v for k, v in test.items()})
        arrays.update({f"thr_{k}": np.float64(v.max()) for k, v in cal.items()})
        return arrays, {"pools": {k: s.provenance.describe() for k, s in p.items()}}
    return cached(EXPERIMENT, clean_config(cfg, dataset), VERSION, compute, needs_gpu=False,
                  command=CAMPAIGN_COMMAND, mode=mode, store=store(cfg))


def clean_pred_entry(cfg, dataset, model, sha, lazy, lazy_model, mode="auto"):
    ccfg = {"kind": "clean-pred", "dataset": dataset, "model": model, "checkpoint": sha,
            "data": cfg.data, "n": _sizes(cfg, dataset)["test"]}

    def compute():
        return {"pred": predict(lazy_model.get(), lazy.get()["test"].pixels)}, {}
    return cached(EXPERIMENT, ccfg, VERSION, compute, needs_gpu=False,
                  command=CAMPAIGN_COMMAND, mode=mode, store=store(cfg))


def cell_config(cfg, dataset, model, sha, name, bound) -> dict:
    return {"kind": "cell", "dataset": dataset, "model": model, "checkpoint": sha,
            "attack": attack_spec(cfg, dataset, name, bound), "bound": bound,
            "data": cfg.data, "sizes": _sizes(cfg, dataset), "seed": cfg.seed,
            "learner": {"features": "spam", "n_learners": cfg.learners, "d_sub": cfg.d_sub}}


def needs_gpu(cfg) -> bool:
    """Paper-scale cells are the campaign's work; a page never starts one on a CPU."""
    return cfg.profile == "paper"


@dataclass(frozen=True, eq=False)
class MatrixCell(CachedUnit):
    """The attack ``name`` at ``bound`` on the model ``model`` (checkpoint sha256 ``sha``) of
    ``dataset`` under ``cfg``: one cache entry of the detection matrix, whose key :meth:`key`
    builds once."""

    experiment, version = EXPERIMENT, VERSION
    cfg: BeyondConfig
    dataset: str
    model: str
    sha: str
    name: str
    bound: float

    def key(self) -> dict:
        return cell_config(self.cfg, self.dataset, self.model, self.sha, self.name, self.bound)


def cell_entry(cell: MatrixCell, lazy: LazyPools, lazy_model: LazyModel, mode="auto",
               progress=None, campaign=False):
    """One cell; ``campaign=True`` (the campaign runner) computes it on any device."""
    cfg, dataset, model, name, bound = cell.cfg, cell.dataset, cell.model, cell.name, cell.bound
    ccfg = cell.key()

    def compute():
        p, net = lazy.get(), lazy_model.get()
        spec, bs = ccfg["attack"], cfg.batch_size
        seed = seed_of(cfg.seed, dataset, model, name, bound)
        adv_train = run_attack(net, p["train"].images, p["train"].labels, spec, seed + 1, bs)
        if progress:
            progress(len(adv_train))
        adv_test = run_attack(net, p["test"].images, p["test"].labels, spec, seed, bs)
        pred = predict(net, adv_test)
        feats = {r: features_entry(cfg, dataset, r, lazy).arrays["x"]
                 for r in ("train", "test", "cal")}
        det = SpamEnsemble(n_learners=cfg.learners, d_sub=cfg.d_sub, seed=cfg.seed)
        det.fit_features(feats["train"], extract_features(adv_train), feats["cal"])
        arrays = {"pred": pred, "success": pred != p["test"].labels.numpy(),
                  "train_success": predict(net, adv_train) != p["train"].labels.numpy(),
                  "score_spam_fld": det.score_features(extract_features(adv_test)),
                  "clean_score_spam_fld": det.score_features(feats["test"]),
                  "thr_spam_fld": np.float64(det.threshold),
                  "linf": (adv_test.float() - p["test"].pixels.float()).abs().flatten(1).amax(1)
                  .numpy().astype(np.uint8)}
        arrays.update({f"score_{k}": v for k, v in fixed_scores(adv_test).items()})
        if progress:
            progress(len(adv_test))
        return arrays, {"ensemble": repr(det), "d_sub_used": det.d_sub_used}

    return cached(EXPERIMENT, ccfg, VERSION, compute, needs_gpu=needs_gpu(cfg) and not campaign,
                  command=CAMPAIGN_COMMAND, mode=mode, store=store(cfg))


@dataclass
class Cell:
    dataset: str
    model: str
    attack: str
    bound: float               # MNIST: ε; CIFAR-10: multiple of the papers' bound
    spec: dict
    arrays: dict


@dataclass
class DetectionResult:
    config: BeyondConfig
    clean: dict                # dataset -> clean entry arrays (labels, scores, thresholds)
    clean_pred: dict           # (dataset, model) -> (N,) clean predictions
    cells: list = field(default_factory=list)
    pools: dict = field(default_factory=dict)    # dataset -> {pool: description}
    checkpoints: dict = field(default_factory=dict)


def run(config: BeyondConfig, *, mode: str = "auto", progress: bool = False) -> DetectionResult:
    """Compute (or read) every cell of ``config``.

    Raises:
        ModelMissingError: a checkpoint is not committed yet.
        GPURequiredError: a paper-scale cell is not cached (the campaign computes it).
        CacheMiss: ``mode="cache-only"`` and an entry is missing.
    """
    cfg = config
    todo = cells(cfg)
    shas = {(d, m): model_sha(cfg, d, m) for d, m, _, _ in todo}   # fail before any work
    res = DetectionResult(cfg, {}, {})
    # in the cells' order (a set's order of strings changes from run to run)
    lazies = {d: LazyPools(cfg, d) for d in dict.fromkeys(c[0] for c in todo)}
    models = {k: LazyModel(checkpoint_name(cfg, *k)) for k in shas}
    for d, lazy in lazies.items():
        ent = clean_entry(cfg, d, lazy, mode)
        res.clean[d], res.pools[d] = ent.arrays, ent.meta.get("pools", {})
    for (d, m), sha in shas.items():
        res.clean_pred[(d, m)] = clean_pred_entry(cfg, d, m, sha, lazies[d], models[(d, m)],
                                                  mode).arrays["pred"]
        res.checkpoints[(d, m)] = checkpoint_name(cfg, d, m)
    for d, m, a, b in todo:
        ent = cell_entry(MatrixCell(cfg, d, m, shas[(d, m)], a, b), lazies[d], models[(d, m)],
                         mode)
        res.cells.append(Cell(d, m, a, b, attack_spec(cfg, d, a, b), ent.arrays))
    return res


def committed_cifar_attacks(cfg: BeyondConfig) -> list[str]:
    """The CIFAR-10 attacks of ``cfg`` whose cells are cached at every bound (the campaign
    computes a whole attack, bound after bound, before the next one)."""
    try:
        sha = model_sha(cfg, "cifar10", "natural")
    except ModelMissingError:
        return []
    cache = ResultsCache()
    return [a for a in cfg.cifar_attacks if all(
        cache.has(EXPERIMENT, cell_config(cfg, "cifar10", "natural", sha, a, b), VERSION)
        for b in cfg.cifar_scales)]


def page_result(profile: str) -> Shown:
    """What the page shows for ``profile``: the whole matrix at the largest profile whose
    results are committed; but when only part of it is committed (the MNIST half, and the
    CIFAR-10 attacks whose cells are all done), that part at the requested scale, with a
    note, rather than the whole matrix at a smaller scale."""
    full = best_available(make_config, run, profile)
    if full.profile == profile:
        return full
    done = committed_cifar_attacks(make_config(profile))
    try:
        part = run(make_config(profile, cifar_attacks=done), mode="cache-only")
    except (GPURequiredError, CacheMiss):
        return full
    what = (f"MNIST cells and the CIFAR-10 cells of {', '.join(done)}" if done
            else "MNIST cells only")
    return Shown(part, profile, profile,
                 f"Profile '{profile}', {what}: the other CIFAR-10 cells are not committed "
                 f"yet (`{CAMPAIGN_COMMAND}` computes them).")


def _scores(res: DetectionResult, cell: Cell, det: str):
    """(clean test scores, attacked test scores, threshold) of detector ``det`` in ``cell``."""
    a = cell.arrays
    if det == "spam_fld":
        return a["clean_score_spam_fld"], a["score_spam_fld"], float(a["thr_spam_fld"])
    c = res.clean[cell.dataset]
    return c[f"score_{det}"], a[f"score_{det}"], float(c[f"thr_{det}"])


def summary(res: DetectionResult, cell: Cell, det: str) -> dict:
    """The report of one detector on one cell: AUC (with Hanley-McNeil SE), ROC, the rates
    at the zero-false-positive threshold, each a :class:`~.stats.Rate`, and the ROC's true-
    positive rate where 5 % of the clean test images are flagged."""
    neg, pos, thr = _scores(res, cell, det)
    ok = np.isfinite(neg).all() and np.isfinite(pos).all()
    a = auc(neg, pos) if ok else float("nan")
    success = cell.arrays["success"].astype(bool)
    fpr, tpr, _ = roc_curve(neg, pos) if ok else (np.array([0, 1.0]), np.array([0, 1.0]), None)
    return {"dataset": cell.dataset, "model": cell.model, "attack": cell.attack,
            "bound": cell.bound, "detector": det, "threshold": thr,
            "auc": a, "auc_se": auc_se(a, len(neg), len(pos)), "n_neg": len(neg), "n_pos": len(pos),
            "roc": (fpr, tpr),
            "tpr": rate(pos > thr), "fpr": rate(neg > thr),
            "tpr_at_5pct_fpr": tpr_at_fpr(neg, pos, 0.05) if ok else float("nan"),
            "tpr_successful": rate(pos[success] > thr),
            "attack_success": rate(success),
            "clean_accuracy": rate(res.clean_pred[(cell.dataset, cell.model)]
                                   == res.clean[cell.dataset]["labels"])}


def matrix(res: DetectionResult, detectors=("predictor", "ws", "spam_fld")) -> list[dict]:
    """:func:`summary` for every cell and detector."""
    return [summary(res, c, d) for c in res.cells for d in detectors]


def _panel(r: dict) -> str:
    if r["dataset"] == "mnist":
        return f"MNIST, {r['model']} model, PGD"
    return f"CIFAR-10, {r['attack']}"


def auc_series(rows: list[dict]) -> dict:
    """Panel -> detector -> (bounds, AUCs, SEs), for the AUC-against-bound figure."""
    out: dict = {}
    for r in rows:
        x, a, s = out.setdefault(_panel(r), {}).setdefault(r["detector"], ([], [], []))
        x.append(r["bound"]), a.append(r["auc"]), s.append(r["auc_se"])
    return out


def roc_groups(rows: list[dict], mnist_eps: float = 0.3, cifar_scale: float = 1.0) -> dict:
    """Panel -> rows at the papers' bound (MNIST: ``mnist_eps`` or the nearest computed ε;
    CIFAR-10: ``cifar_scale`` times the papers' bounds, or the nearest computed multiple)."""
    out: dict = {}
    for ds, ref in (("mnist", mnist_eps), ("cifar10", cifar_scale)):
        sel = [r for r in rows if r["dataset"] == ds]
        if not sel:
            continue
        best = min({r["bound"] for r in sel}, key=lambda b: (abs(b - ref), -b))
        for r in sel:
            if r["bound"] == best:
                title = _panel(r) + (f", ε {best:g}" if ds == "mnist" else f", {best:g} × bound")
                out.setdefault(title, []).append(r)
    return out


def headlines(rows: list[dict]) -> dict:
    """Numbers the page quotes: per data set, the cells where each detector has its best and
    worst AUC, how often each detector has the highest AUC of the three (ties count for
    all tied detectors), and the cell with the highest false-positive rate."""
    out = {}
    for ds in sorted({r["dataset"] for r in rows}):
        sel = [r for r in rows if r["dataset"] == ds]
        cells: dict = {}
        for r in sel:
            cells.setdefault((r["model"], r["attack"], r["bound"]), {})[r["detector"]] = r
        wins = {d: 0 for d in ("predictor", "ws", "spam_fld")}
        for per in cells.values():   # a tie for the highest AUC counts for every detector in it
            top = max(per[d]["auc"] for d in per)
            for d in per:
                wins[d] += per[d]["auc"] >= top - 1e-12
        out[ds] = {"cells": len(cells), "wins": wins,
                   "best": {d: max((r for r in sel if r["detector"] == d), key=lambda r: r["auc"])
                            for d in wins},
                   "worst": {d: min((r for r in sel if r["detector"] == d), key=lambda r: r["auc"])
                             for d in wins},
                   "max_fpr": max(sel, key=lambda r: r["fpr"]["rate"])}
    return out


def compare_auc(a: dict, b: dict) -> str:
    """``"higher than"``, ``"lower than"`` or ``"indistinguishable from"``: how the AUC of
    summary ``a`` compares with that of ``b``, where indistinguishable means within two
    standard errors of the difference (the two taken as independent)."""
    diff = a["auc"] - b["auc"]
    se = (a["auc_se"] ** 2 + b["auc_se"] ** 2) ** 0.5
    if abs(diff) <= 2 * se:
        return "indistinguishable from"
    return "higher than" if diff > 0 else "lower than"


def at_bound(rows: list[dict], dataset: str = "cifar10", bound: float = 1.0,
             model: str | None = None) -> dict:
    """``{attack: {detector: summary}}`` of the cells of ``dataset`` at ``bound`` (for
    CIFAR-10 a multiple of the papers' bounds), in the order of ``rows``.

    The result is keyed by attack alone, so where ``dataset`` has several models (MNIST)
    pass ``model``: otherwise a later model's cell silently replaces an earlier one's."""
    out: dict = {}
    for r in rows:
        if (r["dataset"] == dataset and abs(r["bound"] - bound) < 1e-9
                and (model is None or r["model"] == model)):
            out.setdefault(r["attack"], {})[r["detector"]] = r
    return out
