"""Table 1 summaries: accuracy per cell with its binomial standard error, the paper's value
beside ours, and the headlines the paper's text draws from the table.

Everything here is computed from :class:`~.table1.Table1Result`; accuracies are in percent,
as in the paper. Cells not computed yet are ``None`` (never a placeholder number).
"""
from __future__ import annotations

import math

import numpy as np

from ...papers import PAPER2_TABLE1, PAPER2_TABLE1_ATTACKS, paper2_accuracy
from ...stats import binomial_se
from .config import LABELS, ROWS
from .table1 import Table1Result

__all__ = ["HEADLINES", "binomial_se", "cells", "diff_se", "differences", "grids", "headlines",
           "near_paper", "tradeoff"]


def cells(res: Table1Result | None) -> list[dict]:
    """One dict per (row, attack) of the config, in table order: ``row`` (slug), ``label`` (the
    paper's row name), ``attack``, ``paper`` (%), ``ours`` (%, None if pending), ``se`` (%,
    binomial), ``n``, ``diff`` (ours - paper, percentage points), ``ours_uint8`` (% on the
    attacked images rounded to 8-bit pixels). ``res=None``: the paper's whole table alone."""
    rows = res.config.rows if res is not None else list(ROWS)
    attacks = res.config.attacks if res is not None else list(PAPER2_TABLE1_ATTACKS)
    out = []
    for row in rows:
        for a in attacks:
            c = {"row": row, "label": LABELS[row], "attack": a,
                 "paper": paper2_accuracy(LABELS[row], a), "ours": None, "se": None, "n": 0,
                 "diff": None, "ours_uint8": None}
            ok = res.correct.get(row, {}).get(a) if res is not None else None
            if ok is not None:
                p, n = float(ok.mean()), int(ok.size)
                c.update(ours=100 * p, se=100 * binomial_se(p, n), n=n,
                         diff=100 * p - c["paper"],
                         ours_uint8=100 * float(res.correct_uint8[row][a].mean()))
            out.append(c)
    return out


def grids(res: Table1Result | None, rows=None) -> dict:
    """Arrays for the heat maps: ``rows`` (the paper's row labels), ``attacks``, ``paper``
    ``(R, A)``, and when ``res`` is given ``ours``, ``se`` and ``diff`` ``(R, A)`` with NaN for
    pending cells. Without ``res``: the paper's table alone (every row)."""
    rows = list(rows or (res.config.rows if res is not None else ROWS))
    attacks = list(res.config.attacks) if res is not None else list(PAPER2_TABLE1_ATTACKS)
    out = {"rows": [LABELS[r] for r in rows], "attacks": attacks,
           "paper": np.array([[paper2_accuracy(LABELS[r], a) for a in attacks] for r in rows])}
    if res is None:
        return out
    by = {(c["row"], c["attack"]): c for c in cells(res)}
    for key in ("ours", "se", "diff"):
        out[key] = np.array([[np.nan if by[(r, a)][key] is None else by[(r, a)][key]
                              for a in attacks] for r in rows])
    return out


# The claims of the paper's text about Table 1: (key, description, row, attack).
HEADLINES = (
    ("undefended_c", "undefended model under C", "natural", "C"),
    ("csd_trained_csd", "C+S+D-trained model under C+S+D", "c+s+d", "C+S+D"),
    ("trades_csd", "TRADES under C+S+D", "trades", "C+S+D"),
    ("s_trained_s", "S-trained model under S", "s", "S"),
    ("s_trained_c", "S-trained model under C", "s", "C"),
    ("s_trained_d", "S-trained model under D", "s", "D"),
    ("c_trained_s", "C-trained model under S", "c", "S"),
)
# Grayscale: the largest gain in accuracy under attack from converting to grayscale.
_GRAY = (("bw_gain_undefended", "largest gain from B&W, undefended", "gray", "natural"),
         ("bw_gain_c", "largest gain from B&W, C-trained", "gray-c", "c"))


def _acc(res, row, a):
    ok = res.correct.get(row, {}).get(a) if res is not None else None
    return None if ok is None else (100 * float(ok.mean()), int(ok.size))


def headlines(res: Table1Result | None) -> list[dict]:
    """The paper's headline numbers with ours beside them: ``key``, ``what``, ``paper`` (%),
    ``ours`` (%, None if pending), ``se`` (%), ``n``.

    The B&W entries are the largest difference, over the eight attacks, between the accuracy of
    the grayscale model and of its colour counterpart (the paper: B&W adds no robustness); their
    ``se`` treats the two accuracies as independent, which overstates it slightly (the same
    images are used)."""
    out = []
    for key, what, row, a in HEADLINES:
        h = {"key": key, "what": what, "paper": paper2_accuracy(LABELS[row], a), "ours": None,
             "se": None, "n": 0}
        got = _acc(res, row, a)
        if got is not None:
            h.update(ours=got[0], se=100 * binomial_se(got[0] / 100, got[1]), n=got[1])
        out.append(h)
    attacks = [a for a in PAPER2_TABLE1_ATTACKS if a != "None"]
    for key, what, gray, colour in _GRAY:
        paper = max(PAPER2_TABLE1[LABELS[gray]][i] - PAPER2_TABLE1[LABELS[colour]][i]
                    for i, a in enumerate(PAPER2_TABLE1_ATTACKS) if a != "None")
        h = {"key": key, "what": what, "paper": round(paper, 1), "ours": None, "se": None, "n": 0}
        pairs = [(_acc(res, gray, a), _acc(res, colour, a)) for a in attacks]
        if pairs and all(g is not None and c is not None for g, c in pairs):
            diffs = [(g[0] - c[0], g, c) for g, c in pairs]
            d, g, c = max(diffs, key=lambda t: t[0])
            se = math.hypot(binomial_se(g[0] / 100, g[1]), binomial_se(c[0] / 100, c[1]))
            h.update(ours=d, se=100 * se, n=g[1])
        out.append(h)
    return out


def differences(res: Table1Result | None) -> list[dict]:
    """Per computed row of ``res``: the cells where ours differs from the paper's by more than
    two standard errors, largest first.

    The standard error is the larger of the binomial ones at the paper's value and at ours, for
    our N (the paper's own sampling error is unknown and ignored): at 0 % either one alone would
    be 0, and a single image would count as a difference. Each entry: ``row``, ``label``,
    ``computed`` (cells), ``cells`` (the differing cells of :func:`cells`, each with ``z``, the
    difference in standard errors)."""
    out: dict = {}
    for c in cells(res):
        if c["ours"] is None:
            continue
        entry = out.setdefault(c["row"], {"row": c["row"], "label": c["label"], "computed": 0,
                                          "cells": []})
        entry["computed"] += 1
        se = _diff_se(c)
        if se > 0 and abs(c["diff"]) > 2 * se:
            entry["cells"].append({**c, "z": c["diff"] / se})
    for entry in out.values():
        entry["cells"].sort(key=lambda c: -abs(c["diff"]))
    return list(out.values())


def diff_se(ours: float, paper: float, n: int) -> float:
    """Standard error (points) of our accuracy's difference from the paper's, both in %: the
    larger binomial one, at the paper's value or at ours, for our N (the paper's own error is
    unknown).

    Example:
        >>> round(diff_se(74.0, 43.5, 200), 2)
        3.51
    """
    return 100 * max(binomial_se(paper / 100, n), binomial_se(ours / 100, n))


def near_paper(ours: float, paper: float, n: int) -> bool:
    """Whether our accuracy (%, on ``n`` images) lies within two :func:`diff_se` of the paper's."""
    return abs(ours - paper) <= 2 * diff_se(ours, paper, n)


def _diff_se(c: dict) -> float:
    return diff_se(c["ours"], c["paper"], c["n"])


def tradeoff(res: Table1Result | None) -> list[dict]:
    """Per row of ``res`` whose nine cells are all computed: ``row``, ``label``, ``clean`` (our
    clean accuracy minus the paper's) and ``attacked`` (the mean over the seven attacks with
    the paper's bounds of ours minus the paper's; C-RGB is left out, its bound is unknown), in
    percentage points, with their standard errors ``clean_se`` and ``attacked_se`` (cells
    treated as independent). ``shifted`` is True when ours is less accurate on clean images and
    more accurate under attack, both beyond two standard errors: a model that sits at another
    point of the trade-off between the two. ``behind`` is True when ours is less accurate on
    both, beyond two standard errors: a model that is simply weaker than the paper's."""
    by: dict = {}
    for c in cells(res):
        by.setdefault((c["row"], c["label"]), []).append(c)
    out = []
    for (row, label), cs in by.items():
        if len(cs) != len(PAPER2_TABLE1_ATTACKS) or any(c["ours"] is None for c in cs):
            continue
        clean = next(c for c in cs if c["attack"] == "None")
        hit = [c for c in cs if c["attack"] not in ("None", "C-RGB")]
        attacked = float(np.mean([c["diff"] for c in hit]))
        attacked_se = math.sqrt(sum(_diff_se(c) ** 2 for c in hit)) / len(hit)
        out.append({"row": row, "label": label, "clean": clean["diff"],
                    "clean_se": _diff_se(clean), "attacked": attacked,
                    "attacked_se": attacked_se,
                    "shifted": clean["diff"] < -2 * _diff_se(clean) and attacked > 2 * attacked_se,
                    "behind": clean["diff"] < -2 * _diff_se(clean) and attacked < -2 * attacked_se})
    return out
