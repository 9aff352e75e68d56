"""The adaptive-attack page's glued values (``{glue name: value}``), assembled from the shown
result in one place, so the notebook keeps its parameters, a call and the glue."""
from __future__ import annotations

import numpy as np

from ...checkpoints import plain_name
from ...notebook import Markdown, rerun_box
from ...plotting import beyond as plots
from ...plotting.points import with_points
from .adaptive import curves
from .config import CAMPAIGN_COMMAND

__all__ = ["glues", "model_line"]


def model_line(m: str, c: dict) -> str:
    """One model's summary: where the combined accuracy is lowest against PGD and against the
    adaptive attack, and where the adaptive attack gains most."""
    p, a = c["plain"], c["adaptive"]
    i_min_p = int(np.argmin([r["rate"] for r in p["combined"]]))
    i_min_a = int(np.argmin([r["rate"] for r in a["combined"]]))
    gaps = [pc["rate"] - ac["rate"] for pc, ac in zip(p["combined"], a["combined"])]
    i_gap = int(np.argmax(gaps))
    gap = (f"The largest drop is at ε = {p['eps'][i_gap]:g}, where the adaptive attack fools "
           f"the classifier without being flagged on {a['success'][i_gap]} of the images and PGD "
           f"on {p['success'][i_gap]}." if gaps[i_gap] > 0 else
           "The adaptive attack does no better than PGD at any ε of this run.")
    return (f"- **{m} model.** Against PGD the combined accuracy is lowest at ε = "
            f"{p['eps'][i_min_p]:g}: {p['combined'][i_min_p]}. Against the adaptive attack it "
            f"is lowest at ε = {a['eps'][i_min_a]:g}: {a['combined'][i_min_a]}. " + gap)


def glues(shown, profile: str) -> dict:
    """Every value the page shows: the re-run box, the scale, the settings, the models, the
    figure, the table and the per-model summary."""
    res = shown.result
    cfg, cur = res.config, curves(res)
    return {
        "ba_rerun": rerun_box("beyond_adaptive", profile=profile,
                              results="results/beyond_adaptive/", command=CAMPAIGN_COMMAND),
        "ba_scale": Markdown("" if shown.profile == "paper" else
                             f"**The paper-scale results are not computed yet, so every number "
                             f"on this page comes from the `{shown.profile}` profile: few "
                             f"images, a weak model and short attacks. They show the pipeline "
                             f"working, not the size of the effect.**"),
        "ba_n": f"{len(res.labels):,}", "ba_threshold": f"{res.threshold:.5f}",
        "ba_fpr": str(res.clean_fpr), "ba_steps": str(cfg.adaptive_steps),
        "ba_alpha": f"{cfg.pgd_alpha:g}", "ba_plain_steps": str(cfg.pgd_steps),
        "ba_c": ", ".join(f"{c:g}" for c in cfg.c_grid),
        "ba_models": Markdown("\n".join(f"- {m}: {plain_name(c)}"
                                        for m, c in res.checkpoints.items())),
        "ba_fig": with_points(plots.adaptive_figure(cur), "adaptive-attack"),
        "ba_table": plots.adaptive_table(cur),
        "ba_summary": Markdown("\n".join(model_line(m, c) for m, c in cur.items())),
    }
