"""What makes a PGD example visible to the pixel predictor: the start noise or the gradient?

PGD (mnist_challenge's) starts at ``x + U(-ε, ε)`` and takes 40 signed-gradient steps of 0.01.
Uniform noise of amplitude ε is itself a strong signal for a local pixel predictor; the
gradient steps may keep it, overwrite it with a smoother pattern, or leave it untouched where
the gradient is zero. These chunks measure, per model and ε, on the first ``N_IMAGES`` test
images:

- accuracy, share flagged by the paper's detector and Table II's TPR (misclassified AND
  flagged) for PGD-40 with the random start, PGD-40 without it, and the start noise alone
  (projected onto [0, 1], no gradient step);
- per image, statistics of the final perturbation δ = x_adv − x of the random-start run: the
  share of pixels at the bound (absolute δ at least 0.99 ε), the share left unchanged (δ = 0), and δ's own
  roughness as the detector sees it (the mean absolute residual of the pixel predictor applied
  to δ, on the 0–255 scale), over the whole interior and over the flat background, where
  the detector's weights are largest (with the start noise's roughness there for comparison);
- per image, statistics of the 40 input gradients of that run: the share of exactly zero
  gradient entries, and the sign consistency of each pixel's gradient over the steps
  (the absolute mean of sign(g) over the 40 steps, averaged over the pixels with a nonzero gradient:
  1 when a pixel is pushed the same way every step, near 0 when it oscillates).

The loop is :class:`stego_lib.attacks.PGD`'s, with the gradients observed: the attacked images
are identical to ``PGD.run``'s (a test checks this).
"""
from __future__ import annotations

import numpy as np
import torch

from ... import checkpoints, data
from ...attacks import PGD
from ...cache import ResultsCache, cached
from ...tasks import Chunk, Item
from .compute import all_scores, threshold_chunk
from .config import CAMPAIGN_COMMAND, make_config

__all__ = ["EPS", "EXPERIMENT", "N_IMAGES", "chunk_config", "delta_roughness", "flat_mask",
           "items", "measure", "observed_pgd", "panels", "rows", "run_chunk", "summary"]

EXPERIMENT = "paper1_diagnostics"
VERSION = "1"
EPS = (0.05, 0.08, 0.10, 0.15, 0.20, 0.30, 0.40)
N_IMAGES = 1000
N_KEEP = 4          # images whose δ is stored, for the figure
PGD_SETTINGS = dict(steps=40, alpha=0.01, clip_start=False, loss="ce")   # Paper I's attack


def _residual(d: torch.Tensor) -> torch.Tensor:
    c = d[..., 1:-1, 1:-1]
    cross = d[..., :-2, 1:-1] + d[..., 2:, 1:-1] + d[..., 1:-1, :-2] + d[..., 1:-1, 2:]
    corners = d[..., :-2, :-2] + d[..., :-2, 2:] + d[..., 2:, :-2] + d[..., 2:, 2:]
    return c - (0.5 * cross - 0.25 * corners)


def flat_mask(images: torch.Tensor) -> torch.Tensor:
    """Interior pixels ``(N, C, H-2, W-2)`` whose clean 3×3 neighbourhood is constant (on MNIST:
    the black background), where the detector's weight 1/(5 + σ²) is largest."""
    c = images[..., 1:-1, 1:-1]
    same = torch.ones_like(c, dtype=torch.bool)
    h, w = images.shape[-2:]
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            same &= images[..., dy:h - 2 + dy, dx:w - 2 + dx] == c
    return same


def delta_roughness(delta: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean absolute residual of the pixel predictor applied to ``delta`` ``(N, C, H, W)`` (in
    [0, 1] units), on the 0–255 scale, per image: how much of δ a local predictor cannot
    explain. A constant or linear δ gives 0. With ``mask`` (interior-shaped, boolean), the
    mean is over the masked pixels only (NaN where an image has none).

    Example:
        >>> float(delta_roughness(torch.full((1, 1, 5, 5), 0.3))[0])
        0.0
    """
    r = _residual(delta * 255.0).abs()
    if mask is None:
        return r.mean(dim=(-3, -2, -1))
    m = mask.to(r.dtype)
    return (r * m).sum(dim=(-3, -2, -1)) / m.sum(dim=(-3, -2, -1))


def observed_pgd(atk: PGD, model, images: torch.Tensor, labels: torch.Tensor,
                 start: torch.Tensor) -> tuple[torch.Tensor, dict]:
    """``atk.run(model, images, labels, start)`` with its input gradients observed. Returns the
    attacked images and per-image ``zero_grad`` (share of zero gradient entries over all steps)
    and ``sign_consistency`` (see the module docstring); both NaN when ``atk.steps == 0``."""
    n = images.shape[0]
    sign_sum = torch.zeros_like(images)
    nonzero = torch.zeros_like(images)

    def observe(grad: torch.Tensor) -> None:
        s = grad.sign()
        sign_sum.add_(s)
        nonzero.add_(s != 0)

    x = atk.run(model, images, labels, start, on_grad=observe)
    if atk.steps == 0:
        nan = torch.full((n,), float("nan"))
        return x.detach(), {"zero_grad": nan, "sign_consistency": nan}
    flat_nz = nonzero.flatten(1)
    zero_grad = 1 - flat_nz.sum(1) / (flat_nz.shape[1] * atk.steps)
    touched = flat_nz > 0
    consistency = (sign_sum.flatten(1).abs() / flat_nz.clamp(min=1))
    consistency = (consistency * touched).sum(1) / touched.sum(1).clamp(min=1)
    return x.detach(), {"zero_grad": zero_grad.cpu(), "sign_consistency": consistency.cpu()}


def chunk_config(checkpoint: str, sha: str, eps: float) -> dict:
    return {"kind": "diagnostics", "checkpoint": checkpoint, "sha256": sha, "eps": float(eps),
            "n_images": N_IMAGES, "pgd": dict(PGD_SETTINGS), "seed": 0, "quantize": "floor"}


def _compute(checkpoint: str, eps: float, progress):
    model = checkpoints.load(checkpoint, device=checkpoints.device())
    arrays, meta = measure(model, eps, progress)
    return arrays, {**meta, "model_checkpoint": checkpoint}


def measure(model, eps: float, progress=None) -> tuple[dict, dict]:
    """The diagnostic arrays of ``model`` (in eval mode for the attack) at ``eps`` on the
    first ``N_IMAGES`` test images, and their metadata (threshold, data, attack)."""
    dev = next(model.parameters()).device
    test = data.load_mnist("test", limit=N_IMAGES)
    thr = float(np.max(threshold_chunk(make_config("paper"), "auto").arrays["abs"]))
    x_all, y_all = test.images, test.labels
    gen = torch.Generator().manual_seed(int(round(eps * 10_000)))
    with_start = PGD(eps=eps, **PGD_SETTINGS)
    no_start = PGD(eps=eps, random_start=False, **PGD_SETTINGS)
    noise_only = PGD(eps=eps, **dict(PGD_SETTINGS, steps=0))
    start = with_start.init(x_all, generator=gen)
    out = {k: [] for k in ("pred_pgd", "score_pgd", "pred_nostart", "score_nostart",
                           "pred_noise", "score_noise", "at_bound", "unchanged", "roughness",
                           "roughness_flat", "unchanged_flat", "roughness_noise_flat",
                           "zero_grad", "sign_consistency", "zero_grad_nostart",
                           "sign_consistency_nostart")}
    for i in range(0, len(x_all), 100):
        x, y, s = x_all[i:i + 100].to(dev), y_all[i:i + 100].to(dev), start[i:i + 100].to(dev)
        adv, stats = observed_pgd(with_start, model, x, y, s)
        adv0, stats0 = observed_pgd(no_start, model, x, y, x)
        noisy = noise_only.project(s, x)
        for tag, img in (("pgd", adv), ("nostart", adv0), ("noise", noisy)):
            with torch.no_grad():
                out[f"pred_{tag}"].append(model(img).argmax(1).cpu().numpy().astype(np.int8))
            out[f"score_{tag}"].append(all_scores(img, "floor")["abs"])
        d = (adv - x).cpu()
        out["at_bound"].append((d.abs() >= 0.99 * eps).flatten(1).float().mean(1).numpy())
        out["unchanged"].append((d == 0).flatten(1).float().mean(1).numpy())
        out["roughness"].append(delta_roughness(d).numpy())
        flat = flat_mask(x.cpu())
        out["roughness_flat"].append(delta_roughness(d, flat).numpy())
        out["roughness_noise_flat"].append(delta_roughness((noisy - x).cpu(), flat).numpy())
        dz = (d[..., 1:-1, 1:-1] == 0) & flat
        out["unchanged_flat"].append((dz.flatten(1).sum(1) / flat.flatten(1).sum(1)).numpy())
        out["zero_grad"].append(stats["zero_grad"].numpy())
        out["sign_consistency"].append(stats["sign_consistency"].numpy())
        out["zero_grad_nostart"].append(stats0["zero_grad"].numpy())
        out["sign_consistency_nostart"].append(stats0["sign_consistency"].numpy())
        if i == 0:
            keep = {"delta_first": d[:N_KEEP].numpy().astype(np.float32),
                    "noise_first": (noisy - x)[:N_KEEP].cpu().numpy().astype(np.float32)}
        if progress is not None:
            progress(len(x))
    arrays = {k: np.concatenate(v).astype(np.int8 if k.startswith("pred") else np.float32)
              for k, v in out.items()}
    arrays.update(keep, labels=y_all.numpy().astype(np.int8))
    meta = {"threshold": thr, "data": test.provenance.to_dict(), "attack": repr(with_start),
            "device": str(dev)}
    return arrays, meta


def run_chunk(checkpoint: str, eps: float, *, mode: str = "auto", progress=None):
    """The diagnostic entry of ``checkpoint`` at ``eps`` (cached)."""
    sha = checkpoints.sha(checkpoint)
    if sha is None:
        raise checkpoints.CheckpointNotFoundError(f"checkpoint {checkpoint!r} is not committed")
    return cached(EXPERIMENT, chunk_config(checkpoint, sha, eps), VERSION,
                  lambda: _compute(checkpoint, eps, progress), needs_gpu=False,
                  command=CAMPAIGN_COMMAND, mode=mode)


def has(checkpoint: str, eps: float) -> bool:
    sha = checkpoints.sha(checkpoint)
    return sha is not None and ResultsCache().has(EXPERIMENT, chunk_config(checkpoint, sha, eps),
                                                  VERSION)


def summary(entry) -> dict:
    """Rates and medians of one entry: ``accuracy_*``, ``flagged_*``, ``tpr_*`` for
    ``pgd``/``nostart``/``noise``, and the medians of the δ and gradient statistics; ``device``,
    where the entry was computed (None for entries that do not record it)."""
    a, thr = entry.arrays, float(entry.meta["threshold"])
    labels = a["labels"].astype(np.int64)
    out = {"n": int(labels.size), "threshold": thr, "device": entry.meta.get("device")}
    for tag in ("pgd", "nostart", "noise"):
        ok = a[f"pred_{tag}"].astype(np.int64) == labels
        flag = a[f"score_{tag}"] > thr
        out[f"accuracy_{tag}"] = float(ok.mean())
        out[f"flagged_{tag}"] = float(flag.mean())
        out[f"tpr_{tag}"] = float((~ok & flag).mean())
    for k in ("at_bound", "unchanged", "roughness", "roughness_flat", "unchanged_flat",
              "roughness_noise_flat", "zero_grad", "sign_consistency", "zero_grad_nostart",
              "sign_consistency_nostart"):
        out[k] = float(np.median(a[k]))
    return out


# The models diagnosed: Paper I's two, and the secret model trained with Madry's recipe.
MODELS = {"natural": "mnist_natural", "adversarial": "mnist_adversarial",
          "madry": "mnist_adversarial_madry"}


def _chunks(device: str) -> list[Chunk]:
    out = []
    for name, ckpt in MODELS.items():
        if name == "madry" and checkpoints.sha(ckpt) is None:
            continue   # measured once the model is trained (paper1-train-madry)
        for eps in EPS:
            def run(progress, ckpt=ckpt, eps=eps):
                run_chunk(ckpt, eps, progress=progress)
            out.append(Chunk(f"{name} ε {eps:.2f} × {N_IMAGES:,}",
                             lambda ckpt=ckpt, eps=eps: has(ckpt, eps), run, units=N_IMAGES))
    return out


def items() -> list[Item]:
    return [Item("paper1-diagnostics", f"results/{EXPERIMENT}: start noise vs gradient, "
                                       f"{len(EPS)} ε × {N_IMAGES:,} images per MNIST model",
                 _chunks, needs=("paper1-threshold",), unit="image", rate={"cpu": 12.0})]


def rows(models=("natural", "adversarial", "madry"), eps=EPS) -> list[dict]:
    """:func:`summary` of every committed entry, with ``model`` and ``eps``, model by model."""
    out = []
    for name in models:
        for e in eps:
            if has(MODELS[name], e):
                out.append({"model": name, "eps": e,
                            **summary(run_chunk(MODELS[name], e, mode="cache-only"))})
    return out


def panels(eps=(0.10, 0.30), models=("natural", "adversarial"), image: int = 0) -> list[dict]:
    """For the δ figure: test image ``image`` (< ``N_KEEP``), its start noise and PGD-40's final
    δ, per committed (model, ε)."""
    out = []
    for name in models:
        for e in eps:
            if not has(MODELS[name], e):
                continue
            a = run_chunk(MODELS[name], e, mode="cache-only").arrays
            x = data.load_mnist("test", limit=image + 1).images[image, 0].numpy()
            out.append({"model": name, "eps": e, "image": x,
                        "noise": a["noise_first"][image, 0], "delta": a["delta_first"][image, 0]})
    return out
