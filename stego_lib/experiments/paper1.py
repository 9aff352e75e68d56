"""Paper I: Schöttle et al., *Detecting Adversarial Examples - A Lesson from Multimedia
Security* (EUSIPCO 2018), end to end.

Pipeline (as alxshine/stego4secureML drives MadryLab/mnist_challenge):

1. a threshold: the largest detector score over the MNIST training images (all 60,000
   here; the paper's text says 50,000, its code used TensorFlow's 55,000);
2. per model (``natural``, and ``adversarial`` = the paper's "secret" model) and per ε:
   PGD-k on the first ``n_images`` test images, then the model's prediction and the
   detector scores of each adversarial image (the images themselves are not kept);
3. per model: clean predictions and detector scores of the clean test images (for the
   false-positive rate, which the paper claims is zero but its code never measured).

Each (model, ε) is one cache chunk, so a GPU run resumes across 10-minute commands.
Summaries (Table II, Figs 2-4, ROC/AUC, headlines) are computed here from the cached
arrays; :mod:`stego_lib.plotting.paper1` only draws them.

CLI (trains missing checkpoints, then fills the cache)::

    python -m stego_lib.experiments.paper1 --profile paper --models natural,adversarial \
        --train --max-minutes 9
"""
from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import checkpoints, data
from .._checks import check_choice
from ..cache import GPURequiredError, cached
from ..papers import PAPER1_HEADLINES, PAPER1_TABLE2_EPS, PAPER1_TABLE2_TPR
from ..profiles import check_profile
from . import check_overrides

__all__ = ["CHECKPOINTS", "DETECTORS", "EPS_PAPER", "EXPERIMENT", "ModelMissingError",
           "Paper1Result", "RECIPES", "VERSION", "auc_table", "curves", "headlines",
           "make_config", "roc", "run", "table2", "train_model"]

EXPERIMENT = "paper1"
VERSION = "1"  # bump when the stored arrays change meaning
CHECKPOINTS = {"natural": "mnist_natural", "adversarial": "mnist_adversarial"}
EPS_PAPER = tuple(round(0.01 * i, 2) for i in range(1, 51))      # 0.01, 0.02, ..., 0.50
# Detector variants whose scores are stored per image:
#   abs    - the authors' code: mean(w * |x - x_hat|)                         (default)
#   signed - the paper's Eq. 3: mean(w * (x - x_hat))
#   ws     - full weighted-stego estimate (Ker & Böhme 2008), 4-neighbour variance
DETECTORS = ("abs", "signed", "ws")
COMMAND = "python -m stego_lib.experiments.paper1 --profile paper --models natural,adversarial"
TRAIN_COMMAND = ("python -m stego_lib.experiments.paper1 --profile paper --models adversarial "
                 "--train --max-minutes 9")

_DEFAULTS = {
    # smoke: seconds on a CPU; the package's 1,000-image sample, first 100 images.
    # Few PGD steps, so the step is raised to 0.03 to let 10 steps span the ball.
    "smoke": dict(models=("natural",), eps=(0.05, 0.1, 0.2, 0.3), steps=10, alpha=0.03,
                  n_images=100, data="sample"),
    # quick: minutes on a CPU; first 1,000 test images, the 15 ε of Table II.
    "quick": dict(models=("natural",), eps=PAPER1_TABLE2_EPS, steps=40, alpha=0.01,
                  n_images=1000, data="root"),
    # paper: the full experiment (GPU).
    "paper": dict(models=("natural", "adversarial"), eps=EPS_PAPER, steps=40, alpha=0.01,
                  n_images=10000, data="root"),
}
_COMMON = dict(
    seed=0,               # seeds the random starts, per (model, ε) chunk
    clip_start=False,     # mnist_challenge does not clip x + U(-ε, ε) to [0, 1]
    loss="ce",            # cross-entropy, as the paper's attack config
    quantize="floor",     # stego4secureML scores int((x * 255)) - truncation, not rounding
    threshold_n=60000,    # training images for the threshold (paper: 50,000; code: 55,000)
    batch_size=1000,      # PGD batch; not part of any cache key (noise is drawn per chunk)
)
_ALLOWED = set(_DEFAULTS["paper"]) | set(_COMMON)


class ModelMissingError(GPURequiredError):
    """A checkpoint needed for a result that is not cached is missing; training it is GPU work."""


def make_config(profile: str, **overrides) -> dict:
    """The full config of ``profile`` with ``overrides`` applied (None means the default).

    Keys: models, eps, steps, alpha, n_images, data ('sample' | 'root'), seed, clip_start,
    loss, quantize (None | 'floor' | 'round'), threshold_n, batch_size, profile.
    """
    check_profile(profile)
    overrides = {k: v for k, v in overrides.items() if v is not None}
    check_overrides(overrides, _ALLOWED)
    cfg = {**_DEFAULTS[profile], **_COMMON, **overrides}
    models = cfg["models"]
    if isinstance(models, str):
        models = tuple(m.strip() for m in models.split(",") if m.strip())
    for m in models:
        check_choice(m, tuple(CHECKPOINTS), name="model")
    cfg["models"] = list(models)
    eps = [round(float(e), 4) for e in cfg["eps"]]
    if not eps or any(not (0 < e <= 1) for e in eps):
        raise ValueError(f"eps must be a non-empty list of values in (0, 1], got {cfg['eps']!r}")
    cfg["eps"] = sorted(set(eps))
    for key in ("steps", "n_images", "threshold_n", "batch_size", "seed"):
        v = cfg[key]
        if not isinstance(v, int) or isinstance(v, bool) or v < (0 if key in ("steps", "seed") else 1):
            raise ValueError(f"{key} must be a positive int, got {v!r}")
    if not (isinstance(cfg["alpha"], (int, float)) and cfg["alpha"] > 0):
        raise ValueError(f"alpha must be > 0, got {cfg['alpha']!r}")
    check_choice(cfg["data"], ("sample", "root"), name="data")
    check_choice(cfg["loss"], ("ce", "cw"), name="loss")
    check_choice(cfg["quantize"], (None, "floor", "round"), name="quantize")
    if cfg["data"] == "sample" and cfg["n_images"] > 1000:
        raise ValueError(f"the package sample holds 1,000 images, got n_images={cfg['n_images']}")
    cfg["profile"] = profile
    return cfg


# --------------------------------------------------------------------------- computing

def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _all_scores(images: torch.Tensor, quantize) -> dict[str, np.ndarray]:
    from ..detectors import score, ws_estimate

    out = {}
    for kind in ("abs", "signed"):
        out[kind] = score(images, residual=kind, quantize=quantize).cpu().numpy().astype(np.float32)
    x = images
    if x.dtype != torch.uint8:  # WS needs 8-bit levels; use the same quantisation as above
        from ..detectors.predictor import to_255
        x = to_255(x, quantize=quantize or "round").clamp(0, 255).to(torch.uint8)
    out["ws"] = ws_estimate(x, variance="cross4").cpu().numpy().astype(np.float32)
    return out


def _threshold_chunk(cfg: dict, mode: str, progress: bool):
    ccfg = {"kind": "threshold", "split": "train", "n": cfg["threshold_n"],
            "detectors": list(DETECTORS)}

    def compute():
        split = data.load_mnist("train", limit=cfg["threshold_n"])
        scores = _all_scores(split.pixels, None)
        return scores, {"data": split.provenance.to_dict()}

    return cached(EXPERIMENT, ccfg, VERSION, compute, needs_gpu=False,
                  command="python -m stego_lib.experiments.paper1 --profile quick", mode=mode)


def _sample_threshold(test: data.Split) -> dict:
    s = _all_scores(test.pixels, None)
    return {"scores": s, "data": test.provenance.to_dict()}


def _needs_gpu(cfg: dict) -> bool:
    return cfg["n_images"] * max(cfg["steps"], 1) > 100_000


def _checkpoint_sha(model: str, need: bool) -> str | None:
    try:
        return checkpoints.entry(CHECKPOINTS[model])["sha256"]
    except checkpoints.CheckpointNotFoundError:
        return None


class _Lazy:
    """Loads a checkpoint at most once, and only when some chunk has to be computed."""

    def __init__(self, name: str):
        self.name, self.model = name, None

    def get(self):
        if self.model is None:
            self.model = checkpoints.load(self.name, device=_device())
        return self.model


def _attack_chunk(cfg, model_name, sha, eps, test, lazy, mode, store):
    from ..attacks import PGD

    ccfg = {"kind": "attack", "model": model_name, "checkpoint": sha, "eps": eps,
            "steps": cfg["steps"], "alpha": cfg["alpha"], "seed": cfg["seed"],
            "n_images": cfg["n_images"], "data": cfg["data"], "clip_start": cfg["clip_start"],
            "loss": cfg["loss"], "quantize": cfg["quantize"]}

    def compute():
        model = lazy.get()
        dev = next(model.parameters()).device
        atk = PGD(eps=eps, steps=cfg["steps"], alpha=cfg["alpha"], clip_start=cfg["clip_start"],
                  loss=cfg["loss"])
        # One generator per chunk, seeded from (seed, model, ε): results do not depend on the
        # batch size or on which chunks ran before.
        gen = torch.Generator().manual_seed(
            cfg["seed"] * 1_000_003 + list(CHECKPOINTS).index(model_name) * 10_007
            + int(round(eps * 10_000)))
        test_ = test.get()
        x_all = test_.images
        start_all = atk.init(x_all, generator=gen)
        preds, scores = [], {k: [] for k in DETECTORS}
        bs = cfg["batch_size"]
        for i in range(0, len(test_), bs):
            x = x_all[i:i + bs].to(dev)
            y = test_.labels[i:i + bs].to(dev)
            x_adv = atk.run(model, x, y, start_all[i:i + bs].to(dev))
            with torch.no_grad():
                preds.append(model(x_adv).argmax(1).cpu())
            for k, v in _all_scores(x_adv, cfg["quantize"]).items():
                scores[k].append(v)
        pred = torch.cat(preds).numpy().astype(np.int8)
        arrays = {"pred": pred, "success": pred != test_.labels.numpy()}
        arrays.update({f"score_{k}": np.concatenate(v) for k, v in scores.items()})
        return arrays, {"attack": repr(atk), "data": test_.provenance.to_dict()}

    command = f"{COMMAND} --eps {eps}"
    return cached(EXPERIMENT, ccfg, VERSION, compute, needs_gpu=_needs_gpu(cfg), command=command,
                  mode=mode, store=store)


def _clean_chunk(cfg, model_name, sha, test, lazy, mode, store):
    ccfg = {"kind": "clean", "model": model_name, "checkpoint": sha,
            "n_images": cfg["n_images"], "data": cfg["data"]}

    def compute():
        model = lazy.get()
        test_ = test.get()
        dev = next(model.parameters()).device
        preds = []
        with torch.no_grad():
            for i in range(0, len(test_), cfg["batch_size"]):
                preds.append(model(test_.images[i:i + cfg["batch_size"]].to(dev)).argmax(1).cpu())
        arrays = {"pred": torch.cat(preds).numpy().astype(np.int8),
                  "labels": test_.labels.numpy().astype(np.int8)}
        arrays.update({f"score_{k}": v for k, v in _all_scores(test_.pixels, None).items()})
        return arrays, {"data": test_.provenance.to_dict()}

    return cached(EXPERIMENT, ccfg, VERSION, compute, needs_gpu=False, command=COMMAND,
                  mode=mode, store=store)


@dataclass
class ModelResult:
    """Per-image arrays of one model: rows are ε values, columns test images."""

    name: str
    checkpoint: dict
    eps: np.ndarray                 # (E,)
    pred: np.ndarray                # (E, N) int8 predicted label of the adversarial image
    success: np.ndarray             # (E, N) bool  attack changed the label away from the truth
    scores: dict                    # detector -> (E, N) float32
    clean_pred: np.ndarray          # (N,) int8
    clean_scores: dict              # detector -> (N,) float32
    runtime_s: float = 0.0


@dataclass
class Paper1Result:
    config: dict
    labels: np.ndarray              # (N,) int64
    data: str                       # provenance of the test images
    thresholds: dict                # detector -> float (max over the threshold images)
    threshold_data: str             # provenance of the threshold images
    models: dict = field(default_factory=dict)   # name -> ModelResult
    notes: list = field(default_factory=list)


class _LazyTest:
    """The test images, loaded only when some chunk has to be computed: a page that reads
    committed results needs no data root."""

    def __init__(self, cfg):
        self.cfg, self.split = cfg, None

    def get(self) -> data.Split:
        if self.split is None:
            if self.cfg["data"] == "sample":
                self.split = data.load_sample("mnist", limit=self.cfg["n_images"])
            else:
                self.split = data.load_mnist("test", limit=self.cfg["n_images"])
        return self.split


def run(config: dict, *, mode: str = "auto", progress: bool = True) -> Paper1Result:
    """Compute (or read from the cache) every chunk of ``config``; see the module docstring.

    Raises:
        ModelMissingError: a needed checkpoint is not in the manifest (the message names the
            training command).
        GPURequiredError: a GPU-scale chunk is not cached on a CPU-only machine.
        CacheMiss: ``mode="cache-only"`` and a chunk is missing.
    """
    cfg = dict(config)
    store = cfg["profile"] != "smoke"
    notes = []
    test = _LazyTest(cfg)
    # Check every checkpoint first, so a missing one fails before any work starts.
    shas = {}
    for m in cfg["models"]:
        shas[m] = _checkpoint_sha(m, True)
        if shas[m] is None:
            cmd = TRAIN_COMMAND if m == "adversarial" else (
                "python -m stego_lib.experiments.paper1 --profile quick --models natural --train")
            raise ModelMissingError(
                f"checkpoint {CHECKPOINTS[m]!r} (the {m} model) is not in "
                f"checkpoints/manifest.json. Train it with: {cmd}")
    # The threshold chunk is shared by all profiles; smoke reads the committed one and only
    # falls back to the smoke images themselves when neither the cache nor the data exist.
    try:
        thr = _threshold_chunk(cfg, mode if mode != "recompute" else "auto", progress)
        thr_scores, thr_data = {k: thr.arrays[k] for k in DETECTORS}, thr.meta.get("data", {})
    except (data.DataNotFoundError, LookupError):
        if cfg["profile"] != "smoke":
            raise
        t = _sample_threshold(test.get())
        thr_scores, thr_data = t["scores"], t["data"]
        notes.append("No MNIST training data and no cached threshold: the threshold is the "
                     "maximum over the smoke images themselves (so their false-positive rate "
                     "is 0 by construction).")
    thresholds = {k: float(np.max(v)) for k, v in thr_scores.items()}
    thr_desc = (f"MNIST {thr_data.get('split', '?')}, {thr_data.get('count', 0):,} images "
                f"({thr_data.get('source', '?')})")
    result = None

    bar = None
    if progress:
        from tqdm import tqdm
        # disable=None: no bar when stderr is not a terminal (notebooks, logs)
        bar = tqdm(total=len(cfg["models"]) * (len(cfg["eps"]) + 1), desc="paper1", unit="chunk",
                   disable=None)
    try:
        for m in cfg["models"]:
            sha = shas[m]
            lazy = _Lazy(CHECKPOINTS[m])
            clean = _clean_chunk(cfg, m, sha, test, lazy, mode, store)
            if result is None:
                d = clean.meta.get("data", {})
                desc = data.Provenance(**d).describe() if d else "?"
                result = Paper1Result(cfg, clean.arrays["labels"].astype(np.int64), desc,
                                      thresholds, thr_desc, notes=notes)
            if bar is not None:
                bar.update(1)
            rows, runtime = [], float(clean.meta.get("runtime_s", 0))
            for e in cfg["eps"]:
                ent = _attack_chunk(cfg, m, sha, e, test, lazy, mode, store)
                rows.append(ent.arrays)
                runtime += float(ent.meta.get("runtime_s", 0))
                if bar is not None:
                    bar.update(1)
            result.models[m] = ModelResult(
                name=m, checkpoint=checkpoints.entry(CHECKPOINTS[m]), eps=np.array(cfg["eps"]),
                pred=np.stack([r["pred"] for r in rows]),
                success=np.stack([r["success"] for r in rows]),
                scores={k: np.stack([r[f"score_{k}"] for r in rows]) for k in DETECTORS},
                clean_pred=clean.arrays["pred"],
                clean_scores={k: clean.arrays[f"score_{k}"] for k in DETECTORS},
                runtime_s=runtime)
    finally:
        if bar is not None:
            bar.close()
    return result


# --------------------------------------------------------------------------- summaries

def _flags(res: Paper1Result, model: str, detector: str):
    check_choice(detector, DETECTORS, name="detector")
    mr = res.models[model]
    thr = res.thresholds[detector]
    return mr, mr.scores[detector] > thr, mr.clean_scores[detector] > thr


def curves(res: Paper1Result, detector: str = "abs") -> dict:
    """Per model: ``eps``, ``tpr`` ((success and flagged) / N, the paper's code), ``accuracy``
    (model accuracy on the adversarial images, Fig 3), ``combined`` ((correct or flagged) / N,
    Fig 4), ``flagged`` (share of adversarial images flagged, successful or not), ``fpr``
    (clean test images flagged), ``clean_accuracy``."""
    out = {}
    for m in res.models:
        mr, flag, clean_flag = _flags(res, m, detector)
        correct = mr.pred.astype(np.int64) == res.labels[None, :]
        out[m] = {
            "eps": mr.eps,
            "tpr": (mr.success & flag).mean(1),
            "accuracy": correct.mean(1),
            "combined": (correct | flag).mean(1),
            "flagged": flag.mean(1),
            "fpr": float(clean_flag.mean()),
            "clean_accuracy": float((mr.clean_pred.astype(np.int64) == res.labels).mean()),
        }
    return out


def table2(res: Paper1Result, detector: str = "abs") -> dict:
    """Table II at the ε of the paper's table that this result holds.

    Returns ``{"eps": [...], "rows": [(label, [values...]), ...]}``: for each model our TPR
    and, below it, the paper's published value.
    """
    cur = curves(res, detector)
    eps = [e for e in PAPER1_TABLE2_EPS if any(np.isclose(e, x) for m in cur for x in cur[m]["eps"])]
    rows = []
    for m, c in cur.items():
        idx = [int(np.argmin(np.abs(c["eps"] - e))) for e in eps]
        rows.append((f"{m} (ours, n={len(res.labels):,})", [float(c["tpr"][i]) for i in idx]))
        paper = dict(zip(PAPER1_TABLE2_EPS, PAPER1_TABLE2_TPR[m]))
        rows.append((f"{m} (paper, n=10,000)", [paper[e] for e in eps]))
    return {"eps": eps, "rows": rows}


def _perfect_from(eps: np.ndarray, ok: np.ndarray):
    """Smallest ε such that ``ok`` holds there and at every larger ε of the grid, else None."""
    if not ok[-1]:
        return None
    i = len(ok) - 1
    while i > 0 and ok[i - 1]:
        i -= 1
    return float(eps[i])


def headlines(res: Paper1Result, detector: str = "abs") -> dict:
    """Per model: ``perfect_separation_eps`` (from which every adversarial image is either
    classified correctly or flagged, i.e. combined accuracy 1), ``zero_accuracy_eps``,
    ``min_combined_accuracy`` (and its ε), ``tpr50_eps`` (first ε with TPR >= 0.5), ``fpr``,
    ``threshold``, and the paper's values."""
    cur = curves(res, detector)
    out = {}
    for m, c in cur.items():
        i_min = int(np.argmin(c["combined"]))
        tpr50 = np.nonzero(c["tpr"] >= 0.5)[0]
        out[m] = {
            "perfect_separation_eps": _perfect_from(c["eps"], c["combined"] >= 1.0),
            "zero_accuracy_eps": _perfect_from(c["eps"], c["accuracy"] <= 0.0),
            "min_combined_accuracy": float(c["combined"][i_min]),
            "min_combined_eps": float(c["eps"][i_min]),
            "tpr50_eps": float(c["eps"][tpr50[0]]) if len(tpr50) else None,
            "fpr": c["fpr"], "clean_accuracy": c["clean_accuracy"],
            "threshold": res.thresholds[detector],
            "paper": {k: (v[m] if isinstance(v, dict) else v) for k, v in PAPER1_HEADLINES.items()},
        }
    return out


def _auc(neg: np.ndarray, pos: np.ndarray) -> float:
    """Area under the ROC curve = P(pos > neg) + P(pos == neg) / 2 (Mann-Whitney)."""
    allv = np.concatenate([neg, pos])
    order = np.argsort(allv, kind="mergesort")
    ranks = np.empty(len(allv))
    sorted_v = allv[order]
    # average ranks for ties
    _, first, counts = np.unique(sorted_v, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1
    ranks[order] = np.repeat(avg, counts)
    r_pos = ranks[len(neg):].sum()
    return float((r_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def roc(res: Paper1Result, model: str, eps: float, detector: str = "abs",
        positives: str = "all") -> dict:
    """ROC of clean test images (negatives) vs adversarial images at ``eps`` (positives:
    ``"all"`` attacked images, or ``"successful"`` ones only). Returns ``fpr``, ``tpr``, ``auc``
    and the operating point of the training-set threshold."""
    check_choice(positives, ("all", "successful"), name="positives")
    mr = res.models[model]
    i = int(np.argmin(np.abs(mr.eps - eps)))
    neg = mr.clean_scores[detector].astype(np.float64)
    pos = mr.scores[detector][i].astype(np.float64)
    if positives == "successful":
        pos = pos[mr.success[i]]
    if len(pos) == 0:
        return {"eps": float(mr.eps[i]), "fpr": np.array([0.0, 1.0]), "tpr": np.array([0.0, 1.0]),
                "auc": float("nan"), "op": (0.0, 0.0)}
    thr = np.unique(np.concatenate([neg, pos]))[::-1]
    fpr = np.concatenate([[0.0], (neg[None, :] >= thr[:, None]).mean(1), [1.0]])
    tpr = np.concatenate([[0.0], (pos[None, :] >= thr[:, None]).mean(1), [1.0]])
    t = res.thresholds[detector]
    return {"eps": float(mr.eps[i]), "fpr": fpr, "tpr": tpr, "auc": _auc(neg, pos),
            "op": (float((neg > t).mean()), float((pos > t).mean()))}


def auc_table(res: Paper1Result, detector: str = "abs") -> dict:
    """AUC per model and ε (positives: all attacked images)."""
    out = {}
    for m, mr in res.models.items():
        neg = mr.clean_scores[detector].astype(np.float64)
        out[m] = {"eps": mr.eps,
                  "auc": np.array([_auc(neg, mr.scores[detector][i].astype(np.float64))
                                   for i in range(len(mr.eps))])}
    return out


# --------------------------------------------------------------------------- training

# Reference recipes. adversarial = mnist_challenge config.json / train.py; natural is
# a short CPU recipe (mnist_challenge's natural model used the same 100k-step schedule
# without the adversary; on a CPU that would take hours).
RECIPES = {
    "natural": dict(optimizer="adam", lr=1e-3, batch_size=50, epochs=4, schedule="cosine",
                    adversary=None),
    "adversarial": dict(optimizer="adam", lr=1e-4, batch_size=50, max_steps=100_000,
                        schedule=None,
                        adversary=dict(eps=0.3, steps=40, alpha=0.01, random_start=True,
                                       clip_start=False, loss="ce")),
}
STATE_DIR = Path(__file__).resolve().parents[2] / "_build" / "train_state"  # git-ignored


def train_model(which: str, *, max_minutes: float | None = None, batch_size: int | None = None,
                steps: int | None = None, seed: int = 0, progress: bool = True,
                state_dir=None) -> dict | None:
    """Train ``which`` ('natural' | 'adversarial') on the 60,000 MNIST training images and, when
    finished, save it as ``mnist_<which>`` (float16) with metrics measured on the reloaded
    weights. Resumable: with ``max_minutes`` it stops in time and keeps its state under
    ``_build/train_state/`` (git-ignored); call again to continue. Returns the manifest record
    when done, None when stopped early.

    ``batch_size`` / ``steps`` override the recipe (e.g. batch 200 for 25,000 steps on a GPU keeps
    the number of training examples); every deviation is recorded in the manifest.
    """
    from .. import models, training
    from ..attacks import PGD

    check_choice(which, tuple(RECIPES), name="model")
    recipe = dict(RECIPES[which])
    deviations = []
    if batch_size is not None and batch_size != recipe["batch_size"]:
        deviations.append(f"batch size {batch_size} instead of {recipe['batch_size']}")
        recipe["batch_size"] = batch_size
    if steps is not None:
        deviations.append(f"{steps} steps instead of {recipe.get('max_steps', 'the recipe')}")
        recipe["max_steps"] = steps
    dev = _device()
    train = data.load_mnist("train")
    test = data.load_mnist("test")
    model = models.build("mnist_cnn").to(dev)
    adv_cfg = recipe.pop("adversary")
    adversary = None
    if adv_cfg is not None:
        pgd = PGD(**adv_cfg)
        adversary = lambda mdl, x, y: pgd(mdl, x, y)  # noqa: E731 - attacks the model being trained
    n_steps = recipe.pop("max_steps", None)
    epochs = recipe.pop("epochs", None)
    if epochs is None:
        epochs = math.ceil(n_steps * recipe["batch_size"] / len(train))
    state_dir = Path(state_dir) if state_dir is not None else STATE_DIR
    state_dir.mkdir(parents=True, exist_ok=True)
    state_path = state_dir / f"mnist_{which}.state.pt"
    hist = training.train(model, train.pixels, train.labels, epochs=epochs, max_steps=n_steps,
                          adversary=adversary, seed=seed, device=dev, progress=progress,
                          max_seconds=None if max_minutes is None else max_minutes * 60,
                          state_path=state_path, **recipe)
    if not hist["finished"]:
        print(f"stopped after {hist['steps']} steps; state kept at {state_path}; run again to resume")
        return None
    name = CHECKPOINTS[which]
    config = {"recipe": {**RECIPES[which], **({"max_steps": n_steps} if n_steps else {}),
                         "batch_size": recipe["batch_size"], "epochs": epochs},
              "seed": seed, "steps_done": hist["steps"], "device": str(dev),
              "deviations": deviations, "final_train_loss": hist["loss"][-1:],
              "reference": "MadryLab/mnist_challenge train.py" if which == "adversarial" else
              "short natural recipe (see stego_lib.experiments.paper1.RECIPES)"}
    checkpoints.save(model, name, arch="mnist_cnn", config=config,
                     data={"train": train.provenance.to_dict()}, metrics={}, half=True)
    reloaded = checkpoints.load(name, device=dev)
    metrics = {"clean_accuracy_test10k": training.evaluate(reloaded, test.pixels, test.labels,
                                                           device=dev),
               "measured_on": "reloaded float16 weights, all 10,000 MNIST test images"}
    if which == "adversarial":
        gen_attack = PGD(eps=0.3, steps=40, alpha=0.01)
        metrics["pgd40_eps0.3_accuracy_test10k"] = training.evaluate(
            reloaded, test.pixels, test.labels, attack=lambda mdl, x, y: gen_attack(mdl, x, y),
            device=dev)
    return checkpoints.update_metrics(name, metrics)


# --------------------------------------------------------------------------- CLI

def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m stego_lib.experiments.paper1",
                                description="Paper I: train missing checkpoints and fill the cache.")
    p.add_argument("--profile", default="paper", choices=("smoke", "quick", "paper"))
    p.add_argument("--models", default=None, help="comma-separated: natural,adversarial")
    p.add_argument("--eps", default=None, help="comma-separated ε values (default: the profile's)")
    p.add_argument("--train", action="store_true", help="train missing checkpoints first")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop training / attacking after this long (resumable)")
    p.add_argument("--batch-size", type=int, default=None, help="training batch size override")
    p.add_argument("--train-steps", type=int, default=None, help="training steps override")
    p.add_argument("--attack-batch", type=int, default=None, help="PGD batch size")
    p.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    start = time.time()
    overrides = {"models": a.models, "batch_size": a.attack_batch}
    if a.eps:
        overrides["eps"] = [float(e) for e in a.eps.split(",")]
    cfg = make_config(a.profile, **overrides)
    if a.train:
        for m in cfg["models"]:
            if _checkpoint_sha(m, False) is None:
                left = None if a.max_minutes is None else a.max_minutes - (time.time() - start) / 60
                rec = train_model(m, max_minutes=left, batch_size=a.batch_size,
                                  steps=a.train_steps, progress=not a.no_progress)
                if rec is None:
                    return
                print(f"saved {CHECKPOINTS[m]}: {rec['metrics']}")
    # Fill the cache one ε at a time so that a time limit loses at most one chunk.
    for e in cfg["eps"]:
        if a.max_minutes is not None and (time.time() - start) / 60 > a.max_minutes:
            print("time limit reached; run the same command again to continue")
            return
        t0 = time.time()
        run({**cfg, "eps": [e]}, mode="auto", progress=not a.no_progress)
        print(f"ε = {e}: done in {time.time() - t0:.1f} s ({cfg['models']})", flush=True)
    res = run(cfg, mode="cache-only", progress=False)
    for m, h in headlines(res).items():
        print(m, {k: v for k, v in h.items() if k != "paper"})


if __name__ == "__main__":
    main()
