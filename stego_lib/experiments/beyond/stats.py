"""Rates with their uncertainty, ROC curves and AUC.

Every rate is reported as ``k / n`` with a 95 % Wilson score interval (which, unlike the
normal approximation, stays inside [0, 1] and is sensible at k = 0 or k = n, the cases a
zero-false-positive threshold produces) and the binomial standard error sqrt(p(1-p)/n). The
interval, the AUC and its standard error are :mod:`stego_lib.stats`'s.
"""
from __future__ import annotations

import numpy as np

from ...stats import auc, auc_se, binomial_se, wilson

__all__ = ["Rate", "auc", "auc_se", "rate", "roc_curve", "wilson"]

class Rate(dict):
    """``{"k", "n", "rate", "se", "lo", "hi"}``; prints as ``0.123 (k/n, 95 % CI lo-hi)``."""

    def __str__(self) -> str:
        if self["n"] == 0:
            return "– (n = 0)"
        return (f"{self['rate']:.3f} ({self['k']:,}/{self['n']:,}; "
                f"{self['lo']:.3f}–{self['hi']:.3f})")


def rate(flags) -> Rate:
    """The share of True in ``flags`` with its Wilson interval and standard error."""
    flags = np.asarray(flags, dtype=bool)
    n, k = int(flags.size), int(flags.sum())
    p = k / n if n else float("nan")
    lo, hi = wilson(k, n)
    se = binomial_se(p, n) if n else float("nan")
    return Rate(k=k, n=n, rate=p, se=se, lo=lo, hi=hi)


def roc_curve(neg, pos) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC of scores ``neg`` (clean) against ``pos`` (attacked), flagging ``score >= t``.

    Returns ``(fpr, tpr, thresholds)`` with one point per distinct score, from (0, 0) to
    (1, 1); tied scores move both rates in one step, so the trapezoidal area under the
    curve equals :func:`auc` (ties counted one half), as scikit-learn's ``roc_curve`` and
    ``roc_auc_score`` do.
    """
    neg = np.asarray(neg, dtype=np.float64)
    pos = np.asarray(pos, dtype=np.float64)
    if len(neg) == 0 or len(pos) == 0:
        raise ValueError(f"a ROC curve needs negatives and positives, got {len(neg)} and {len(pos)}")
    thr = np.unique(np.concatenate([neg, pos]))[::-1]
    fpr = 1 - np.searchsorted(np.sort(neg), thr, side="left") / len(neg)
    tpr = 1 - np.searchsorted(np.sort(pos), thr, side="left") / len(pos)
    return (np.concatenate([[0.0], fpr]), np.concatenate([[0.0], tpr]),
            np.concatenate([[np.inf], thr]))


def tpr_at_fpr(neg, pos, max_fpr: float) -> float:
    """The highest true-positive rate on the ROC curve of ``neg`` against ``pos`` among the
    points whose false-positive rate is at most ``max_fpr``: a point read off the curve (the
    threshold is chosen on these very clean scores), not a calibrated operating point.

    Example:
        >>> tpr_at_fpr([0, 1, 2, 3], [2.5, 3.5, 0.5, 4], 0.25)   # flag scores >= 2.5
        0.75
    """
    if not 0.0 <= max_fpr <= 1.0:
        raise ValueError(f"max_fpr must be in [0, 1], got {max_fpr!r}")
    fpr, tpr, _ = roc_curve(neg, pos)
    return float(tpr[fpr <= max_fpr + 1e-12].max())
