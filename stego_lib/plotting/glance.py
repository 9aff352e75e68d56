"""The landing figure: every Table II and Table 1 number of the papers beside ours, as the
difference ours − paper with a ±2 standard-error bar, from :func:`stego_lib.experiments.glance.figure_points`.
A bar that crosses zero is a number that matches."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._figure import finish

__all__ = ["verdict_figure"]

_STYLE = {"natural": dict(color="tab:blue", marker="o", label="natural model"),
          "adversarial": dict(color="tab:orange", marker="s", label="adversarially trained model"),
          "2020": dict(color="tab:blue", marker="o",
                       label="the 2020 package's loss (κ = ∞, 846 images)"),
          "2019": dict(color="tab:red", marker="^", mfc="none",
                       label="the 2019 framework's loss (κ = 0, 282 images)")}


def _panel(ax, points: list[dict], title: str, xlabel: str) -> None:
    for group in dict.fromkeys(p["group"] for p in points):
        sel = [p for p in points if p["group"] == group]
        x = np.array([p["paper"] for p in sel])
        d = np.array([p["ours"] - p["paper"] for p in sel])
        ax.errorbar(x, d, yerr=2 * np.array([p["se"] for p in sel]), ls="none", ms=4,
                    capsize=0, elinewidth=0.8, **_STYLE[group])
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set(title=title, xlabel=xlabel, ylabel="ours − paper (points)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=9, frameon=False)


def verdict_figure(points: dict):
    """Two panels, Paper I and Paper II; ``points`` as :func:`figure_points` returns them."""
    if not points["I"] and not points["II"]:
        raise ValueError("no computed point to draw")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    _panel(axes[0], points["I"], "Paper I: Table II's detection rate",
           "the paper's TPR (%)")
    _panel(axes[1], points["II"], "Paper II: Table 1 on the released models",
           "the paper's accuracy under attack (%)")
    fig.tight_layout()
    return finish(fig)
