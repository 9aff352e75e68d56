"""The statistics every page uses, each written once.

- :func:`wilson`: the 95 % Wilson score interval of a proportion ``k / n``; unlike ``p ± z·SE``
  it stays inside [0, 1] and is sensible at k = 0 and k = n, the cases a zero-false-positive
  threshold or a fully broken model produce.
- :func:`binomial_se`: the standard error ``sqrt(p (1 - p) / n)`` of a proportion.
- :func:`paired_difference`: the difference of two per-image outcomes measured on the same
  images, with the standard error of the per-image difference (the paired test every
  "ours against the authors' on the same images" comparison uses).
- :func:`auc` and :func:`auc_se`: the area under the ROC curve (Mann–Whitney, ties counted one
  half) and Hanley & McNeil's standard error of it.

Example::

    >>> [round(v, 3) for v in wilson(0, 846)]
    [0.0, 0.005]
    >>> binomial_se(0.5, 100)
    0.05
    >>> paired_difference([True, True, False, True], [False, True, False, False])
    (50.0, 28.867513459481287)
    >>> auc([0.1, 0.2, 0.3], [0.25, 0.3, 0.9])
    0.8333333333333334
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["Z95", "auc", "auc_se", "beyond_noise", "binomial_se", "paired_difference", "wilson"]

Z95 = 1.959963984540054   # the two-sided 95 % quantile of the normal distribution


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of the proportion ``k / n``, as fractions (NaNs when n = 0).

    Example:
        >>> [round(v, 3) for v in wilson(50, 100)]
        [0.404, 0.596]
        >>> wilson(3, 3)[1]
        1.0
    """
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    # exact ends at k = 0 and k = n (float rounding would leave 1 - 1e-16)
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return lo, hi


def binomial_se(p: float, n: int) -> float:
    """Standard error of a proportion ``p`` (a fraction in [0, 1]) measured on ``n`` items,
    ``sqrt(p (1 - p) / n)``.

    Raises:
        ValueError: ``n`` is not an int >= 1, or ``p`` lies outside [0, 1].
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must lie in [0, 1] (a fraction), got {p!r}")
    return math.sqrt(p * (1 - p) / n)


def paired_difference(a, b) -> tuple[float, float]:
    """``(mean(a - b), its standard error)`` in percentage points, for two outcomes (bools or
    0/1) on the same items: the standard error is that of the per-item differences
    (``std(ddof=1) / sqrt(n)``), 0 for a single item.

    Raises:
        ValueError: ``a`` and ``b`` differ in length, or are empty.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"two outcomes on the same items needed, got shapes {a.shape} "
                         f"and {b.shape}")
    d = a - b
    se = 100 * float(d.std(ddof=1)) / math.sqrt(d.size) if d.size > 1 else 0.0
    return 100 * float(d.mean()), se


def beyond_noise(d: float, se: float) -> bool:
    """Whether a difference ``d`` lies beyond two of its standard errors ``se``; with no
    spread at all (``se`` 0) any nonzero difference does.

    Example:
        >>> beyond_noise(3.0, 1.0), beyond_noise(1.5, 1.0), beyond_noise(0.5, 0.0)
        (True, False, True)
    """
    return abs(d) > 2 * se if se > 0 else d != 0


def auc(neg, pos) -> float:
    """Area under the ROC curve = P(pos > neg) + P(pos == neg) / 2 (Mann–Whitney), ties
    averaged; equal to scikit-learn's ``roc_auc_score`` (a test checks it).

    Raises:
        ValueError: no negative or no positive score.
    """
    neg = np.asarray(neg, dtype=np.float64)
    pos = np.asarray(pos, dtype=np.float64)
    if len(neg) == 0 or len(pos) == 0:
        raise ValueError(f"AUC needs at least one negative and one positive score, got "
                         f"{len(neg)} and {len(pos)}")
    allv = np.concatenate([neg, pos])
    order = np.argsort(allv, kind="mergesort")
    ranks = np.empty(len(allv))
    _, first, counts = np.unique(allv[order], return_index=True, return_counts=True)
    ranks[order] = np.repeat(first + (counts - 1) / 2.0 + 1, counts)
    r_pos = ranks[len(neg):].sum()
    return float((r_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def auc_se(a: float, n_neg: int, n_pos: int) -> float:
    """Hanley & McNeil's (1982) standard error of an AUC ``a`` from ``n_neg`` negatives and
    ``n_pos`` positives (NaN when either is 0 or ``a`` is NaN)."""
    if not n_neg or not n_pos or a != a:
        return float("nan")
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = ((a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a))
           / (n_pos * n_neg))
    return math.sqrt(max(var, 0.0))
