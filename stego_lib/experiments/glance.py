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

import re

from ..cache import CacheMiss, GPURequiredError
from ..papers import PAPER1_TABLE2_EPS, PAPER1_TABLE2_TPR
from .paper2.summaries import binomial_se, near_paper

__all__ = ["PAGES", "figure_points", "rows", "verdict_text"]

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
    return (f"open: our detector flags {flagged:.0%} of the attacks that succeed on our secret "
            f"model at this ε; the paper's share can be worked out only at ε 0.30 (about "
            f"{theirs:.0%}, from its Table II and Madry et al.'s accuracy there), so whether "
            f"ours flags more of the successful attacks or our secret model is weaker cannot be "
            f"told apart here (Paper I page)")


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


def _undefended_cause(attack: str) -> str:
    """Why our undefended model's ``attack`` cell differs, from the authors' attack on it."""
    from .. import papers
    from .paper2.reference import reference_runs

    ref = next((r for r in reference_runs(attack) if r["row"] == "natural"), None)
    if ref is None:
        return "open: the authors' attack has not been run on this model (Table 1 page)"
    paper = papers.paper2_accuracy(ref["label"], attack)
    near = near_paper(ref["reference"], paper, ref["images"])
    return (f"on the same {ref['images']} images of this model the authors' own {attack} leaves "
            f"{ref['reference']:.1f} % correct and ours {ref['ours']:.1f} % (paper "
            f"{paper:.1f} %): "
            + ("theirs lies within two standard errors of the paper, so the gap comes from our "
               "attack, not from the model (Table 1 page)" if near else
               "theirs too lies outside two standard errors of the paper, so this model itself "
               "differs from the paper's (Table 1 page)"))


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
    # a trained model behind the paper's on both clean and attacked images can match one cell
    # by coincidence: the row says so
    behind = {t["row"] for t in paper2.tradeoff(ours) if t["behind"]}
    out = []
    for row, attack, what in HEADLINE_CELLS:
        c = by[(row, attack)]
        trained_cause = (
            _undefended_cause(attack) if row == "natural" else
            "a model not trained by the paper's recipe (see the Table 1 page)" if row == "trades"
            else "our one-epoch CPU fine-tune sits elsewhere on the accuracy–robustness "
                 "trade-off (measured on the Table 1 page)")
        for side, whose, cause in (
                ("released", "authors' model", verdicts.verdict_sentence(v_by.get((row, attack)))),
                ("trained", "model trained here", trained_cause)):
            if side == "released" and row not in paper2.RELEASED_ROWS:
                continue
            s = c[side]
            r = _rate_row("II", f"{what} ({whose})", c["paper"],
                          None if s is None else s["pct"], 0 if s is None else s["n"],
                          cause, PAGES["II"])
            if side == "trained" and r["verdict"] == "matches" and row in behind:
                r["cause"] = ("matches on this cell, but this model is weaker than the paper's on "
                              "clean images and under attack (the Table 1 page's trade-off)")
            out.append(r)
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


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _plain(row: dict) -> str:
    """A glance row's quantity in words a reader of the landing page can parse."""
    what = row["what"]
    for old, new in (("Table II TPR, ", "the TPR of the "),
                     (", ε ", " at ε "),
                     ("perfect separation from ε, ", "perfect separation from ε on the "),
                     ("accuracy 0 from ε, ", "zero accuracy from ε on the "),
                     ("lowest combined accuracy, ", "the lowest combined accuracy of the ")):
        what = what.replace(old, new)
    return what


def table_name(row: dict) -> str:
    """A glance row's quantity as the glance table names it: what is measured, in words, with
    the paper's term in brackets.

    Example:
        >>> table_name({"what": "Table II TPR, secret model, ε 0.30"})
        "Attacked images that fool the classifier and are flagged (Table II's TPR), secret model, ε 0.30"
        >>> table_name({"what": "accuracy 0 from ε, natural model"})
        'Smallest ε from which every attacked image fools the classifier (accuracy 0), natural model'
    """
    what = row["what"]
    for old, new in (
            ("Table II TPR, ", "Attacked images that fool the classifier and are flagged "
                               "(Table II's TPR), "),
            ("perfect separation from ε, ", "Smallest ε from which every image that fools the "
                                            "classifier is flagged (perfect separation), "),
            ("accuracy 0 from ε, ", "Smallest ε from which every attacked image fools the "
                                    "classifier (accuracy 0), "),
            ("lowest combined accuracy, ", "Lowest share of attacked images either classified "
                                           "correctly or flagged, over ε (combined accuracy), "),
            ("within two SE of", "within two standard errors of")):
        what = what.replace(old, new)
    return what[0].upper() + what[1:]


def _eps(row: dict) -> str:
    """"the natural model: perfect separation from ε 0.21 (paper 0.17)" from an ε row."""
    quantity, model = row["what"].split(", ")
    quantity = "perfect separation" if quantity.startswith("perfect") else "zero accuracy"
    ours = row["ours"] if row["ours"] == "not reached" else f"from ε {row['ours']}"
    return (f"{_plain({'what': model})}, {quantity} {ours} "
            f"(paper {row['paper_value']})")


# How the verdict names each setting that can reproduce a Table 1 cell.
SETTING_PHRASE = {"the 2019 protocol": "κ = 0",
                  "8-bit scoring": "rounding the attacked image to 8-bit pixels before it is "
                                   "classified",
                  "the 2019 loader's flip and crop": "the 2019 loader's random flip and crop"}


def _flip_crop_sentence(cells: list[dict]) -> str:
    """What the 2019 loader's flip and crop does to the cells it was measured on, if any."""
    from .paper2 import flip_crop, verdicts

    done = [c[verdicts.FLIP_CROP] for c in cells if c.get(verdicts.FLIP_CROP)
            and "shift" in c[verdicts.FLIP_CROP]]
    if not done:
        return ""
    moved = sum(abs(d["shift"]) > 2 * d["shift_se"] for d in done if d["shift_se"] > 0)
    planned = len(flip_crop.CELLS)
    scope = (f"on all {planned}" if len(done) >= planned else
             f"so far on {len(done)} of the {planned}")
    return (f" Flipping and cropping the test images at random, as the 2019 framework's data "
            f"loader does, has run {scope} attacked cells that κ = ∞ misses; it moves "
            f"{'none' if moved == 0 else moved} of them by more than two standard errors of "
            f"the per-image difference.")


def _authors_sentence(runs: list[dict]) -> str:
    """Whether the authors' own attack code lands nearer the paper than ours, on the cells
    where both ran on the same images (:func:`.paper2.released.authors_runs`)."""
    if not runs:
        return ""
    a_near, o_near = sum(r["authors_near"] for r in runs), sum(r["ours_near"] for r in runs)
    attacks, models = len({r["attack"] for r in runs}), len({r["row"] for r in runs})
    verdict = ("no closer to the paper than ours" if a_near <= o_near else
               "closer to the paper than ours")
    return (f" The authors' own attack code is {verdict}: on the {len(runs)} cells where both "
            f"ran ({attacks} attack{'s' if attacks != 1 else ''} on {models} "
            f"model{'s' if models != 1 else ''}, the first {runs[0]['n']} test images, "
            f"κ = ∞), it lands within two standard errors of the paper on {a_near}, ours on "
            f"{o_near}.")


def authors_runs() -> list[dict]:
    """The authors' attacks beside ours on the released models (C-RGB, whose RGB variant is
    built here, left out)."""
    from .paper2 import authors, released

    res = released.result()
    return [r for a in authors.ATTACKS + authors.COMBINED
            for r in released.authors_runs(res, a)]


def verdict_text(rows_: list[dict] | None = None, cells: list[dict] | None = None,
                 runs: list[dict] | None = None) -> dict:
    """Short plain sentences per paper: what was reproduced, what was not, what is open.
    ``rows_``: :func:`rows`; ``cells``: the Table 1 verdicts (:func:`.paper2.verdicts.cells`);
    ``runs``: :func:`authors_runs`. Returns ``{"I": text, "II": text}``."""
    from .paper2 import verdicts

    rows_ = rows() if rows_ is None else rows_
    cells = verdicts.cells(verdicts.grids()) if cells is None else cells
    one = [r for r in rows_ if r["paper"] == "I"]
    out = {}
    if not one:
        out["I"] = "Paper I's sweep is not computed at the paper's scale yet."
    else:
        out["I"] = _paper1_verdict(one)
    out["II"] = _paper2_verdict(cells, authors_runs() if runs is None else runs)
    trained = next((r for r in rows_ if r["what"].startswith("Table 1 cells")
                    and "trained here" in r["what"]), None)
    mine = next((r for r in rows_ if r["what"].startswith("Table 1 cells")
                 and "authors' models" in r["what"]), None)
    if trained is not None and trained["ours"] != "–":
        beside = ("" if mine is None or mine["ours"] == "–" else
                  f", against {mine['ours']} on the authors' models counted the same way")
        out["II"] += (f" On the models trained here, fine-tuned adversarially for one epoch on "
                      f"a CPU rather than trained as in the paper, {trained['ours']} cells "
                      f"match, the clean column included{beside}.")
    return out


def _paper1_verdict(one: list[dict]) -> str:
    """Paper I's headline numbers in short sentences: what agrees, what differs, and which
    differences are open or rest on a handful of images."""
    same = [r for r in one if r["verdict"] == "matches"]
    other = [r for r in one if r["verdict"] == "differs"]
    text = ("Paper I's Table II reports the TPR, the share of attacked images that fool the "
            "classifier and are flagged; the combined accuracy is the share of attacked images "
            "either classified correctly or flagged; the secret model is the adversarially "
            "trained one. "
            f"{len(same)} of Paper I's {len(one)} headline numbers agree with ours"
            + (": " + _join([_plain(r) for r in same]) + ". " if same else ". "))
    eps_rows = [r for r in other if r["what"].startswith(("perfect", "accuracy 0"))]
    later = [r for r in eps_rows if r["ours"] == "not reached"
             or float(r["ours"]) > float(r["paper_value"])]
    if eps_rows and len(later) == len(eps_rows):
        text += ("Separation becomes perfect (every image that fools the classifier is flagged) "
                 "and the classifier's accuracy reaches zero at a larger ε here than in the "
                 "paper: " + "; ".join(map(_eps, eps_rows)) + ". ")
    elif eps_rows:
        text += "These ε differ: " + "; ".join(map(_eps, eps_rows)) + ". "
    rates = [r for r in other if r not in eps_rows]
    if rates:
        text += ("Other numbers differ too: " + "; ".join(
            f"{_plain(r)}, {r['ours'].split(' ±')[0]} against the paper's {r['paper_value']}"
            for r in rates) + ". ")
    open_ = [r for r in other if r["cause"].startswith("open")]
    few = [r for r in other if r not in open_]
    if open_:
        text += (f"Open, with no experiment here that accounts for "
                 f"{'it' if len(open_) == 1 else 'them'}: " + _join([_short(r) for r in open_])
                 + ". ")
    if few:
        text += ("Not resolved either, but traced here to the threshold or to one or two "
                 "images: " + "; ".join(
            f"{_short(r)}, {_bare(r['cause'])}" for r in few) + ".")
    return text.strip()


def _short(row: dict) -> str:
    """A differing Paper I number in a few words: "the TPR of the natural model at ε 0.10"."""
    quantity, model, *eps = row["what"].split(", ")
    name = {"Table II TPR": "the TPR", "perfect separation from ε": "the ε of perfect separation",
            "accuracy 0 from ε": "the ε of zero accuracy"}.get(quantity, quantity)
    return f"{name} of the {model}" + (f" at {eps[0]}" if eps else "")


def _bare(cause: str) -> str:
    """A cause without its pointers to other parts of the book."""
    return re.sub(r"\s*\((see [^)]*|Paper I page)\)", "", cause)


def _paper2_verdict(cells: list[dict], runs: list[dict]) -> str:
    """Table 1 on the released models in short sentences, the terms defined before use."""
    attacked = [c for c in cells if c["attack"] != "None"]
    nontrivial = [c for c in cells if c["nontrivial"]]
    count = {v: sum(c["verdict"] == v for c in attacked) for v in ("matches", "open")}
    reproduced = [c for c in attacked if c["verdict"].startswith("reproduced by")]
    by = sorted({c["by"] for c in reproduced}, key=lambda b: -sum(c["by"] == b for c in reproduced))
    near = sum(c[("package-2020", "float")]["near"] for c in nontrivial
               if c[("package-2020", "float")] is not None)
    text = ("The authors of Paper II released nine of their eleven models and, in 2020, the code "
            "of their attacks. That code's Carlini–Wagner loss keeps pushing after an image is "
            "misclassified (κ = ∞); the loss of the 2019 framework the paper was built with "
            "stops there by default (κ = 0). Which of the two the paper's Table 1 used is "
            "inferred, not stated. "
            f"With κ = ∞, {count['matches']} of the {len(attacked)} attacked cells on the "
            f"released models lie within two standard errors of the paper ({near} of the "
            f"{len(nontrivial)} cells that are neither clean nor 0 % in the paper). ")
    if reproduced:
        text += (f"Changing one setting brings {len(reproduced)} more within: " + _join(
            [f"{SETTING_PHRASE.get(b, b)} brings {sum(c['by'] == b for c in reproduced)}"
             for b in by]) + ". ")
    else:
        text += "No single setting changed here brings another cell within. "
    text += (f"The other {count['open']} {'is' if count['open'] == 1 else 'are'} open: no "
             "experiment here brings "
             f"{'it' if count['open'] == 1 else 'them'} within two standard errors.")
    return text + _authors_sentence(runs) + _flip_crop_sentence(attacked)


def figure_points(rows_: list[dict] | None = None) -> dict:
    """The points of the verdict figure: per paper a list of ``{"what", "paper", "ours",
    "se", "group"}`` in percent. Paper I: Table II's TPR at each of its ε for both models;
    Paper II: Table 1's attacked cells on the released models under the released code's
    protocol (``group`` "2020") and, where computed, the 2019 protocol ("2019")."""
    from . import paper1
    from .paper2 import verdicts
    from .paper2.summaries import binomial_se as se_of

    out = {"I": [], "II": []}
    try:
        shown = paper1.page_result("paper")
    except (CacheMiss, GPURequiredError):
        shown = None
    if shown is not None and shown.profile == "paper":
        cur, n = paper1.curves(shown.result), len(shown.result.labels)
        for model, c in cur.items():
            if model not in PAPER1_TABLE2_TPR:      # a model the paper did not evaluate
                continue
            for e, theirs in zip(PAPER1_TABLE2_EPS, PAPER1_TABLE2_TPR[model]):
                i = next((k for k, x in enumerate(c["eps"])
                          if abs(x - e) < 1e-9 and c["n"][k] == n), None)
                if i is not None:
                    p = float(c["tpr"][i])
                    out["I"].append({"what": f"{model}, ε {e:.2f}", "paper": 100 * theirs,
                                     "ours": 100 * p, "se": 100 * se_of(p, n), "group": model})
    for c in verdicts.cells(verdicts.grids()):
        if c["attack"] == "None":
            continue
        for group, key in (("2020", ("package-2020", "float")),
                           ("2019", ("paper-2019", "float"))):
            v = c[key]
            if v is not None:
                out["II"].append({"what": f"{c['label']} × {c['attack']}", "paper": c["paper"],
                                  "ours": v["pct"], "group": group,
                                  "se": 100 * se_of(v["pct"] / 100, v["n"])})
    return out
