"""Figures and tables of Paper I (Schöttle et al., EUSIPCO 2018), drawn from the summaries of
:mod:`stego_lib.experiments.paper1` with the paper's published values overlaid. Nothing here
computes a result.

Example::

    >>> t2 = {"eps": [0.1, 0.3],
    ...       "rows": [("natural, ours", [0.52, 0.98]), ("natural, paper", [0.5, None])]}
    >>> table2(t2).rows
    [['natural, ours', 0.52, 0.98], ['natural, paper', 0.5, '–']]
"""
from __future__ import annotations

import matplotlib.pyplot as plt

from ..papers import PAPER1_HEADLINES, PAPER1_TABLE2_EPS, PAPER1_TABLE2_TPR, paper_tpr50_eps
from ._figure import corners, finish, legend_outside, one_legend
from .table import Table

__all__ = ["dependence_table", "fig_accuracy", "fig_auc", "fig_combined", "fig_roc", "fig_tpr",
           "headline_table", "table2", "variants_table"]

COLORS = {"natural": "tab:blue", "adversarial": "tab:red", "natural_pytorch_init": "tab:gray",
          "madry": "tab:purple"}
LABELS = {"natural": "natural", "adversarial": "adversarial (paper: 'secret')",
          "natural_pytorch_init": "natural, PyTorch init",
          "madry": "adversarial, Madry's recipe"}
PAPER_KEY = {"natural": "natural", "adversarial": "adversarial", "natural_pytorch_init": "natural",
             "madry": "adversarial"}


def _cell(v):
    return "–" if v is None else v


def table2(t2: dict) -> Table:
    """Table II: TPR per ε, our rows interleaved with the paper's (from ``paper1.table2``)."""
    header = ["model \\ ε"] + [f"{e:.2f}" for e in t2["eps"]]
    return Table(header, [[label] + [_cell(v) for v in vals] for label, vals in t2["rows"]],
                 caption="Detector true-positive rate: (attack succeeded and flagged) / N")


def _paper_tpr50(model: str) -> str:
    hit = paper_tpr50_eps(PAPER_KEY[model])
    return f"{hit} (Table II grid)" if hit is not None else "–"


def headline_table(h: dict) -> Table:
    """Our headline numbers beside the paper's (from ``paper1.headlines``); a model without
    results shows the paper's values and "not computed yet"."""
    rows = []
    for m, v in h.items():
        p = v["paper"]
        ours = (lambda key: v[key]) if v.get("computed", True) else (lambda key: "not computed yet")

        def reached(key):   # an ε no point of the sweep reaches is "not reached", not missing
            return "not reached" if ours(key) is None else ours(key)
        name = LABELS.get(m, m)
        rows += [
            [name, "perfect separation from ε", reached("perfect_separation_eps"),
             p["perfect_separation_eps"]],
            [name, "model accuracy 0 from ε", reached("zero_accuracy_eps"), p["zero_accuracy_eps"]],
            [name, "minimum combined accuracy", ours("min_combined_accuracy"),
             f"≥ {p['min_combined_accuracy']:.2f}"],
            [name, "first ε with TPR ≥ 0.5", ours("tpr50_eps"), _paper_tpr50(m)],
            [name, "false-positive rate, clean test images", ours("fpr"),
             "0 (claimed, not measured)"],
            [name, "clean accuracy", ours("clean_accuracy"), "–"],
        ]
    return Table(["model", "quantity", "ours", "paper"], [[_cell(c) for c in r] for r in rows])


def _paper_points(ax, key, model):
    if key == "tpr" and model in PAPER1_TABLE2_TPR:
        ax.plot(PAPER1_TABLE2_EPS, PAPER1_TABLE2_TPR[model], "x", color=COLORS[model], ms=7,
                label=f"{model}: paper, Table II")


def _ours(ax, c: dict, key: str, m: str) -> None:
    """Our curve; points computed on fewer images than the largest N are drawn open."""
    n = c["n"]
    full = n == n.max()
    ax.plot(c["eps"], c[key], "-", color=COLORS[m], lw=1.2)
    ax.plot(c["eps"][full], c[key][full], "o", ms=3.5, color=COLORS[m],
            label=f"{LABELS[m]}: ours, N = {n.max():,}")
    if not full.all():
        ax.plot(c["eps"][~full], c[key][~full], "o", ms=3.5, mfc="white", color=COLORS[m],
                label=f"{LABELS[m]}: ours, N = {n[~full].max():,}")


def _finish_eps_axes(fig, ax, ylabel: str, n_models: int, *, ylim=(-0.03, 1.03)):
    """The common frame of every per-ε plot: ε on [0, 0.51], a light grid, and the legend
    under the axes, where no curve can run beneath it; one column per model where the
    width allows, so that each model's entries stand together."""
    ax.set(xlabel="ε", ylabel=ylabel, ylim=ylim, xlim=(0, 0.51))
    ax.grid(alpha=0.3)
    legend_outside(fig, [ax], ncols=n_models)
    return finish(fig)


def _eps_plot(curves: dict, key: str, ylabel: str, *, height: float, paper: bool = False,
              ylim=(-0.03, 1.03)):
    """One curve per model of ``curves[m][key]`` over ε; with the paper's points if ``paper``."""
    fig, ax = plt.subplots(figsize=(6, height), layout="constrained")
    for m, c in curves.items():
        _ours(ax, c, key, m)
        if paper:
            _paper_points(ax, key, m)
    return _finish_eps_axes(fig, ax, ylabel, len(curves), ylim=ylim)


def fig_tpr(curves: dict):
    """Fig 2: true-positive rate vs ε; crosses are the paper's Table II."""
    return _eps_plot(curves, "tpr", "true-positive rate", height=3.6, paper=True)


def fig_accuracy(curves: dict, headlines: dict):
    """Fig 3: model accuracy on the adversarial images vs ε. As in the paper's figure, vertical
    lines mark where the detector's TPR reaches about 50 %: dotted, the paper's (first ε of
    Table II with TPR >= 0.5); dash-dotted, ours."""
    fig, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
    for m, c in curves.items():
        _ours(ax, c, "accuracy", m)
        if m in PAPER1_TABLE2_TPR:
            e = paper_tpr50_eps(PAPER_KEY[m])
            ax.axvline(e, color=COLORS[m], ls=":", label=f"{m}: paper, TPR ≈ 50 % at ε ≈ {e}")
        ours = headlines.get(m, {}).get("tpr50_eps")
        if ours is not None:
            ax.axvline(ours, color=COLORS[m], ls="-.", lw=1,
                       label=f"{m}: ours, TPR ≥ 50 % from ε = {ours}")
    return _finish_eps_axes(fig, ax, "accuracy under PGD", len(curves))


def fig_combined(curves: dict, headlines: dict):
    """Fig 4: combined accuracy ((correct or flagged) / N) vs ε; dashed: the paper's lower
    bounds; dotted: our and the paper's perfect-separation ε."""
    fig, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
    for m, c in curves.items():
        _ours(ax, c, "combined", m)
        if m in PAPER1_TABLE2_TPR:
            ax.axhline(PAPER1_HEADLINES["min_combined_accuracy"][m], color=COLORS[m], ls="--",
                       lw=1, label=f"{m}: paper's minimum "
                                   f"({PAPER1_HEADLINES['min_combined_accuracy'][m]:.0%})")
            ax.axvline(PAPER1_HEADLINES["perfect_separation_eps"][m], color=COLORS[m], ls=":",
                       lw=1, label=f"{m}: paper, perfect from ε = "
                                   f"{PAPER1_HEADLINES['perfect_separation_eps'][m]}")
        ours = headlines.get(m, {}).get("perfect_separation_eps")
        if ours is not None:
            ax.axvline(ours, color=COLORS[m], ls="-.", lw=1, label=f"{m}: ours, perfect from ε = {ours}")
    return _finish_eps_axes(fig, ax, "combined accuracy", len(curves))


def fig_roc(rocs: dict):
    """ROC curves: ``rocs`` maps model -> list of ``paper1.roc`` results (one per ε). One
    colour per ε in every panel and one legend for them all; each curve's AUC is the
    figure of :func:`fig_auc`."""
    # two panels a row at most: three side by side are drawn too small on the page
    cols = min(len(rocs), 2)
    rows = -(-len(rocs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.8 * rows), squeeze=False,
                             layout="constrained")
    # colours by ε value, not by position, so that a colour means one ε in every panel
    eps = sorted({round(float(r["eps"]), 4) for items in rocs.values() for r in items})
    colour = {e: plt.get_cmap("viridis")(k / max(len(eps) - 1, 1)) for k, e in enumerate(eps)}
    axes = list(axes.flat)
    for ax, (m, items) in zip(axes, rocs.items()):
        for r in items:
            c = colour[round(float(r["eps"]), 4)]
            ax.plot(*corners(r["fpr"], r["tpr"]), color=c, label=f"ε = {r['eps']:.2f}")
            ax.plot(*r["op"], "o", color=c, ms=4)
        ax.plot([0, 1], [0, 1], color="0.7", lw=0.8)
        ax.set(xlim=(0, 1), ylim=(0, 1.01), title=LABELS[m],
               xlabel="false-positive rate (clean test images)", ylabel="true-positive rate")
        ax.set_xscale("symlog", linthresh=1e-3)
        ax.grid(alpha=0.3)
    axes[0].plot([], [], "o", color="0.4", ms=4, label="threshold from the training images")
    one_legend(fig, axes, len(rocs))
    return finish(fig)


def fig_auc(aucs: dict):
    """AUC (clean test images vs all attacked images) per ε."""
    return _eps_plot(aucs, "auc", "ROC AUC", height=3.2, ylim=(0.45, 1.01))


def variants_table(t2_by_detector: dict, headlines_by_detector: dict) -> Table:
    """TPR per ε and false-positive rate of each detector variant, from ``paper1.table2`` and
    ``paper1.headlines`` computed once per variant."""
    # short labels: the table has 15 ε columns and must fit the page without scrolling
    names = {"abs": "absolute", "signed": "signed", "ws": "WS"}
    first = next(iter(t2_by_detector.values()))
    header = ["detector, model (FPR)"] + [f"{e:.2f}" for e in first["eps"]]
    rows = []
    for det, t2 in t2_by_detector.items():
        for label, vals in t2["rows"]:
            if "(ours" not in label:
                continue
            model = label.split(" ")[0]
            if not headlines_by_detector[det][model].get("computed", True):
                continue
            fpr = headlines_by_detector[det][model]["fpr"]
            rows.append([f"{names.get(det, det)}, {model} ({fpr:.4f})"] + [_cell(v) for v in vals])
    return Table(header, rows, caption="TPR of each detector variant (absolute: the absolute "
                                       "residual of the authors' code; signed: the signed residual "
                                       "of the paper's Eq. 3; WS: the full WS estimate) per ε, "
                                       "and in brackets its false-positive rate on the clean test "
                                       "images; threshold = maximum over the training images for "
                                       "that variant")


def dependence_table(rows: list[dict]) -> Table:
    """Clean accuracy and, per ε, PGD-40 accuracy / share flagged / TPR of natural models that
    differ only in initialisation and training length (from ``paper1.training.snapshots``)."""
    if not rows:
        return Table(["model"], [], caption="no measurements committed yet")
    eps = [f"{e:.2f}" for e in rows[0]["eps"]]
    header = ["model", "clean acc."] + [f"{k}, ε {e}" for e in eps
                                        for k in ("PGD acc.", "flagged", "TPR")]
    body = []
    for r in rows:
        cells = [r["label"], r["clean_accuracy"]]
        for i in range(len(eps)):
            cells += [float(r["accuracy"][i]), float(r["flagged"][i]), float(r["tpr"][i])]
        body.append(cells)
    paper = dict(zip(PAPER1_TABLE2_EPS, PAPER1_TABLE2_TPR["natural"]))
    body.append(["paper's natural model (Table II)", "–"] +
                [c for e in rows[0]["eps"] for c in ("–", "–", paper.get(round(float(e), 2), "–"))])
    return Table(header, body, caption=f"PGD-40 on the first {rows[0]['n']:,} test images; "
                                       f"clean accuracy on all 10,000")
