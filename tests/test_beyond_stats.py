"""ROC/AUC against scikit-learn (ties included) and the Wilson interval."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from stego_lib.experiments.beyond.stats import auc, auc_se, rate, roc_curve, tpr_at_fpr, wilson

sklearn_metrics = pytest.importorskip("sklearn.metrics")


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("levels", [None, 5])     # None: continuous scores; 5: many ties
def test_auc_and_roc_match_sklearn(seed, levels):
    rng = np.random.default_rng(seed)
    neg, pos = rng.normal(0, 1, 300), rng.normal(0.7, 1, 200)
    if levels:
        neg, pos = np.round(neg * levels / 3), np.round(pos * levels / 3)
    y = np.r_[np.zeros(len(neg)), np.ones(len(pos))]
    s = np.r_[neg, pos]
    ref = sklearn_metrics.roc_auc_score(y, s)
    assert auc(neg, pos) == pytest.approx(ref, abs=1e-12)
    fpr, tpr, _ = roc_curve(neg, pos)
    assert np.trapezoid(tpr, fpr) == pytest.approx(ref, abs=1e-12)
    r_fpr, r_tpr, _ = sklearn_metrics.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(fpr, r_fpr, atol=1e-12)
    np.testing.assert_allclose(tpr, r_tpr, atol=1e-12)


@pytest.mark.parametrize("levels", [None, 5])
@pytest.mark.parametrize("max_fpr", [0.0, 0.01, 0.05, 0.5])
def test_tpr_at_fpr_reads_the_sklearn_roc(levels, max_fpr):
    rng = np.random.default_rng(3)
    neg, pos = rng.normal(0, 1, 400), rng.normal(1.5, 1, 300)
    if levels:
        neg, pos = np.round(neg * levels / 3), np.round(pos * levels / 3)
    r_fpr, r_tpr, _ = sklearn_metrics.roc_curve(np.r_[np.zeros(400), np.ones(300)], np.r_[neg, pos],
                                                drop_intermediate=False)
    assert tpr_at_fpr(neg, pos, max_fpr) == pytest.approx(r_tpr[r_fpr <= max_fpr + 1e-12].max())
    # counted directly: the lowest threshold that flags at most max_fpr of the clean scores
    best = max((pos >= t).mean() for t in np.r_[neg, pos, np.inf] if (neg >= t).mean() <= max_fpr)
    assert tpr_at_fpr(neg, pos, max_fpr) == pytest.approx(best)
    with pytest.raises(ValueError, match="max_fpr"):
        tpr_at_fpr(neg, pos, 1.5)


def test_all_tied_scores_give_half():
    assert auc(np.zeros(10), np.zeros(7)) == 0.5
    fpr, tpr, _ = roc_curve(np.zeros(10), np.zeros(7))
    assert fpr.tolist() == [0.0, 1.0] and tpr.tolist() == [0.0, 1.0]


def test_roc_needs_both_classes():
    with pytest.raises(ValueError, match="got 0 and 3"):
        roc_curve([], [1, 2, 3])


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 500), st.integers(1, 500))
def test_wilson_contains_the_rate_and_stays_in_unit_interval(k, n):
    k = min(k, n)
    lo, hi = wilson(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_wilson_reference_values():
    # 0 of 40: upper bound 0.0876 (the "rule of three" gives 0.075); 20 of 40 symmetric
    lo, hi = wilson(0, 40)
    assert lo == 0.0 and hi == pytest.approx(0.08762, abs=1e-4)
    lo, hi = wilson(20, 40)
    # statsmodels' proportion_confint(20, 40, method="wilson") gives (0.352, 0.648)
    assert lo == pytest.approx(1 - hi) and hi == pytest.approx(0.6480, abs=1e-3)


def test_rate_reports_k_n_and_se():
    r = rate([True, False, False, True])
    assert (r["k"], r["n"], r["rate"]) == (2, 4, 0.5)
    assert r["se"] == pytest.approx(0.25)
    assert "2/4" in str(r)
    assert math.isnan(rate([])["rate"])


def test_auc_se_shrinks_with_n():
    assert auc_se(0.8, 1000, 1000) < auc_se(0.8, 100, 100)
    assert math.isnan(auc_se(0.8, 0, 10))
