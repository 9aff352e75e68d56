"""Sweep points computed on a GPU, recomputed on the CPU, image by image.

A sweep chunk may run on any device: its cache key names no device, and each entry records
the one it ran on. PGD's signed steps turn float rounding into whole grey levels, so a GPU
and a CPU do not give bit-identical adversarial images. This item recomputes on the CPU a few
GPU-computed points of the paper-scale sweep: their first ``N_FIRST`` test images, and every
image the stored run *let through* (misclassified and not flagged), because single such
images decide the perfect-separation ε. Each image is recomputed inside the same batch of
``batch_size`` it had in the sweep, from the same random start, so two CPU runs agree bit for
bit and any difference comes from the device.

Example:
    >>> import numpy as np
    >>> a = {"pred_cpu": np.array([1, 2, 3]), "pred_ref": np.array([1, 2, 0]),
    ...      "labels": np.array([0, 2, 3]),
    ...      "flag_cpu": np.array([True, False, True]), "flag_ref": np.array([True, True, True]),
    ...      "first": np.array([True, True, False]), "through_ref": np.array([False, False, True]),
    ...      "through_cpu": np.array([False, False, False])}
    >>> s = compare(a)
    >>> s["n_first"], s["pred_agree"], s["flag_agree"], s["tpr_diff"], s["through_ref"]
    (2, 2, 1, 0, 1)
"""
from __future__ import annotations

import numpy as np
import torch

from ... import checkpoints, data
from ...attacks import PGD
from ...cache import CacheMiss, ResultsCache, cached
from ...tasks import Chunk, Item
from .compute import all_scores, attack_config, model_sha, start_seed, threshold_chunk
from .config import CAMPAIGN_COMMAND, CHECKPOINTS, EXPERIMENT as SWEEP, VERSION as SWEEP_VERSION
from .config import make_config

__all__ = ["EXPERIMENT", "N_FIRST", "POINTS", "compare", "has", "items", "rows", "run_chunk",
           "sweep_devices"]

EXPERIMENT = "paper1_device_check"
VERSION = "1"
# GPU-computed points: one ε per model where its sweep lets an image through (the last such
# ε below the perfect-separation ε for the secret and Madry-recipe models), and two of
# Table II's ε on the Madry-recipe model, whose whole sweep ran on a GPU.
POINTS = (("natural", 0.21), ("adversarial", 0.36), ("madry", 0.10), ("madry", 0.30),
          ("madry", 0.41))
N_FIRST = 500


def _reference(model: str, eps: float):
    cfg = make_config("paper")
    return cached(SWEEP, attack_config(cfg, model, model_sha(model), eps, cfg.n_images),
                  SWEEP_VERSION, None, needs_gpu=False, command="", mode="cache-only")


def chunk_config(model: str, eps: float) -> dict:
    """The key names the stored run it checks by its file's sha256: a recomputed sweep point
    is checked afresh."""
    return {"kind": "device-check", "model": model, "checkpoint": model_sha(model),
            "eps": float(eps), "n_first": N_FIRST,
            "reference_sha256": _reference(model, eps).meta["sha256"]}


def _threshold() -> float:
    return float(np.max(threshold_chunk(make_config("paper"), "cache-only").arrays["abs"]))


def _compute(model: str, eps: float, progress=None):
    cfg = make_config("paper")
    ref = _reference(model, eps)
    test = data.load_mnist("test", limit=cfg.n_images)
    labels = test.labels.numpy()
    thr = _threshold()
    through_ref = (ref.arrays["pred"] != labels) & (ref.arrays["score_abs"] <= thr)
    bs = cfg.batch_size
    wanted = set(range(min(N_FIRST, len(labels)))) | set(np.nonzero(through_ref)[0].tolist())
    batches = sorted({i // bs for i in wanted})
    net = checkpoints.load(CHECKPOINTS[model], device="cpu")
    atk = PGD(eps=eps, steps=cfg.steps, alpha=cfg.alpha, clip_start=cfg.clip_start,
              loss=cfg.loss)
    start = atk.init(test.images, generator=torch.Generator().manual_seed(
        start_seed(cfg.seed, model, eps)))
    idx, pred, score = [], [], []
    for b in batches:
        sl = slice(b * bs, (b + 1) * bs)
        x_adv = atk.run(net, test.images[sl], test.labels[sl], start[sl])
        with torch.no_grad():
            p = net(x_adv).argmax(1).numpy()
        s = all_scores(x_adv, cfg.quantize)["abs"]
        keep = [i - b * bs for i in range(sl.start, min(sl.stop, len(labels))) if i in wanted]
        idx += [b * bs + k for k in keep]
        pred.append(p[keep]), score.append(s[keep])
        if progress is not None:
            progress(len(keep))
    idx = np.asarray(idx)
    pred_cpu, score_cpu = np.concatenate(pred), np.concatenate(score)
    arrays = {"index": idx, "pred_cpu": pred_cpu.astype(np.int8),
              "pred_ref": ref.arrays["pred"][idx], "score_cpu": score_cpu,
              "score_ref": ref.arrays["score_abs"][idx], "labels": labels[idx].astype(np.int8),
              "first": idx < N_FIRST, "through_ref": through_ref[idx],
              "through_cpu": (pred_cpu != labels[idx]) & (score_cpu <= thr)}
    arrays["flag_cpu"], arrays["flag_ref"] = score_cpu > thr, arrays["score_ref"] > thr
    return arrays, {"threshold": thr, "reference_device": ref.meta.get("device"),
                    "attack": repr(atk), "batch_size": bs}


def run_chunk(model: str, eps: float, *, mode: str = "auto", progress=None):
    """The check of the sweep point (``model``, ``eps``) (cached)."""
    return cached(EXPERIMENT, chunk_config(model, eps), VERSION,
                  lambda: _compute(model, eps, progress), needs_gpu=False,
                  command=CAMPAIGN_COMMAND, mode=mode)


def has(model: str, eps: float) -> bool:
    try:
        key = chunk_config(model, eps)
    except CacheMiss:
        return False
    return ResultsCache().has(EXPERIMENT, key, VERSION)


def compare(a: dict) -> dict:
    """Counts of one check: on the first images, ``pred_agree`` and ``flag_agree`` of
    ``n_first``, and ``tpr_diff``, by how many images Table II's count (misclassified and
    flagged) differs between the two; ``through_ref`` images let through by the stored run, ``through_both`` of
    them let through on the CPU as well, and ``through_cpu_only``."""
    first = np.asarray(a["first"], bool)
    tr, tc = np.asarray(a["through_ref"], bool), np.asarray(a["through_cpu"], bool)
    hit = {k: (np.asarray(a[f"pred_{k}"]) != np.asarray(a["labels"])) & np.asarray(a[f"flag_{k}"])
           for k in ("cpu", "ref")}
    return {"n_first": int(first.sum()),
            "tpr_diff": abs(int(hit["cpu"][first].sum()) - int(hit["ref"][first].sum())),
            "pred_agree": int((a["pred_cpu"] == a["pred_ref"])[first].sum()),
            "flag_agree": int((a["flag_cpu"] == a["flag_ref"])[first].sum()),
            "through_ref": int(tr.sum()), "through_both": int((tr & tc).sum()),
            "through_cpu_only": int((tc & ~tr).sum())}


def rows() -> list[dict]:
    """:func:`compare` of every committed check, with ``model``, ``eps`` and the device of the
    stored run."""
    out = []
    for model, eps in POINTS:
        if has(model, eps):
            ent = run_chunk(model, eps, mode="cache-only")
            out.append({"model": model, "eps": eps, "device": ent.meta["reference_device"],
                        **compare(ent.arrays)})
    return out


def sweep_devices(models=tuple(CHECKPOINTS)) -> dict[str, dict[str, int]]:
    """Model -> device -> how many of the paper grid's ε on all the test images ran there
    (committed entries only)."""
    cfg = make_config("paper")
    out = {}
    for m in models:
        sha = model_sha(m)
        if sha is None:
            continue
        count: dict[str, int] = {}
        for e in cfg.eps:
            key = attack_config(cfg, m, sha, e, cfg.n_images)
            if ResultsCache().has(SWEEP, key, SWEEP_VERSION):
                dev = cached(SWEEP, key, SWEEP_VERSION, None, needs_gpu=False, command="",
                             mode="cache-only").meta.get("device", "unknown")
                count[dev] = count.get(dev, 0) + 1
        if count:
            out[m] = count
    return out


def _chunks(device: str) -> list[Chunk]:
    out = []
    for model, eps in POINTS:
        def run(progress, model=model, eps=eps):
            run_chunk(model, eps, progress=progress)
        out.append(Chunk(f"{model} ε {eps:.2f}", lambda m=model, e=eps: has(m, e), run,
                         units=N_FIRST))
    return out


def items() -> list[Item]:
    return [Item("paper1-device-check",
                 f"results/{EXPERIMENT}: GPU-computed sweep points recomputed on the CPU "
                 f"({len(POINTS)} points, first {N_FIRST} images and every image let through)",
                 _chunks, needs=("paper1-sweep-natural", "paper1-sweep-adversarial",
                                 "paper1-sweep-madry"), unit="image", rate={"cpu": 20.0})]
