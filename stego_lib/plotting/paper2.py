"""Figures for Laidlaw & Feizi (2019), drawn from ``experiments.paper2_figures`` results."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..attacks.recolor import _LUV_BOX
from ..color import luv_to_rgb, scaled_to_luv
from ..data import CIFAR10_CLASSES
from ._figure import finish
from .table import Table

_TITLES = {"C": "ReColorAdv (CIELUV)", "C-RGB": "ReColorAdv (RGB)", "D": "delta (L-inf 8/255)",
           "S": "StAdv", "C+D": "C+D", "C+S": "C+S", "S+D": "S+D", "C+S+D": "C+S+D"}


def _img(a: np.ndarray) -> np.ndarray:
    return np.clip(a.transpose(1, 2, 0), 0, 1)


def _diff(adv: np.ndarray, x: np.ndarray, gain: float) -> np.ndarray:
    return np.clip(0.5 + gain * (adv - x).transpose(1, 2, 0), 0, 1)


def success_table(results: dict) -> Table:
    rows = []
    for name, res in results.items():
        a = res["arrays"]
        rows.append([name, len(a["labels"]), f"{np.mean(a['clean_pred'] == a['labels']):.3f}",
                     f"{np.mean(a['adv_pred'] == a['labels']):.3f}",
                     f"{np.median(a['linf']) * 255:.1f}", f"{np.median(a['l2']):.3f}",
                     f"{np.median(a['changed_pixels']):.2f}"])
    return Table(["attack", "images", "clean accuracy", "accuracy under attack",
                  "median L-inf (/255)", "median L2", "median fraction of pixels changed"], rows)


def perturbation_grid(results: dict, names, *, index: int = 0, gain: float = 5.0):
    """Rows of (original, adversarial, magnified difference) per attack for one image
    (the layout of the paper's Figs 1 and 5)."""
    fig, axes = plt.subplots(len(names), 3, figsize=(5.2, 1.8 * len(names)), squeeze=False)
    for row, name in zip(axes, names):
        a = results[name]["arrays"]
        x, adv = a["shown"][index], a["adv_shown"][index]
        pred, label = int(a["adv_pred"][index]), int(a["labels"][index])
        row[0].imshow(_img(x))
        row[1].imshow(_img(adv))
        row[2].imshow(_diff(adv, x, gain))
        row[0].set_ylabel(_TITLES.get(name, name), fontsize=8)
        row[1].set_title(f"-> {CIFAR10_CLASSES[pred]}" + (" (fooled)" if pred != label else ""),
                         fontsize=8)
        for ax in row:
            ax.set_xticks([]), ax.set_yticks([])
    axes[0][0].set_title("original", fontsize=8)
    axes[0][2].set_title(f"difference x{gain:g}", fontsize=8)
    fig.tight_layout()
    return finish(fig)


def examples_grid(results: dict, names, *, gain: float = 5.0):
    """For several images: original, then each attack's adversarial image and difference."""
    n = len(results[names[0]]["arrays"]["shown"])
    fig, axes = plt.subplots(n, 1 + 2 * len(names), figsize=(1.1 * (1 + 2 * len(names)), 1.2 * n),
                             squeeze=False)
    for i in range(n):
        x = results[names[0]]["arrays"]["shown"][i]
        axes[i][0].imshow(_img(x))
        for k, name in enumerate(names):
            a = results[name]["arrays"]
            axes[i][1 + 2 * k].imshow(_img(a["adv_shown"][i]))
            axes[i][2 + 2 * k].imshow(_diff(a["adv_shown"][i], x, gain))
            if i == 0:
                axes[0][1 + 2 * k].set_title(name, fontsize=8)
                axes[0][2 + 2 * k].set_title(f"diff x{gain:g}", fontsize=8)
    axes[0][0].set_title("original", fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    fig.tight_layout()
    return finish(fig)


def most_moved(lattices: np.ndarray) -> int:
    """Index of the image whose colour function moves the most lattice points (> 0.01)."""
    moved = (np.abs(lattices.astype(np.float32)).max(1) > 0.01).reshape(len(lattices), -1).sum(1)
    return int(np.argmax(moved))


def colour_field(lattice: np.ndarray, *, l_indices=None, scale: float = 3.0):
    """The learned ReColorAdv function as arrows in the u*-v* plane at three L* levels
    (paper Fig 3).

    ``lattice`` is the displacement ``δ`` of one image, ``(3, L, U, V)`` in the attack's scaled
    CIELUV units. Arrows start at lattice colours inside the sRGB gamut (drawn in that colour)
    and point to ``f(g) = g + δ(g)``, lengthened ``scale`` times so that they are visible.
    By default the three L* levels where the function moves colours most are drawn.
    """
    lattice = lattice.astype(np.float32)
    _, nl, nu, nv = lattice.shape
    axes_pts = [np.linspace(lo, hi, n) for (lo, hi), n in zip(_LUV_BOX, (nl, nu, nv))]
    if l_indices is None:
        mass = np.linalg.norm(lattice, axis=0).sum(axis=(1, 2))
        l_indices = sorted(np.argsort(mass)[-3:].tolist())
    fig, axes = plt.subplots(1, len(l_indices), figsize=(3.4 * len(l_indices), 3.4), squeeze=False)
    for ax, li in zip(axes[0], l_indices):
        uu, vv = np.meshgrid(axes_pts[1], axes_pts[2], indexing="ij")
        g = torch.tensor(np.stack([np.full_like(uu, axes_pts[0][li]), uu, vv])[None],
                         dtype=torch.float64)  # (1, 3, U, V)
        luv = scaled_to_luv(g)[0].numpy()          # L*, u*, v*
        rgb = luv_to_rgb(scaled_to_luv(g))[0].numpy()
        inside = ((rgb > -1e-6) & (rgb < 1 + 1e-6)).all(0)
        d = lattice[:, li]
        # scaled units -> CIELUV units: L* = 100 s_L, u* = 200 s_u - 100, v* = 200 s_v - 100
        du, dv = 200 * d[1], 200 * d[2]
        col = np.clip(rgb.reshape(3, -1).T, 0, 1)[inside.ravel()]
        u, v = luv[1][inside], luv[2][inside]
        ax.scatter(u, v, s=6, c=col, edgecolors="none")
        ax.quiver(u, v, scale * du[inside], scale * dv[inside], color=col, angles="xy",
                  scale_units="xy", scale=1, width=0.007, edgecolor="k", linewidth=0.3)
        ax.set_title(f"L* = {luv[0].flat[0]:.0f}", fontsize=9)
        ax.set_xlabel("u*"), ax.set_ylabel("v*")
        ax.set_aspect("equal")
    fig.tight_layout()
    return finish(fig)
