"""The detection page's answer to "does steganalysis catch functional attacks?", generated from
the matrix (``detection.matrix`` rows) so that it says what the committed numbers say.

Example::

    >>> per = {"C": {"ws": {"auc": 0.52}}, "D": {"ws": {"auc": 0.61}}}
    >>> span(per, "ws", "auc")
    'from 0.520 (C) to 0.610 (D)'
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from . import detection
from .config import BeyondConfig

__all__ = ["answer", "verdict", "released_table", "released_text", "span", "summary_lines"]

NAMES = {"predictor": "pixel predictor", "ws": "WS", "spam_fld": "SPAM + FLD ensemble"}


def summary_lines(heads: dict) -> str:
    """Markdown bullets, one per data set (``heads``: :func:`.detection.headlines`): how many
    cells each detector wins, the pixel predictor's best and the learned detector's worst
    cell, and the highest false-positive rate on clean images, each said plainly where every
    cell gives the same value.

    Example:
        >>> r = lambda d, a, auc: {"detector": d, "attack": a, "bound": 0.1, "auc": auc,
        ...                        "auc_se": 0.0, "fpr": {"rate": 0.0}}
        >>> h = {"MNIST": {"cells": 2, "wins": {"predictor": 2, "ws": 0, "spam_fld": 2},
        ...      "best": {"predictor": r("predictor", "PGD", 1.0)},
        ...      "worst": {"spam_fld": r("spam_fld", "PGD", 1.0)},
        ...      "max_fpr": r("ws", "PGD", 1.0)}}
        >>> print(summary_lines(h))  # doctest: +NORMALIZE_WHITESPACE
        - **MNIST** (2 cells): how many cells each detector has the highest AUC in (ties count
        for each tied detector; AUCs that print alike can still differ in later decimals):
        pixel predictor 2, WS 0, SPAM + FLD ensemble 2. The pixel predictor's best cell is PGD
        at bound 0.1 (AUC 1.000 ± 0.000); the learned detector separates every cell (AUC 1.000
        in each). No detector flags a clean test image in any cell.
    """
    lines = []
    for ds, h in heads.items():
        w = ", ".join(f"{NAMES[d]} {k}" for d, k in h["wins"].items())
        b, lo, f = h["best"]["predictor"], h["worst"]["spam_fld"], h["max_fpr"]
        worst = ("the learned detector separates every cell (AUC 1.000 in each)"
                 if round(lo["auc"], 3) == 1.0 else
                 f"the learned detector's lowest AUC is {lo['auc']:.3f} ± {lo['auc_se']:.3f} "
                 f"({lo['attack']} at bound {lo['bound']:g})")
        fpr = ("No detector flags a clean test image in any cell." if f["fpr"]["rate"] == 0 else
               f"The highest false-positive rate on clean test images is {f['fpr']} "
               f"({NAMES[f['detector']]}, {f['attack']} at {f['bound']:g}).")
        lines.append(
            f"- **{ds}** ({h['cells']} cells): how many cells each detector has the highest AUC "
            f"in (ties count for each tied detector; AUCs that print alike can still differ in "
            f"later decimals): {w}. The pixel predictor's best cell is {b['attack']} at bound "
            f"{b['bound']:g} (AUC {b['auc']:.3f} ± {b['auc_se']:.3f}); {worst}. {fpr}")
    return "\n".join(lines)


def span(per, det, key, fmt="{:.3f}"):
    """'lo (attack) to hi (attack)' of a detector's number over the attacks of ``per``."""
    val = {a: (d[det][key] if key != "flagged" else d[det]["tpr"]["k"]) for a, d in per.items()}
    lo, hi = min(val, key=val.get), max(val, key=val.get)
    if fmt.format(val[lo]) == fmt.format(val[hi]):
        return f"{fmt.format(val[lo])} for every attack"
    return f"from {fmt.format(val[lo])} ({lo}) to {fmt.format(val[hi])} ({hi})"


def _other_bounds(rows: list[dict], cfg: BeyondConfig, n: int) -> str | None:
    """The paragraph on the smallest and largest bound of the sweep (None: a single bound)."""
    ends = {b: detection.at_bound(rows, "cifar10", b) for b in (min(cfg.cifar_scales),
                                                                      max(cfg.cifar_scales))}
    if len(ends) == 2 and all(ends.values()):   # a sweep with more than one bound
        (b0, lo), (b1, hi) = sorted(ends.items())
        flagged_hi = max(d["predictor"]["tpr"]["k"] for d in hi.values())
        return (
            f"**Other bounds.** At {b0:g} times the papers' bounds the pixel predictor's AUC "
            f"runs {span(lo, 'predictor', 'auc')} and the learned detector's "
            f"{span(lo, 'spam_fld', 'auc')}; at {b1:g} times, {span(hi, 'predictor', 'auc')} "
            f"and {span(hi, 'spam_fld', 'auc')}. Even at {b1:g} times the bounds the pixel "
            f"predictor flags "
            + (f"none of the {n} attacked images" if flagged_hi == 0 else
               f"at most {flagged_hi} of {n} attacked images")
            + " at zero false positives (the AUC against bound for every attack is in the "
              "figure above).")
    return None


# how the MNIST models are named in running prose
MODEL_NAMES = {"natural": "naturally trained", "adversarial": "adversarially trained"}


def _mnist_scale(res, rows: list[dict]) -> str | None:
    """The paragraph that puts the CIFAR-10 bound beside MNIST's ε, one clause per MNIST
    model with that model's own counts (None: MNIST not computed)."""
    clauses = []
    for m in dict.fromkeys(r["model"] for r in rows if r["dataset"] == "mnist"):
        big, small = (detection.at_bound(rows, "mnist", e, m).get("PGD", {}).get("predictor")
                      for e in (0.3, 0.05))
        if big and small:
            clauses.append(
                f"for the {MODEL_NAMES.get(m, m)} model, {big['tpr']['k']:,} of "
                f"{big['tpr']['n']:,} PGD images at ε 0.3 but {small['tpr']['k']:,} of "
                f"{small['tpr']['n']:,} at ε 0.05 (AUC {small['auc']:.3f})")
    if not clauses:
        return None
    thr = {ds: float(res.clean[ds]["thr_predictor"]) for ds in ("mnist", "cifar10")}
    med = {ds: float(np.median(res.clean[ds]["score_predictor"])) for ds in thr}
    pgd = next((c for c in res.cells if (c.dataset, c.attack) == ("cifar10", "PGD")
                and abs(c.bound - 1.0) < 1e-9), None)
    return (
        "On MNIST the same operating point flags, " + "; ".join(clauses) + ". The papers' "
        f"CIFAR-10 bound, 8/255 ≈ 0.031, is smaller still. The threshold catches large "
        f"perturbations, not attacks as such: it sits {thr['mnist'] / med['mnist']:.1f} times "
        f"above the median clean test score on MNIST and "
        f"{thr['cifar10'] / med['cifar10']:.1f} times on CIFAR-10"
        + (f", and the median PGD image at the papers' CIFAR-10 bound scores "
           f"{np.median(pgd.arrays['score_predictor']):.4f}, below the threshold of "
           f"{thr['cifar10']:.4f}" if pgd is not None else "") + ".")


def _colour_vs_local(cif: dict) -> str | None:
    """The paragraph comparing C with the additive D under the pixel predictor."""
    if "C" in cif and "D" in cif:
        c, d = cif["C"]["predictor"], cif["D"]["predictor"]
        rgb = cif.get("C-RGB", {}).get("predictor")
        return (
            f"**A global colour function against a local predictor.** The pixel predictor's "
            f"AUC is {c['auc']:.3f} ± {c['auc_se']:.3f} for C"
            + (f", {rgb['auc']:.3f} ± {rgb['auc_se']:.3f} for C-RGB" if rgb else "")
            + f" and {d['auc']:.3f} ± {d['auc_se']:.3f} for the additive D: for C it is "
            f"{detection.compare_auc(c, d)} for D (two standard errors decide). "
            + ("A colour function moves neighbouring pixels of similar colour by similar "
               "amounts, so a predictor that estimates each pixel from its neighbours sees "
               "little of it, while D changes each pixel on its own. Not invisible, though: "
               "the learned detector, trained on C's own examples, reaches an AUC of "
               f"{cif['C']['spam_fld']['auc']:.3f} against it."
               if detection.compare_auc(c, d) == "lower than" else
               "The smoothness of a colour function does not hide it from the local predictor "
               "here."))
    return None


def verdict(rows: list[dict]) -> str:
    """The page's finding in two sentences, from the CIFAR-10 cells at the papers' bounds.

    Example:
        >>> def r(a, det, auc, k):
        ...     return {"dataset": "cifar10", "attack": a, "bound": 1.0, "detector": det,
        ...             "auc": auc, "auc_se": 0.01, "n_pos": 200, "tpr": {"k": k}}
        >>> print(verdict([r("S", "predictor", 0.65, 0), r("S", "spam_fld", 0.9, 3),
        ...                r("C", "predictor", 0.7, 0), r("C", "spam_fld", 0.95, 27)]))
        ... # doctest: +NORMALIZE_WHITESPACE
        Against the functional attacks on CIFAR-10, Paper I's pixel predictor ranks attacked
        images above clean ones better than chance (AUC from 0.650 (S) to 0.700 (C)), but at a
        threshold that flags no clean image it catches none of the 200 attacked images under
        any attack. A detector trained on each attack does better: AUC from 0.900 (S) to 0.950
        (C), and up to 27 of the 200 caught at that threshold.
    """
    cif = detection.at_bound(rows, "cifar10", 1.0)
    if not cif:
        return "The CIFAR-10 cells are not computed yet, so the page has no verdict yet."
    n = next(iter(next(iter(cif.values())).values()))["n_pos"]
    caught = max(d["predictor"]["tpr"]["k"] for d in cif.values())
    learned = max(d["spam_fld"]["tpr"]["k"] for d in cif.values() if "spam_fld" in d)
    return (f"Against the functional attacks on CIFAR-10, Paper I's pixel predictor ranks "
            f"attacked images above clean ones better than chance (AUC "
            f"{span(cif, 'predictor', 'auc')}), "
            f"but at a threshold that flags no clean image it catches "
            + (f"none of the {n} attacked images under any attack." if caught == 0 else
               f"at most {caught} of the {n} attacked images.")
            + f" A detector trained on each attack does better: AUC "
            f"{span(cif, 'spam_fld', 'auc')}, and up to {learned} of the {n} caught at that "
            f"threshold.")


def answer(res, rows: list[dict], cfg: BeyondConfig) -> tuple[str, list[dict], str]:
    """The page's answer (Markdown paragraphs), the rows of its operating-point table and
    that table's caption, for the matrix ``rows`` of result ``res`` at config ``cfg``."""
    cif = detection.at_bound(rows, "cifar10", 1.0)
    operating_columns = (
        "the share of attacks that change the label; for the pixel predictor and the learned "
        "detector, the AUC, the attacked images flagged at the zero-false-positive threshold, and "
        "the true-positive rate read off the ROC curve at 5 % false positives; and WS's AUC.")
    if not cif:
        answer = ("The CIFAR-10 cells are not committed yet, so this page cannot answer the "
                  "question for the functional attacks.")
        # an empty table under a caption that says why
        operating = []
        caption = ("At the papers' bounds on CIFAR-10: not computed yet, because the CIFAR-10 "
                   "cells of the matrix are not committed. Once they are, this table gives "
                   + operating_columns)
    else:
        any_r = next(iter(next(iter(cif.values())).values()))
        n, n_cal = any_r["n_pos"], cfg.cifar_n["cal"]
        succ = {a: d["predictor"]["attack_success"]["rate"] for a, d in cif.items()}
        fp = max((d[k]["fpr"]["k"] for d in cif.values() for k in d), default=0)
        lo_s, hi_s = min(succ.values()), max(succ.values())
        parts = [
            (f"At the papers' bounds every attack changes the undefended ResNet-32's label on "
             f"{100 * lo_s:.1f} % of the {n} attacked test images" if lo_s == hi_s else
             f"At the papers' bounds the attacks change the undefended ResNet-32's label on "
             f"{100 * lo_s:.1f} % to {100 * hi_s:.1f} % of the {n} attacked test images")
            + " ({numref}`tab-bd-operating`).",
            f"**Ranking** (AUC: the chance that an attacked image scores above a clean one; 0.5 is "
            f"chance). The learned SPAM detector, trained for each attack and bound, reaches "
            f"{span(cif, 'spam_fld', 'auc')}; Paper I's pixel predictor, trained on nothing, "
            f"{span(cif, 'predictor', 'auc')}; WS {span(cif, 'ws', 'auc')}.",
            f"**At zero false positives.** With the threshold at the largest score of the "
            f"{n_cal:,} clean calibration images, the pixel predictor flags "
            + (f"none of the {n} attacked images, whatever the attack,"
               if max(d["predictor"]["tpr"]["k"] for d in cif.values()) == 0 else
               f"{span(cif, 'predictor', 'flagged', '{}')} of the {n} attacked images")
            + f" and the learned detector {span(cif, 'spam_fld', 'flagged', '{}')}, while flagging at most "
            f"{fp} of the {n} clean test images. Read off the ROC curve, the pixel predictor "
            f"would catch {span(cif, 'predictor', 'tpr_at_5pct_fpr')} of the attacked images if "
            f"5 % of clean images may be flagged, and the learned detector "
            f"{span(cif, 'spam_fld', 'tpr_at_5pct_fpr')}."]
        parts += [p for p in (_other_bounds(rows, cfg, n), _mnist_scale(res, rows),
                              _colour_vs_local(cif)) if p]
        answer = "\n\n".join(parts)
        operating = [r for per in cif.values() for r in per.values()]
        caption = (f"At the papers' bounds on CIFAR-10, {n} attacked test images per attack: "
                   f"{operating_columns}")
    return answer, operating, caption


def released_text(rel_rows: list[dict], ours_rows: list[dict], n_cells: int) -> str:
    """The released model's matrix against ours: how many of its ``n_cells`` cells are
    committed, and per (attack, bound, detector) computed on both, whether the released
    model's AUC is indistinguishable from ours (:func:`.detection.compare_auc`), higher or
    lower; then the pixel predictor's AUC per attack at the papers' bounds.

    Example:
        >>> def r(auc, se, attack="C", det="predictor"):
        ...     return {"dataset": "cifar10", "attack": attack, "bound": 1.0, "detector": det,
        ...             "auc": auc, "auc_se": se, "n_pos": 846}
        >>> print(released_text([r(0.80, 0.01), r(0.99, 0.01, det="ws")],
        ...                     [r(0.70, 0.02), r(0.98, 0.01, det="ws")], 36))
        ... # doctest: +NORMALIZE_WHITESPACE
        1 of 36 cells are computed so far, 846 attacked test images each. Of the 2 detector
        cells computed on both models, the released model's AUC is indistinguishable from ours
        (within two standard errors) in 1, higher in 1 and lower in 0. At the papers' bounds,
        the pixel predictor's AUC on the released model is indistinguishable from ours under 0
        of the 1 attacks, higher under 1 and lower under 0 (the table below).
    """
    done = len({(r["attack"], r["bound"]) for r in rel_rows})
    n_pos = rel_rows[0]["n_pos"]
    extent = (f"All {n_cells} cells are computed" if done == n_cells else
              f"{done} of {n_cells} cells are computed so far")
    ours = {(r["attack"], r["bound"], r["detector"]): r for r in ours_rows
            if r["dataset"] == "cifar10"}
    verdicts = Counter(detection.compare_auc(r, ours[k]) for r in rel_rows
                       if (k := (r["attack"], r["bound"], r["detector"])) in ours)
    pairs = _predictor_pairs(rel_rows, ours_rows)
    at = Counter(p[3] for p in pairs)
    return (f"{extent}, {n_pos} attacked test images each. Of the {sum(verdicts.values())} "
            f"detector cells computed on both models, the released model's AUC is "
            f"indistinguishable from ours (within two standard errors) in "
            f"{verdicts['indistinguishable from']}, higher in {verdicts['higher than']} and lower "
            f"in {verdicts['lower than']}. At the papers' bounds, the pixel predictor's AUC on "
            f"the released model is indistinguishable from ours under "
            f"{at['indistinguishable from']} of the {len(pairs)} attacks, higher under "
            f"{at['higher than']} and lower under {at['lower than']} (the table below).")


def _predictor_pairs(rel_rows: list[dict], ours_rows: list[dict]) -> list[tuple]:
    """Per attack at the papers' bounds: (attack, released row, our row, comparison) of the
    pixel predictor."""
    rel_at, ours_at = (detection.at_bound(rows, "cifar10", 1.0) for rows in (rel_rows, ours_rows))
    return [(a, per["predictor"], ours_at[a]["predictor"],
             detection.compare_auc(per["predictor"], ours_at[a]["predictor"]))
            for a, per in rel_at.items()
            if "predictor" in per and "predictor" in ours_at.get(a, {})]


def released_table(rel_rows: list[dict], ours_rows: list[dict]):
    """The pixel predictor's AUC per attack at the papers' bounds, on the released model and
    on ours, and how the two compare (within two standard errors: indistinguishable)."""
    from ...plotting import Table
    return Table(["attack", "AUC, released model", "AUC, our model", "released model's is"],
                 [[a, f"{r['auc']:.3f} ± {r['auc_se']:.3f}", f"{o['auc']:.3f} ± {o['auc_se']:.3f}",
                   cmp.replace(" than", "").replace(" from", "")]
                  for a, r, o, cmp in _predictor_pairs(rel_rows, ours_rows)])
