"""The Paper I page's sentences about what makes PGD examples detectable, generated from the
committed diagnostics (:mod:`.diagnostics`) and the Madry-recipe snapshots (:mod:`.training`),
so that they say what the numbers say; tested on synthetic rows."""
from __future__ import annotations

import numpy as np

from ...papers import PAPER1_SECRET_PGD40_ACCURACY, PAPER1_TABLE2_EPS, PAPER1_TABLE2_TPR
from ...stats import auc
from .summaries import _index

__all__ = ["STATISTICS", "device_text", "diagnosis", "image_set", "let_through", "madry_diagnosis",
           "madry_sweep", "madry_trend", "paper_flagged_share", "recipe_verdict", "separation"]

# Per-image statistics of a diagnostic entry, in the words of the page.
STATISTICS = {
    "zero_grad": "share of zero input-gradient entries",
    "sign_consistency": "sign consistency of the gradient",
    "at_bound": "share of pixels at ±ε",
    "unchanged_flat": "share of the background left unchanged",
    "roughness_flat": "roughness of δ on the background",
}


def _auc(a: np.ndarray, b: np.ndarray) -> float:
    """P(a > b) + P(a = b) / 2 for one value of each, NaN values left out (Mann–Whitney);
    NaN when either side has no value left."""
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if not (a.size and b.size):
        return float("nan")
    return auc(b, a)


def separation(first: dict, second: dict) -> dict:
    """For each of :data:`STATISTICS`: the AUC of telling ``second``'s images from ``first``'s
    by that statistic alone (0.5: no separation; 0 or 1: complete). Arguments are the arrays
    of two diagnostic entries at the same ε.

    Example:
        >>> a = {k: np.zeros(4) for k in STATISTICS}; b = {k: np.ones(4) for k in STATISTICS}
        >>> separation(a, b)["zero_grad"]
        1.0
    """
    return {k: _auc(np.asarray(second[k], float), np.asarray(first[k], float))
            for k in STATISTICS}


def image_set(n: int, n_all: int = 10_000) -> str:
    """The test images a rate was measured on, in words: the same model and ε give different
    rates on the first 1,000 images and on all 10,000, so every rate names its set.

    Example:
        >>> image_set(1000), image_set(10000)
        ('the first 1,000 test images', 'all 10,000 test images')
    """
    return f"all {n:,} test images" if n == n_all else f"the first {n:,} test images"


def _at(rows, model, eps):
    return next((r for r in rows if r["model"] == model and abs(r["eps"] - eps) < 1e-9), None)


def diagnosis(rows: list[dict], sep: dict | None = None, eps=(0.10, 0.30)) -> str:
    """What the diagnostic rows (``diagnostics.rows``) say about the natural and the secret
    model at ``eps``; ``sep`` (statistic -> AUC, from :func:`separation` at the first ε) names
    the statistics that separate the two models."""
    parts = []
    for e in eps:
        nat, adv = _at(rows, "natural", e), _at(rows, "adversarial", e)
        if nat is None or adv is None:
            continue
        parts.append(
            (f"On {image_set(nat['n'])}, at" if not parts else "At") +
            f" ε = {e:.2f} the start noise alone is flagged on {nat['flagged_noise']:.1%} "
            f"of the images. PGD-40 from that start is flagged on {nat['flagged_pgd']:.1%} of "
            f"the natural model's images and on {adv['flagged_pgd']:.1%} of the secret model's; "
            f"from no start, on {nat['flagged_nostart']:.1%} and {adv['flagged_nostart']:.1%}.")
    if not parts:
        return "The diagnostics for both models are not committed yet."
    nat, adv = _at(rows, "natural", eps[0]), _at(rows, "adversarial", eps[0])
    drop_adv = adv["flagged_pgd"] - adv["flagged_nostart"]
    drop_nat = nat["flagged_pgd"] - nat["flagged_nostart"]
    se = np.sqrt(0.25 / adv["n"]) * np.sqrt(2)   # at most, for a difference of two rates
    if drop_adv > 2 * se and drop_adv > 2 * abs(drop_nat):
        parts.append(
            f"So for the secret model it is the random start the detector sees: without it the "
            f"flag rate at ε = {eps[0]:.2f} falls by {100 * drop_adv:.1f} percentage points, "
            f"against {100 * drop_nat:.1f} for the natural model, whose own gradient steps "
            f"leave a perturbation nearly as visible as the noise.")
    else:
        parts.append(
            f"Removing the random start changes the flag rate at ε = {eps[0]:.2f} by "
            f"{-100 * drop_adv:+.1f} percentage points for the secret model and "
            f"{-100 * drop_nat:+.1f} for the natural one, so the start noise is not what "
            f"separates them.")
    late = _at(rows, "adversarial", eps[-1])
    if late is not None and late["accuracy_nostart"] < 1:
        fooled = 1 - late["accuracy_nostart"]
        parts.append(
            f"Without the random start PGD-40 still fools the secret model on {fooled:.1%} of "
            f"the images at ε = {eps[-1]:.2f}, and the detector flags "
            f"{late['tpr_nostart'] / fooled:.0%} of those: its successes there are invisible "
            f"to the pixel predictor.")
    parts.append(
        f"The gradients differ: {adv['zero_grad']:.0%} of the secret model's input-gradient "
        f"entries are exactly zero over the 40 steps (median image), against "
        f"{nat['zero_grad']:.0%} of the natural model's. A signed step of a zero gradient "
        f"moves nothing, so wherever the gradient is zero the start noise stays in δ.")
    if sep:
        strong = [f"{STATISTICS[k]} (AUC {v:.2f})" for k, v in sep.items()
                  if np.isfinite(v) and abs(v - 0.5) >= 0.4]
        weak = [f"{STATISTICS[k]} ({v:.2f})" for k, v in sep.items()
                if np.isfinite(v) and abs(v - 0.5) < 0.4]
        if strong:
            parts.append(f"Image by image, these statistics tell the two models apart at "
                         f"ε = {eps[0]:.2f}: " + ", ".join(strong) + "; these barely do: "
                         + (", ".join(weak) if weak else "none") + ".")
    return " ".join(parts)


def madry_diagnosis(rows: list[dict], eps: float = 0.10, snapshot: dict | None = None,
                    stored_dtype: str = "float16") -> str:
    """The Madry-recipe model's diagnostics at ``eps`` beside the secret and the natural
    model's: the share flagged with and without PGD's random start, and the zero-gradient
    share. Empty while any of the three is not committed. ``snapshot`` (a row of
    ``madry_snapshots``, measured during training on the live weights) adds how the same
    measurement read there, and what differs between the two (``stored_dtype``: the weights
    of the stored checkpoint the rows use).

    Example:
        >>> r = lambda m, f, g, z: {"model": m, "eps": 0.1, "flagged_pgd": f, "device": "cpu",
        ...                         "flagged_nostart": g, "flagged_noise": 1.0, "zero_grad": z,
        ...                         "n": 1000}
        >>> rows = [r("natural", 0.73, 0.68, 0.0), r("adversarial", 0.99, 0.0, 0.66),
        ...         r("madry", 0.33, 0.15, 0.0)]
        >>> print(madry_diagnosis(rows))  # doctest: +NORMALIZE_WHITESPACE
        The Madry-recipe model, diagnosed the same way at its last step on the first 1,000 test
        images: at ε = 0.10 PGD-40 is flagged on 33.0% of them and on 15.0% without the random
        start (the start noise alone: 100.0%), a drop of 18.0 percentage points against 99.0
        for our secret model and 5.0 for the natural one; the median share of zero
        input-gradient entries is 0% (secret model 66%, natural 0%).
        >>> snap = {"step": 15000, "by_eps": {0.1: {"flagged_pgd": 0.34, "flagged_nostart": 0.13,
        ...                                         "device": "cuda:0", "n": 1000}}}
        >>> print(madry_diagnosis(rows, snapshot=snap).split("). ")[-1])
        ... # doctest: +NORMALIZE_WHITESPACE
        The 15,000-step row of the snapshot table below is the same measurement on the same
        1,000 images, taken during training: there 34.0% and 13.0%. The two differ in the
        weights (float32 during training, the stored float16 checkpoint here) and in the device
        (a GPU there, a CPU here); which of these moves the share flagged is not separated here.
        >>> madry_diagnosis(rows[:2])
        ''
    """
    nat, adv, mad = (_at(rows, m, eps) for m in ("natural", "adversarial", "madry"))
    if nat is None or adv is None or mad is None:
        return ""
    drop = {k: 100 * (r["flagged_pgd"] - r["flagged_nostart"])
            for k, r in (("nat", nat), ("adv", adv), ("mad", mad))}
    return (f"The Madry-recipe model, diagnosed the same way at its last step on "
            f"{image_set(mad['n'])}: at ε = {eps:.2f} PGD-40 is flagged on "
            f"{mad['flagged_pgd']:.1%} of them and on "
            f"{mad['flagged_nostart']:.1%} without the random start (the start noise alone: "
            f"{mad['flagged_noise']:.1%}), a drop of {drop['mad']:.1f} percentage points "
            f"against {drop['adv']:.1f} for our secret model and {drop['nat']:.1f} for the "
            f"natural one; the median share of zero input-gradient entries is "
            f"{mad['zero_grad']:.0%} (secret model {adv['zero_grad']:.0%}, natural "
            f"{nat['zero_grad']:.0%})." + _snapshot_reading(snapshot, mad, eps, stored_dtype))


def _machine(device: str | None) -> str | None:
    if device is None:
        return None
    return "a GPU" if str(device).startswith("cuda") else f"a {str(device).upper()}"


def _snapshot_reading(snapshot: dict | None, row: dict, eps: float, stored_dtype: str) -> str:
    d = (snapshot or {}).get("by_eps", {}).get(eps)
    if d is None:
        return ""
    diffs = [f"the weights (float32 during training, the stored {stored_dtype} checkpoint here)"]
    there, here = _machine(d.get("device")), _machine(row.get("device"))
    if there and here and there != here:
        diffs.append(f"the device ({there} there, {here} here)")
    same = f"the same {row['n']:,} images" if d["n"] == row["n"] else image_set(d["n"])
    return (f" The {snapshot['step']:,}-step row of the snapshot table below is the same "
            f"measurement on {same}, taken during training: there {d['flagged_pgd']:.1%} and "
            f"{d['flagged_nostart']:.1%}. The two differ in " + " and in ".join(diffs) +
            ("; which of these moves the share flagged is not separated here." if len(diffs) > 1
             else "; whether that is what moves the share flagged is not tested here."))


def madry_trend(snaps: list[dict], paper_tpr: dict, ours: dict | None = None) -> str:
    """How the Madry-recipe run moves, snapshot by snapshot, at ε 0.10 and 0.30: PGD-40
    accuracy, the share flagged, and the zero-gradient share, against the paper's TPR; and,
    when ``ours`` (ε -> the diagnostics of our PGD-7 secret model) is given, where the share
    flagged at ε 0.10 stands against that model's.

    Example:
        >>> s = lambda f: {"accuracy_pgd": 0.9, "flagged_pgd": f, "tpr_pgd": 0.0, "zero_grad": 0,
        ...                "n": 1000}
        >>> snaps = [{"step": 1000, "clean": None, "by_eps": {0.1: s(1.0)}},
        ...          {"step": 5000, "clean": None, "by_eps": {0.1: s(0.44)}}]
        >>> ours = {0.1: dict(s(0.994), zero_grad=0.66)}
        >>> text = madry_trend(snaps, {0.1: 0.0}, ours)
        >>> print(text)  # doctest: +NORMALIZE_WHITESPACE
        The Madry-recipe model, snapshot by snapshot, on the first 1,000 test images, at 2
        points of its training (the table above). At ε = 0.10 the share flagged went from
        100.0% after 1,000 steps to 44.0% after 5,000; for our secret model (PGD-7 recipe) it
        is 99.4%. The median share of zero input gradients is 0% at every snapshot, 66% for our
        secret model.
    """
    if not snaps:
        return ("The secret model trained with Madry's recipe has no snapshot yet: its training "
                "runs in slices across sessions of the campaign.")
    # each snapshot's numbers are the rows of the table above; the text gives the trend
    n = next(iter(snaps[0]["by_eps"].values()))["n"]
    clean_on = (" (the clean accuracy on all 10,000)"
                if any(s["clean"] is not None for s in snaps) else "")
    text = (f"The Madry-recipe model, snapshot by snapshot, on {image_set(n)}{clean_on}, at "
            f"{len(snaps)} points of its training (the table above).")
    at = [s for s in snaps if 0.10 in s["by_eps"]]
    if len(at) >= 2:
        first, last = at[0], at[-1]
        text += (f" At ε = 0.10 the share flagged went from "
                 f"{first['by_eps'][0.10]['flagged_pgd']:.1%} after {first['step']:,} steps to "
                 f"{last['by_eps'][0.10]['flagged_pgd']:.1%} after {last['step']:,}")
        if ours and 0.10 in ours:
            lo, hi = (f(s["by_eps"][0.10]["zero_grad"] for s in at) for f in (min, max))
            span = (f"{lo:.0%} at every snapshot" if f"{lo:.0%}" == f"{hi:.0%}" else
                    f"{lo:.0%}–{hi:.0%} over the snapshots")
            text += (f"; for our secret model (PGD-7 recipe) it is "
                     f"{ours[0.10]['flagged_pgd']:.1%}. The median share of zero input "
                     f"gradients is {span}, {ours[0.10]['zero_grad']:.0%} for our secret model")
        text += "."
    return text


def paper_flagged_share() -> float:
    """The share of successful PGD-40 attacks at ε 0.30 that the detector flags on the paper's
    secret model, as its Table II TPR and the PGD-40 accuracy Madry et al. report imply.

    Example:
        >>> round(paper_flagged_share(), 2)
        0.69
    """
    return (PAPER1_TABLE2_TPR["adversarial"][PAPER1_TABLE2_EPS.index(0.30)]
            / (1 - PAPER1_SECRET_PGD40_ACCURACY))


def _full(curve: dict, n_images: int) -> dict:
    """The points of ``curve`` computed on all ``n_images`` images."""
    keep = np.asarray(curve["n"]) == n_images
    return {k: np.asarray(v)[keep] for k, v in curve.items()
            if k in ("eps", "n", "tpr", "accuracy", "combined", "flagged")}


def let_through(curve: dict, n_images: int, from_eps: float = 0.10,
                tail_from: float = 0.20) -> dict:
    """Images let through (misclassified and not flagged), over the points on all the images
    from ``from_eps`` on: ``first`` at ``from_eps``, ``tail_most`` the most at one ε from
    ``tail_from`` on, ``eps_with`` of ``eps_total`` ε have any, ``last`` the largest such ε
    (None if none).

    Example:
        >>> c = {"eps": np.array([0.1, 0.2, 0.3]), "n": np.array([100, 100, 100]),
        ...      "combined": np.array([0.90, 1.0, 0.99])}
        >>> let_through(c, 100)
        {'first': 10, 'tail_most': 1, 'eps_with': 2, 'eps_total': 3, 'last': 0.3}
    """
    c = _full(curve, n_images)
    sel = c["eps"] >= from_eps - 1e-9
    eps = c["eps"][sel]
    count = np.rint((1 - c["combined"][sel]) * n_images).astype(int)
    hit = np.nonzero(count > 0)[0]
    i0, tail = _index(eps, from_eps), eps >= tail_from - 1e-9
    return {"first": int(count[i0]) if i0 is not None else None,
            "tail_most": int(count[tail].max()) if tail.any() else None,
            "eps_with": int(hit.size), "eps_total": int(sel.sum()),
            "last": float(eps[hit[-1]]) if hit.size else None}


_NAMES = (("adversarial", "our secret model"), ("madry", "the Madry-recipe model"))


def _through_text(curves: dict, n_images: int) -> str:
    parts = []
    for m, name in _NAMES:
        if m not in curves or "combined" not in curves[m]:
            continue
        t = let_through(curves[m], n_images)
        if t["first"] is None or t["tail_most"] is None:
            continue
        last = (f"the last at ε = {t['last']:g}" if t["last"] is not None else "none at all")
        parts.append(f"on {name}, {t['first']:,} images slip through at ε = 0.10; of the "
                     f"{t['eps_total']} ε from 0.10 on, {t['eps_with']} let any through, none "
                     f"more than {t['tail_most']} from ε = 0.20 on, {last}")
    if not parts:
        return ""
    return ("The perfect-separation ε is set by the last image that slips through "
            "(misclassified and not flagged), out of " + f"{n_images:,}: " + "; ".join(parts)
            + ". ")


def _flagged_text(curves: dict, n_images: int) -> str:
    """The share of the successful attacks that the detector flags, at ε 0.10 and 0.30, with
    the paper's secret model's where Table II and Madry et al.'s accuracy imply it."""
    bits = []
    for e in (0.10, 0.30):
        vals = []
        for m, name in _NAMES[::-1]:
            if m not in curves or "accuracy" not in curves[m]:
                continue
            c = _full(curves[m], n_images)
            i = _index(c["eps"], e)
            if i is None or c["accuracy"][i] >= 1:
                continue
            succ = 1 - c["accuracy"][i]
            vals.append(f"{c['tpr'][i] / succ:.0%} for {name} ({succ:.1%})")
        if vals and np.isclose(e, 0.30):
            succ = 1 - PAPER1_SECRET_PGD40_ACCURACY
            vals.append(f"about {paper_flagged_share():.0%} for the paper's ({succ:.1%}, from "
                        f"its TPR and "
                        f"the PGD-40 accuracy Madry et al. report)")
        if vals:
            bits.append(f"at ε = {e:.2f}, " + ", ".join(vals))
    if not bits:
        return ""
    return ("Of the attacks that succeed (the share of images they fool in brackets), the "
            "detector flags " + "; ".join(bits) + ". ")


def madry_sweep(heads: dict, curves: dict, paper_tpr: dict, n_images: int = 10000) -> str:
    """The Madry-recipe model's sweep on all the test images, read out: its perfect-separation
    ε beside our PGD-7 secret model's and the paper's, and its TPR at the ε where the paper's
    secret model turns detectable (``heads``/``curves``: :func:`.summaries.headlines` and
    ``curves``; ``paper_tpr``: ε -> the paper's secret-model TPR).

    Example:
        >>> c = lambda tpr: {"eps": np.array([0.1, 0.3]), "tpr": np.array(tpr),
        ...                  "n": np.array([10000, 10000])}
        >>> h = lambda sep: {"computed": True, "perfect_separation_eps": sep, "eps_used": 2,
        ...                  "eps_total": 2, "paper": {"perfect_separation_eps": 0.31}}
        >>> text = madry_sweep({"adversarial": h(0.1), "madry": h(0.2)},
        ...                    {"adversarial": c([1.0, 0.6]), "madry": c([0.0, 0.3])},
        ...                    {0.1: 0.0, 0.3: 0.047})
        >>> print(text.split(". ")[0])  # doctest: +NORMALIZE_WHITESPACE
        On all 10,000 test images, the Madry-recipe model's PGD-40 examples are perfectly
        separated from ε = 0.2, against 0.1 for our secret model (PGD-7 recipe) and 0.31 for
        the paper's
        >>> print(madry_sweep({"adversarial": h(0.1), "madry": dict(h(0.2), eps_used=1)},
        ...                   {"adversarial": c([1.0, 0.6]), "madry": c([0.0, 0.3])},
        ...                   {0.1: 0.0, 0.3: 0.047}).split(", the")[0])
        On all 10,000 test images, with 1 of its 2 ε computed so far
    """
    h = heads.get("madry", {})
    if not h.get("computed"):
        return ("The Madry-recipe model's sweep over the 50 ε on all the test images runs once "
                "its training is done; until then the snapshots above are its result.")
    paper_sep = h["paper"]["perfect_separation_eps"]
    ours = heads.get("adversarial", {})
    ours_sep = ours.get("perfect_separation_eps") if ours.get("computed") else None
    sep = h["perfect_separation_eps"]

    def grid(e):
        return "no ε of the grid" if e is None else f"{e:g}"
    # while the sweep is incomplete, say how far it is; once complete, say nothing
    extent = ("" if h["eps_used"] == h["eps_total"] else
              f", with {h['eps_used']} of its {h['eps_total']} ε computed so far")
    text = (f"On all {n_images:,} test images{extent}, the Madry-recipe model's PGD-40 examples "
            f"are perfectly separated from {'ε = ' if sep is not None else ''}{grid(sep)}, "
            f"against {grid(ours_sep)} for our secret model (PGD-7 recipe) and {paper_sep:g} "
            f"for the paper's. ")
    mine, theirs = curves["madry"], curves.get("adversarial")
    above_paper = above_ours = shown = compared = 0
    for e in sorted(paper_tpr):
        i = _index(np.asarray(mine["eps"]), e)
        if i is None or mine["n"][i] != n_images:   # a rate on fewer images is not counted
            continue
        shown += 1
        above_paper += mine["tpr"][i] > paper_tpr[e]
        j = None if theirs is None else _index(np.asarray(theirs["eps"]), e)
        if j is not None:
            compared += 1
            above_ours += mine["tpr"][i] > theirs["tpr"][j]
    if shown:
        # the rates themselves are the Madry-recipe row of Table II above
        text += (f"Its TPR lies above the paper's at {above_paper} of the {shown} ε of Table II"
                 + (f" and above our secret model's at {above_ours} of {compared}" if compared
                    else "") + ". ")
    text += _through_text(curves, n_images) + _flagged_text(curves, n_images)
    if ours_sep is None or (sep is None and h["eps_used"] < h["eps_total"]):
        return text + "Where the recipe moves the perfect-separation ε cannot be read yet."
    if sep is None:
        return text + (f"No ε of the grid separates perfectly: the recipe moves the "
                       f"perfect-separation ε from {ours_sep:g} to beyond the grid's end, past "
                       f"the paper's {paper_sep:g}.")
    if np.isclose(sep, ours_sep):
        return text + "The recipe does not move the perfect-separation ε."
    share = (sep - ours_sep) / (paper_sep - ours_sep)
    return text + (f"The recipe moves the perfect-separation ε from {ours_sep:g} to {sep:g}, "
                   + (f"{share:.0%} of the way to the paper's {paper_sep:g}." if share > 0 else
                      f"away from the paper's {paper_sep:g}."))


def device_text(devices: dict, rows: list[dict]) -> str:
    """Which hardware computed the sweep (``devices``: :func:`.device_check.sweep_devices`)
    and how GPU-computed points compare with the CPU (``rows``: :func:`.device_check.rows`).

    Example:
        >>> r = {"model": "madry", "eps": 0.1, "device": "GPU X", "n_first": 500,
        ...      "pred_agree": 499, "flag_agree": 498, "tpr_diff": 1, "through_ref": 3,
        ...      "through_both": 2,
        ...      "through_cpu_only": 1}
        >>> print(device_text({"madry": {"GPU X": 50}}, [r]))  # doctest: +NORMALIZE_WHITESPACE
        The same code computed the sweep on 1 kind of hardware (each result records its own):
        madry model, 50 ε on a GPU (GPU X). Recomputed on a CPU, the first 500 images of 1
        GPU-computed point (madry at ε = 0.10) give the same prediction for 499 of 500 and the
        same flag for 498 of 500; Table II's count (misclassified and flagged) differs by at
        most 1 image in 500 at any of them. Of the 3 images that those GPU runs let through
        (misclassified and not flagged), 2 slip through on the CPU as well, and 1 other image
        slips through on the CPU only.
    """
    if not devices:
        return "No point of the paper-scale sweep is committed yet."
    per = []
    for m, count in devices.items():
        per.append(f"{m} model, " + " and ".join(
            f"{n} ε on {'a CPU' if d == 'cpu' else f'a GPU ({d})'}"
            for d, n in sorted(count.items())))
    kinds = {d for count in devices.values() for d in count}
    text = (f"The same code computed the sweep on {len(kinds)} kind{'' if len(kinds) == 1 else 's'}"
            f" of hardware (each result records its own): " + "; ".join(per) + ".")
    gpu = [r for r in rows if r["device"] != "cpu"]
    if not gpu:
        return text + " No GPU-computed point has been recomputed on a CPU yet."
    n = sum(r["n_first"] for r in gpu)
    pts = ", ".join(f"{r['model']} at ε = {r['eps']:.2f}" for r in gpu)
    through = sum(r["through_ref"] for r in gpu)
    both = sum(r["through_both"] for r in gpu)
    only = sum(r["through_cpu_only"] for r in gpu)
    one = len(gpu) == 1
    text += (f" Recomputed on a CPU, the first {gpu[0]['n_first']:,} images of {len(gpu)} "
             f"GPU-computed point{'' if one else 's'} ({pts}) give the same prediction for "
             f"{sum(r['pred_agree'] for r in gpu):,} of {n:,} and the same flag for "
             f"{sum(r['flag_agree'] for r in gpu):,} of {n:,}; Table II's count (misclassified "
             f"and flagged) differs by at most {max(r['tpr_diff'] for r in gpu)} image"
             f"{'' if max(r['tpr_diff'] for r in gpu) == 1 else 's'} in "
             f"{gpu[0]['n_first']:,} at any of them.")
    if through:
        text += (f" Of the {through:,} image{'' if through == 1 else 's'} that those GPU runs "
                 f"let through (misclassified and not flagged), {both:,} slip"
                 f"{'s' if both == 1 else ''} through on the CPU as well"
                 + (f", and {only:,} other image{' slips' if only == 1 else 's slip'} through "
                    f"on the CPU only." if only else "."))
    return text


def recipe_verdict(curves: dict, n_images: int, madry_snaps: list[dict], ours: dict | None,
                   madry_pgd40: float | None) -> str:
    """What the Madry-recipe experiment shows, in two sentences: whether the recipe changes how
    much of PGD-40 the detector flags at ε 0.10 (the share of all PGD images flagged in the
    full sweeps, with the zero-gradient shares of the diagnostics), and whether it changes the
    share of successful attacks flagged at ε 0.30, where the paper's secret model differs.
    ``ours``: ε -> our secret model's diagnostics; ``madry_pgd40``: the Madry-recipe model's
    PGD-40 accuracy at ε 0.3.

    Example:
        >>> g = np.array([0.1, 0.3])
        >>> c = lambda f, acc, tpr: {"eps": g, "n": np.array([100, 100]), "flagged": np.array(f),
        ...                          "accuracy": np.array(acc), "tpr": np.array(tpr)}
        >>> curves = {"adversarial": c([1.0, 1.0], [0.98, 0.95], [0.02, 0.05]),
        ...           "madry": c([0.39, 1.0], [0.89, 0.54], [0.04, 0.46])}
        >>> snaps = [{"step": 15000, "by_eps": {0.1: {"zero_grad": 0.0}}}]
        >>> print(recipe_verdict(curves, 100, snaps, {0.1: {"zero_grad": 0.66, "n": 10}}, 0.54))
        ... # doctest: +NORMALIZE_WHITESPACE
        So the training recipe decides how visible PGD-40 is at small ε: on all 100 test images
        at ε = 0.10 the detector flags 39.0% of the Madry-recipe model's PGD images against
        100.0% of our secret model's, whose zero input gradients (a median 66% of the entries on
        the first 10 test images, against 0% for the Madry-recipe model after 15,000 steps)
        leave the start noise in place. At ε = 0.30 it does not: on the same images, 100% of
        the successful attacks on the Madry-recipe model and 100% of those on our secret model
        are flagged, against about 69% on the paper's; what leaves the other
        31% of the paper's unflagged is open (the Madry-recipe model, at a PGD-40 accuracy of
        0.54 at ε 0.3 against the reference's 0.932, is not yet the paper's model).
    """
    if not {"adversarial", "madry"} <= set(curves):
        return ""
    m, o = _full(curves["madry"], n_images), _full(curves["adversarial"], n_images)
    i, j = _index(m["eps"], 0.10), _index(o["eps"], 0.10)
    i3, j3 = _index(m["eps"], 0.30), _index(o["eps"], 0.30)
    if None in (i, j, i3, j3):
        return ""
    fm, fo = float(m["flagged"][i]), float(o["flagged"][j])
    decides = abs(fo - fm) >= 0.2
    text = (f"So the training recipe {'decides' if decides else 'does not decide'} how visible "
            f"PGD-40 is at small ε: on {image_set(n_images, n_images)} at ε = 0.10 the detector "
            f"flags {fm:.1%} of the Madry-recipe model's PGD images against {fo:.1%} of our "
            f"secret model's")
    last = madry_snaps[-1] if madry_snaps else None
    if ours and 0.10 in ours and last and 0.10 in last["by_eps"]:
        text += (f", whose zero input gradients (a median {ours[0.10]['zero_grad']:.0%} of the "
                 f"entries on {image_set(ours[0.10]['n'])}, against "
                 f"{last['by_eps'][0.10]['zero_grad']:.0%} for the Madry-recipe model after "
                 f"{last['step']:,} steps) leave the start noise in place")
    share = [float(c["tpr"][k]) / (1 - float(c["accuracy"][k]))
             for c, k in ((m, i3), (o, j3)) if c["accuracy"][k] < 1]
    if len(share) < 2:
        return text + "."
    theirs = paper_flagged_share()
    moved = abs(share[0] - share[1]) >= 0.1
    text += (f". At ε = 0.30 it {'does' if moved else 'does not'}: on the same images, "
             f"{share[0]:.0%} of the "
             f"successful attacks on the Madry-recipe model and {share[1]:.0%} of those on our "
             f"secret model are flagged, against about {theirs:.0%} on the paper's")
    if min(share) - theirs >= 0.1:
        text += f"; what leaves the other {1 - theirs:.0%} of the paper's unflagged is open"
        if madry_pgd40 is not None:
            text += (f" (the Madry-recipe model, at a PGD-40 accuracy of {madry_pgd40:.2f} at "
                     f"ε 0.3 against the reference's {PAPER1_SECRET_PGD40_ACCURACY}, is not yet "
                     f"the paper's model)")
    return text + "."
