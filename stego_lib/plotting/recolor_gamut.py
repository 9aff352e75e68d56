"""How far ReColorAdv moves a pixel under each way of keeping colours valid: the table of
``results/benchmarks/recolor_gamut.json`` (written by ``benchmarks/recolor_gamut.py``).

Example::

    >>> pct = {"p50": 0.4, "p90": 1.2, "p99": 3.0, "p99.9": 5.0, "max": 9.0}
    >>> run = {"rgb_change_over_255": pct, "luv_change_max": {"L": 6.0, "u": 12.0, "v": 12.0},
    ...        "percent_pixels_outside_eps_box": 0.0, "success_percent": 95.0}
    >>> change_table({"runs": {"ours_shrink": run}}).rows[0][1:6]
    ['0.4', '1.2', '3.0', '5.0', '9.0']
"""
from __future__ import annotations

from .table import Table

LABELS = {"ours_shrink": "ours: displacement shrunk into the gamut (default)",
          "ours_chroma": "ours: chroma reduced at fixed L*",
          "ours_clamp": "ours: RGB image clamped (earlier behaviour)",
          "reference": "reference recoloradv 0.0.1: RGB clip of the lattice"}


def change_table(record: dict) -> Table:
    """One row per variant: percentiles of the per-pixel change of the largest RGB channel
    (in 1/255), the largest change of L*, u*, v*, the share of pixels outside the ε box in
    CIELUV, the attack's success rate and, for ours, the worst case over all colours."""
    rows = []
    keys = [k for k in LABELS if k in record["runs"]] + [k for k in record["runs"] if k not in LABELS]
    for key in keys:
        run = record["runs"][key]
        r, luv = run["rgb_change_over_255"], run["luv_change_max"]
        worst = record.get("worst_case", {}).get(key, {}).get("max_over_255")
        rows.append([LABELS.get(key, key), f"{r['p50']:.1f}", f"{r['p90']:.1f}",
                     f"{r['p99']:.1f}", f"{r['p99.9']:.1f}", f"{r['max']:.1f}",
                     f"{luv['L']:.1f} / {luv['u']:.1f} / {luv['v']:.1f}",
                     f"{run['percent_pixels_outside_eps_box']:.2f}",
                     f"{run['success_percent']:.1f}", "-" if worst is None else f"{worst:.1f}"])
    return Table(["variant", "median", "p90", "p99", "p99.9", "max",
                  "largest |ΔL*| / |Δu*| / |Δv*|", "pixels outside the ε box (%)",
                  "success (%)", "worst case over all colours"], rows)
