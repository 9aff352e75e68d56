"""Table 1 three ways: the paper's cells, ours on the authors' released models, ours on the
models trained here.

The released models make Table 1 a test of our attacks: the same networks the paper attacked,
our code attacking them. The rows trained here answer a different question (how far a CPU
recipe gets), so every comparison below keeps the two apart. Accuracies are in percent; a cell
not computed is ``None``.
"""
from __future__ import annotations


import numpy as np

from ...cache import CacheMiss, GPURequiredError
from ...papers import PAPER2_TABLE1_ATTACKS, paper2_accuracy
from ... import stats
from .config import LABELS, ROWS, make_config
from .summaries import diff_se, near_paper
from .table1 import Table1Result, run

__all__ = ["authors_runs", "comparison", "fit", "result", "wilson"]


def wilson(k: int, n: int, z: float = stats.Z95) -> tuple[float, float]:
    """:func:`stego_lib.stats.wilson` in percent, for ``k`` of ``n`` images with ``n`` checked:
    unlike ``p ± z SE`` it does not collapse to a point at 0 or n.

    Example:
        >>> [round(v, 2) for v in wilson(0, 846)]
        [0.0, 0.45]
        >>> [round(v, 1) for v in wilson(50, 100)]
        [40.4, 59.6]
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if not 0 <= k <= n:
        raise ValueError(f"k must lie in [0, n], got k={k!r}, n={n}")
    lo, hi = stats.wilson(k, n, z)
    return 100 * lo, 100 * hi


def result(mode: str = "cache-only") -> Table1Result | None:
    """Our Table 1 on the released models, as far as it is committed (None: no cell yet)."""
    try:
        return run(make_config("paper", models="released"), mode=mode)
    except (CacheMiss, GPURequiredError):
        return None


def _side(res: Table1Result | None, row: str, attack: str, paper: float) -> dict | None:
    ok = None if res is None else res.correct.get(row, {}).get(attack)
    if ok is None:
        return None
    n, k = int(ok.size), int(np.sum(ok))
    pct = 100 * k / n
    lo, hi = wilson(k, n)
    se = diff_se(pct, paper, n)
    return {"pct": pct, "n": n, "lo": lo, "hi": hi, "diff": pct - paper,
            "z": (pct - paper) / se if se > 0 else 0.0, "near": near_paper(pct, paper, n)}


def comparison(released: Table1Result | None, trained: Table1Result | None) -> list[dict]:
    """One dict per Table 1 cell, in the paper's order: ``row``, ``label``, ``attack``,
    ``paper`` (%), and ``released`` / ``trained``: None where not computed (or not released),
    else ``pct``, ``n``, the Wilson 95 % interval ``lo``/``hi``, ``diff`` (ours − paper,
    points), ``z`` (the difference in standard errors, :func:`~.summaries.diff_se`) and
    ``near`` (within two of them)."""
    out = []
    for row in ROWS:
        for a in PAPER2_TABLE1_ATTACKS:
            paper = paper2_accuracy(LABELS[row], a)
            out.append({"row": row, "label": LABELS[row], "attack": a, "paper": paper,
                        "released": _side(released, row, a, paper),
                        "trained": _side(trained, row, a, paper)})
    return out


def fit(cells: list[dict], side: str = "released", worst: int = 5) -> dict:
    """How close one side is to the paper over its computed cells: ``computed``, ``within``
    (cells within two standard errors), ``mean_abs`` (mean absolute difference from the paper, points; None when
    nothing is computed) and ``worst`` (the cells with the largest absolute z first)."""
    got = [c for c in cells if c[side] is not None]
    ranked = sorted(got, key=lambda c: -abs(c[side]["z"]))
    return {"computed": len(got), "within": sum(c[side]["near"] for c in got),
            "mean_abs": float(np.mean([abs(c[side]["diff"]) for c in got])) if got else None,
            "worst": ranked[:worst]}


def authors_runs(released: Table1Result | None, attack: str = "C") -> list[dict]:
    """Per released model whose authors' run is committed: the authors' ``attack``
    (``recoloradv``) and ours on the same images of the same model, compared image by image.

    Each: ``row``, ``label``, ``attack``, ``n``, ``authors`` and ``ours`` (% correct), ``diff`` (ours −
    authors), ``se`` (paired: the standard error of the mean per-image difference), ``apart``
    (beyond two of them), ``paper`` (%), ``authors_near`` / ``ours_near`` (within two standard
    errors of the paper's)."""
    from . import authors

    out = []
    start, stop = authors.IMAGES
    for row in (released.config.rows if released is not None else ()):
        mine = released.correct.get(row, {}).get(attack)
        if mine is None or len(mine) < stop or not authors.has(row, attack):
            continue
        theirs = np.asarray(authors.run_chunk(row, attack, mode="cache-only").arrays["correct"],
                            bool)
        mine = np.asarray(mine[start:stop], bool)
        n = int(mine.size)
        _, se = stats.paired_difference(mine, theirs)
        paper = paper2_accuracy(LABELS[row], attack)
        a_pct, o_pct = 100 * float(theirs.mean()), 100 * float(mine.mean())
        out.append({"row": row, "label": LABELS[row], "attack": attack, "n": n, "authors": a_pct, "ours": o_pct,
                    "diff": o_pct - a_pct, "se": se,
                    "apart": stats.beyond_noise(o_pct - a_pct, se),
                    "paper": paper, "authors_near": near_paper(a_pct, paper, n),
                    "ours_near": near_paper(o_pct, paper, n)})
    return out
