"""A verification report summarised for a reader: one row per experiment.

Example::

    >>> rep = {"results": [
    ...     {"experiment": "paper1", "n": 100, "ok": True, "pred_agree": 1.0, "flag_agree": 0.99,
    ...      "score_diff": 0.01, "value_diff": 1.0, "start": 0, "stop": 100, "whole": False},
    ...     {"experiment": "paper1", "n": 100, "ok": False, "pred_agree": 0.9, "flag_agree": 1.0,
    ...      "score_diff": 0.02, "value_diff": 0.0, "start": 0, "stop": 100, "whole": True}]}
    >>> row = by_experiment(rep)[0]
    >>> row["results"], row["whole"], row["images"], row["pred_agree"], row["outside"]
    (2, 1, 200, 0.9, 1)
"""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["NAMES", "by_experiment", "load"]

# What each results folder holds, in a reader's words.
NAMES = {
    "paper1": "Paper I: PGD sweep and detector scores (Table II)",
    "paper1_device_check": "Paper I: GPU sweep points recomputed on a CPU",
    "paper1_diagnostics": "Paper I: start-noise diagnostics",
    "paper1_madry_snapshots": "Paper I: Madry-recipe model during training",
    "paper1_robustness": "Paper I: robust accuracy of the trained models",
    "paper1_snapshots": "Paper I: a training snapshot, from its committed checkpoint",
    "paper2_table1": "Paper II: Table 1 cells",
    "paper2_authors": "Paper II: the authors' attack on their released models",
    "paper2_bw_conversion": "Paper II: the B&W model's input conversion",
    "paper2_c_gap": "Paper II: variants of the colour attack",
    "paper2_cd_gap": "Paper II: variants of colour + delta",
    "paper2_crgb_bound": "Paper II: the RGB colour attack's bound",
    "paper2_figures": "Paper II: the attacks drawn in the figures",
    "paper2_s_gap": "Paper II: the flow attack's padding",
    "perceptual": "Paper II: perceptual distances",
    "beyond": "Part III: detectors against every attack",
    "beyond_adaptive": "Part III: the adaptive attack",
    "beyond_lsb": "Part III: LSB embedding",
    "data_overview": "The data sets",
}


def _worst(rows, key, pick):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return pick(vals) if vals else None


def by_experiment(report: dict) -> list[dict]:
    """Per experiment: results re-executed (``whole`` of them entirely), images, the lowest
    prediction and flag agreement, the largest score and headline-value difference, and how
    many results fell ``outside`` their tolerance."""
    groups: dict[str, list] = {}
    for r in report["results"]:
        groups.setdefault(r["experiment"], []).append(r)
    out = []
    for exp, rows in sorted(groups.items()):
        out.append({"experiment": exp, "name": NAMES.get(exp, exp), "results": len(rows),
                    "whole": sum(bool(r.get("whole")) for r in rows),
                    "images": sum(r.get("n") or (r["stop"] - r["start"]) for r in rows),
                    "pred_agree": _worst(rows, "pred_agree", min),
                    "flag_agree": _worst(rows, "flag_agree", min),
                    "score_diff": _worst(rows, "score_diff", max),
                    "value_diff": _worst(rows, "value_diff", max),
                    "outside": sum(not r["ok"] for r in rows)})
    return out


def load(path: str | Path) -> dict | None:
    """A committed report, or None when there is none."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else None
