"""Paper I summaries for the page: Table II, Figs 2-4, headlines, ROC and AUC.

Everything is computed from the cached per-image arrays of :func:`run`; a row of the sweep
that holds fewer images than the others (the ε outside Table II on a CPU campaign) is
summarised over the images it holds, and ``n`` says how many.

Example::

    >>> auc([0.1, 0.2, 0.3], [0.25, 0.4])
    0.8333333333333334
    >>> auc([0.5], [0.5])
    0.5
"""
from __future__ import annotations

import numpy as np

from ..._checks import check_choice
from ...papers import PAPER1_HEADLINES, PAPER1_TABLE2_EPS, PAPER1_TABLE2_TPR
from ...stats import auc
from .compute import Paper1Result
from .config import DETECTORS, PAPER_KEY, PAPER_MODELS


def _valid(mr) -> np.ndarray:
    return np.arange(mr.pred.shape[1])[None, :] < mr.n[:, None]


def _mean(a: np.ndarray, valid: np.ndarray) -> np.ndarray:
    return (a & valid).sum(1) / valid.sum(1)


def curves(res: Paper1Result, detector: str = "abs", threshold: float | None = None) -> dict:
    """Per model: ``eps``, ``n`` (images at each ε), ``tpr`` ((success and flagged) / N, the
    paper's code), ``accuracy`` (model accuracy on the adversarial images, Fig 3), ``combined``
    ((correct or flagged) / N, Fig 4), ``flagged`` (share of adversarial images flagged,
    successful or not), ``fpr`` (clean test images flagged), ``clean_accuracy``.

    ``threshold`` replaces the training-set threshold, e.g. to ask what the authors' hard-coded
    value would have given."""
    check_choice(detector, DETECTORS, name="detector")
    out = {}
    thr = res.thresholds[detector] if threshold is None else threshold
    if isinstance(thr, bool) or not isinstance(thr, (int, float)) or not np.isfinite(thr):
        raise ValueError(f"threshold must be a finite number, got {thr!r}")
    for m, mr in res.models.items():
        valid = _valid(mr)
        with np.errstate(invalid="ignore"):
            flag = mr.scores[detector] > thr          # NaN padding compares False
        correct = mr.pred.astype(np.int64) == res.labels[None, :]
        out[m] = {
            "eps": mr.eps, "n": mr.n,
            "tpr": _mean(mr.success & flag, valid),
            "accuracy": _mean(correct, valid),
            "combined": _mean(correct | flag, valid),
            "flagged": _mean(flag, valid),
            "fpr": float((mr.clean_scores[detector] > thr).mean()),
            "clean_accuracy": float((mr.clean_pred.astype(np.int64) == res.labels).mean()),
        }
    return out


def table2(res: Paper1Result, detector: str = "abs") -> dict:
    """Table II at the ε of the paper's table.

    Returns ``{"eps": [...], "rows": [(label, [values...]), ...]}``: for every model of the
    paper, the paper's published row and below it ours (None where not computed yet).
    """
    cur = curves(res, detector)
    grid = sorted({float(x) for c in cur.values() for x in c["eps"]})
    eps = [e for e in PAPER1_TABLE2_EPS if any(np.isclose(e, x) for x in grid)] or \
        list(PAPER1_TABLE2_EPS)
    rows = []
    for m in _models(cur):
        if m in PAPER_MODELS:
            paper = dict(zip(PAPER1_TABLE2_EPS, PAPER1_TABLE2_TPR[m]))
            rows.append((f"{m} (paper, n=10,000)", [paper[e] for e in eps]))
        if m not in cur:
            rows.append((f"{m} (ours: not computed yet)", [None] * len(eps)))
            continue
        c = cur[m]
        idx = [_index(c["eps"], e) for e in eps]
        ns = sorted({int(c["n"][i]) for i in idx if i is not None})
        rows.append((f"{m} (ours, n={'/'.join(f'{n:,}' for n in ns)})",
                     [None if i is None else float(c["tpr"][i]) for i in idx]))
    return {"eps": eps, "rows": rows}


def _models(cur: dict) -> list[str]:
    """The paper's two models (always), then any other model that has results."""
    return list(PAPER_MODELS) + [m for m in cur if m not in PAPER_MODELS]


def _index(grid: np.ndarray, e: float):
    hit = np.nonzero(np.isclose(grid, e))[0]
    return int(hit[0]) if len(hit) else None


def _perfect_from(eps: np.ndarray, ok: np.ndarray):
    """Smallest ε such that ``ok`` holds there and at every larger ε of the grid, else None."""
    if not ok[-1]:
        return None
    i = len(ok) - 1
    while i > 0 and ok[i - 1]:
        i -= 1
    return float(eps[i])


def headlines(res: Paper1Result, detector: str = "abs") -> dict:
    """Per model of the paper: ``perfect_separation_eps`` (from which every adversarial image
    is either classified correctly or flagged, i.e. combined accuracy 1), ``zero_accuracy_eps``,
    ``min_combined_accuracy`` (and its ε), ``tpr50_eps`` (first ε with TPR >= 0.5), ``fpr``,
    ``threshold``, and ``paper`` (the paper's values). A model without results has only
    ``paper`` and ``computed=False``.

    The ε values are read only from the grid points computed on all the test images (a rate
    on fewer images is never mixed in): ``eps_used`` and ``eps_total`` say how many of the
    model's ε that is."""
    cur = curves(res, detector)
    out = {}
    for m in _models(cur):
        key = PAPER_KEY[m]
        paper = {k: (v[key] if isinstance(v, dict) else v) for k, v in PAPER1_HEADLINES.items()}
        if m not in cur:
            out[m] = {"computed": False, "paper": paper}
            continue
        full = np.asarray(cur[m]["n"]) == len(res.labels)
        if not full.any():   # nothing on every image: read the grid as it is
            full = np.ones_like(full)
        c = {k: (np.asarray(v)[full] if k in ("eps", "n", "tpr", "accuracy", "combined",
                                               "flagged") else v) for k, v in cur[m].items()}
        i_min = int(np.argmin(c["combined"]))
        tpr50 = np.nonzero(c["tpr"] >= 0.5)[0]
        out[m] = {
            "computed": True,
            "perfect_separation_eps": _perfect_from(c["eps"], c["combined"] >= 1.0),
            "zero_accuracy_eps": _perfect_from(c["eps"], c["accuracy"] <= 0.0),
            "min_combined_accuracy": float(c["combined"][i_min]),
            "min_combined_eps": float(c["eps"][i_min]),
            "tpr50_eps": float(c["eps"][tpr50[0]]) if len(tpr50) else None,
            "fpr": c["fpr"], "clean_accuracy": c["clean_accuracy"],
            "n_clean": len(res.labels),
            "threshold": res.thresholds[detector],
            "eps_used": int(full.sum()), "eps_total": int(full.size),
            "paper": paper,
        }
    return out


def roc(res: Paper1Result, model: str, eps: float, detector: str = "abs",
        positives: str = "all") -> dict:
    """ROC of clean test images (negatives) vs adversarial images at ``eps`` (positives:
    ``"all"`` attacked images, or ``"successful"`` ones only). Returns ``fpr``, ``tpr``, ``auc``,
    ``n`` and the operating point of the training-set threshold."""
    check_choice(positives, ("all", "successful"), name="positives")
    mr = res.models[model]
    i = int(np.argmin(np.abs(mr.eps - eps)))
    n = int(mr.n[i])
    neg = mr.clean_scores[detector].astype(np.float64)
    pos = mr.scores[detector][i, :n].astype(np.float64)
    if positives == "successful":
        pos = pos[mr.success[i, :n]]
    if len(pos) == 0:
        return {"eps": float(mr.eps[i]), "n": 0, "fpr": np.array([0.0, 1.0]),
                "tpr": np.array([0.0, 1.0]), "auc": float("nan"), "op": (0.0, 0.0)}
    thr = np.unique(np.concatenate([neg, pos]))[::-1]
    neg_s, pos_s = np.sort(neg), np.sort(pos)
    fpr = 1 - np.searchsorted(neg_s, thr, side="left") / len(neg)     # share >= thr
    tpr = 1 - np.searchsorted(pos_s, thr, side="left") / len(pos)
    t = res.thresholds[detector]
    return {"eps": float(mr.eps[i]), "n": len(pos),
            "fpr": np.concatenate([[0.0], fpr, [1.0]]), "tpr": np.concatenate([[0.0], tpr, [1.0]]),
            "auc": auc(neg, pos), "op": (float((neg > t).mean()), float((pos > t).mean()))}


def auc_table(res: Paper1Result, detector: str = "abs") -> dict:
    """AUC per model and ε (positives: all attacked images), with ``n`` per ε."""
    out = {}
    for m, mr in res.models.items():
        neg = mr.clean_scores[detector]
        out[m] = {"eps": mr.eps, "n": mr.n,
                  "auc": np.array([auc(neg, mr.scores[detector][i, :mr.n[i]])
                                   for i in range(len(mr.eps))])}
    return out
