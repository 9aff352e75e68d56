"""Table 1 of Laidlaw & Feizi (2019) as tables and heat maps, drawn from the summaries of
:mod:`stego_lib.experiments.paper2` (``cells``, ``grids``, ``headlines``). Nothing here computes
a result; pending cells show as an en dash (tables) or stay blank (heat maps).

Example::

    >>> head = {"what": "C on the undefended model", "paper": 3.6, "ours": 5.0, "se": 0.7, "n": 846}
    >>> headline_table([head]).rows
    [['C on the undefended model', '3.6', '5.0', '+1.4', '0.7', 846]]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np

from ._figure import finish
from .table import Table, attack_names, cell_grid

__all__ = ["claims_summary", "claims_table", "differences_table", "comparison_table", "error_table", "headline_table",
           "heatmaps"]


def _pct(v, fmt="{:.1f}") -> str:
    return "–" if v is None or (isinstance(v, float) and np.isnan(v)) else fmt.format(v)


def comparison_table(cells: list[dict], *, with_ours: bool = True) -> Table:
    """Table 1 with, per defence, the paper's row, ours and ours − paper (percentage points);
    ``with_ours=False`` gives the paper's rows alone."""
    attacks, by = cell_grid(cells)
    rows = []
    for label, row in by.items():
        rows.append([label, "paper"] + [_pct(row[a]["paper"]) for a in attacks])
        if with_ours:
            rows.append(["", "ours"] + [_pct(row[a]["ours"]) for a in attacks])
            rows.append(["", "ours − paper"] + [_pct(row[a]["diff"], "{:+.1f}") for a in attacks])
    return Table(["defence", ""] + attack_names(attacks), rows,
                 caption="Accuracy (%) under each attack" + (
                     "; ours on the same test images in every cell" if with_ours else ""))


def error_table(cells: list[dict]) -> Table:
    """Per computed cell: N and the binomial standard error of our accuracy, and the accuracy
    after rounding the attacked images to 8-bit pixels."""
    attacks, by = cell_grid(cells)
    rows = []
    for label, row in by.items():
        if all(row[a]["ours"] is None for a in attacks):
            continue
        rows.append([label, "N"] + [row[a]["n"] or "–" for a in attacks])
        rows.append(["", "SE"] + [_pct(row[a]["se"]) for a in attacks])
        rows.append(["", "8-bit"] + [_pct(row[a]["ours_uint8"]) for a in attacks])
    return Table(["defence", ""] + attack_names(attacks), rows,
                 caption="Our cells: images N, binomial standard error (percentage points), and "
                         "accuracy (%) when the attacked images are rounded to 8-bit pixels")


def headline_table(heads: list[dict]) -> Table:
    rows = [[h["what"], _pct(h["paper"]), _pct(h["ours"]),
             "–" if h["ours"] is None else f"{h['ours'] - h['paper']:+.1f}",
             _pct(h["se"]), h["n"] or "–"] for h in heads]
    return Table(["claim", "paper (%)", "ours (%)", "ours − paper", "standard error", "N"], rows,
                 caption="The numbers the paper's text singles out")


def claims_table(claims: list[dict]) -> Table:
    """The paper's conclusions (from ``paper2.claims``), the test each is turned into, and its
    verdict on the paper's table and on ours, with the numbers behind each verdict."""
    def verdict(v, detail):
        return v if not detail else f"{v} ({detail})"
    rows = [[c["claim"], c["test"], verdict(c["paper"], c["paper_detail"]),
             verdict(c["ours"], c["ours_detail"])] for c in claims]
    return Table(["the paper concludes", "tested as", "on the paper's table", "on ours"], rows,
                 caption="The paper's conclusions from Table 1, tested on its table and on ours")


def claims_summary(claims: list[dict]) -> str:
    """One paragraph: how many conclusions could be tested on ours, and how they came out."""
    done = [c for c in claims if c["ours"] != "pending"]
    if not done:
        return ("None of these tests can run on our table yet: each needs cells that are still "
                "being computed.")
    count = lambda v: sum(c["ours"] == v for c in done)
    n_hold, n_fail, n_noise = count("holds"), count("does not hold"), count("within noise")
    lead = (f"All {len(claims)} tests run on our table" if len(done) == len(claims) else
            f"{len(done)} of the {len(claims)} tests can run on our table so far")
    text = (f"{lead}: "
            f"{n_hold} {'holds' if n_hold == 1 else 'hold'}, "
            f"{n_fail} {'does' if n_fail == 1 else 'do'} not, and {n_noise} "
            f"{'is' if n_noise == 1 else 'are'} within the noise of our N.")
    failed = [c["claim"] for c in done if c["ours"] == "does not hold"]
    if failed:
        text += " Our models contradict " + " and ".join(f"\u201c{c}\u201d" for c in failed) + "."
    return text


def differences_table(diffs: list[dict]) -> Table:
    """One row per cell where ours differs from the paper's beyond two standard errors (from
    ``paper2.differences``), per defence, largest difference first; a defence whose computed
    cells all agree gets one row that says so."""
    rows = []
    for d in diffs:
        for c in d["cells"]:
            rows.append([d["label"], attack_names([c["attack"]])[0],
                         f"{c['diff']:+.1f}".replace("-", "\u2212"), f"{abs(c['z']):.1f}"])
        if not d["cells"]:
            rows.append([d["label"], f"none of its {d['computed']} cells", "–", "–"])
    return Table(["defence", "attack", "ours − paper (points)", "standard errors apart"], rows)


@dataclass(frozen=True)
class _Shading:
    """A heat map's colours: the colour map and its range, the format of the printed values,
    and which values get white digits (those on a dark colour)."""

    cmap: str
    vmin: float
    vmax: float
    fmt: str
    white: Callable[[float], bool]


def _panel(ax, values, rows, attacks, title, shading: _Shading):
    cmap, vmin, vmax, fmt, white = (shading.cmap, shading.vmin, shading.vmax, shading.fmt,
                                    shading.white)
    im = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(attacks)), attack_names(attacks), rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_title(title, fontsize=9)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            if np.isfinite(v):
                ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7.5,
                        color="white" if white(v) else "black")
    return im


def heatmaps(grids: dict):
    """Heat maps of the paper's accuracies and, when ``grids`` holds them, ours and the
    difference ours − paper (from ``paper2.grids``), one above the other; blank squares are
    pending cells."""
    rows, attacks = grids["rows"], grids["attacks"]
    ours = "ours" in grids and np.isfinite(grids["ours"]).any()
    n = 3 if ours else 1
    # Stacked, not side by side: three grids in a row would be shrunk to half size on the
    # page, and their cell values with them.
    fig, axes = plt.subplots(n, 1, figsize=(6.4, n * (0.3 * len(rows) + 0.9) + 0.8),
                             sharex=True, squeeze=False, layout="constrained")
    axes = axes[:, 0]

    def dark(v):   # viridis is dark below about 60 %: white digits there
        return v < 60

    accuracy = _Shading("viridis", 0, 100, "{:.0f}", dark)
    im = _panel(axes[0], grids["paper"], rows, attacks, "paper: accuracy (%)", accuracy)
    if ours:
        _panel(axes[1], grids["ours"], rows, attacks, "ours: accuracy (%)", accuracy)
        lim = max(10.0, float(np.nanmax(np.abs(grids["diff"]))))
        im2 = _panel(axes[2], grids["diff"], rows, attacks, "ours − paper (points)",
                     _Shading("RdBu", -lim, lim, "{:+.0f}", lambda v: abs(v) > 0.6 * lim))
        fig.colorbar(im2, ax=axes[2], fraction=0.05, pad=0.02)
    fig.colorbar(im, ax=list(axes[:2]) if ours else axes[0], fraction=0.05, pad=0.02)
    return finish(fig)
