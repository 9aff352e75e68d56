"""Table 1 three ways (the paper's cells, ours on the authors' released models, ours on the
models trained here), drawn from :func:`stego_lib.experiments.paper2.released.comparison`.
Nothing here computes a result; a cell not computed (or a model not released) is an en dash.

Example::

    >>> row = {"label": "Undefended", "attack": "C", "n": 100, "authors": 3.0, "ours": 5.0,
    ...        "diff": 2.0, "se": 1.4, "apart": False, "paper": 3.6}
    >>> authors_table([row]).rows
    [['Undefended', '3.0 / 5.0 (3.6)']]
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._figure import finish
from .table import Table, attack_names, cell_grid

__all__ = ["authors_table", "claims_table", "counter_table", "fit_table", "intervals_table",
           "three_way_table",
           "verdict_table", "z_heatmap"]

SIDES = (("released", "ours, authors' model"), ("trained", "ours, model trained here"))


def _v(side: dict | None, key: str = "pct", fmt: str = "{:.1f}") -> str:
    return "–" if side is None else fmt.format(side[key])


def three_way_table(cells: list[dict]) -> Table:
    """Per defence three lines: the paper's accuracy, ours on the authors' released model and
    ours on the model trained here (%), each of ours marked ``*`` when it lies more than two
    standard errors from the paper's."""
    attacks, by = cell_grid(cells)
    rows = []
    for label, row in by.items():
        rows.append([label, "paper"] + [f"{row[a]['paper']:.1f}" for a in attacks])
        for key, name in SIDES:
            rows.append(["", name] + [
                "–" if row[a][key] is None else
                f"{row[a][key]['pct']:.1f}" + ("" if row[a][key]["near"] else "*")
                for a in attacks])
    return Table(["defence", ""] + attack_names(attacks), rows,
                 caption="Accuracy (%) under each attack: the paper's, ours on the authors' "
                         "released model, ours on the model trained here (* more than two "
                         "standard errors from the paper's)")


def intervals_table(cells: list[dict], side: str = "released") -> Table:
    """Per computed defence: our accuracy with its Wilson 95 % interval, and the difference
    from the paper's in standard errors."""
    attacks, by = cell_grid(cells)
    rows = []
    for label, row in by.items():
        if all(row[a][side] is None for a in attacks):
            continue
        rows.append([label, "95 % interval"] + [
            "–" if row[a][side] is None else
            f"{row[a][side]['lo']:.1f}–{row[a][side]['hi']:.1f}" for a in attacks])
        rows.append(["", "(ours − paper) / SE"] + [_v(row[a][side], "z", "{:+.1f}")
                                                   for a in attacks])
    n = next((c[side]["n"] for c in cells if c[side] is not None), 0)
    return Table(["defence", ""] + attack_names(attacks), rows,
                 caption=f"Our cells on {n:,} images: Wilson 95 % intervals (%) and the "
                         f"difference from the paper's in standard errors")


def authors_table(rows: list[dict]) -> Table:
    """The authors' attacks and ours on the same released models and images, one line per
    model and one column per attack: "authors' / ours (paper)", accuracy in %, ``*`` where the
    two attacks differ beyond two paired standard errors (rows of
    :func:`stego_lib.experiments.paper2.released.authors_runs`)."""
    attacks, by = cell_grid(rows)
    body = [[label] + ["–" if a not in line else
                       f"{line[a]['authors']:.1f} / {line[a]['ours']:.1f} ({line[a]['paper']:.1f})"
                       + (" *" if line[a]["apart"] else "") for a in attacks]
            for label, line in by.items()]
    n = sorted({r["n"] for r in rows})
    return Table(["released model"] + attack_names(attacks), body,
                 caption="Accuracy (%) on the authors' released models, the same "
                         f"{' or '.join(map(str, n))} test images per cell: the authors' attack "
                         "(recoloradv 0.0.1) / ours (the paper's cell); * the two attacks differ "
                         "beyond two paired standard errors")


def z_heatmap(cells: list[dict], side="released", title: str | None = None):
    """One heat map: (ours − paper) / standard error per cell, clipped at ±6; blank where
    not computed. Large digits, one panel, so that every cell can be read. ``side``: the key
    of the measured side in each cell (e.g. a ``(protocol, scoring)`` pair)."""
    attacks, by = cell_grid(cells)
    labels = [lab for lab, row in by.items() if any(row[a][side] is not None for a in attacks)]
    z = np.array([[np.nan if by[lab][a][side] is None else by[lab][a][side]["z"]
                   for a in attacks] for lab in labels])
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(labels) + 1.8))
    im = ax.imshow(np.ma.masked_invalid(np.clip(z, -6, 6)), cmap="RdBu", vmin=-6, vmax=6,
                   aspect="auto")
    ax.set_xticks(range(len(attacks)), attack_names(attacks), rotation=30, ha="right", fontsize=10)
    ax.set_yticks(range(len(labels)), labels, fontsize=10)
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            if np.isfinite(z[i, j]):
                ax.text(j, i, f"{z[i, j]:+.1f}", ha="center", va="center", fontsize=9,
                        color="white" if abs(z[i, j]) > 4 else "black")
    ax.set_title(title or "(ours − paper) / standard error; |z| ≤ 2: within noise", fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    fig.tight_layout()
    return finish(fig)


def claims_table(paper: list[dict], released: list[dict], trained: list[dict]) -> Table:
    """The paper's conclusions (``paper2.claims``) tested on its table, on ours with the
    authors' released models, and on ours with the models trained here."""
    def verdict(c):
        return c["ours"] if not c["ours_detail"] else f"{c['ours']} ({c['ours_detail']})"
    rows = []
    for p, r, t in zip(paper, released, trained):
        rows.append([p["claim"], p["test"], p["paper"], verdict(r), verdict(t)])
    return Table(["the paper concludes", "tested as", "paper's table",
                  "ours, authors' models", "ours, models trained here"], rows,
                 caption="The paper's conclusions from Table 1, tested on three tables")


def fit_table(fits: list[dict]) -> Table:
    """One line per (protocol, scoring) of :func:`stego_lib.experiments.paper2.verdicts.fit`:
    cells within two standard errors of the paper, of all computed and of the non-trivial."""
    names = {"package-2020": "released package (κ = ∞)", "paper-2019": "2019 (κ = 0)"}
    scoring = {"float": "image as returned", "8-bit": "rounded to 8 bits"}
    rows = [[names[f["choice"][0]], scoring[f["choice"][1]], f"{f['within']} of {f['computed']}",
             f"{f['nontrivial_within']} of {f['nontrivial']}",
             "–" if f["mean_abs"] is None else f"{f['mean_abs']:.1f}"] for f in fits]
    return Table(["protocol", "scored on", "cells within 2 SE", "non-trivial cells within 2 SE",
                  "mean |ours − paper| (points)"], rows)


def verdict_table(cells: list[dict], pairs: dict, reasons: dict | None = None) -> Table:
    """One line per attacked cell: the paper's accuracy, ours under each protocol (image as
    returned, % correct, with the number of images), the authors' attack under each protocol on
    the first 282 images, the verdict, and where ours and the authors' part beyond two paired
    standard errors, by how much and why (``reasons``: ``(row, attack) ->`` the measured reason
    under the released package's protocol; otherwise "reason open")."""
    reasons = reasons or {}

    def side(c, choice):
        s = c.get(choice)
        return "–" if s is None else f"{s['pct']:.1f} ({s['n']})"

    def auth(key, protocol):
        p = pairs.get(protocol, {}).get(key)
        return "–" if p is None else f"{p['authors']:.1f}"

    def note(key):
        parts = []
        for protocol, name in (("package-2020", "κ = ∞"), ("paper-2019", "κ = 0")):
            p = pairs.get(protocol, {}).get(key)
            if p is not None and p["apart"]:
                why = reasons.get(key) if protocol == "package-2020" else None
                parts.append(f"{name}: {p['diff']:+.1f} ± {p['se']:.1f}, "
                             + (why or "reason open"))
        return "; ".join(parts)

    rows = []
    for c in cells:
        if c["attack"] == "None":
            continue
        key = (c["row"], c["attack"])
        rows.append([c["label"], c["attack"], f"{c['paper']:.1f}",
                     side(c, ("package-2020", "float")), side(c, ("paper-2019", "float")),
                     auth(key, "package-2020"), auth(key, "paper-2019"),
                     c["verdict"] or "not computed", note(key)])
    return Table(["released model", "attack", "paper", "ours, κ = ∞ (images)",
                  "ours, κ = 0 (images)", "authors', κ = ∞ (282)", "authors', κ = 0 (282)",
                  "verdict", "ours − authors' on the same 282 images"], rows)


def counter_table(cells: list[dict], counters: dict) -> Table:
    """Per released model: its file's batch-norm counter (``counters``: row -> batches or
    None) beside the paper's D cell and ours (κ = ∞), with the difference in standard
    errors: whether a file's training record goes with how far its D cell is from the paper."""
    rows = []
    for c in cells:
        if c["attack"] != "D" or c["row"] not in counters:
            continue
        s = c.get(("package-2020", "float"))
        n = counters[c["row"]]
        rows.append([c["label"], "none" if n is None else f"{n:,}", f"{c['paper']:.1f}",
                     "–" if s is None else f"{s['pct']:.1f}",
                     "–" if s is None else f"{s['z']:+.1f}"])
    return Table(["released model", "batch-norm batches in the file", "paper, under D",
                  "ours, under D", "(ours − paper) / SE"], rows)
