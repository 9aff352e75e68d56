"""Qualitative figures of Laidlaw & Feizi (2019): Figs 1, 3, 4 and 5, on CIFAR-10.

Runs each functional threat model on the first ``n_images`` exact-pixel CIFAR-10 test
images against a trained classifier, and keeps, per attack: the adversarial images of the
first ``n_show`` images, per-image success and distances, and for ReColorAdv the learned
colour lattices of the shown images (for the vector-field figure). One cache chunk per attack.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .. import checkpoints, data
from ..training import predict
from ..attacks import FUNCTIONAL_ATTACKS, ReColorAdv, attack, functional_attack
from ..cache import cached
from ..color import luv_to_rgb, scaled_to_luv
from ..models import reference
from . import ProfileConfig
from . import page_entry

EXPERIMENT = "paper2_figures"
# Computes every missing attack chunk of the paper profile, one cached chunk per attack, on
# whatever device there is (about 25 minutes on a 2-core CPU); rerun it to resume.
COMMAND = f"python -m stego_lib.experiments.{EXPERIMENT} --profile paper"
VERSION = "3"  # 3: C keeps colours in gamut by shrinking the displacement (gamut="shrink")
PARAMS = ("model", "attacks", "n_images", "n_show", "iterations", "seed", "batch_size")
ATTACKS = ("C", "C-RGB", "D", "C+D", "C+S+D")
_COMMON = {"model": "cifar_resnet32_natural", "attacks": list(ATTACKS),
           "seed": 0, "batch_size": 128, "n_show": 4}
_DEFAULTS = {
    "smoke": {"n_images": 4, "iterations": 10},
    "quick": {"n_images": 64, "iterations": 100},
    "paper": {"n_images": 846, "iterations": 100},
}


@dataclass(frozen=True)
class FiguresConfig(ProfileConfig):
    """The model, the attacks, the first ``n_images`` exact-pixel test images (``n_show`` of
    them kept as pictures), the attack's iterations, seed and batch; None fields take the
    profile's value."""

    model: str | None = None
    attacks: tuple[str, ...] | None = None
    n_images: int | None = None
    n_show: int | None = None
    iterations: int | None = None
    seed: int | None = None
    batch_size: int | None = None

    def profile_values(self) -> dict:
        return {**_COMMON, **_DEFAULTS[self.profile]}

    def check(self) -> None:
        self.set("attacks", tuple(self.attacks))
        for name in self.attacks:
            if name not in FUNCTIONAL_ATTACKS:
                raise ValueError(f"unknown attack {name!r}; expected one of {FUNCTIONAL_ATTACKS}")
        if self.model.startswith(reference.PREFIX):
            reference.entry(self.model[len(reference.PREFIX):])   # a released row, or ValueError
        elif self.model not in checkpoints.available():
            raise ValueError(f"unknown model {self.model!r}; available checkpoints: "
                             f"{', '.join(checkpoints.available()) or 'none'}, or "
                             f"'{reference.PREFIX}<row>' for the authors' released models")
        if not 1 <= self.n_images <= 846:
            raise ValueError(f"n_images must be in [1, 846] (the exact-pixel test images), "
                             f"got {self.n_images}")
        self.set("n_show", min(self.n_show, self.n_images))


def make_config(profile: str, **overrides) -> FiguresConfig:
    """Config for ``profile``; ``overrides`` replace any of ``PARAMS`` (None keeps the default)."""
    return FiguresConfig.of(profile, **overrides)


def _attack_chunk(config: dict, name: str, progress: bool):
    device = checkpoints.device()
    split = data.load_sample("cifar10", limit=config.n_images)
    model = checkpoints.load(config.model, device=device)
    threat = functional_attack(name)
    advs, lattice = [], None
    for i in range(0, len(split), config.batch_size):
        x = split.images[i:i + config.batch_size].to(device)
        y = split.labels[i:i + config.batch_size].to(device)
        gen = torch.Generator().manual_seed(config.seed)   # the same start for every batch
        adv, params = attack(model, x, y, threat, steps=config.iterations, generator=gen,
                             progress=progress, return_params=True)
        advs.append(adv.cpu())
        if i == 0 and name in ("C", "C-RGB"):
            lattice = params[0][:config.n_show].cpu().numpy()  # (n_show, 3, *resolution)
    adv = torch.cat(advs)
    x, y = split.images, split.labels
    clean_pred = predict(model, x, batch_size=256, device=device)
    adv_pred = predict(model, adv, batch_size=256, device=device)
    diff = (adv - x).flatten(1)
    arrays = {
        "labels": y.numpy(), "clean_pred": clean_pred.numpy(), "adv_pred": adv_pred.numpy(),
        "linf": diff.abs().amax(1).numpy(), "l2": diff.norm(dim=1).numpy(),
        "changed_pixels": ((adv - x).abs().amax(1) > 0.5 / 255).float().mean((1, 2)).numpy(),
        "shown": x[:config.n_show].numpy().astype(np.float32),
        "adv_shown": adv[:config.n_show].numpy().astype(np.float32),
    }
    if lattice is not None:
        arrays["lattice"] = lattice.astype(np.float16)  # bounded by 0.06: float16 is ample
    meta = {"provenance": split.provenance.to_dict(), "threat": repr(threat),
            "model_metrics": checkpoints.entry(config.model)["metrics"],
            "model_sha256": checkpoints.entry(config.model)["sha256"], "device": str(device)}
    return arrays, meta


def most_moved(lattices: np.ndarray) -> int:
    """Index of the image whose colour function moves the most lattice points (> 0.01)."""
    moved = (np.abs(lattices.astype(np.float32)).max(1) > 0.01).reshape(len(lattices), -1).sum(1)
    return int(np.argmax(moved))


def colour_field(lattice: np.ndarray, *, l_indices=None) -> list[dict]:
    """The learned ReColorAdv function of one image in the u*-v* plane at three L* levels
    (the paper's Fig 3), as arrays for :func:`stego_lib.plotting.paper2.colour_field`.

    ``lattice`` is the displacement ``δ``, ``(3, L, U, V)`` in the attack's scaled CIELUV
    units. By default the three L* levels where it moves colours most are kept. Per level:
    ``L`` (L*), and for the lattice colours inside the sRGB gamut ``u``, ``v`` (u*, v*),
    ``du``, ``dv`` (the displacement in CIELUV units) and ``rgb`` ``(K, 3)``, their colours.

    Example::

        >>> levels = colour_field(np.zeros((3, 4, 5, 5), np.float32), l_indices=[2])
        >>> round(levels[0]["L"]), float(abs(levels[0]["du"]).max())
        (67, 0.0)
    """
    lattice = lattice.astype(np.float32)
    _, nl, nu, nv = lattice.shape
    axes = [a.numpy() for a in ReColorAdv(resolution=(nl, nu, nv)).lattice_axes()]
    if l_indices is None:
        mass = np.linalg.norm(lattice, axis=0).sum(axis=(1, 2))
        l_indices = sorted(np.argsort(mass)[-3:].tolist())
    levels = []
    for li in l_indices:
        uu, vv = np.meshgrid(axes[1], axes[2], indexing="ij")
        g = torch.tensor(np.stack([np.full_like(uu, axes[0][li]), uu, vv])[None],
                         dtype=torch.float64)  # (1, 3, U, V)
        luv = scaled_to_luv(g)[0].numpy()          # L*, u*, v*
        rgb = luv_to_rgb(scaled_to_luv(g))[0].numpy()
        inside = ((rgb > -1e-6) & (rgb < 1 + 1e-6)).all(0)
        d = lattice[:, li]
        # scaled units -> CIELUV units: L* = 100 s_L, u* = 200 s_u - 100, v* = 200 s_v - 100
        levels.append({"L": float(luv[0].flat[0]), "u": luv[1][inside], "v": luv[2][inside],
                       "du": 200 * d[1][inside], "dv": 200 * d[2][inside],
                       "rgb": np.clip(rgb.reshape(3, -1).T, 0, 1)[inside.ravel()]})
    return levels


def beside_table1(results: dict, table1: dict | None, paper: dict) -> list[dict]:
    """This page's accuracy under each attack beside Table 1's cell for the same model.

    ``results`` is :func:`run`'s output; ``table1`` maps attack -> Table 1's per-image
    outcomes (bool, same images in the same order; None or a missing attack: not computed);
    ``paper`` maps attack -> the paper's accuracy (percent). Per attack: ``pct`` (this page),
    ``table1`` (percent or None), ``agree`` (share of images on which both runs come to the
    same outcome: a check of reproducibility, as both attacks are deterministic and differ
    only in their batches), ``paper``, and the medians ``linf`` (in 1/255) and ``l2``.

    Example::

        >>> a = {"labels": np.array([0, 1]), "adv_pred": np.array([0, 0]),
        ...      "linf": np.array([0.01, 0.03]), "l2": np.array([0.1, 0.3])}
        >>> row, = beside_table1({"D": {"arrays": a}}, {"D": np.array([True, True])}, {"D": 30.6})
        >>> row["pct"], row["table1"], row["agree"], row["paper"]
        (50.0, 100.0, 0.5, 30.6)
    """
    rows = []
    for name, res in results.items():
        a = res["arrays"]
        ok = a["adv_pred"] == a["labels"]
        cell = None if table1 is None else table1.get(name)
        if cell is not None and len(cell) != len(ok):
            raise ValueError(f"Table 1's {name} cell has {len(cell)} images, this run {len(ok)}")
        rows.append({"attack": name, "pct": 100 * float(ok.mean()),
                     "table1": None if cell is None else 100 * float(np.mean(cell)),
                     "agree": None if cell is None else float(np.mean(cell == ok)),
                     "paper": paper.get(name), "linf": 255 * float(np.median(a["linf"])),
                     "l2": float(np.median(a["l2"]))})
    return rows


def defended_text(rows: list[dict], clean: float, n: int, paper_clean: float) -> str:
    """What :func:`beside_table1`'s rows say on a defended model: D against C+D, and how
    closely this page's runs agree with Table 1's cells. ``clean`` and ``paper_clean`` are
    clean accuracies in percent.

    Example::

        >>> rows = [{"attack": "D", "pct": 30.0, "table1": 31.0, "agree": 0.95, "paper": 30.6,
        ...          "linf": 8.0, "l2": 1.2},
        ...         {"attack": "C+D", "pct": 9.0, "table1": 9.5, "agree": 0.97, "paper": 8.9,
        ...          "linf": 20.0, "l2": 1.5}]
        >>> defended_text(rows, 85.0, 846, 84.8)[:60]
        'The model classifies 85.0 % of the 846 images correctly befo'
    """
    by = {r["attack"]: r for r in rows}
    out = [f"The model classifies {clean:.1f} % of the {n:,} images correctly before any "
           f"attack (the paper: {paper_clean:.1f} % on all 10,000 test images)."]
    if "D" in by and "C+D" in by:
        d, cd = by["D"], by["C+D"]
        out.append(f"Under D alone it keeps {d['pct']:.1f} % (paper {d['paper']:.1f} %); C+D "
                   f"leaves {cd['pct']:.1f} % (paper {cd['paper']:.1f} %), while the median "
                   f"L2 distance grows from {d['l2']:.3f} to {cd['l2']:.3f} and the median "
                   f"largest pixel change from {d['linf']:.1f} to {cd['linf']:.1f} (/255).")
    both = [r for r in rows if r["table1"] is not None]
    if both:
        gap = max(abs(r["pct"] - r["table1"]) for r in both)
        agree = [100 * r["agree"] for r in both]
        out.append(f"Table 1 attacks the same model and images in batches of another size; the "
                   f"attacks start at the identity and are deterministic, so the two runs should "
                   f"agree image by image up to floating-point rounding. Per attack they come to "
                   f"the same outcome on {min(agree):.1f}–{max(agree):.1f} % of the images, and "
                   f"their accuracies differ by at most {gap:.1f} points.")
    return " ".join(out)


def chunk_config(config: dict, name: str) -> dict:
    """The cache key of attack ``name`` under ``config``."""
    return {k: getattr(config, k) for k in PARAMS if k != "attacks"} | {"attack": name}


def chunk_entry(config: dict, name: str, *, mode: str = "auto", needs_gpu: bool | None = None,
                progress: bool = False):
    """The cache entry of one attack; at profile ``paper`` computed only where a GPU is, unless
    ``needs_gpu=False`` (the campaign, or the command line)."""
    if needs_gpu is None:
        needs_gpu = config.profile == "paper"
    return cached(EXPERIMENT, chunk_config(config, name), VERSION,
                  lambda: _attack_chunk(config, name, progress), needs_gpu=needs_gpu,
                  command=COMMAND, mode=mode, store=config.profile != "smoke")


def run(config: dict, *, mode: str = "auto", progress: bool = True) -> dict:
    """``{attack_name: {"arrays": ..., "meta": ...}}`` for every attack in the config."""
    out = {}
    for name in config.attacks:
        entry = chunk_entry(config, name, mode=mode, progress=progress)
        out[name] = {"arrays": entry.arrays, "meta": entry.meta}
    return out


if __name__ == "__main__":
    import argparse
    import os

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="paper")
    args = parser.parse_args()
    # Asked for explicitly, so compute here even without a GPU (a notebook would refuse).
    os.environ.setdefault("STEGO_ALLOW_CPU", "1")
    for name, res in run(make_config(args.profile)).items():
        a = res["arrays"]
        ok = a["clean_pred"] == a["labels"]
        print(f"{name:6s} accuracy under attack {np.mean(a['adv_pred'] == a['labels']):.3f} "
              f"(clean {ok.mean():.3f})")


page_result = page_entry(make_config, run)
