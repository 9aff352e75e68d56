"""Figures for Laidlaw & Feizi (2019), drawn from ``experiments.paper2_figures`` results.

Example::

    >>> import numpy as np
    >>> a = {"labels": np.array([0, 1]), "clean_pred": np.array([0, 1]),
    ...      "adv_pred": np.array([1, 1]), "linf": np.array([0.03, 0.02]),
    ...      "l2": np.array([0.5, 0.4]),
    ...      "changed_pixels": np.array([0.9, 0.8])}
    >>> success_table({"C": {"arrays": a}}).rows
    [['C', 2, '1.000', '0.500', '6.4', '0.450', '0.85']]
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

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


def beside_table1_table(rows: list[dict]) -> Table:
    """Rows of :func:`stego_lib.experiments.paper2_figures.beside_table1` as a table."""
    def pct(v):
        return "–" if v is None else f"{v:.1f} %"

    return Table(["attack", "accuracy under attack", "Table 1, same model", "images alike",
                  "paper", "median L-inf (/255)", "median L2"],
                 [[r["attack"], pct(r["pct"]), pct(r["table1"]),
                   "–" if r["agree"] is None else f"{100 * r['agree']:.1f} %", pct(r["paper"]),
                   f"{r['linf']:.1f}", f"{r['l2']:.3f}"] for r in rows])


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


def colour_field(levels: list[dict], *, scale: float = 3.0):
    """The learned ReColorAdv function as arrows in the u*-v* plane, one panel per L* level
    (paper Fig 3), from :func:`stego_lib.experiments.paper2_figures.colour_field`.

    Arrows start at lattice colours inside the sRGB gamut (drawn in that colour) and point to
    ``f(g) = g + δ(g)``, lengthened ``scale`` times so that they are visible.
    """
    fig, axes = plt.subplots(1, len(levels), figsize=(3.4 * len(levels), 3.4), squeeze=False)
    for ax, lv in zip(axes[0], levels):
        ax.scatter(lv["u"], lv["v"], s=6, c=lv["rgb"], edgecolors="none")
        ax.quiver(lv["u"], lv["v"], scale * lv["du"], scale * lv["dv"], color=lv["rgb"],
                  angles="xy", scale_units="xy", scale=1, width=0.007, edgecolor="k",
                  linewidth=0.3)
        ax.set_title(f"L* = {lv['L']:.0f}", fontsize=9)
        ax.set_xlabel("u*"), ax.set_ylabel("v*")
        ax.set_aspect("equal")
    fig.tight_layout()
    return finish(fig)
