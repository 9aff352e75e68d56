"""The detection page's glued values, assembled from the shown result in one place so the
notebook keeps its parameters, a call and the glue. Each function returns a ``{glue name:
value}`` dict.

Example::

    >>> costs = feature_costs()            # from the paper-scale configuration alone
    >>> sorted(costs)[:3]
    ['bd_paper_images', 'bd_sec_spam_cifar10', 'bd_sec_spam_mnist']
"""
from __future__ import annotations

from ...checkpoints import plain_name
from ...data import plain_source
from ...detectors.learned import FEATURE_DIMS, SECONDS_PER_CHANNEL
from ...notebook import Markdown, rerun_box
from ...plotting import beyond as plots
from ...plotting.points import with_points
from . import detection, prose
from .config import CAMPAIGN_COMMAND, make_config

__all__ = ["feature_costs", "matrix", "scale_note", "setup"]


def scale_note(shown, profile: str) -> str:
    """A bold warning when the page shows less than the paper-scale matrix (empty otherwise)."""
    res = shown.result
    if shown.profile != "paper":
        return (f"**The paper-scale matrix is not computed yet, so every number on this page "
                f"comes from the `{shown.profile}` profile: a handful of images, weak models "
                f"and short attacks, which shows the pipeline working, not the detectors' real "
                f"performance.**")
    if not any(c.dataset == "cifar10" for c in res.cells):
        return ("**This page shows the MNIST half of the paper-scale matrix. The CIFAR-10 "
                "half, which holds the functional attacks, waits for the undefended CIFAR-10 "
                "model, so this page cannot yet say whether steganalysis catches ReColorAdv "
                "or StAdv.**")
    left = [a for a in make_config(profile).cifar_attacks
            if a not in res.config.cifar_attacks]
    return (f"**The CIFAR-10 cells of {', '.join(left)} are still being computed; this "
            f"page shows the attacks whose cells are all committed.**" if left else "")


def setup(shown, profile: str) -> dict:
    """The re-run box, the scale note, the pools' sizes and sources, the models."""
    res = shown.result
    cfg = res.config
    out = {"bd_rerun": rerun_box("beyond_detection", profile=profile, results="results/beyond/",
                                 command=CAMPAIGN_COMMAND),
           "bd_scale": Markdown(scale_note(shown, profile)),
           "bd_profile": shown.profile}
    for ds, n in (("mnist", cfg.mnist_n), ("cifar10", cfg.cifar_n)):
        for k in ("test", "train", "cal"):
            out[f"bd_{ds}_{k}"] = f"{n[k]:,}"
    out["bd_pools"] = Markdown("\n".join(f"- {ds}, {pool}: {plain_source(desc)}"
                                         for ds, per in res.pools.items()
                                         for pool, desc in per.items()))
    out["bd_models"] = Markdown("\n".join(f"- {m} ({ds}): {plain_name(name)}"
                                          for (ds, m), name in res.checkpoints.items()))
    return out


def matrix(rows: list[dict]) -> dict:
    """The AUC pivot, the matrix, the ROC and AUC figures and the summary lines."""
    return {
        "bd_pivot": plots.auc_pivot(rows),
        "bd_matrix": plots.matrix_table(rows),
        "bd_roc": with_points(plots.roc_figure(detection.roc_groups(rows)), "detection-roc"),
        "bd_auc": with_points(plots.auc_figure(detection.auc_series(rows),
                                               "MNIST: ε; CIFAR-10: multiple of the papers' bound"),
                              "detection-auc"),
        "bd_summary": Markdown(prose.summary_lines(detection.headlines(rows))),
    }


def feature_costs() -> dict:
    """The learned detectors' feature sizes and extraction times, and what extracting them for
    every image of the paper-scale matrix (pools plus attacked train and test) would cost."""
    sec = SECONDS_PER_CHANNEL
    out = {f"bd_{k}_dim": f"{FEATURE_DIMS[k]:,}" for k in ("spam", "srm", "srmq1")}
    for kind in sec:
        for ds in sec[kind]:
            out[f"bd_sec_{kind}_{ds}"] = (f"{sec[kind][ds] * 1000:.0f} ms" if kind == "spam"
                                          else f"{sec[kind][ds]:.1f} s")
    pcfg = make_config("paper")
    n_img = {"mnist": sum(pcfg.mnist_n.values()), "cifar10": sum(pcfg.cifar_n.values())}
    for ds, _, _, _ in detection.cells(pcfg):
        n = pcfg.mnist_n if ds == "mnist" else pcfg.cifar_n
        n_img[ds] += n["train"] + n["test"]
    # CIFAR-10 images have three channels, each extracted on its own
    srmq1_s = (n_img["mnist"] * sec["srmq1"]["mnist"]
               + 3 * n_img["cifar10"] * sec["srmq1"]["cifar10"])
    spam_s = n_img["mnist"] * sec["spam"]["mnist"] + 3 * n_img["cifar10"] * sec["spam"]["cifar10"]
    out.update(bd_paper_images=f"{sum(n_img.values()):,}",
               bd_srmq1_days=f"{srmq1_s / 86400:.1f}", bd_spam_hours=f"{spam_s / 3600:.1f}")
    return out
