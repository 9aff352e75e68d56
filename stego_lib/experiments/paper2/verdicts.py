"""One verdict per Table 1 cell on the released models, by what was measured.

A cell *matches* when our attack under today's protocol (the package's, κ = ∞, scored on the
attacked image as returned) lands within two standard errors of the paper. Otherwise it is
*reproduced by X* when an experiment here that changes the one named setting X — the paper's
2019 protocol (κ = 0), scoring the 8-bit-rounded image, or reading the test images through the
2019 loader's random flip and crop — lands within two standard errors;
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
from ...stats import beyond_noise, paired_difference
from .config import LABELS, RELEASED_ROWS, make_config
from .summaries import diff_se, near_paper
from .table1 import run

__all__ = ["BASELINE", "CHOICES", "FLIP_CROP", "SETTING", "authors_grids", "cells", "fit", "grids",
           "nontrivial", "paired"]

BASELINE = ("package-2020", "float")
# Every (protocol, scoring) measured; the one setting each changes from the baseline.
CHOICES = (BASELINE, ("package-2020", "8-bit"), ("paper-2019", "float"), ("paper-2019", "8-bit"))
# The 2019 loader's flip and crop (seed 0) on the cells the baseline misses, 282 images.
FLIP_CROP = ("flip-crop:0", "float")
SETTING = {("package-2020", "8-bit"): "8-bit scoring",
           ("paper-2019", "float"): "the 2019 protocol",
           FLIP_CROP: "the 2019 loader's flip and crop"}


def nontrivial(row: str, attack: str) -> bool:
    """An attacked cell whose paper value is not 0.0 (62 of the released rows' 72)."""
    return attack != "None" and paper2_accuracy(LABELS[row], attack) != 0.0


def grids(n_images: int | None = None) -> dict:
    """``{(protocol, scoring): {row: {attack: (N,) bool}}}``: whether the released model still
    classifies each attacked image correctly, for every committed cell. ``n_images``: the first
    N test images only (282: the pilot, paired with the authors' runs); None: each cell at the
    largest scale committed (all 846 images, else the first 282)."""
    out = {}
    for protocol in ("package-2020", "paper-2019"):
        for n in ((n_images,) if n_images else (846, 282)):
            got = _committed(protocol, n)
            for scoring, grid in got.items():
                into = out.setdefault((protocol, scoring), {})
                for row, by_attack in grid.items():
                    for a, correct in by_attack.items():
                        into.setdefault(row, {}).setdefault(a, correct)
    from . import flip_crop   # imported here: it builds on this module's neighbours
    if n_images in (None, flip_crop.IMAGES[1]):   # its cells hold the first 282 images
        flipped = flip_crop.grid()
        if flipped:
            out[FLIP_CROP] = flipped
    # The clean column is one computation for both protocols (its key names none).
    for scoring in ("float", "8-bit"):
        base, new = out.get(("package-2020", scoring)), out.get(("paper-2019", scoring))
        if base is not None and new is not None:
            for row, by_attack in base.items():
                if "None" in by_attack:
                    new.setdefault(row, {}).setdefault("None", by_attack["None"])
    return out


def _committed(protocol: str, n: int) -> dict:
    cfg = make_config("paper", models="released", protocol=protocol, n_images=n,
                      chunk_images=min(282, n))
    try:
        res = run(cfg, mode="cache-only")
    except (CacheMiss, GPURequiredError):
        return {}
    return {"float": res.correct, "8-bit": res.correct_uint8}


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
    ``baseline_on`` (today's protocol on the first ``n`` images, per ``n`` a setting was
    measured on), ``verdict`` (``"matches"``, ``"reproduced by <setting>"`` or ``"open"``; None
    when the baseline is not computed) and ``by`` (the setting, or None).

    A setting reproduces a cell when it lands within two standard errors of the paper, today's
    protocol on the same images does not (two standard errors on 282 images are wider than on
    846, so a setting measured on fewer images must beat the baseline on them), and the
    setting moves the cell beyond two paired standard errors (``shift``, ``shift_se`` of each
    setting's entry: its per-image difference from the baseline on the same images)."""
    out = []
    for row in rows:
        for a in attacks:
            paper = paper2_accuracy(LABELS[row], a)
            c = {"row": row, "label": LABELS[row], "attack": a, "paper": paper,
                 "nontrivial": nontrivial(row, a)}
            for choice, grid in measured.items():
                c[choice] = _side(grid.get(row, {}).get(a), paper)
            # today's protocol on the images each setting was measured on (its first n)
            base = measured.get(BASELINE, {}).get(row, {}).get(a)
            c["baseline_on"] = {} if base is None else {
                c[ch]["n"]: _side(base[:c[ch]["n"]], paper)
                for ch in SETTING if c.get(ch) and c[ch]["n"] <= len(base)}
            # how far each setting moves the cell, image by image against the baseline
            for ch in SETTING:
                if c.get(ch) and base is not None and c[ch]["n"] <= len(base):
                    arr = measured[ch][row][a]
                    c[ch]["shift"], c[ch]["shift_se"] = paired_difference(arr, base[:len(arr)])
            c["verdict"], c["by"] = _verdict(c)
            out.append(c)
    return out


def _verdict(c: dict) -> tuple[str | None, str | None]:
    base = c.get(BASELINE)
    if base is None:
        return None, None
    if base["near"]:
        return "matches", None
    # One setting changed at a time; the closest to the paper names the cause. A setting
    # measured on fewer images counts only where today's protocol, on those same images,
    # misses the paper: otherwise the smaller sample, not the setting, closed the gap.
    # And the setting must move the cell beyond two paired standard errors: a shift within
    # the noise of the same images does not show that the setting moves it at all.
    on = c.get("baseline_on", {})
    hits = [(abs(c[ch]["z"]), SETTING[ch]) for ch in SETTING if c.get(ch) and c[ch]["near"]
            and not (on.get(c[ch]["n"]) or {}).get("near") and _moves(c[ch])]
    if hits:
        by = min(hits)[1]
        return f"reproduced by {by}", by
    return "open", None


def _moves(side: dict) -> bool:
    """Whether a setting's paired shift from the baseline lies beyond two standard errors
    (with no spread at all, any shift counts); True where no shift is known."""
    if "shift" not in side:
        return True
    return beyond_noise(side["shift"], side["shift_se"])


def fit(table: list[dict], choice: tuple, worst: int = 5) -> dict:
    """How close one (protocol, scoring) lands to the paper: over every computed cell and over
    the non-trivial ones, the cells within two standard errors, the mean absolute difference
    (points) and the ``worst`` cells by absolute z."""
    got = [c for c in table if c.get(choice) is not None]
    hard = [c for c in got if c["nontrivial"]]
    ranked = sorted(got, key=lambda c: -abs(c[choice]["z"]))
    return {"choice": choice, "computed": len(got), "within": sum(c[choice]["near"] for c in got),
            "nontrivial": len(hard), "nontrivial_within": sum(c[choice]["near"] for c in hard),
            "mean_abs": float(np.mean([abs(c[choice]["diff"]) for c in got])) if got else None,
            "worst": ranked[:worst]}


def authors_grids() -> dict:
    """``{(protocol, scoring): {row: {attack: (282,) bool}}}`` of the authors' package on the
    released models, for every committed run (the first 282 test images)."""
    from . import authors

    out = {}
    for protocol in ("package-2020", "paper-2019"):
        for row in RELEASED_ROWS:
            for a in PAPER2_TABLE1_ATTACKS[1:]:
                if not authors.has(row, a, protocol=protocol):
                    continue
                arr = authors.run_chunk(row, a, protocol=protocol, mode="cache-only").arrays
                labels = arr["labels"].astype(np.int64)
                out.setdefault((protocol, "float"), {}).setdefault(row, {})[a] = \
                    np.asarray(arr["correct"], bool)
                out.setdefault((protocol, "8-bit"), {}).setdefault(row, {})[a] = \
                    arr["pred_uint8"].astype(np.int64) == labels
    return out


def paired(ours: dict, theirs: dict, choice: tuple) -> dict:
    """``(row, attack) -> {"n", "ours", "authors", "diff", "se", "apart"}``: our attack and the
    authors' on the same images (the first ``n`` of ours), both under ``choice``; ``se`` is the
    paired standard error of the per-image difference (points), ``apart`` beyond two of them."""
    out = {}
    for row, by_attack in theirs.get(choice, {}).items():
        for a, t in by_attack.items():
            o = ours.get(choice, {}).get(row, {}).get(a)
            if o is None or len(o) < len(t):
                continue
            n = len(t)
            diff, se = paired_difference(o[:n], t)
            out[(row, a)] = {"n": n, "ours": 100 * float(o[:n].mean()),
                             "authors": 100 * float(t.mean()), "diff": diff, "se": se,
                             "apart": beyond_noise(diff, se)}
    return out


PROTOCOL_NAMES = {"package-2020": "the released package's protocol (κ = ∞)",
                  "paper-2019": "the 2019 protocol (κ = 0)"}


def summary_text(table: list[dict], pilot: list[dict] | None = None) -> str:
    """The finding in a few sentences: how many non-trivial cells (neither clean nor 0 % in the
    paper) each protocol brings within two standard errors of the paper, scored on the image as
    returned, compared on the same images (``pilot``: :func:`cells` of ``grids(n)`` for the
    images the 2019 protocol has covered); on which side of the paper the 2019 protocol lands;
    and how the attacked cells' verdicts add up.

    Example:
        >>> cell = {"attack": "S", "nontrivial": True, "verdict": "open",
        ...         BASELINE: {"near": False, "n": 846}}
        >>> print(summary_text([cell]).replace(". ", ".\\n"))
        With κ = ∞ on all 846 test images, 0 of the 62 non-trivial cells (neither clean nor 0 % in the paper) lie within two standard errors of the paper (1 of them computed).
        κ = 0 is not computed yet.
        Of the 1 attacked cells, 0 match, 0 are reproduced by one named setting and 1 is open.
    """
    p19 = ("paper-2019", "float")
    hard = [c for c in table if c["nontrivial"] and c.get(BASELINE)]
    k = sum(c[BASELINE]["near"] for c in hard)
    text = (f"With κ = ∞ on all 846 test images, {k} of the 62 non-trivial cells (neither clean "
            f"nor 0 % in the paper) lie within two standard errors of the paper"
            + ("." if len(hard) == 62 else f" ({len(hard)} of them computed)."))
    done = [c for c in table if c["nontrivial"] and c.get(p19)]
    if not done:
        text += " κ = 0 is not computed yet."
    else:
        text += _same_images(done, pilot)
    v = [c["verdict"] for c in table if c["verdict"] and c["attack"] != "None"]
    match, repro, open_ = (v.count("matches"), sum(x.startswith("reproduced") for x in v),
                           v.count("open"))
    text += (f" Of the {len(v)} attacked cells, {match} match, {repro} "
             f"{'are' if repro != 1 else 'is'} reproduced by one named setting and {open_} "
             f"{'are' if open_ != 1 else 'is'} open.")
    return text


def _same_images(done: list[dict], pilot: list[dict] | None) -> str:
    """κ = 0 beside κ = ∞ on the images κ = 0 has covered (fewer images, wider errors)."""
    p19 = ("paper-2019", "float")
    sizes = {c[p19]["n"] for c in done}
    images = ("all 846 test images" if sizes == {846} else
              f"the first {min(sizes)} test images" if len(sizes) == 1 else
              "846 or, for some cells, the first 282 test images")
    cover = ("all 62" if len(done) == 62 else f"{len(done)} of the 62")
    near19 = sum(c[p19]["near"] for c in done)
    above = sum(c[p19]["diff"] > 0 for c in done)
    same = {(c["row"], c["attack"]): c for c in (pilot or [])}
    base = [same.get((c["row"], c["attack"]), {}).get(BASELINE) for c in done]
    if pilot is not None and all(b is not None for b in base) and sizes != {846}:
        return (f" The κ = 0 runs cover {cover} on {images}, and fewer images mean wider "
                f"standard errors, so the fair comparison is on those images: there κ = ∞ lands "
                f"within two standard errors on {sum(b['near'] for b in base)} of them and κ = 0 "
                f"on {near19}. {above} of the {len(done)} κ = 0 values lie above the paper's.")
    return (f" κ = 0 covers {cover} on {images}: {near19} of them lie within two standard "
            f"errors of the paper, and {above} of the {len(done)} lie above it.")


def gap_reasons(gaps: dict) -> dict:
    """``(row, attack) -> reason`` where a variant of our attack with one choice switched to the
    reference's lands within two paired standard errors of the authors' attack (``gaps``:
    ``(row, attack) ->`` rows of :func:`.c_gap.compare`, each with ``variant`` and
    ``vs_authors`` = ``(d, se)``). The closest such variant names the reason.

    Example:
        >>> rows = [{"variant": "zero padding", "vs_authors": (0.0, 0.0)},
        ...         {"variant": "box", "vs_authors": (3.0, 1.0)}]
        >>> gap_reasons({("d", "S"): rows})
        {('d', 'S'): "closed by the reference's zero padding (+0.0 ± 0.0 from theirs)"}
    """
    out = {}
    for key, rows in gaps.items():
        close = sorted((r for r in rows if abs(r["vs_authors"][0]) <= 2 * r["vs_authors"][1]),
                       key=lambda r: abs(r["vs_authors"][0]))
        if close:
            d, se = close[0]["vs_authors"]
            out[key] = (f"closed by the reference's {close[0]['variant']} "
                        f"({d:+.1f} ± {se:.1f} from theirs)")
    return out


_CHOICE_OF = {setting: choice for choice, setting in SETTING.items()}


def verdict_sentence(cell: dict | None) -> str:
    """A cell's verdict as a short clause for a summary table.

    Example:
        >>> c = {"verdict": "reproduced by the 2019 protocol", "by": "the 2019 protocol",
        ...      ("paper-2019", "float"): {"pct": 28.0, "n": 282}}
        >>> verdict_sentence(c)
        'reproduced by the 2019 protocol (κ = 0): 28.0 % on 282 images'
    """
    if cell is None or cell.get("verdict") is None:
        return "not computed yet"
    if cell["verdict"] == "matches":
        return "matches: within two standard errors of the paper"
    if cell["verdict"] == "open":
        return "open: no experiment here brings it within two standard errors of the paper"
    s = cell[_CHOICE_OF[cell["by"]]]
    by = "the 2019 protocol (κ = 0)" if cell["by"] == "the 2019 protocol" else cell["by"]
    return f"reproduced by {by}: {s['pct']:.1f} % on {s['n']} images"


def d_column_text(pilot: list[dict]) -> str:
    """Whether κ changes the D column (no penalty acts there), on the cells computed under both
    protocols on the same images (``pilot``: :func:`cells` of ``grids(n)``).

    Example:
        >>> c = {"attack": "D", BASELINE: {"pct": 6.0, "n": 282},
        ...      ("paper-2019", "float"): {"pct": 6.0, "n": 282}}
        >>> d_column_text([c])
        'the two protocols leave the same share of the same 282 images correct under D on 1 of the 1 released model computed so far.'
    """
    both = [c for c in pilot if c["attack"] == "D" and c.get(BASELINE)
            and c.get(("paper-2019", "float"))]
    if not both:
        return "whether it does stays open until the column is computed."
    same = sum(abs(c[BASELINE]["pct"] - c[("paper-2019", "float")]["pct"]) < 1e-9 for c in both)
    models = "model" if len(both) == 1 else "models"
    which = ("of the nine released models" if len(both) == 9 else
             f"of the {len(both)} released {models} computed so far")
    return (f"the two protocols leave the same share of the same {both[0][BASELINE]['n']} "
            f"images correct under D on {same} {which}.")
