"""The Paper I page's sentences about our numbers against the paper's, generated from the
results (``paper1.run`` / ``curves`` / ``headlines``) so that they say what the committed
numbers say; tested on small synthetic results.

Example::

    >>> describe_model("no_such_model")
    'Not trained yet; the campaign trains it (see the end of the page).'
"""
from __future__ import annotations

import numpy as np

from ...papers import (PAPER1_AUTHORS_THRESHOLD, PAPER1_SECRET_PGD40_ACCURACY,
                       paper_tpr50_eps)
from ...notebook import rerun_box
from ...plotting import paper1 as plots
from ...plotting.points import with_points
from . import summaries
from .config import CAMPAIGN_COMMAND, PAPER_KEY
from .prose import paper_flagged_share

__all__ = ["auc_at", "compare_text", "dependence_text", "describe_model", "models_text",
           "overview", "scale_text", "secret_text", "sweep_glues", "threshold_effect"]


def describe_model(name: str) -> str:
    """The checkpoint ``name``'s measured accuracies and its deviations from the reference, as
    recorded in its manifest entry."""
    from ... import checkpoints

    try:
        rec = checkpoints.entry(name)
    except checkpoints.CheckpointNotFoundError:
        return "Not trained yet; the campaign trains it (see the end of the page)."
    m = rec["metrics"]
    out = [f"Clean accuracy on all 10,000 test images: {m['clean_accuracy_test10k']:.4f}"]
    if "pgd40_eps0.3_accuracy_test10k" in m:
        out.append(f"under PGD-40 at ε = 0.3: {m['pgd40_eps0.3_accuracy_test10k']:.4f} "
                   f"(Madry et al. report 0.932 for the reference model)")
    if "pgd100_cw_5restarts_eps0.3_accuracy_test10k" in m:
        out.append("under a stronger check against gradient masking, PGD-100 with the CW "
                   f"margin loss and 5 random restarts: "
                   f"{m['pgd100_cw_5restarts_eps0.3_accuracy_test10k']:.4f}")
    dev = rec["config"].get("deviations") or []
    text = "; ".join(out) + "."
    if dev:
        text += " Deviations from the reference: " + "; ".join(dev) + "."
    return text



def models_text(res) -> str:
    """Per model of ``res`` (``paper1.run``'s result): how many ε it was swept at and on how
    many images each, one number when every ε has the same; then ``res``'s notes.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> res = NS(models={"natural": NS(eps=[0.1, 0.2], n=np.array([10000, 10000])),
        ...                  "madry": NS(eps=[0.1, 0.2], n=np.array([2000, 10000]))}, notes=[])
        >>> models_text(res)
        'natural: 2 ε values, 10,000 images each; madry: 2 ε values, 2,000 to 10,000 images each.'
    """
    def images(n):
        lo, hi = int(np.min(n)), int(np.max(n))
        return f"{lo:,} images each" if lo == hi else f"{lo:,} to {hi:,} images each"
    return ("; ".join(f"{m}: {len(mr.eps)} ε values, {images(mr.n)}"
                      for m, mr in res.models.items()) + "."
            + "".join(f" Note: {n}" for n in res.notes))


def dependence_text(rows: list[dict]) -> str:
    """Sentences read off the dependence table (``training.snapshots()`` rows), so they hold
    whatever the committed numbers are."""
    i10 = lambda r: int(np.argmin(np.abs(r["eps"] - 0.10)))  # noqa: E731
    torch_init = [r for r in rows if r["init"] == "PyTorch default"]
    ref = sorted((r for r in rows if r["init"] == "mnist_challenge"), key=lambda r: r["steps"])
    out = []
    if torch_init and ref:
        a, b = torch_init[0], ref[-1]
        out.append(
            f"At ε = 0.10, PGD-40 leaves the PyTorch-initialised network {a['accuracy'][i10(a)]:.1%} "
            f"accuracy against {b['accuracy'][i10(b)]:.1%} for the reference-initialised one "
            f"after {b['steps']:,} steps, and the TPR of Table II is {a['tpr'][i10(a)]:.3f} "
            f"against {b['tpr'][i10(b)]:.3f} (paper: 0.529). PyTorch's default draws the weights "
            f"of the large fully connected layer with a standard deviation of about 0.01, ten "
            f"times smaller than the reference's 0.1.")
    if len(ref) >= 2:
        steps = ", ".join(f"{r['steps']:,}" for r in ref)
        tprs = ", ".join(f"{r['tpr'][i10(r)]:.3f}" for r in ref)
        accs = ", ".join(f"{r['accuracy'][i10(r)]:.1%}" for r in ref)
        out.append(f"Along the reference-initialised run ({steps} steps) the PGD-40 accuracy at "
                   f"ε = 0.10 is {accs} and the TPR {tprs}.")
    if not out:
        return "The measurements for this section are not committed yet."
    out.append("A TPR read off Table II is therefore a property of the pair (classifier, "
               "detector), not of the detector alone.")
    return " ".join(out)



def auc_at(aucs: dict, m: str, e: float) -> str:
    """The AUC of model ``m`` at ``e`` from ``summaries.auc_table``, printed."""
    a = aucs.get(m)
    hit = [] if a is None else [v for x, v in zip(a["eps"], a["auc"]) if np.isclose(x, e)]
    return f"{hit[0]:.4f}" if hit else "(not computed)"


def _at(c: dict, e: float):
    i = [k for k, x in enumerate(c["eps"]) if np.isclose(x, e)]
    return i[0] if i else None



def compare_text(m: str, heads: dict, curves: dict) -> str:
    """One model's headline ε beside the paper's, in a sentence."""
    h = heads.get(m, {})
    if not h.get("computed"):
        return f"The {m} model has no results at this scale yet."
    p = h["paper"]

    def rel(ours, theirs):
        if ours is None:
            return "not yet reached"
        return "the same ε" if np.isclose(ours, theirs) else (
            "later" if ours > theirs else "earlier")
    tp = paper_tpr50_eps(PAPER_KEY[m])
    span = f"{min(curves[m]['eps']):.2f}–{max(curves[m]['eps']):.2f}"

    def when(e, reached: str, never: str) -> str:
        return f"{reached} ε = {e}" if e is not None else f"{never} over the ε computed ({span})"
    za, left = p["zero_accuracy_eps"], ""
    k = _at(curves[m], za)
    if k is not None and curves[m]["accuracy"][k] > 0:
        c = curves[m]
        left = (f", where ours still classifies {round(c['accuracy'][k] * c['n'][k]):,} of "
                f"{c['n'][k]:,} PGD images correctly")
    return (f"{m}: {when(h['tpr50_eps'], 'TPR first reaches 0.5 at', 'TPR stays below 0.5')} "
            f"(paper: {tp}, on its coarser grid); "
            f"{when(h['zero_accuracy_eps'], 'accuracy under PGD-40 is zero from', 'accuracy under PGD-40 never reaches zero')} "
            f"(paper: {za}{left}; so {rel(h['zero_accuracy_eps'], za)}); "
            f"{when(h['perfect_separation_eps'], 'perfect separation from', 'no perfect separation')} (paper: "
            f"{p['perfect_separation_eps']}); minimum combined accuracy "
            f"{h['min_combined_accuracy']:.3f} at ε = {h['min_combined_eps']} (paper: at least "
            f"{p['min_combined_accuracy']:.2f}).")



def threshold_effect(res, curves: dict, detector: str) -> str:
    """What the authors' hard-coded threshold would have changed, read off our scores."""
    if detector != "abs":
        return "(This comparison is made for the authors' absolute residual only.)"
    i = _at(curves["natural"], 0.10) if "natural" in curves else None
    if i is None:
        return "(The natural model's sweep at ε = 0.10 is needed for this comparison.)"
    alt = summaries.curves(res, detector, threshold=PAPER1_AUTHORS_THRESHOLD)["natural"]
    c = curves["natural"]
    return (f"Theirs is {PAPER1_AUTHORS_THRESHOLD:.6f}, ours {res.thresholds[detector]:.6f} "
            f"({PAPER1_AUTHORS_THRESHOLD / res.thresholds[detector] - 1:+.1%}). "
            f"With their value in place of ours, our natural model's TPR at ε = 0.10 would be "
            f"{alt['tpr'][i]:.3f} instead of {c['tpr'][i]:.3f} (paper: 0.529), and its combined "
            f"accuracy there {alt['combined'][i]:.3f} instead of {c['combined'][i]:.3f}: at this "
            f"ε the scores crowd around the threshold, so a difference in its fourth decimal "
            f"moves Table II by more than its sampling error.")



def secret_text(curves: dict) -> str:
    """How detectable each model's PGD images are, against the paper's remark."""
    if not {"natural", "adversarial"} <= set(curves):
        return "Both models' sweeps are needed for this comparison."
    nat, adv = curves["natural"], curves["adversarial"]
    out = []
    for e in (0.10, 0.30):
        i, j = _at(nat, e), _at(adv, e)
        if i is not None and j is not None:
            out.append(f"at ε = {e:.2f} the detector flags {nat['flagged'][i]:.2%} of the "
                       f"natural model's PGD images and {adv['flagged'][j]:.2%} of the secret "
                       f"model's (successful or not)")
    j = _at(adv, 0.30)
    if not out or j is None:
        return "The sweep does not hold ε = 0.10 and 0.30 for both models yet."
    succ = 1 - adv["accuracy"][j]
    ours = adv["tpr"][j] / succ if succ > 0 else float("nan")
    theirs = paper_flagged_share()
    i0, j0 = _at(nat, 0.10), _at(adv, 0.10)  # where the flag rates are not both 1
    harder = i0 is not None and j0 is not None and adv["flagged"][j0] < nat["flagged"][i0]
    verdict = ("So with our models, too, the secret model's examples are the harder ones to "
               "detect." if harder else
               "So with our models the secret model's examples are not the harder ones to "
               "detect; the paper's remark does not carry over to our secret model.")
    return (f"{'; '.join(out)}. {verdict} Among the attacks on our secret model that succeed "
            f"at ε = 0.30 ({succ:.1%} of the images), {ours:.2%} are flagged. For the "
            f"paper's secret model, its Table II value there (0.047) and the PGD-40 accuracy "
            f"that Madry et al. report for it ({PAPER1_SECRET_PGD40_ACCURACY}) imply about "
            f"{theirs:.0%}.")



def scale_text(res, heads: dict) -> str:
    """How many ε of each model are on all the test images, and what that means for the
    headline ε."""
    parts = []
    if all((mr.n == len(res.labels)).all() for mr in res.models.values()):
        sizes = sorted({len(mr.eps) for mr in res.models.values()})
        each = " and ".join(map(str, sizes))
        return (f"Every model's sweep covers all {each} ε on all {len(res.labels):,} test "
                f"images.")
    for m, mr in res.models.items():
        full = int((mr.n == len(res.labels)).sum())
        if full == len(mr.eps):
            parts.append(f"the {m} model: all {len(mr.eps)} ε on all {len(res.labels):,} test "
                         f"images")
        else:
            parts.append(f"the {m} model: {full} of {len(mr.eps)} ε on all "
                         f"{len(res.labels):,} test images, the others on the first "
                         f"{int(mr.n.min()):,} (open points in the figures; they are being "
                         f"recomputed on all images)")
    text = "; ".join(parts) + "."
    if any(h.get("computed") and h["eps_used"] < h["eps_total"] for h in heads.values()):
        text += (" The headline ε values are read only from the ε computed on all images. A "
                 "rate on 2,000 images has a standard error of up to 1.1 percentage points, "
                 "and the first 2,000 test images are not a random sample of the 10,000.")
    return text


def overview(shown, profile: str) -> dict:
    """The re-run box and what the page shows: the profile, its note, the images, the
    thresholds' images and the models (glue name -> value)."""
    res = shown.result
    return {"p1_rerun": rerun_box("paper1_detection", profile=profile, results="results/paper1/",
                                  command=CAMPAIGN_COMMAND),
            "p1_data": res.data, "p1_thr_data": res.threshold_data,
            "p1_model_desc": models_text(res), "p1_profile": shown.profile,
            "p1_note": shown.note, "p1_n": f"{len(res.labels):,}",
            "p1_models": ", ".join(res.models)}


def _head_grid(res, heads: dict) -> str:
    # Which ε the headline numbers are read from, per model when the sweeps differ.
    done = [h for h in heads.values() if h.get("computed")]
    if done and all(h["eps_used"] == h["eps_total"] == done[0]["eps_total"] for h in done):
        return (f"They are read from every model's full sweep ({done[0]['eps_total']} ε, all "
                f"{len(res.labels):,} test images).")
    return " ".join(f"For the {m} model they are read from the {h['eps_used']} ε of "
                    f"{h['eps_total']} computed on all {len(res.labels):,} test images."
                    for m, h in heads.items() if h.get("computed"))


def sweep_glues(res, detector: str, curves: dict, heads: dict) -> dict:
    """Table II, the headline table, Figs 2-4 and the sentences about the sweep's grid."""
    n_grid = sorted({int(n) for mr in res.models.values() for n in mr.n})
    return {
        "p1_threshold": f"{res.thresholds[detector]:.5f}",
        "p1_table2": plots.table2(summaries.table2(res, detector)),
        "p1_headlines": plots.headline_table(heads),
        "p1_fig2": with_points(plots.fig_tpr(curves), "paper1-fig2-tpr"),
        "p1_fig3": with_points(plots.fig_accuracy(curves, heads), "paper1-fig3-accuracy"),
        "p1_fig4": with_points(plots.fig_combined(curves, heads), "paper1-fig4-combined"),
        "p1_fpr": "; ".join(
            f"{m}: {round(h['fpr'] * h['n_clean'])} of {h['n_clean']:,} ({h['fpr']:.4f})"
            for m, h in heads.items() if h.get("computed")),
        "p1_n_grid": " and ".join(f"{n:,}" for n in n_grid),
        "p1_head_grid": _head_grid(res, heads),
    }

