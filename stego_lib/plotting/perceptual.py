"""Fig 6 of Laidlaw & Feizi (2019): perceptual distance against error rate, drawn from
``experiments.perceptual.summarize``.

Example::

    >>> import numpy as np
    >>> row = {"bound": [0.03, 0.06], "error_rate": np.array([0.5, 0.9]),
    ...        "success_rate": np.array([0.5, 0.9]), "lpips": np.array([0.01, 0.02]),
    ...        "default_index": 1}
    >>> summary = {"metrics": ["lpips"], "labels": {"lpips": "LPIPS"}, "attacks": {"C": row}}
    >>> sweep_table(summary).rows
    [['C', 0.03, '50.0', '50.0', '0.0100'], ['C', 0.06, '90.0', '90.0', '0.0200']]
    >>> len(distance_vs_error(summary).axes)
    1
    >>> claim = {"paper": "C+D is stronger.", "ours": "It is.", "verdict": "as in the paper"}
    >>> fig6_claims_table([claim]).rows
    [['C+D is stronger.', 'It is.', 'as in the paper']]
"""
from __future__ import annotations

import matplotlib.pyplot as plt

from ._figure import finish, legend_outside
from .table import Table

_STYLE = {"C": ("tab:blue", "o"), "D": ("tab:orange", "s"), "C+D": ("tab:green", "^")}


def distance_vs_error(summary: dict, *, metrics=None):
    """One panel per metric: mean distance (x) against error rate in % (y), a line per attack
    through its bounds in increasing order; the bound every other experiment uses is ringed.
    Colour and marker tell the attacks apart in one legend under the panels: a name written
    beside a point would cover the points of the other attacks where their lines meet."""
    metrics = list(summary["metrics"] if metrics is None else metrics)
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.4), squeeze=False,
                             layout="constrained")
    for ax, m in zip(axes[0], metrics):
        for name, row in summary["attacks"].items():
            colour, marker = _STYLE.get(name, ("k", "x"))
            err = 100 * row["error_rate"]
            ax.plot(row[m], err, marker=marker, color=colour, label=name, ms=5)
            i = row["default_index"]
            if i is not None:
                ax.plot(row[m][i], err[i], "o", ms=12, mfc="none", mec=colour)
        ax.set_xlabel(f"perceptual distance: {summary['labels'][m]}")
        ax.set_ylabel("error rate (%)")
        ax.set_ylim(-3, 103)
        ax.grid(alpha=0.3)
    if any(row["default_index"] is not None for row in summary["attacks"].values()):
        axes[0][0].plot([], [], "o", ms=12, mfc="none", mec="0.3", label="default bound")
    legend_outside(fig, axes[0])
    return finish(fig)


def sweep_table(summary: dict) -> Table:
    """Every (attack, bound): error rate, success rate and the mean of each metric."""
    metrics = summary["metrics"]
    rows = []
    for name, row in summary["attacks"].items():
        for i, bound in enumerate(row["bound"]):
            rows.append([name, bound, f"{100 * row['error_rate'][i]:.1f}",
                         f"{100 * row['success_rate'][i]:.1f}"]
                        + [f"{row[m][i]:.4f}" for m in metrics])
    return Table(["attack", "bound", "error rate (%)", "success rate (%)"]
                 + [summary["labels"][m] for m in metrics], rows)


def fig6_claims_table(claims: list[dict]) -> Table:
    """The paper's statements about its Fig 6 beside the sweep's numbers and how each comes
    out (the rows of ``experiments.perceptual_prose.fig6_claims``)."""
    return Table(["the paper says", "this sweep gives", "comes out"],
                 [[c["paper"], c["ours"], c["verdict"]] for c in claims])
