"""Perceptual distance against attack strength (Laidlaw & Feizi, NeurIPS 2019, Fig 6).

Attacks the undefended CIFAR-10 ResNet-32 with C (ReColorAdv), D (delta) and C+D at several
bounds, each a multiple (``scales``) of the bound used everywhere else (C: 0.06 per channel of
scaled CIELUV; D: 8/255; C+D: both scaled together), and records per image whether the attack
fooled the model and how far the adversarial image is from the original under each
perceptual metric of :mod:`stego_lib.perceptual`. One cache chunk per (attack, scale).

The paper does not publish the code behind its Fig 6. Here the attack is the reference's
(Adam, CW margin, λ = 0.05, last iterate) with its learning rate multiplied by the same
scale as the bound (``lr × scale``), so that every bound is reached in the same number of
steps: with the fixed 1e-3 a bound of 2 × 0.06 could not be reached in 100 iterations.

LPIPS is computed only where the AlexNet weights are in the local torch hub cache; otherwise
the chunks hold ``1 − SSIM`` and mean CIEDE2000, and say so. A chunk computed without LPIPS
is recomputed, when asked to, on a machine that has the weights.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from .. import checkpoints, data, perceptual
from ..training import predict
from .._checks import check_choice
from ..attacks import attack, functional_attack
from ..cache import ModelMissingError, cached, can_compute
from . import ProfileConfig
from . import page_entry

EXPERIMENT = "perceptual"
VERSION = "1"
COMMAND = "python -m stego_lib.campaign run --items paper2-perceptual"
ATTACKS = ("C", "D", "C+D")
BASE_BOUNDS = {"C": 0.06, "D": 8 / 255}  # the bounds of every other experiment (scale 1)
PARAMS = ("model", "attacks", "scales", "n_images", "iterations", "lr", "seed", "batch_size",
          "metrics")
_COMMON = {"attacks": list(ATTACKS),
           "scales": [0.25, 0.5, 0.75, 1.0, 1.5, 2.0],  # x the bounds of BASE_BOUNDS
           "seed": 0, "batch_size": 128,
           "metrics": None}  # None: every metric this machine can compute
_DEFAULTS = {
    # smoke: seconds on a CPU, for nbval; the committed brief model. A larger lr lets 5 steps
    # reach the bounds, so that they still matter.
    "smoke": {"model": "cifar_resnet32_brief", "n_images": 4, "iterations": 5, "lr": 0.01},
    # quick: minutes on a CPU, the brief model, the reference's attack settings
    "quick": {"model": "cifar_resnet32_brief", "n_images": 32, "iterations": 100, "lr": 1e-3},
    # paper: the undefended (naturally trained) ResNet-32, about 200 images as in the paper;
    # 0.125 as well, because C+D already misclassifies 90 % of the images at 0.25
    "paper": {"model": "cifar_resnet32_natural", "n_images": 200, "iterations": 100, "lr": 1e-3,
              "scales": [0.125, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0]},
}


@dataclass(frozen=True)
class SweepConfig(ProfileConfig):
    """The model, the attacks and the multiples of their bounds, the first ``n_images``
    exact-pixel test images, the attack's iterations and Adam step, seed, batch, and the
    perceptual metrics (None: every metric this machine can compute,
    :func:`stego_lib.perceptual.available_metrics`); None fields take the profile's value."""

    model: str | None = None
    attacks: tuple[str, ...] | None = None
    scales: tuple[float, ...] | None = None
    n_images: int | None = None
    iterations: int | None = None
    lr: float | None = None
    seed: int | None = None
    batch_size: int | None = None
    metrics: tuple[str, ...] | None = None

    def profile_values(self) -> dict:
        return {**_COMMON, **_DEFAULTS[self.profile]}

    def check(self) -> None:
        self.set("attacks", tuple(self.attacks))
        for name in self.attacks:
            check_choice(name, ATTACKS, name="attack")
        scales = [float(s) for s in self.scales]
        if not scales or any(not (0 < s <= 10) for s in scales):
            raise ValueError(f"scales must be a non-empty list of values in (0, 10], "
                             f"got {self.scales!r}")
        self.set("scales", tuple(sorted(set(scales))))
        if not isinstance(self.n_images, int) or not 1 <= self.n_images <= 846:
            raise ValueError(f"n_images must be in [1, 846] (the exact-pixel test images), "
                             f"got {self.n_images!r}")
        if not isinstance(self.iterations, int) or self.iterations < 0:
            raise ValueError(f"iterations must be an int >= 0, got {self.iterations!r}")
        if not isinstance(self.lr, (int, float)) or not self.lr > 0:
            raise ValueError(f"lr must be a number > 0, got {self.lr!r}")
        metrics = perceptual.available_metrics() if self.metrics is None else self.metrics
        for m in metrics:
            check_choice(m, tuple(perceptual.METRICS), name="perceptual metric")
        self.set("metrics", tuple(metrics))


def make_config(profile: str, **overrides) -> SweepConfig:
    """Config for ``profile``; ``overrides`` replace any of ``PARAMS`` (None keeps the default)."""
    return SweepConfig.of(profile, **overrides)


def threat_for(name: str, scale: float):
    """The threat model ``name`` with its bound(s) multiplied by ``scale``."""
    check_choice(name, ATTACKS, name="attack")
    return functional_attack(name, recolor={"eps": BASE_BOUNDS["C"] * scale},
                             delta={"eps": BASE_BOUNDS["D"] * scale})


def chunk_config(cfg: dict, name: str, scale: float, sha: str) -> dict:
    """The cache key of one (attack, scale) chunk (the metrics are recorded, not keyed)."""
    return {"model": cfg.model, "checkpoint": sha, "attack": name, "scale": scale,
            "n_images": cfg.n_images, "iterations": cfg.iterations,
            "lr": cfg.lr * scale, "seed": cfg.seed, "batch_size": cfg.batch_size}


@functools.lru_cache(maxsize=2)
def _model(name: str, sha: str, device: str) -> torch.nn.Module:
    """Loaded once per run of many chunks (``sha`` keys the cache to the file's content)."""
    return checkpoints.load(name, device=device)


def _compute(cfg: dict, name: str, scale: float, progress: bool):
    device = checkpoints.device()
    split = data.load_sample("cifar10", limit=cfg.n_images)
    model = _model(cfg.model, checkpoints.sha(cfg.model), str(device))
    threat = threat_for(name, scale)
    advs = []
    for i in range(0, len(split), cfg.batch_size):
        x = split.images[i:i + cfg.batch_size].to(device)
        y = split.labels[i:i + cfg.batch_size].to(device)
        gen = torch.Generator().manual_seed(cfg.seed)   # the same start for every batch
        advs.append(attack(model, x, y, threat, steps=cfg.iterations,
                           lr=cfg.lr * scale, generator=gen, progress=progress).cpu())
    adv, x, y = torch.cat(advs), split.images, split.labels
    clean_pred = predict(model, x, batch_size=256, device=device)
    adv_pred = predict(model, adv, batch_size=256, device=device)
    arrays = {"labels": y.numpy(), "clean_pred": clean_pred.numpy(), "adv_pred": adv_pred.numpy(),
              "linf": (adv - x).flatten(1).abs().amax(1).numpy()}
    arrays |= perceptual.distances(x, adv, cfg.metrics)
    meta = {"threat": repr(threat), "metrics": list(cfg.metrics),
            "metric_labels": {m: perceptual.METRICS[m] for m in cfg.metrics},
            "provenance": split.provenance.to_dict(), "device": str(device),
            "model_metrics": checkpoints.entry(cfg.model)["metrics"]}
    return arrays, meta


def run_chunk(cfg: dict, name: str, scale: float, *, mode: str = "auto", progress: bool = False,
              allow_cpu: bool = False):
    """The cache entry of one (attack, scale) chunk, computed if allowed.

    ``allow_cpu`` computes a paper-scale chunk on a CPU too (the campaign runner asks for
    that explicitly; a notebook does not).

    Raises:
        ModelMissingError: the model's checkpoint is not committed and the chunk is not cached.
        GPURequiredError / CacheMiss: as :func:`stego_lib.cache.cached`.
    """
    sha = checkpoints.sha(cfg.model)
    if sha is None:
        raise ModelMissingError(f"checkpoint {cfg.model!r} is not committed yet; the campaign "
                                f"trains it ({COMMAND})")
    key = chunk_config(cfg, name, scale, sha)
    kw = dict(needs_gpu=cfg.profile == "paper" and not allow_cpu, command=COMMAND,
              store=cfg.profile != "smoke")
    entry = cached(EXPERIMENT, key, VERSION, lambda: _compute(cfg, name, scale, progress),
                   mode=mode, **kw)
    missing = [m for m in cfg.metrics if m not in entry.arrays]
    if missing and mode == "auto" and can_compute(kw["needs_gpu"]):
        # computed on a machine without some metric (e.g. LPIPS weights): redo it here
        entry = cached(EXPERIMENT, key, VERSION, lambda: _compute(cfg, name, scale, progress),
                       mode="recompute", **kw)
    return entry


def run(config: dict, *, mode: str = "auto", progress: bool = False) -> dict:
    """``{"config", "chunks": {(attack, scale): {"arrays", "meta"}}, "metrics"}``; ``metrics``
    lists the metrics present in every chunk (in the order of :data:`perceptual.METRICS`)."""
    chunks = {}
    for name in config.attacks:
        for scale in config.scales:
            entry = run_chunk(config, name, scale, mode=mode, progress=progress)
            chunks[(name, scale)] = {"arrays": entry.arrays, "meta": entry.meta}
    present = [m for m in perceptual.METRICS
               if all(m in c["arrays"] for c in chunks.values())]
    return {"config": config, "chunks": chunks, "metrics": present}


def summarize(result: dict) -> dict:
    """Ready-to-plot arrays: ``{"attacks": {attack: {"scale", "bound", "error_rate",
    "success_rate", <metric>: mean distance, ..., "default_index"}}, "metrics", "labels"}``;
    the per-scale entries are arrays over the scales (sorted), ``metrics`` names the metrics
    present and ``labels`` says what each one is.

    ``error_rate`` counts every attacked image the model gets wrong (the paper's Fig 6);
    ``success_rate`` only those it classified correctly before the attack.
    """
    out = {"metrics": list(result["metrics"]),
           "labels": {m: perceptual.METRICS[m] for m in result["metrics"]}, "attacks": {}}
    for name in result["config"].attacks:
        scales = sorted(s for (n, s) in result["chunks"] if n == name)
        rows = [result["chunks"][(name, s)]["arrays"] for s in scales]
        correct = [a["clean_pred"] == a["labels"] for a in rows]
        wrong = [a["adv_pred"] != a["labels"] for a in rows]
        row = {
            "scale": np.array(scales),
            "bound": [_bound_text(name, s) for s in scales],
            "error_rate": np.array([float(np.mean(w)) for w in wrong]),
            "success_rate": np.array([float(np.mean(w[c])) if c.any() else np.nan
                                      for w, c in zip(wrong, correct)]),
            "clean_accuracy": float(np.mean(correct[0])) if rows else np.nan,
            "n_images": int(len(rows[0]["labels"])) if rows else 0,
            # where the bounds of every other experiment sit (scale 1), if swept
            "default_index": next((i for i, s in enumerate(scales) if abs(s - 1) < 1e-9), None),
        }
        for m in result["metrics"]:
            row[m] = np.array([float(np.mean(a[m])) for a in rows])
        out["attacks"][name] = row
    return out


def distance_at_error(row: dict, metric: str, target: float) -> float | None:
    """The mean ``metric`` distance at which the error rate of one attack's sweep (a row of
    :func:`summarize`) first reaches ``target``, interpolated linearly between the two
    swept bounds around it; ``None`` if the sweep never reaches it. Below the smallest bound
    nothing is extrapolated: if the smallest already reaches ``target``, its distance is an
    upper bound and is returned as it is.

    Example:
        >>> row = {"error_rate": np.array([0.5, 0.7, 0.9]), "ssim": np.array([0.1, 0.2, 0.4])}
        >>> round(distance_at_error(row, "ssim", 0.8), 6)
        0.3
    """
    if not 0.0 <= target <= 1.0:
        raise ValueError(f"target must be an error rate in [0, 1], got {target!r}")
    err, dist = np.asarray(row["error_rate"], float), np.asarray(row[metric], float)
    hit = np.nonzero(err >= target)[0]
    if len(hit) == 0:
        return None
    i = int(hit[0])
    if i == 0:
        return float(dist[0])
    t = (target - err[i - 1]) / (err[i] - err[i - 1])
    return float(dist[i - 1] + t * (dist[i] - dist[i - 1]))


def _bound_text(name: str, scale: float) -> str:
    parts = []
    if "C" in name:
        parts.append(f"ε<sub>C</sub> = {BASE_BOUNDS['C'] * scale:.3g}")
    if "D" in name:
        parts.append(f"ε<sub>D</sub> = {255 * BASE_BOUNDS['D'] * scale:.3g}/255")
    return ", ".join(parts)


__all__ = ["ATTACKS", "BASE_BOUNDS", "COMMAND", "EXPERIMENT", "ModelMissingError", "SweepConfig",
           "VERSION", "chunk_config", "distance_at_error", "make_config", "page_result", "run",
           "run_chunk", "summarize", "threat_for"]

if __name__ == "__main__":
    import argparse
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="paper")
    args = parser.parse_args()
    os.environ.setdefault("STEGO_ALLOW_CPU", "1")  # asked for explicitly: compute here
    summary = summarize(run(make_config(args.profile), progress=True))
    for name, row in summary["attacks"].items():
        for i, s in enumerate(row["scale"]):
            dist = "  ".join(f"{m} {row[m][i]:.4f}" for m in summary["metrics"])
            print(f"{name:4s} x{s:<5g} error rate {row['error_rate'][i]:.3f}  {dist}")


page_result = page_entry(make_config, run)
