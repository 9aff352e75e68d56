"""The Table 1 page's sentences about the authors' released models, generated from the results
so that they say what the committed numbers say (and are tested on small synthetic results).

Inputs are the summaries of :mod:`.released` (``comparison``, ``fit``, ``authors_c``), of
:mod:`.rgb_bound` (``result``) and of :mod:`.bw_conversion` (``result``).
"""
from __future__ import annotations

__all__ = ["authors_summary", "authors_text", "bw_text", "c_gap_text", "causes", "claims_summary",
           "bw_table", "crgb_table", "crgb_text", "fit_text", "gap_table", "twin_text", "worst_list"]

OPEN = "open"


def _pct(x: float) -> str:
    return f"{x:.1f} %"


def fit_text(fit: dict, total: int, what: str) -> str:
    """One sentence: how many of ``what``'s computed cells lie within two standard errors of
    the paper's, and the mean absolute difference.

    Example:
        >>> print(fit_text({"computed": 81, "within": 70, "mean_abs": 3.21, "worst": []}, 81,
        ...                "ours"))
        On ours, 70 of the 81 cells (86 %) lie within two standard errors of the paper's; the mean absolute difference is 3.2 points.
    """
    if not fit["computed"]:
        return f"No cell of {what} is computed yet."
    lead = (f"On {what}, {fit['within']} of the {fit['computed']} cells"
            if fit["computed"] == total else
            f"On {what}, {fit['within']} of the {fit['computed']} cells computed so far (of "
            f"{total})")
    return (f"{lead} ({100 * fit['within'] / fit['computed']:.0f} %) lie within two standard "
            f"errors of the paper's; the mean absolute difference is {fit['mean_abs']:.1f} "
            f"points.")


def causes(cells: list[dict], authors: dict, crgb: list[dict],
           matching_crgb: list[float], crgb_runs: int | None = None,
           rgb_eps: float = 0.06, gaps: dict | None = None) -> dict:
    """For each released cell beyond two standard errors of the paper's: ``(row, attack) ->
    (kind, sentence)`` with ``kind`` ``"measured"`` when an experiment of this repository
    accounts for it, else ``"open"``.

    - Every column the authors' package names (C, S, D and the combinations; ``authors``:
      attack -> the rows of :func:`.released.authors_runs`): the authors' own attack on the
      same model and images. If theirs lands where ours does, the
      paper's cell is not reproduced by its own code and model either; if theirs lands on the
      paper's and ours does not, the gap is our attack. Where ours and theirs part and neither
      settles it, ``gaps`` (``(row, attack) ->`` the rows of :func:`.c_gap.compare`: our
      attack with a choice switched to the reference's) can: a variant that lands within two
      standard errors of the authors' names the choice that parts them. A row may carry
      ``twin``: the authors' attack under a purely numerical change (``name``, ``accuracy``,
      ``vs_authors`` and ``vs_variant`` as ``(d, se)``); a variant within two standard errors
      of that twin, and no further from it than the twin from the reference, counts as close
      too: the reference cannot be told apart from itself more finely.
    - C-RGB: the bound sweep; a bound at which both swept models match the paper explains
      the column. With none, the authors' RGB attack at our bound ``rgb_eps`` (when run,
      under ``authors["C-RGB"]``) says whether the gap is our attack; without it the cell is
      open (``crgb_runs``: the sweep's planned runs, so that a sweep still under way says how
      far it has come).

    Example:
        >>> cell = {"row": "natural", "attack": "C-RGB", "released": {"near": False}}
        >>> a = {"row": "natural", "attack": "C-RGB", "n": 282, "authors": 0.4, "ours": 0.7,
        ...      "paper": 5.9, "diff": 0.3, "se": 0.4, "apart": False, "authors_near": False,
        ...      "ours_near": False}
        >>> causes([cell], {"C-RGB": [a]}, [{}], [])[("natural", "C-RGB")][0]
        'measured'
        >>> causes([cell], {}, [{}], [])[("natural", "C-RGB")][0]
        'open'
    """
    by_authors = {(a["row"], attack): a for attack, rows in authors.items() for a in rows}
    gaps = gaps or {}
    out = {}
    for c in cells:
        r = c["released"]
        if r is None or r["near"]:
            continue
        key = (c["row"], c["attack"])
        if c["attack"] == "C-RGB":
            out[key] = _crgb_cause(by_authors.get(key), crgb, matching_crgb, crgb_runs, rgb_eps)
        elif key in by_authors:
            out[key] = _authors_cause(by_authors[key], c["attack"], gaps.get(key))
        else:
            out[key] = (OPEN, "no experiment here accounts for it yet")
    return out


def _authors_cause(a: dict, name: str, gap_rows: list[dict] | None = None) -> tuple[str, str]:
    """The cause of a cell's gap read from the authors' attack and ours on the same images (and,
    where those two part, from ``gap_rows``: variants of ours, as in :func:`causes`)."""
    if a["authors_near"] and not a["ours_near"]:
        return ("measured", f"our attack: on the same {a['n']} images the authors' {name} "
                f"leaves {_pct(a['authors'])}, ours {_pct(a['ours'])} (paired "
                f"difference {a['diff']:+.1f} ± {a['se']:.1f})")
    if not a["authors_near"] and (not a["apart"] or _beyond(a)):
        return ("measured", f"not our attack: the authors' {name} on their own model "
                f"leaves {_pct(a['authors'])} of the same {a['n']} images correct, "
                f"ours {_pct(a['ours'])}; the paper's {_pct(a['paper'])} is not "
                f"reproduced by the released code and model either")
    if not a["apart"]:
        return ("measured", f"not our attack, as far as {a['n']} images tell: the "
                f"authors' {name} and ours agree on them ({_pct(a['authors'])} and "
                f"{_pct(a['ours'])}); on so few images both are within noise of the "
                f"paper's {_pct(a['paper'])}, on all 846 ours is not")
    text = (f"the authors' {name} leaves {_pct(a['authors'])} and ours {_pct(a['ours'])} on "
            f"the same {a['n']} images (paper {_pct(a['paper'])})")
    if not gap_rows:
        return (OPEN, text)
    close = sorted((r for r in gap_rows if _within(r["vs_authors"]) or _near_twin(r)),
                   key=lambda r: abs(r["vs_authors"][0]))
    if not close:
        tried = ", ".join(r["variant"] for r in gap_rows)
        return (OPEN, f"{text}; none of our variants with the reference's choices ({tried}) "
                "comes within two standard errors of the authors'")
    r = close[0]
    d, se = r["vs_authors"]
    found = (f"a choice of our attack: switched to the reference's ({r['variant']}), our "
             f"{name} leaves {_pct(r['accuracy'])} of the same {a['n']} images, "
             f"{d:+.1f} ± {se:.1f} from the authors' {_pct(a['authors'])} (ours as run: "
             f"{_pct(a['ours'])})")
    tw = r.get("twin")
    if tw is not None and not _within(r["vs_authors"]):
        found += (f", and {tw['vs_variant'][0]:+.1f} ± {tw['vs_variant'][1]:.1f} from "
                  f"{tw['name']} ({_pct(tw['accuracy'])}), which itself lies "
                  f"{tw['vs_authors'][0]:+.1f} ± {tw['vs_authors'][1]:.1f} from their run as "
                  "released: no further than the reference moves under a numerical change")
    if a["authors_near"]:
        return ("measured", f"{found}; theirs is within noise of the paper's {_pct(a['paper'])}")
    return ("measured", f"{found}; and the authors' own {name} on their model misses the "
            f"paper's {_pct(a['paper'])} too, so the rest is not reproduced by the released code "
            "and model either")


def _near_twin(row: dict) -> bool:
    """A variant within two standard errors of the reference's numerical twin and no further
    from it than the twin lies from the reference itself."""
    tw = row.get("twin")
    return (tw is not None and _within(tw["vs_variant"])
            and abs(tw["vs_variant"][0]) <= abs(tw["vs_authors"][0]) + 1e-9)


def _within(diff: tuple[float, float]) -> bool:
    """A paired difference ``(d, se)`` within two standard errors (``se`` 0: only ``d`` 0)."""
    return abs(diff[0]) <= 2 * diff[1]


def _crgb_cause(a: dict | None, crgb: list[dict], matching: list[float], runs: int | None,
                eps: float) -> tuple[str, str]:
    """A C-RGB cell's cause: a bound of the sweep that fits, or the authors' RGB attack at
    ours beside the sweep's verdict that no single bound fits the column."""
    if matching:
        b = " or ".join(f"{x:g}" for x in matching)
        return ("measured", f"the bound: at {b} per channel instead of our {eps:g}, "
                f"the swept models' C-RGB cells match the paper's")
    sofar = ("" if runs is None or len(crgb) >= runs else
             f" so far ({len(crgb)} of its {runs} runs are computed)")
    if a is None or sofar:
        return (OPEN, "the paper's C-RGB settings are not published, and no bound "
                f"of our sweep reproduces its column{sofar}")
    kind, text = _authors_cause(a, "C-RGB")
    if kind == OPEN or text.startswith("our attack"):
        return kind, f"at our bound of {eps:g} per channel, {text}"
    return ("measured", f"not our attack: at our bound of {eps:g} per channel the authors' "
            f"ReColorAdv in RGB leaves {_pct(a['authors'])} of the same {a['n']} images "
            f"correct, ours {_pct(a['ours'])}; the paper publishes no bound, and no single "
            f"bound of our sweep gives both its undefended and its C-trained cell")


def _beyond(a: dict) -> bool:
    """The authors' attack lies further from the paper's cell than ours, on the same side: the
    gap between ours and the paper cannot be our attack being stronger (or weaker) than theirs."""
    return ((a["authors"] - a["paper"]) * (a["ours"] - a["paper"]) > 0
            and abs(a["authors"] - a["paper"]) > abs(a["ours"] - a["paper"]))


def _pm(d: tuple[float, float]) -> str:
    return f"{d[0]:+.1f} ± {d[1]:.1f}".replace("-", "\u2212")


def _names(items: list[str]) -> str:
    """Variant names, each in quotes (a name may itself hold an "and"), joined for a sentence."""
    q = [f"\u201c{x}\u201d" for x in items]
    return q[0] if len(q) == 1 else ", ".join(q[:-1]) + " and " + q[-1]


def c_gap_text(rows: list[dict], authors: dict | None, attack: str = "C",
               model: str = "C-trained") -> str:
    """Where our ``attack`` and the authors' part on the authors' ``model``, and which of our
    variants with one choice switched to the reference's (rows of :func:`.c_gap.compare`; their
    numbers are in :func:`gap_table`) lands within two standard errors of the authors'
    (``authors``: the row of :func:`.released.authors_runs` for that model, or None).

    Example:
        >>> rows = [{"variant": "RGB clamp", "accuracy": 36.0, "n": 282,
        ...          "vs_ours": (-4.1, 1.2), "vs_authors": (0.9, 1.0)},
        ...         {"variant": "reference box", "accuracy": 39.0, "n": 282,
        ...          "vs_ours": (-1.1, 0.8), "vs_authors": (3.9, 1.3)}]
        >>> a = {"authors": 35.1, "ours": 40.1, "diff": 5.0, "se": 1.4, "n": 282}
        >>> print(c_gap_text(rows, a))  # doctest: +NORMALIZE_WHITESPACE
        On the authors' C-trained model, our C leaves 40.1 % of the first 282 test images
        correct and the authors' 35.1 % (paired difference +5.0 ± 1.4 points). Of the 2
        variants of our C in the table below, “RGB clamp” lands within two standard errors of
        the authors'.
    """
    if authors is None:
        return f"The authors' {attack} on their {model} model is not computed yet."
    text = (f"On the authors' {model} model, our {attack} leaves {_pct(authors['ours'])} of the "
            f"first {authors['n']} test images correct and the authors' {_pct(authors['authors'])} "
            f"(paired difference {authors['diff']:+.1f} ± {authors['se']:.1f} points).")
    if not rows:
        return text + (f" The variants of our {attack} with the reference's choices are not "
                       "computed yet.")
    close = [r["variant"] for r in rows if _within(r["vs_authors"])]
    same = [r["variant"] for r in rows if tuple(r["vs_authors"]) == (0.0, 0.0)]
    if len(rows) == 1:
        with_ = f" With the reference's {rows[0]['variant']}, our {attack}"
        return text + (f"{with_} gives the authors' outcome on every image." if same else
                       f"{with_} lands within two standard errors of the authors'." if close else
                       f"{with_} does not come within two standard errors of the authors'.")
    which = f"the {len(rows)} variants"
    if close:
        verb = "lands" if len(close) == 1 else "land"
        text += (f" Of {which} of our {attack} in the table below, {_names(close)} {verb} "
                 f"within two standard errors of the authors'.")
    else:
        text += (f" None of {which} of our {attack} in the table below comes within two "
                 f"standard errors of the authors'.")
    if same:
        text += (f" With {_names(same)}, our {attack} gives the authors' outcome on every "
                 f"image.")
    return text


def twin_text(rows: list[dict]) -> str:
    """How far the authors' attack moves under a purely numerical change, the yardstick for
    how far two runs of one attack part, and which variants lie as close to that twin as the
    twin lies to the authors' run (within two standard errors of the twin, and no further
    from it than the twin is from the authors'); ``rows`` of :func:`.c_gap.compare` carrying
    ``twin``, as in :func:`causes`; empty when no row carries one.

    Example:
        >>> tw = {"name": "the authors' C+D with our white point", "accuracy": 11.0,
        ...       "vs_authors": (0.7, 0.9), "vs_variant": (0.7, 0.9)}
        >>> print(twin_text([{"variant": "reference colour function", "twin": tw}]))
        The authors' C+D with our white point leaves 11.0 %, +0.7 ± 0.9 points from their run as released. Of our variants, “reference colour function” lies as close to this twin (+0.7 ± 0.9 points) as the twin lies to the authors' run.
    """
    rows = [r for r in rows if r.get("twin") is not None]
    if not rows:
        return ""
    tw = rows[0]["twin"]
    name = tw["name"][0].upper() + tw["name"][1:]
    text = (f"{name} leaves {_pct(tw['accuracy'])}, {tw['vs_authors'][0]:+.1f} ± "
            f"{tw['vs_authors'][1]:.1f} points from their run as released.")
    close = [r for r in rows if _within(r["twin"]["vs_variant"])
             and abs(r["twin"]["vs_variant"][0]) <= abs(tw["vs_authors"][0])]
    if close:
        text += (" Of our variants, " + _names([r["variant"] for r in close])
                 + (" lies" if len(close) == 1 else " lie") + " as close to this twin ("
                 + ", ".join(f"{_pm(r['twin']['vs_variant'])} points" for r in close)
                 + ") as the twin lies to the authors' run.")
    else:
        text += " No variant of ours lies as close to this twin as the twin lies to their run."
    return text


def gap_table(groups: list[tuple[str, str, list[dict], dict | None]]):
    """One table of every variant of the gap studies: per (``model``, ``attack``, variant
    rows of :func:`.c_gap.compare`, ``authors`` row or None), ours as published, the authors'
    attack, then each variant (and the twin, where a row carries one) with its accuracy and
    its paired difference from ours, from the authors' and from the twin (points ± SE).

    Example:
        >>> a = {"authors": 6.7, "ours": 10.3, "diff": 3.5, "se": 1.1, "n": 282}
        >>> rows = [{"variant": "zero padding", "accuracy": 7.1, "n": 282,
        ...          "vs_ours": (-3.2, 1.0), "vs_authors": (0.4, 0.9)}]
        >>> t = gap_table([("S-trained", "S", rows, a)])
        >>> t.header[3:]
        ['accuracy (%)', 'from ours', "from the authors'", 'from the twin']
        >>> t.rows[2]
        ['S-trained', 'S', 'zero padding', '7.1', '−3.2 ± 1.0', '+0.4 ± 0.9', '–']
    """
    from ...plotting import Table
    out = []
    for model, attack, rows, a in groups:
        if a is None:
            continue
        out.append([model, attack, "ours as published", f"{a['ours']:.1f}", "–",
                    _pm((a["diff"], a["se"]))])
        out.append([model, attack, "the authors' package", f"{a['authors']:.1f}",
                    _pm((-a["diff"], a["se"])), "–"])
        twin = next((r["twin"] for r in rows if r.get("twin") is not None), None)
        for r in rows:
            out.append([model, attack, r["variant"], f"{r['accuracy']:.1f}", _pm(r["vs_ours"]),
                        _pm(r["vs_authors"])]
                       + ([_pm(r["twin"]["vs_variant"])] if r.get("twin") else []))
        if twin is not None:
            out.append([model, attack, twin["name"], f"{twin['accuracy']:.1f}", "–",
                        _pm(twin["vs_authors"])])
    out = [r + ["–"] * (7 - len(r)) for r in out]
    return Table(["model", "attack", "variant", "accuracy (%)", "from ours", "from the authors'",
                  "from the twin"], out)


def worst_list(cells: list[dict], why: dict) -> str:
    """Markdown bullets: every released cell beyond two standard errors of the paper's, largest
    absolute z first, with its cause from :func:`causes` (measured, or open)."""
    far = sorted((c for c in cells if c["released"] is not None and not c["released"]["near"]),
                 key=lambda c: -abs(c["released"]["z"]))
    if not far:
        done = any(c["released"] is not None for c in cells)
        return ("Every computed cell lies within two standard errors of the paper's." if done
                else "No cell is computed yet.")
    lines = []
    for c in far:
        r = c["released"]
        kind, text = why.get((c["row"], c["attack"]), (OPEN, "no experiment here accounts for it"))
        tag = "measured cause" if kind == "measured" else "open"
        lines.append(f"- **{c['label']} × {c['attack']}**: ours {r['pct']:.1f} % (95 % "
                     f"interval {r['lo']:.1f}–{r['hi']:.1f}), paper {c['paper']:.1f} %, "
                     f"{r['z']:+.1f} SE. *{tag}*: {text}.")
    return "\n".join(lines)


def authors_text(rows: list[dict]) -> str:
    """How the authors' attack and ours compare on the released models, image by image (the
    rows of one attack)."""
    if not rows:
        return "The authors' attack has not been run on their released models here yet."
    name = rows[0].get("attack", "C")
    apart = [r for r in rows if r["apart"]]
    a_near = sum(r["authors_near"] for r in rows)
    o_near = sum(r["ours_near"] for r in rows)
    n = rows[0]["n"]
    many = len(rows) > 1
    text = (f"{name}: on {f'{len(rows)} released models' if many else 'one released model'}, "
            f"the authors' attack (their package) and ours attacked the same {n} test images. "
            + ("They do not differ" if not (many or apart) else "They differ")
            + " beyond two paired standard errors"
            + (f" on {len(apart)} of the {len(rows)} models" if many else ""))
    if apart:
        text += (" (" + "; ".join(f"{r['label']}: ours {r['diff']:+.1f} ± {r['se']:.1f} points"
                                   for r in apart) + ")")
    if many:
        text += (f". The authors' attack lands within two standard errors of the paper's {name} "
                 f"cell on {a_near} of them, ours on {o_near}.")
    else:
        who = {(1, 1): "Both land", (1, 0): "Only the authors' attack lands",
               (0, 1): "Only ours lands", (0, 0): "Neither lands"}[(a_near, o_near)]
        text += f". {who} within two standard errors of the paper's {name} cell."
    return text


def authors_summary(runs: list[dict]) -> str:
    """The authors' attack against ours over every cell where both ran (the rows of
    :func:`.released.authors_runs`, all attacks together), in three sentences; the table
    beside it gives each cell.

    Example:
        >>> r = {"label": "S", "attack": "S", "n": 282, "apart": True, "diff": 5.7,
        ...      "se": 1.6, "authors_near": False, "ours_near": False}
        >>> print(authors_summary([r, {**r, "apart": False, "authors_near": True}]))
        On 2 cells (1 attack on the released models) the authors' package and ours attacked the same 282 test images. They differ beyond two paired standard errors on 1 of them, and there ours leaves more images correct on 1 and fewer on 0. The authors' attack lands within two standard errors of the paper's cell on 1 cell, ours on 0.
    """
    if not runs:
        return authors_text([])
    apart = [r for r in runs if r["apart"]]
    attacks = len({r["attack"] for r in runs})
    more = sum(r["diff"] > 0 for r in apart)
    text = (f"On {len(runs)} cells ({attacks} attack{'s' if attacks != 1 else ''} on the "
            f"released models) the authors' package and ours attacked the same {runs[0]['n']} "
            f"test images. They differ beyond two paired standard errors on {len(apart)} of "
            "them" + (f", and there ours leaves more images correct on {more} and fewer on "
                      f"{len(apart) - more}" if apart else "") + ". ")
    a_near, o_near = sum(r["authors_near"] for r in runs), sum(r["ours_near"] for r in runs)
    return text + (f"The authors' attack lands within two standard errors of the paper's cell "
                   f"on {a_near} cell{'s' if a_near != 1 else ''}, ours on {o_near}.")


CRGB_PROTOCOLS = {"package-2020": "the released package's protocol (κ = ∞)",
                  "paper-2019": "the 2019 protocol (κ = 0)"}


def _bounds(values) -> str:
    return " and ".join(f"{b:g}" for b in sorted(values))


def crgb_text(sweeps: dict, label_of, total: int = 8) -> str:
    """The C-RGB bound sweep on the released models, one conclusion per protocol:
    ``sweeps`` maps a protocol to the entries of :func:`.rgb_bound.result` (``near``: within
    two standard errors of the paper's cell); ``label_of(entry)`` names the model; ``total``:
    the sweep's points per model. The numbers are in :func:`crgb_table`.

    Example:
        >>> e = lambda row, eps, near: {"row": row, "eps": eps, "lr": 1e-3, "near": near, "n": 282}
        >>> sweep = [e("natural", 0.02, True), e("c", 0.02, False),
        ...          e("natural", 0.06, False), e("c", 0.06, True)]
        >>> print(crgb_text({"package-2020": sweep}, lambda x: x["row"], total=2))
        Under the released package's protocol (κ = ∞), no bound of the sweep brings both cells within two standard errors of the paper's: the natural model's cell comes within them only at 0.02, the c model's only at 0.06. The 2019 protocol (κ = 0) is not computed yet.
    """
    out = []
    for protocol, name in CRGB_PROTOCOLS.items():
        sweep = sweeps.get(protocol) or []
        if not sweep:
            out.append(f"{name[0].upper() + name[1:]} is not computed yet.")
            continue
        by: dict = {}
        for e in sweep:
            by.setdefault(e["row"], []).append(e)
        both = sorted({e["eps"] for e in sweep if e["near"]
                       and all(any(f["eps"] == e["eps"] and f["lr"] == e["lr"] and f["near"]
                                   for f in es) for es in by.values())})
        done = min(len(es) for es in by.values())
        if done < total or len(by) < 2:
            hits = [f"the {label_of(es[0])} model's cell lies within them at "
                    f"{_bounds({e['eps'] for e in es if e['near']})}"
                    for es in by.values() if any(e["near"] for e in es)]
            k = sum(len(es) for es in by.values())
            out.append(f"Under {name}, {k} of the sweep's {2 * total} points "
                       f"{'is' if k == 1 else 'are'} computed so far"
                       + (": " + "; ".join(hits) + "." if hits else
                          ", none of them within two standard errors of the paper's.")
                       + " Which bound fits both cells stays open until the sweep is done.")
            continue
        part = ""
        if both:
            out.append(f"Under {name}{part}, both cells lie within two standard errors of the "
                       f"paper's at a bound of {_bounds(both)}."
                       + (" That changes two settings at once, the protocol and the bound, so it "
                          "is a lead for the C-RGB column, not a verdict on its cells."
                          if protocol != "package-2020" else ""))
            continue
        alone = []
        for k, es in enumerate(by.values()):
            hits = {e["eps"] for e in es if e["near"]}
            where = f"only at {_bounds(hits)}" if hits else "at no bound"
            alone.append(f"the {label_of(es[0])} model's " + ("cell comes within them " if k == 0
                                                              else "") + where)
        out.append(f"Under {name}{part}, no bound of the sweep brings both cells within two "
                   f"standard errors of the paper's: " + ", ".join(alone) + ".")
    return " ".join(out)


def crgb_table(sweeps: dict, label_of):
    """The C-RGB bound sweep as a table: one row per (bound, Adam step), one column per
    released model and protocol (accuracy %, the paper's cell in the header)."""
    from ...plotting import Table
    cols, points = [], []
    for protocol, entries in sweeps.items():
        for e in entries:
            key = (e["row"], protocol)
            if key not in cols:
                cols.append(key)
            if (e["eps"], e["lr"]) not in points:
                points.append((e["eps"], e["lr"]))
    cols.sort(key=lambda k: (k[0] != "natural", list(CRGB_PROTOCOLS).index(k[1])))
    val = {(e["row"], p, e["eps"], e["lr"]): e for p, es in sweeps.items() for e in es}
    first = {(e["row"]): e for es in sweeps.values() for e in es}
    kappa = {"package-2020": "κ = ∞", "paper-2019": "κ = 0"}
    header = ["bound", "Adam step"] + [
        f"{label_of(first[r])} (paper {first[r]['paper']:.1f}), {kappa[p]}" for r, p in cols]
    rows = []
    for eps, lr in sorted(points):
        cells = []
        for r, p in cols:
            e = val.get((r, p, eps, lr))
            cells.append("–" if e is None else f"{e['accuracy']:.1f}" + (" *" if e["near"] else ""))
        rows.append([f"{eps:g}", f"{lr:g}"] + cells)
    return Table(header, rows)


def bw_text(bw: dict, paper_clean: float) -> str:
    """What the released B&W model's own statistics say about its input."""
    plain = bw["plain"]
    accs = [p["accuracy"] for p in plain]
    worst = max(max(p["bn_mean_rms"], p["bn_logvar_rms"]) for p in plain)
    best_plain = min(min(p["bn_mean_rms"], p["bn_logvar_rms"]) for p in plain)
    yard = max(max(y) for y in bw["colour_bn"])
    b, u, f = bw["best"], bw["used"], bw["fitting"]

    labels = {p["conversion"]: p["label"] for p in plain}

    def gray(r):
        return labels.get(r["conversion"], r["conversion"])

    text = (
        f"Clean accuracy on the 846 exact-pixel test images cannot tell the {len(plain)} usual "
        f"conversions apart: {min(accs):.1f}–{max(accs):.1f} % (the table below; paper "
        f"{paper_clean:.1f} %). The model's first batch-norm layer can. "
        f"Its stored means and variances of the first convolution's output are averages over "
        f"the images it was trained on; recomputed from the 4,660 exact-pixel training images, "
        f"with the usual crop-and-flip augmentation, they match the released colour models' own "
        f"statistics to within {yard:.2f} (the root-mean-square difference over the layer's "
        f"channels, of the means and of the log variances: the two numbers given below). "
        f"For the B&W model, every conversion placed before the normaliser misses by "
        f"{best_plain:.2f}–{worst:.2f}. What fits is three equal channels holding a fraction "
        f"of a gray of the ImageNet-normalised image: ")
    if f["count"]:
        lo, hi = f["accuracy"]
        text += (f"{f['count']} of the {f['of']} measured inputs fit as well as the colour "
                 f"models fit their own, best {b['scale']:.2f} times the {gray(b)} "
                 f"({b['bn_mean_rms']:.3f} and {b['bn_logvar_rms']:.3f}), and with any of them "
                 f"the model classifies {lo:.1f}–{hi:.1f} % of the test images correctly. ")
    return text + (
        f"The released B&W row of the table gives it {u['scale']:.2f} times the {gray(u)} "
        f"({u['bn_mean_rms']:.3f} and {u['bn_logvar_rms']:.3f}; {u['accuracy']:.1f} % "
        f"correct). The operation that produced the authors' input is not published.")


def bw_table(bw: dict):
    """The conversions placed before the normaliser: clean accuracy and how far the first
    batch-norm layer's statistics recomputed under each lie from the stored ones."""
    from ...plotting import Table
    return Table(["conversion to gray", "clean accuracy (%)", "batch-norm means: RMS difference",
                  "batch-norm log variances: RMS difference"],
                 [[p["label"], f"{p['accuracy']:.1f}", f"{p['bn_mean_rms']:.3f}",
                   f"{p['bn_logvar_rms']:.3f}"] for p in bw["plain"]])


def claims_summary(released: list[dict], trained: list[dict]) -> str:
    """How the paper's conclusions fare on the authors' released models and on ours."""
    def count(cs, v):
        return sum(c["ours"] == v for c in cs)

    def one(cs, what):
        run = [c for c in cs if c["ours"] not in ("pending", "no such model")]
        absent = count(cs, "no such model")
        if not run:
            return f"On {what} no test can run yet."
        text = (f"On {what}, {len(run)} of the {len(cs)} tests run: {count(run, 'holds')} "
                f"hold, {count(run, 'does not hold')} do not, {count(run, 'within noise')} are "
                f"within the noise")
        if absent:
            text += f"; {absent} need a model that was not released"
        pending = count(cs, "pending")
        if pending:
            text += f"; {pending} wait for cells still being computed"
        failed = [c["claim"] for c in run if c["ours"] == "does not hold"]
        if failed:
            text += " (not holding: " + "; ".join(f"\u201c{f}\u201d" for f in failed) + ")"
        return text + "."
    return one(released, "the authors' released models") + " " + one(trained,
                                                                      "the models trained here")
