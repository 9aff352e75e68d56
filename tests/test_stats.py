"""The shared statistics: each written once in stego_lib.stats, checked against definitions
computed another way."""
import itertools
import math

import numpy as np
import pytest

from stego_lib import stats


def test_wilson_against_its_formula_and_at_the_ends():
    for k, n in [(1, 10), (7, 40), (500, 846)]:
        p, z = k / n, stats.Z95
        lo, hi = stats.wilson(k, n)
        # the interval's ends solve |p - q| = z sqrt(q (1 - q) / n)
        for q in (lo, hi):
            assert abs(abs(p - q) - z * math.sqrt(q * (1 - q) / n)) < 1e-12
    assert stats.wilson(0, 40)[0] == 0.0 and stats.wilson(40, 40)[1] == 1.0
    assert all(math.isnan(v) for v in stats.wilson(0, 0))


def test_binomial_se_and_its_bad_input():
    assert stats.binomial_se(0.03, 200) == math.sqrt(0.03 * 0.97 / 200)
    for n in (0, 2.5, True):
        with pytest.raises(ValueError, match="n must be an int >= 1"):
            stats.binomial_se(0.5, n)
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\]"):
        stats.binomial_se(50.0, 100)


def test_paired_difference_is_the_mean_and_standard_error_of_the_differences():
    rng = np.random.default_rng(0)
    a, b = rng.random(300) < 0.4, rng.random(300) < 0.3
    d, se = stats.paired_difference(a, b)
    diffs = a.astype(int) - b.astype(int)
    assert d == pytest.approx(100 * diffs.mean())
    assert se == pytest.approx(100 * math.sqrt(((diffs - diffs.mean()) ** 2).sum() / 299 / 300))
    assert stats.paired_difference([True], [False]) == (100.0, 0.0)
    with pytest.raises(ValueError, match="same items"):
        stats.paired_difference([True, False], [True])


def test_auc_is_the_share_of_pairs_ordered_right_ties_counted_half():
    rng = np.random.default_rng(1)
    neg, pos = rng.integers(0, 5, 30).astype(float), rng.integers(1, 6, 20).astype(float)
    pairs = [(p > n) + 0.5 * (p == n) for n, p in itertools.product(neg, pos)]
    assert stats.auc(neg, pos) == pytest.approx(np.mean(pairs))
    with pytest.raises(ValueError, match="at least one negative"):
        stats.auc([], [1.0])
    assert math.isnan(stats.auc_se(0.8, 0, 10))


def test_the_old_homes_use_the_one_implementation():
    from stego_lib.experiments.beyond import stats as beyond_stats
    from stego_lib.experiments.paper1 import summaries
    from stego_lib.experiments.paper2 import summaries as p2
    assert beyond_stats.wilson is stats.wilson and beyond_stats.auc is stats.auc
    assert beyond_stats.auc_se is stats.auc_se and summaries.auc is stats.auc
    assert p2.binomial_se is stats.binomial_se
