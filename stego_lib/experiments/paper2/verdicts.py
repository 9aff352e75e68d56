"""One verdict per Table 1 cell on the released models, by what was measured.

A cell *matches* when our attack under today's protocol (the package's, κ = ∞, scored on the
attacked image as returned) lands within two standard errors of the paper. Otherwise it is
*reproduced by X* when an experiment here that changes the one named setting X — the paper's
2019 protocol (κ = 0), or scoring the 8-bit-rounded image — lands within two standard errors;
otherwise it is **open**. Whether the authors' own package lands where ours does is a separate
fact about the cell, never its verdict.

The *non-trivial* cells are fixed by the paper: the 62 attacked cells of the nine released rows
whose paper value is not 0.0.

Example::

    >>> grid = {"s": {"S": np.array([True] * 26 + [False] * 74)}}
    >>> cells({("package-2020", "float"): {"s": {"S": np.zeros(100, bool)}},
    ...        ("paper-2019", "float"): grid}, rows=["s"], attacks=["S"])[0]["verdict"]
    'reproduced by the 2019 protocol'
"""
from __future__ import annotations

import numpy as np

from ...cache import CacheMiss, GPURequiredError
from ...papers import PAPER2_TABLE1_ATTACKS, paper2_accuracy
from .config import LABELS, RELEASED_ROWS, make_config
from .summaries import diff_se, near_paper
from .table1 import run

__all__ = ["BASELINE", "CHOICES", "SETTING", "cells", "fit", "grids", "nontrivial"]

BASELINE = ("package-2020", "float")
# Every (protocol, scoring) measured; the one setting each changes from the baseline.
CHOICES = (BASELINE, ("package-2020", "8-bit"), ("paper-2019", "float"), ("paper-2019", "8-bit"))
SETTING = {("package-2020", "8-bit"): "8-bit scoring",
           ("paper-2019", "float"): "the 2019 protocol"}


def nontrivial(row: str, attack: str) -> bool:
    """An attacked cell whose paper value is not 0.0 (62 of the released rows' 72)."""
    return attack != "None" and paper2_accuracy(LABELS[row], attack) != 0.0


def grids(n_images: int | None = None) -> dict:
    """``{(protocol, scoring): {row: {attack: (N,) bool}}}``: whether the released model still
    classifies each attacked image correctly, for every committed cell. ``n_images``: the first
    N test images only (282: the pilot, paired with the authors' runs); None: all 846."""
    out = {}
    for protocol in ("package-2020", "paper-2019"):
        cfg = make_config("paper", models="released", protocol=protocol, n_images=n_images,
                          chunk_images=min(282, n_images or 282))
        try:
            res = run(cfg, mode="cache-only")
        except (CacheMiss, GPURequiredError):
            continue
        out[(protocol, "float")] = res.correct
        out[(protocol, "8-bit")] = res.correct_uint8
    # The clean column is one computation for both protocols (its key names none).
    for scoring in ("float", "8-bit"):
        base, new = out.get(("package-2020", scoring)), out.get(("paper-2019", scoring))
        if base is not None and new is not None:
            for row, by_attack in base.items():
                if "None" in by_attack:
                    new.setdefault(row, {}).setdefault("None", by_attack["None"])
    return out


def _side(correct, paper: float) -> dict | None:
    if correct is None:
        return None
    n = int(np.size(correct))
    pct = 100 * float(np.mean(correct))
    se = diff_se(pct, paper, n)
    return {"pct": pct, "n": n, "diff": pct - paper, "z": (pct - paper) / se if se > 0 else 0.0,
            "near": near_paper(pct, paper, n)}


def cells(measured: dict, rows=RELEASED_ROWS, attacks=PAPER2_TABLE1_ATTACKS) -> list[dict]:
    """One dict per cell: ``row``, ``label``, ``attack``, ``paper``, ``nontrivial``, one entry
    per measured choice (``pct``, ``n``, ``diff``, ``z``, ``near``; None where not computed),
    ``verdict`` (``"matches"``, ``"reproduced by <setting>"`` or ``"open"``; None when the
    baseline is not computed) and ``by`` (the setting, or None)."""
    out = []
    for row in rows:
        for a in attacks:
            paper = paper2_accuracy(LABELS[row], a)
            c = {"row": row, "label": LABELS[row], "attack": a, "paper": paper,
                 "nontrivial": nontrivial(row, a)}
            for choice, grid in measured.items():
                c[choice] = _side(grid.get(row, {}).get(a), paper)
            c["verdict"], c["by"] = _verdict(c)
            out.append(c)
    return out


def _verdict(c: dict) -> tuple[str | None, str | None]:
    base = c.get(BASELINE)
    if base is None:
        return None, None
    if base["near"]:
        return "matches", None
    # One setting changed at a time; the closest to the paper names the cause.
    hits = [(abs(c[ch]["z"]), SETTING[ch]) for ch in SETTING if c.get(ch) and c[ch]["near"]]
    if hits:
        by = min(hits)[1]
        return f"reproduced by {by}", by
    return "open", None


def fit(table: list[dict], choice: tuple, worst: int = 5) -> dict:
    """How close one (protocol, scoring) lands to the paper: over every computed cell and over
    the non-trivial ones, the cells within two standard errors, the mean |difference| (points)
    and the ``worst`` cells by |z|."""
    got = [c for c in table if c.get(choice) is not None]
    hard = [c for c in got if c["nontrivial"]]
    ranked = sorted(got, key=lambda c: -abs(c[choice]["z"]))
    return {"choice": choice, "computed": len(got), "within": sum(c[choice]["near"] for c in got),
            "nontrivial": len(hard), "nontrivial_within": sum(c[choice]["near"] for c in hard),
            "mean_abs": float(np.mean([abs(c[choice]["diff"]) for c in got])) if got else None,
            "worst": ranked[:worst]}
