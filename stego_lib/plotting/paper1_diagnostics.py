"""What makes PGD examples visible to the pixel predictor: tables and a figure drawn from
:mod:`stego_lib.experiments.paper1.diagnostics` (arrays only; nothing is computed here).

Example::

    >>> row = {"model": "natural", "eps": 0.3, "accuracy_pgd": 0.01, "flagged_pgd": 0.99,
    ...        "flagged_nostart": 0.62, "flagged_noise": 0.98, "tpr_pgd": 0.98, "n": 100}
    >>> t = flag_table([row])
    >>> t.caption
    'First 100 MNIST test images: accuracy and share flagged by the detector'
    >>> t.rows
    [['natural', '0.30', '0.010', '0.990', '0.620', '0.980', '0.980']]
"""
from __future__ import annotations

import matplotlib.pyplot as plt

from ._figure import finish
from .table import Table

__all__ = ["delta_figure", "flag_table", "madry_table", "statistics_table"]


def flag_table(rows: list[dict]) -> Table:
    """Per (model, ε): accuracy under PGD-40, and the share flagged for PGD-40 with its random
    start, PGD-40 without it, and the start noise alone; Table II's TPR."""
    body = [[r["model"], f"{r['eps']:.2f}", f"{r['accuracy_pgd']:.3f}", f"{r['flagged_pgd']:.3f}",
             f"{r['flagged_nostart']:.3f}", f"{r['flagged_noise']:.3f}", f"{r['tpr_pgd']:.3f}"]
            for r in rows]
    n = rows[0]["n"] if rows else 0
    return Table(["model", "ε", "accuracy, PGD-40", "flagged: PGD-40", "flagged: no random start",
                  "flagged: start noise only", "TPR (Table II)"], body,
                 caption=f"First {n:,} MNIST test images: accuracy and share flagged by the "
                         f"detector")


def statistics_table(rows: list[dict]) -> Table:
    """Per (model, ε): medians over the images of the gradient and δ statistics."""
    body = [[r["model"], f"{r['eps']:.2f}", f"{r['zero_grad']:.2f}", f"{r['zero_grad_nostart']:.2f}",
             f"{r['sign_consistency']:.2f}", f"{r['at_bound']:.2f}", f"{r['unchanged_flat']:.2f}",
             f"{r['roughness_flat']:.1f}", f"{r['roughness_noise_flat']:.1f}"] for r in rows]
    return Table(["model", "ε", "zero gradients", "zero gradients, no start", "sign consistency",
                  "pixels at ±ε", "background left unchanged", "roughness of δ, background",
                  "roughness of the start noise, background"], body,
                 caption="Medians over the images: share of input-gradient entries that are "
                         "exactly zero over the 40 steps; consistency of each pixel's gradient "
                         "sign (1: always the same); share of pixels at the bound; and on the "
                         "flat background, the share left unchanged and the mean absolute "
                         "residual of the pixel predictor applied to δ (0–255 scale)")


def madry_table(rows: list[dict], paper: dict, others: tuple = ()) -> Table:
    """The Madry-recipe run at its snapshots: clean accuracy and, per ε, PGD-40 accuracy,
    share flagged and TPR, beside the paper's TPR (``paper``: ε -> TPR). ``others``: further
    models measured the same way, each ``(label, clean accuracy or None, {ε: summary})``.

    Example:
        >>> s = {"accuracy_pgd": 0.5, "flagged_pgd": 0.25, "tpr_pgd": 0.125}
        >>> t = madry_table([{"step": 1000, "clean": 0.9, "by_eps": {0.1: s}}], {0.1: 0.0},
        ...                 others=[("PGD-7 recipe", None, {0.1: s})])
        >>> [r[0] for r in t.rows], t.rows[1][2]
        (['1,000', 'PGD-7 recipe', "paper's secret model"], '0.500 / 0.250 / 0.125')
    """
    eps = sorted({e for r in rows for e in r["by_eps"]})

    def cells(by_eps):
        out = []
        for e in eps:
            s = by_eps.get(e)
            out.append("–" if s is None else
                       f"{s['accuracy_pgd']:.3f} / {s['flagged_pgd']:.3f} / {s['tpr_pgd']:.3f}")
        return out
    body = [[f"{r['step']:,}", f"{r['clean']:.4f}"] + cells(r["by_eps"]) for r in rows]
    body += [[label, "–" if clean is None else f"{clean:.4f}"] + cells(by_eps)
             for label, clean, by_eps in others]
    body.append(["paper's secret model", "–"] + [
        f"– / – / {paper[e]:.3f}" if e in paper else "–" for e in eps])
    return Table(["step", "clean accuracy"] + [f"ε {e:.2f}: accuracy / flagged / TPR" for e in eps],
                 body, caption="The secret model trained with Madry's recipe, at its snapshots "
                               "(first 1,000 test images)")


def delta_figure(panels: list[dict]):
    """For each entry of ``panels`` (``model``, ``eps``, ``image`` (H, W), ``noise`` and
    ``delta`` (H, W) in [−ε, ε]): the image, the random start's noise and PGD-40's final δ."""
    fig, axes = plt.subplots(len(panels), 3, figsize=(7.2, 2.5 * len(panels)), squeeze=False)
    for row, p in zip(axes, panels):
        e = p["eps"]
        row[0].imshow(p["image"], cmap="gray", vmin=0, vmax=1)
        row[0].set_title(f"{p['model']}, ε = {e:.2f}", fontsize=10)
        for ax, key, title in ((row[1], "noise", "start noise (after the [0, 1] clip)"),
                               (row[2], "delta", "final δ of PGD-40")):
            im = ax.imshow(p[key], cmap="RdBu", vmin=-e, vmax=e)
            ax.set_title(title, fontsize=10)
        for ax in row:
            ax.set_xticks([]), ax.set_yticks([])
        fig.colorbar(im, ax=row[2], fraction=0.046, pad=0.04)
    fig.tight_layout()
    return finish(fig)
