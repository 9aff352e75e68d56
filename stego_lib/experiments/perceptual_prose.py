"""The perceptual page's reading of a Fig 6 sweep (:mod:`.perceptual`), as sentences generated
from the summary, so that they say what the committed numbers say.

Example::

    >>> reading({"attacks": {}, "metrics": ["ssim"], "labels": {"ssim": "1 - SSIM"}})
    'The sweep shown does not include all three attacks at the default bounds.'
"""
from __future__ import annotations

from . import perceptual

__all__ = ["reading"]


def reading(summary: dict, target: float = 0.9) -> str:
    """What one sweep's summary (:func:`.perceptual.summarize`) says about the paper's claim:
    the error rates and distances at the default bounds, and the distance each attack needs
    to misclassify ``target`` of the images."""
    rows, used = summary["attacks"], summary["metrics"]
    # the comparison the paper draws, at the default bounds (when they were swept)
    at = {n: r["default_index"] for n, r in rows.items()}
    if all(n in rows and at[n] is not None for n in ("C", "D", "C+D")):
        m0 = used[0]
        err = {n: 100 * rows[n]["error_rate"][at[n]] for n in ("C", "D", "C+D")}
        dist = {n: rows[n][m0][at[n]] for n in ("C", "D", "C+D")}
        bigger = "larger" if dist["C+D"] > max(dist["C"], dist["D"]) else "not larger"
        reading = (f"At the default bounds, C+D misclassifies {err['C+D']:.1f} % of the images, "
                   f"C alone {err['C']:.1f} % and D alone {err['D']:.1f} %. Its mean "
                   f"{summary['labels'][m0]} is {dist['C+D']:.4f}, against {dist['C']:.4f} for C "
                   f"and {dist['D']:.4f} for D: {bigger} than either attack's alone.")
    else:
        reading = "The sweep shown does not include all three attacks at the default bounds."
    # the paper's claim, tested: the distance each attack needs for the same error rate
    need = {n: {m: perceptual.distance_at_error(rows[n], m, target) for m in used}
            for n in ("C", "D", "C+D") if n in rows}
    if need and all(v is not None for per in need.values() for v in per.values()):
        parts = []
        for m in used:
            order = sorted(need, key=lambda n: need[n][m])
            # "≤": the smallest swept bound already reaches the target, so nothing is interpolated
            parts.append(f"by {summary['labels'][m]}, " + ", ".join(
                f"{n} {'≤ ' if rows[n]['error_rate'][0] >= target else ''}{need[n][m]:.4f}"
                for n in order))
        cheapest = {m: min(need, key=lambda n: need[n][m]) for m in used}
        capped = {n for n in need if rows[n]["error_rate"][0] >= target}
        # an attack capped at its smallest bound may need less than shown: only then undecided
        open_ = sorted({n for m in used for n in capped if n != cheapest[m]})
        reading += (
            f" To misclassify {100 * target:.0f} % of the images (distances interpolated "
            f"between swept bounds; ≤ where the smallest bound already gets there), the "
            f"attacks need, from least to most visible: " + "; ".join(parts) + ". "
            + (f"The sweep does not settle the paper's claim: {', '.join(open_)} already gets "
               f"there at the smallest bound swept, so it may need less than shown."
               if open_ else
               "Under these metrics the combination is the least visible way to that error rate, "
               "as the paper found with LPIPS."
               if all(c == "C+D" for c in cheapest.values()) else
               f"Under these metrics the least visible way to that error rate is "
               f"{' / '.join(sorted(set(cheapest.values())))}, not the combination; the paper's "
               f"finding rests on LPIPS, which this page cannot compute, so the two are not in "
               f"conflict, but it is not confirmed here either."))
    return reading
