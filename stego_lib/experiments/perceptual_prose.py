"""The perceptual page's reading of a Fig 6 sweep (:mod:`.perceptual`): the paper's statements
about its Fig 6 beside what the sweep gives, and sentences generated from the summary, so that
they say what the committed numbers say.

The paper gives no numbers for Fig 6, only three statements, and each is tested on the sweep:

- ``stronger``: C+D misclassifies more images than C or D alone. Tested at every swept bound
  where the stronger of C and D leaves some image unfooled; a difference counts beyond two
  standard errors of the difference of two error rates, and with none that large the
  statement is not settled.
- ``closer``: adding D to C raises the perceptual distance little, and at some bounds lowers
  it. "Little" has no yardstick in the paper, so the size is reported and the decrease is
  tested: C+D's mean distance below that of the farther single attack at the same bound.
- ``least``: at a given error rate, C+D is the least visible attack
  (:func:`.perceptual.distance_at_error`).

Example::

    >>> reading({"attacks": {}, "metrics": ["ssim"], "labels": {"ssim": "1 - SSIM"}})
    'The sweep shown does not include all three attacks at the default bounds.'
    >>> [c["verdict"] for c in fig6_claims({"attacks": {}, "metrics": [], "labels": {}})]
    ['not settled', 'not settled', 'not settled']
"""
from __future__ import annotations

import math

from . import perceptual
from .paper2.summaries import binomial_se

__all__ = ["FIG6", "OPEN", "OTHER", "SAME", "conclusion", "fig6_claims", "overview",
           "reading"]

SAME, OTHER, OPEN = "as in the paper", "the other way", "not settled"
TRIO = ("C", "D", "C+D")
# The paper's statements about its Fig 6 (its caption and Sec. 5.3), in our words.
FIG6 = {
    "stronger": "Adding D to C makes the attack much stronger (Fig 6, right).",
    "closer": "Adding D to C raises the perceptual distance only a little, and at some bounds "
              "lowers it (Fig 6, left; Sec. 5.3).",
    "least": "At a given error rate, C+D is the least visible of the three attacks (Sec. 5.3).",
}
_WORDS = {1: "one", 2: "two", 3: "three"}


def _metrics(used: list) -> str:
    return {1: "the metric used here", 2: "both metrics used here"}.get(len(used),
                                                                       "every metric used here")


def _number(k: int) -> str:
    return _WORDS.get(k, str(k))


def _complete(summary: dict) -> bool:
    """All three attacks are in the sweep, at the same bounds."""
    rows = summary["attacks"]
    return (all(n in rows for n in TRIO)
            and all(list(rows[n]["scale"]) == list(rows["C+D"]["scale"]) for n in TRIO))


def _at_default(summary: dict) -> str:
    rows = summary["attacks"]
    at = {n: rows[n]["default_index"] for n in TRIO}
    if any(i is None for i in at.values()):
        return ""
    err = {n: 100 * rows[n]["error_rate"][at[n]] for n in TRIO}
    return (f"At the default bounds C+D misclassifies {err['C+D']:.1f} % of the images, C alone "
            f"{err['C']:.1f} % and D alone {err['D']:.1f} %. ")


def _stronger(summary: dict) -> dict:
    rows = summary["attacks"]
    cd, n = rows["C+D"], rows["C+D"]["n_images"]
    room, up, down, gains = 0, 0, 0, []
    for i, s in enumerate(cd["scale"]):
        best = max(rows["C"]["error_rate"][i], rows["D"]["error_rate"][i])
        if best >= 1.0:   # C or D alone already fools every image: no gain can show
            continue
        gain = cd["error_rate"][i] - best
        se = math.hypot(binomial_se(float(cd["error_rate"][i]), n), binomial_se(float(best), n))
        room, up, down = room + 1, up + (gain > 2 * se), down + (gain < -2 * se)
        gains.append((gain, s))
    ours = _at_default(summary)
    if not room:
        return {"ours": ours + "C or D alone misclassifies every image at every bound swept.",
                "verdict": OPEN, "finding": "C or D alone already misclassifies every image at "
                "every bound swept, so no gain from combining them can show"}
    gain, scale = max(gains)
    ours += (f"Where C or D alone leaves images unfooled ({room} of {len(cd['scale'])} bounds), "
             f"C+D gains most at {scale:g} × the default bounds: {100 * gain:+.1f} points over "
             f"the stronger of the two.")
    where = f"of the {room} bounds where C or D alone leaves images unfooled"
    if up and down:
        return {"ours": ours, "verdict": OPEN, "finding": f"C+D misclassifies more images than "
                f"C and D alone at {up} and fewer at {down} {where}"}
    if up:
        return {"ours": ours, "verdict": SAME, "finding": f"C+D misclassifies more images than "
                f"C or D alone, beyond two standard errors, at {up} {where}"}
    if down:
        return {"ours": ours, "verdict": OTHER, "finding": f"C+D misclassifies fewer images "
                f"than the stronger of C and D alone, beyond two standard errors, at {down} "
                f"{where}, and more at none"}
    return {"ours": ours, "verdict": OPEN, "finding": f"the difference between C+D and the "
            f"stronger of C and D alone stays within two standard errors at each {where}"}


def _closer(summary: dict) -> dict:
    rows, used = summary["attacks"], summary["metrics"]
    cd, i0, total = rows["C+D"], rows["C+D"]["default_index"], len(rows["C+D"]["scale"])
    parts, lower = [], {}
    for m in used:
        farther = [max(c, d) for c, d in zip(rows["C"][m], rows["D"][m])]
        lower[m] = sum(x < f for x, f in zip(cd[m], farther))
        part = f"By {summary['labels'][m]}, "
        if i0 is not None:
            part += (f"C+D lies at {cd[m][i0]:.4f} at the default bounds, C at "
                     f"{rows['C'][m][i0]:.4f} and D at {rows['D'][m][i0]:.4f} "
                     f"({100 * (cd[m][i0] / farther[i0] - 1):+.0f} % over the farther alone); ")
        parts.append(part + f"C+D is below the farther alone at {lower[m]} of {total} bounds.")
    ours = " ".join(parts)
    if any(lower.values()):
        where = " and ".join(f"{k} by {summary['labels'][m]}" for m, k in lower.items() if k)
        return {"ours": ours, "verdict": SAME, "finding": f"C+D lies closer to the originals "
                f"than the farther of C and D alone at some bounds ({where}, of {total})"}
    return {"ours": ours, "verdict": OTHER, "finding": f"C+D is no closer to the originals "
            f"than C or D alone at any of the {total} bounds, under {_metrics(used)}: combining "
            f"never lowered the distance"}


def _least(summary: dict, target: float) -> dict:
    rows, used = summary["attacks"], summary["metrics"]
    need = {n: {m: perceptual.distance_at_error(rows[n], m, target) for m in used} for n in TRIO}
    goal = f"{100 * target:.0f} % of the images"
    if any(v is None for per in need.values() for v in per.values()):
        return {"ours": f"Not every attack misclassifies {goal} within the swept bounds.",
                "verdict": OPEN, "finding": f"not every attack reaches {goal} within the "
                "swept bounds, so their distances there cannot be compared"}
    capped = {n for n in TRIO if rows[n]["error_rate"][0] >= target}
    parts = []
    for m in used:
        # "≤": the smallest swept bound already gets there, so nothing is interpolated
        parts.append(f"by {summary['labels'][m]}, " + ", ".join(
            f"{n} {'≤ ' if n in capped else ''}{need[n][m]:.4f}"
            for n in sorted(TRIO, key=lambda n: need[n][m])))
    ours = (f"To misclassify {goal} (distances interpolated between swept bounds; ≤ where the "
            f"smallest bound already gets there), from least to most visible: "
            + "; ".join(parts) + ".")
    cheapest = {m: min(TRIO, key=lambda n: need[n][m]) for m in used}
    # an attack capped at its smallest bound may need less than shown: only then undecided
    open_ = sorted({n for m in used for n in capped if n != cheapest[m]})
    if open_:
        return {"ours": ours, "verdict": OPEN, "finding": f"{', '.join(open_)} already "
                f"misclassifies {goal} at the smallest bound swept, so it may need less "
                f"distance than shown"}
    winners = sorted(set(cheapest.values()))
    if winners == ["C+D"]:
        return {"ours": ours, "verdict": SAME, "finding": f"C+D misclassifies {goal} with the "
                f"smallest perceptual distance of the three attacks"}
    if "C+D" in winners:
        return {"ours": ours, "verdict": OPEN, "finding": "the metrics disagree on which attack "
                f"misclassifies {goal} with the smallest distance: " + "; ".join(
                    f"{cheapest[m]} by {summary['labels'][m]}" for m in used)}
    who = " and ".join(winners)
    return {"ours": ours, "verdict": OTHER, "finding": f"{who} alone, not C+D, misclassifies "
            f"{goal} with the smallest perceptual distance, under {_metrics(used)}"}


def fig6_claims(summary: dict, target: float = 0.9) -> list[dict]:
    """The paper's three statements about its Fig 6 (:data:`FIG6`), each with what the sweep's
    summary (:func:`.perceptual.summarize`) gives: ``{"claim", "paper", "ours", "verdict",
    "finding"}``; ``verdict`` is :data:`SAME`, :data:`OTHER` or :data:`OPEN`, ``finding`` a
    clause saying how it comes out. ``target`` is the error rate at which ``least`` compares
    the attacks' distances."""
    if not _complete(summary):
        missing = {"ours": "The sweep shown does not include all three attacks at the same "
                   "bounds.", "verdict": OPEN, "finding": "the sweep does not include all three "
                   "attacks at the same bounds"}
        return [{"claim": k, "paper": FIG6[k], **missing} for k in FIG6]
    found = {"stronger": _stronger(summary), "closer": _closer(summary),
             "least": _least(summary, target)}
    return [{"claim": k, "paper": FIG6[k], **found[k]} for k in FIG6]


def _metric_note(summary: dict) -> str:
    if "lpips" in summary["metrics"]:
        return ""
    return (" These distances are not the paper's LPIPS, which this page cannot compute; the "
            "metric may account for the difference, but under the metrics used here the result "
            "is as stated.")


def conclusion(claims: list[dict], summary: dict) -> str:
    """Sentences saying how the paper's statements (:func:`fig6_claims`) come out: first those
    that come out the other way, then those as in the paper, then those not settled."""
    by = {v: [c for c in claims if c["verdict"] == v] for v in (OTHER, SAME, OPEN)}
    out = []
    if by[OTHER]:
        k, n = len(by[OTHER]), len(claims)
        which = (f"All {_number(n)} of the paper's statements" if k == n else
                 f"{_number(k).capitalize()} of the paper's {_number(n)} statements")
        out.append(f"{which} {'comes' if k == 1 else 'come'} out the other way here: "
                   + "; and ".join(c["finding"] for c in by[OTHER]) + ".")
    if by[SAME]:
        out.append("As in the paper, " + "; and ".join(c["finding"] for c in by[SAME]) + ".")
    if by[OPEN]:
        out.append("Not settled: " + "; and ".join(c["finding"] for c in by[OPEN]) + ".")
    text = " ".join(out)
    if any(c["verdict"] == OTHER and c["claim"] in ("closer", "least") for c in claims):
        text += _metric_note(summary)
    return text


def reading(summary: dict, target: float = 0.9) -> str:
    """What one sweep's summary (:func:`.perceptual.summarize`) says about the paper's claim
    that C+D is the least visible attack at a given error rate: the error rates and distances
    at the default bounds, and the distance each attack needs to misclassify ``target`` of the
    images."""
    rows, used = summary["attacks"], summary["metrics"]
    at = {n: rows[n]["default_index"] for n in TRIO if n in rows}
    if len(at) < 3 or any(i is None for i in at.values()):
        return "The sweep shown does not include all three attacks at the default bounds."
    m0 = used[0]
    dist = {n: rows[n][m0][at[n]] for n in TRIO}
    bigger = "larger" if dist["C+D"] > max(dist["C"], dist["D"]) else "not larger"
    text = (_at_default(summary) + f"Its mean {summary['labels'][m0]} is {dist['C+D']:.4f}, "
            f"against {dist['C']:.4f} for C and {dist['D']:.4f} for D: {bigger} than either "
            f"attack's alone.")
    if not _complete(summary):
        return text
    least = _least(summary, target)
    text += " " + least["ours"]
    if least["verdict"] == OTHER:
        return (text + f" This is the other way round from the paper: {least['finding']}."
                + _metric_note(summary))
    if least["verdict"] == SAME:
        return text + f" As in the paper, {least['finding']}."
    return text + f" The sweep does not settle the paper's claim: {least['finding']}."


def _scale_note(shown, model: str) -> str:
    if shown.profile == shown.requested:
        return f"This page shows the '{shown.profile}' profile, as requested."
    return (f"The '{shown.requested}'-profile sweep is not in the committed results yet, "
            f"so this page shows the smaller '{shown.profile}' profile instead, "
            f"on the model {model}; its numbers illustrate the method, not the paper.")


def overview(shown, summary: dict, profile: str) -> dict:
    """The page's glued values about what was run (``{glue name: value}``): the re-run box,
    the model, images, iterations, bounds and metrics, and the notes on scale and metric."""
    from ..notebook import rerun_box

    cfg, used = shown.result["config"], summary["metrics"]
    first = next(iter(summary["attacks"].values()))
    return {
        "p2p_rerun": rerun_box("paper2_perceptual", profile=profile,
                               results="results/perceptual/", command=perceptual.COMMAND),
        "p2p_profile": shown.profile, "p2p_model": cfg.model,
        "p2p_n": f"{first['n_images']:,}", "p2p_iters": str(cfg.iterations),
        "p2p_clean": f"{100 * first['clean_accuracy']:.1f} %",
        "p2p_n_bounds": str(len(cfg.scales)),
        "p2p_scales": ", ".join(f"{s:g}" for s in cfg.scales),
        "p2p_base_c": f"{perceptual.BASE_BOUNDS['C']:g}",
        "p2p_base_d": f"{255 * perceptual.BASE_BOUNDS['D']:g}/255",
        "p2p_lr": f"{cfg.lr:g}", "p2p_reach": f"{cfg.lr * cfg.iterations:g}",
        "p2p_metrics": " and ".join(summary["labels"][m] for m in used),
        "p2p_scale_note": _scale_note(shown, cfg.model),
        "p2p_metric_note": (
            "LPIPS is computed with the AlexNet trunk, as in the paper." if "lpips" in used else
            "LPIPS needs AlexNet weights trained on ImageNet, which are not available here, so "
            "this page measures distance with 1 − SSIM and the mean CIEDE2000 colour difference "
            "instead; neither is the paper's metric."),
    }

