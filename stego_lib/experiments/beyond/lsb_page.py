"""The LSB page's glued values (``{glue name: value}``), assembled from the shown result in one
place, so the notebook keeps its parameters, a call and the glue."""
from __future__ import annotations

import numpy as np

from ...data import plain_source
from ...notebook import Markdown, rerun_box
from ...plotting import beyond as plots
from ...plotting.points import with_points
from .config import CAMPAIGN_COMMAND

__all__ = ["glues"]


def _rate_glues(res, summary: dict) -> dict:
    """Per data set and embedding, the detectors' numbers at the middle and the largest
    rate, and at rate 0."""
    def at(d, m, key, i=-1, q=None):
        s = summary[d][m]
        return s[key][q, i] if q is not None else s[key][i]

    i_mid = int(np.argmin(np.abs(res.rates - 0.4)))
    out = {"bl_mid_rate": f"{res.rates[i_mid]:g}",
           "bl_mid_change": f"{summary['cifar10']['replacement']['change_rate'][i_mid]:.3f}"}
    for d in ("mnist", "cifar10"):
        for m in ("replacement", "matching"):
            out.update({f"bl_{d}_{m}_ws_mid": f"{at(d, m, 'ws_q', i_mid, 1):.3f}",
                        f"bl_{d}_{m}_ws9_mid": f"{at(d, m, 'ws_window9_mean', i_mid):.3f}",
                        f"bl_{d}_{m}_ws_max": f"{at(d, m, 'ws_q', -1, 1):.3f}",
                        f"bl_{d}_{m}_pred_auc": f"{at(d, m, 'predictor_auc'):.3f}",
                        f"bl_{d}_{m}_ws_auc": f"{at(d, m, 'ws_auc'):.3f}",
                        f"bl_{d}_{m}_pred_flag": str(at(d, m, "predictor_flagged")),
                        f"bl_{d}_{m}_ws_flag": str(at(d, m, "ws_flagged")),
                        f"bl_{d}_{m}_pred_flag0": str(at(d, m, "predictor_flagged", 0)),
                        f"bl_{d}_{m}_ws_flag0": str(at(d, m, "ws_flagged", 0))})
    out["bl_mnist_zero_mid"] = f"{100 * at('mnist', 'replacement', 'ws_zero', i_mid):.0f} %"
    return out


def glues(shown, profile: str, summary: dict) -> dict:
    """Every value the page shows: the re-run box, the scale, the covers, the rates, the
    figure and table, the thresholds and the saturated shares."""
    res = shown.result
    rate_max = float(res.rates[-1])
    out = {"bl_rerun": rerun_box("beyond_lsb", profile=profile, results="results/beyond_lsb/",
                                 command=CAMPAIGN_COMMAND),
           "bl_scale": Markdown("" if shown.profile == "paper" else
                                f"**Shown at the `{shown.profile}` profile ({shown.note})**"),
           "bl_covers": Markdown("\n".join(f"- {d}: {plain_source(c)}"
                                           for d, c in res.covers.items())),
           "bl_rates": ", ".join(f"{r:g}" for r in res.rates[1:]),
           "bl_fig": with_points(plots.lsb_figure(summary), "lsb-detection"),
           "bl_table": plots.lsb_table(summary),
           "bl_rate_max": f"{rate_max:g}", "bl_change_max": f"{rate_max / 2:g}"}
    out.update(_rate_glues(res, summary))
    for d in ("mnist", "cifar10"):
        out[f"bl_{d}_ws_thr"] = f"{res.thresholds[d]['ws']:.3f}"
    out["bl_mnist_saturated"] = f"{100 * summary['mnist']['replacement']['saturated']:.0f} %"
    out["bl_cifar10_saturated"] = f"{100 * summary['cifar10']['replacement']['saturated']:.1f} %"
    return out
