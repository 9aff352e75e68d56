"""Every headline number of both papers beside ours, read from the committed results: the
"Results at a glance" page.

A row: ``paper`` ("I" or "II"), ``what``, ``paper_value`` and ``ours`` (strings as printed),
``n`` (images behind ours), ``verdict`` (``"matches"``: within two standard errors, or the
same ε; ``"differs"``; ``"pending"``), ``cause`` (one line, for a row that differs) and
``page`` (the document that computes it).

Example::

    >>> r = rows()[0]
    >>> sorted(r)
    ['cause', 'n', 'ours', 'page', 'paper', 'paper_value', 'verdict', 'what']
"""
from __future__ import annotations

from ..cache import CacheMiss, GPURequiredError
from ..papers import PAPER1_TABLE2_EPS, PAPER1_TABLE2_TPR
from .paper2.summaries import binomial_se, near_paper

__all__ = ["PAGES", "rows"]

PAGES = {"I": "notebooks/paper1_detection", "II": "notebooks/paper2_table1"}


def _rate_row(paper, what, paper_pct, ours_pct, n, cause, page):
    if ours_pct is None:
        return {"paper": paper, "what": what, "paper_value": f"{paper_pct:.1f} %", "ours": "–",
                "n": 0, "verdict": "pending", "cause": "", "page": page}
    se = 100 * binomial_se(ours_pct / 100, n)
    near = near_paper(ours_pct, paper_pct, n)
    return {"paper": paper, "what": what, "paper_value": f"{paper_pct:.1f} %",
            "ours": f"{ours_pct:.1f} % ± {se:.1f}", "n": n,
            "verdict": "matches" if near else "differs", "cause": "" if near else cause,
            "page": page}


def _eps_row(what, paper_eps, ours_eps, n, cause):
    ours = "not reached" if ours_eps is None else f"{ours_eps:.2f}"
    same = ours_eps is not None and abs(ours_eps - paper_eps) < 1e-9
    return {"paper": "I", "what": what, "paper_value": f"{paper_eps:.2f}", "ours": ours, "n": n,
            "verdict": "matches" if same else "differs", "cause": "" if same else cause,
            "page": PAGES["I"]}


GRID_CAUSE = "read from the ε computed on all 10,000 images only; the grid is being completed"


def _secret_tpr_cause(c: dict, e: float) -> str:
    """Why the secret model's TPR at ``e`` differs, as far as it is measured."""
    from .paper1.prose import paper_flagged_share

    i = next(k for k, x in enumerate(c["eps"]) if abs(x - e) < 1e-9)
    succ = 1 - float(c["accuracy"][i])
    flagged = float(c["tpr"][i]) / succ if succ > 0 else float("nan")
    theirs = paper_flagged_share()
    return (f"open: {flagged:.0%} of the attacks that succeed on our secret model at this ε "
            f"are flagged, on the paper's about {theirs:.0%} at ε 0.30 (from its Table II and "
            f"Madry et al.'s accuracy) (Paper I page)")


def _eps_cause(key: str, c: dict, n: int, paper_eps: float, partial: bool) -> str:
    """What decides a headline ε of ours, read from the grid on all ``n`` images."""
    from .paper1.prose import let_through

    if partial:
        return GRID_CAUSE
    if key == "perfect_separation_eps":
        last = let_through(c, n, from_eps=0.0)["last"]
        if last is None:
            return ""
        i = next(k for k, x in enumerate(c["eps"]) if abs(x - last) < 1e-9 and c["n"][k] == n)
        k = int(round((1 - float(c["combined"][i])) * n))
        return (f"set by the last image to slip through (misclassified, not flagged): {k} of "
                f"{n:,} at ε {last:.2f} (Paper I page)")
    full = [k for k, x in enumerate(c["eps"]) if c["n"][k] == n]
    i = ([k for k in full if abs(c["eps"][k] - paper_eps) < 1e-9] or full[-1:])[0]
    left = int(round(float(c["accuracy"][i]) * n))
    return (f"open: at ε {float(c['eps'][i]):.2f} our model still classifies {left} of {n:,} "
            f"PGD images correctly (Paper I page)")


def _paper1() -> list[dict]:
    from . import paper1

    try:
        shown = paper1.page_result("paper")
    except (CacheMiss, GPURequiredError):   # a missing model is one of the latter
        return []
    if shown.profile != "paper":
        return []
    res = shown.result
    heads, cur = paper1.headlines(res), paper1.curves(res)
    n = len(res.labels)
    out = []
    for model, e, label in (("natural", 0.10, "natural"), ("adversarial", 0.30, "secret"),
                            ("adversarial", 0.40, "secret")):
        c = cur.get(model)
        i = None if c is None else next((k for k, x in enumerate(c["eps"])
                                         if abs(x - e) < 1e-9 and c["n"][k] == n), None)
        paper_tpr = 100 * PAPER1_TABLE2_TPR[model][PAPER1_TABLE2_EPS.index(e)]
        cause = ("the scores crowd around the threshold at this ε (see the threshold "
                 "comparison)" if model == "natural" else
                 "" if i is None else _secret_tpr_cause(c, e))
        out.append(_rate_row("I", f"Table II TPR, {label} model, ε {e:.2f}", paper_tpr,
                             None if i is None else 100 * float(c["tpr"][i]), n, cause,
                             PAGES["I"]))
    for model, label in (("natural", "natural"), ("adversarial", "secret")):
        h = heads.get(model, {})
        if not h.get("computed"):
            continue
        p = h["paper"]
        partial = h["eps_used"] < h["eps_total"]
        for key, what in (("perfect_separation_eps", "perfect separation from ε"),
                          ("zero_accuracy_eps", "accuracy 0 from ε")):
            cause = _eps_cause(key, cur[model], n, p[key], partial)
            out.append(_eps_row(f"{what}, {label} model", p[key], h[key], n, cause))
        ok = h["min_combined_accuracy"] >= p["min_combined_accuracy"]
        out.append({"paper": "I", "what": f"lowest combined accuracy, {label} model",
                    "paper_value": f"≥ {p['min_combined_accuracy']:.2f}",
                    "ours": f"{h['min_combined_accuracy']:.3f}", "n": n,
                    "verdict": "matches" if ok else "differs",
                    "cause": "" if ok else "see the Paper I page", "page": PAGES["I"]})
    return out


HEADLINE_CELLS = (("natural", "C", "undefended model under C"),
                  ("c+s+d", "C+S+D", "C+S+D-trained model under C+S+D"),
                  ("trades", "C+S+D", "TRADES under C+S+D"))


def _paper2() -> list[dict]:
    from . import paper2
    from .paper2 import prose, released, verdicts

    theirs = released.result()
    try:
        ours = paper2.run(paper2.make_config("paper"), mode="cache-only")
    except (CacheMiss, GPURequiredError):
        ours = None
    cells = released.comparison(theirs, ours)
    by = {(c["row"], c["attack"]): c for c in cells}
    v_cells = verdicts.cells(verdicts.grids())
    v_by = {(c["row"], c["attack"]): c for c in v_cells}
    out = []
    for row, attack, what in HEADLINE_CELLS:
        c = by[(row, attack)]
        trained_cause = (
            "a different undefended model (35 CPU epochs on JPEG images; the authors' attack "
            "on it is compared on the Table 1 page)" if row == "natural" else
            "a model not trained by the paper's recipe (see the Table 1 page)" if row == "trades"
            else "our one-epoch CPU fine-tune sits elsewhere on the accuracy–robustness "
                 "trade-off (measured on the Table 1 page)")
        for side, whose, cause in (
                ("released", "authors' model", verdicts.verdict_sentence(v_by.get((row, attack)))),
                ("trained", "model trained here", trained_cause)):
            if side == "released" and row not in paper2.RELEASED_ROWS:
                continue
            s = c[side]
            out.append(_rate_row("II", f"{what} ({whose})", c["paper"],
                                 None if s is None else s["pct"], 0 if s is None else s["n"],
                                 cause, PAGES["II"]))
    for side, whose, total in (("released", "authors' models", 81),
                               ("trained", "models trained here", 99)):
        f = released.fit(cells, side)
        out.append({"paper": "II", "what": f"Table 1 cells within two SE of the paper ({whose})",
                    "paper_value": "–",
                    "ours": "–" if not f["computed"] else
                    f"{f['within']} of {f['computed']}" + ("" if f["computed"] == total else
                                                          f" computed (of {total})"),
                    "n": 0, "verdict": "pending" if f["computed"] < total else "–",
                    "cause": prose.fit_text(f, total, f"the {whose}") if f["computed"] else "",
                    "page": PAGES["II"]})
    f = verdicts.fit(v_cells, ("paper-2019", "float"))
    out.append({"paper": "II", "what": "Non-trivial Table 1 cells within two SE of the paper "
                                       "under the 2019 protocol (κ = 0, authors' models)",
                "paper_value": "–",
                "ours": "–" if not f["nontrivial"] else
                f"{f['nontrivial_within']} of {f['nontrivial']}"
                + ("" if f["nontrivial"] == 62 else " computed (of 62)"),
                "n": 0, "verdict": "pending" if f["nontrivial"] < 62 else "–",
                "cause": verdicts.summary_text(v_cells), "page": PAGES["II"]})
    return out


def rows() -> list[dict]:
    """Every headline row, Paper I then Paper II (see the module docstring)."""
    return _paper1() + _paper2()
