"""Figures and tables of the "beyond both papers" experiments, drawn from the summaries of
:mod:`stego_lib.experiments.beyond`. Nothing here computes a result.

Example::

    >>> from stego_lib.experiments.beyond.stats import rate
    >>> import numpy as np
    >>> r = {"eps": [0.1], "success": [rate(np.array([True, False]))],
    ...      "misclassified": [rate(np.array([True, True]))],
    ...      "flagged": [rate(np.array([False, True]))],
    ...      "combined": [rate(np.array([False, True]))]}
    >>> adaptive_table({"natural": {"plain": r, "adaptive": r}}).rows[0][:4]
    ['natural', '0.1', 'PGD', '0.500 (1/2; 0.095–0.905)']
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._figure import MAX_WIDTH, columns, corners, finish, legend_outside, one_legend
from .table import Table

__all__ = ["adaptive_figure", "adaptive_table", "auc_figure", "auc_pivot", "lsb_figure",
           "lsb_table", "matrix_table", "operating_table", "roc_figure"]

DET_LABELS = {"predictor": "pixel predictor", "ws": "WS", "spam_fld": "SPAM + FLD ensemble"}
DET_COLORS = {"predictor": "tab:blue", "ws": "tab:orange", "spam_fld": "tab:green"}


def _bound(row) -> str:
    return f"ε {row['bound']:g}" if row["dataset"] == "mnist" else f"{row['bound']:g} × paper"


def matrix_table(rows: list[dict], caption: str = "") -> Table:
    """One line per (cell, detector): AUC ± SE, and the rates at the zero-false-positive
    threshold as ``rate (k/n; 95 % CI)``."""
    header = ["data", "model", "attack", "bound", "detector", "AUC ± SE", "TPR at threshold",
              "TPR, successful attacks", "FPR, clean test", "attack success"]
    body = [[r["dataset"], r["model"], r["attack"], _bound(r), DET_LABELS[r["detector"]],
             f"{r['auc']:.3f} ± {r['auc_se']:.3f}", str(r["tpr"]), str(r["tpr_successful"]),
             str(r["fpr"]), str(r["attack_success"])] for r in rows]
    return Table(header, body, caption=caption)


def operating_table(rows: list[dict], caption: str = "") -> Table:
    """One line per attack of ``rows`` (one data set and bound): the attack's success, and for
    the pixel predictor and the learned detector the AUC, the attacked images flagged at the
    zero-false-positive threshold (k/n) and the ROC's TPR at 5 % FPR; WS's AUC last."""
    per: dict = {}
    for r in rows:
        per.setdefault(r["attack"], {})[r["detector"]] = r
    header = ["attack", "attack success"]
    for d in ("predictor", "spam_fld"):
        header += [f"{DET_LABELS[d]}: AUC", "flagged, zero FP", "TPR at 5 % FPR"]
    header.append("WS: AUC")
    body = []
    for attack, dets in per.items():
        any_r = next(iter(dets.values()))
        line = [attack, f"{any_r['attack_success']['rate']:.3f}"]
        for d in ("predictor", "spam_fld"):
            r = dets.get(d)
            line += ["–"] * 3 if r is None else [
                f"{r['auc']:.3f}", f"{r['tpr']['k']}/{r['tpr']['n']}", f"{r['tpr_at_5pct_fpr']:.3f}"]
        line.append(f"{dets['ws']['auc']:.3f}" if "ws" in dets else "–")
        body.append(line)
    return Table(header, body, caption=caption)


def _grid(n: int, height: float):
    """A constrained grid of ``n`` panels 3.3 inches wide, as many a row as the page takes."""
    cols = columns(n, 3.3)
    rws = int(np.ceil(n / cols)) if n else 1
    fig, axes = plt.subplots(rws, cols, figsize=(3.3 * cols, height * rws), squeeze=False,
                             layout="constrained")
    return fig, list(axes.flat)


def roc_figure(groups: dict):
    """``groups``: panel title -> list of summary rows (one per detector). One panel each, one
    legend for all; the AUCs are in :func:`auc_pivot`."""
    n = len(groups)
    fig, axes = _grid(n, 3.3)
    for ax, (title, rows) in zip(axes, groups.items()):
        for r in rows:
            fpr, tpr = r["roc"]
            ax.plot(*corners(fpr, tpr), color=DET_COLORS[r["detector"]],
                    label=DET_LABELS[r["detector"]])
            ax.plot([r["fpr"]["rate"]], [r["tpr"]["rate"]], "o", color=DET_COLORS[r["detector"]])
        ax.plot([0, 1], [0, 1], ":", color="grey", lw=0.8)
        ax.set(title=title, xlabel="false-positive rate (clean test)",
               ylabel="true-positive rate (attacked)", xlim=(0, 1), ylim=(0, 1.01))
    if n:
        axes[0].plot([], [], "o", color="0.4", label="zero-false-positive threshold")
        axes[0].plot([], [], ":", color="grey", lw=0.8, label="chance")
    one_legend(fig, axes, n)
    return finish(fig)


def auc_figure(series: dict, xlabel: str):
    """``series``: panel title -> {detector: (bounds, aucs, ses)}. AUC against the bound."""
    n = len(series)
    fig, axes = _grid(n, 2.9)
    for ax, (title, per_det) in zip(axes, series.items()):
        for det, (x, a, se) in per_det.items():
            ax.errorbar(x, a, yerr=1.96 * np.asarray(se), marker="o", capsize=2,
                        color=DET_COLORS[det], label=DET_LABELS[det])
        ax.axhline(0.5, ls=":", color="grey", lw=0.8)
        ax.set(title=title, ylabel="AUC", ylim=(0.3, 1.02))
        if len(x) > 1 and min(x) > 0 and max(x) / min(x) > 5:
            ax.set_xscale("log")
            # the bounds themselves as ticks: log-scale labels such as 3 × 10⁻¹ collide
            ax.minorticks_off()
            ax.set_xticks(x, [f"{v:g}" for v in x], fontsize=8)
        elif len(x) == 1:   # one bound so far: label it, not a ±4 % span around it
            ax.set_xticks(x, [f"{v:g}" for v in x], fontsize=8)
    one_legend(fig, axes, n, side="upper")   # under the panels is the supxlabel's place
    fig.supxlabel(xlabel, fontsize=10)   # once: the panels are too narrow for it
    return finish(fig)


def _band(ax, x, rates, **kw):
    y = np.array([r["rate"] for r in rates])
    lo = np.array([r["lo"] for r in rates])
    hi = np.array([r["hi"] for r in rates])
    ax.plot(x, y, marker="o", **kw)
    ax.fill_between(x, lo, hi, alpha=0.2, color=kw.get("color"))


def adaptive_figure(curves: dict):
    """Combined accuracy (correct or flagged) under plain and adaptive PGD, per model,
    with 95 % Wilson bands."""
    fig, axes = plt.subplots(1, len(curves), figsize=(min(5 * len(curves), MAX_WIDTH), 3.6),
                             squeeze=False, layout="constrained")
    for ax, (m, c) in zip(axes[0], curves.items()):
        _band(ax, c["plain"]["eps"], c["plain"]["combined"], color="tab:blue",
              label="PGD, ignores the detector")
        _band(ax, c["adaptive"]["eps"], c["adaptive"]["combined"], color="tab:red",
              label="adaptive PGD, knows the detector")
        _band(ax, c["plain"]["eps"], [_not(r) for r in c["plain"]["misclassified"]],
              color="grey", ls="--", label="classifier alone (PGD)")
        ax.set(title=f"{m} model", xlabel="ε", ylabel="correct or flagged", ylim=(-0.02, 1.02))
    # one legend under the panels: the curves reach every corner of them
    legend_outside(fig, list(axes[0]))
    return finish(fig)


def _not(r: dict) -> dict:
    return {"rate": 1 - r["rate"], "lo": 1 - r["hi"], "hi": 1 - r["lo"]}


def adaptive_table(curves: dict) -> Table:
    header = ["model", "ε", "attack", "fooled and not flagged", "misclassified", "flagged",
              "combined accuracy"]
    rows = []
    for m, c in curves.items():
        for i, e in enumerate(c["plain"]["eps"]):
            for kind, label in (("plain", "PGD"), ("adaptive", "adaptive")):
                k = c[kind]
                rows.append([m, f"{e:g}", label, str(k["success"][i]), str(k["misclassified"][i]),
                             str(k["flagged"][i]), str(k["combined"][i])])
    return Table(header, rows)


def lsb_figure(summary: dict):
    """Top: WS estimates (median and quartiles, 4-neighbour variance; mean with sealwatch's
    3 x 3 window) against the measured change rate. Bottom: AUC of covers against stego
    images for the pixel predictor and WS."""
    ds = list(summary)
    fig, axes = plt.subplots(2, len(ds), figsize=(min(5 * len(ds), MAX_WIDTH), 7), squeeze=False,
                             layout="constrained")
    styles = {"replacement": dict(color="tab:red"), "matching": dict(color="tab:blue")}
    for j, d in enumerate(ds):
        ax = axes[0, j]
        for m, s in summary[d].items():
            q = s["ws_q"]
            ax.plot(s["change_rate"], q[1], marker="o", label=f"LSB {m}: WS median", **styles[m])
            ax.fill_between(s["change_rate"], q[0], q[2], alpha=0.2, **styles[m])
            ax.plot(s["change_rate"], s["ws_window9_mean"], ls="--", marker="x",
                    label=f"LSB {m}: WS (3×3 window) mean", **styles[m])
        lim = max(float(np.max(s["change_rate"])) for s in summary[d].values())
        ax.plot([0, lim], [0, lim], ":", color="grey", lw=0.8, label="estimate = change rate")
        ax.set(title=d, xlabel="change rate (share of pixels changed)", ylabel="WS estimate")
        ax = axes[1, j]
        for m, s in summary[d].items():
            for det, ls in (("predictor", "-"), ("ws", "--")):
                ax.plot(s["rate"], s[f"{det}_auc"], ls=ls, marker="o",
                        label=f"LSB {m}, {DET_LABELS[det]}", **styles[m])
        ax.axhline(0.5, ls=":", color="grey", lw=0.8)
        ax.set(xlabel="embedding rate (bits per pixel)", ylabel="AUC, covers vs stego images",
               ylim=(0.4, 1.02))
    legend_outside(fig, list(axes.flat), ncols=3)
    return finish(fig)


def lsb_table(summary: dict) -> Table:
    header = ["data", "LSB", "rate (bpp)", "change rate", "WS median", "WS (3×3) mean",
              "predictor flagged", "predictor AUC", "WS flagged", "WS AUC"]
    rows = []
    for d, per in summary.items():
        for m, s in per.items():
            for i, r in enumerate(s["rate"]):
                rows.append([d, m, f"{r:g}", f"{s['change_rate'][i]:.3f}",
                             f"{s['ws_q'][1, i]:.3f}", f"{s['ws_window9_mean'][i]:.3f}",
                             str(s["predictor_flagged"][i]), f"{s['predictor_auc'][i]:.3f}",
                             str(s["ws_flagged"][i]), f"{s['ws_auc'][i]:.3f}"])
    return Table(header, rows)


def auc_pivot(rows: list[dict], caption: str = "") -> Table:
    """One line per cell: the AUC of each detector side by side, and the attack's success."""
    cells: dict = {}
    for r in rows:
        key = (r["dataset"], r["model"], r["attack"], _bound(r))
        cells.setdefault(key, {"success": r["attack_success"]})[r["detector"]] = r["auc"]
    dets = [d for d in DET_LABELS if any(d in v for v in cells.values())]
    header = ["data", "model", "attack", "bound"] + [f"AUC, {DET_LABELS[d]}" for d in dets] + \
        ["attack success"]
    body = [list(k) + [f"{v[d]:.3f}" if d in v else "–" for d in dets] + [str(v["success"])]
            for k, v in cells.items()]
    return Table(header, body, caption=caption)
