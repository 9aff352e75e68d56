"""Theorem 1 of Laidlaw & Feizi (2019), checked in exact arithmetic.

(a) the proof's witness on fixed images; (b) a Hypothesis property over random
images and budgets; (c) dark images, where the theorem's hypothesis fails.
Plus membership unit tests with "no" answers as well as "yes" answers.
"""
from __future__ import annotations

from fractions import Fraction as F

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from stego_lib.theorem1 import (
    combined_scales, dark_threshold, from_uint8, functional_scale, in_additive, in_combined,
    in_functional, is_dark, one_pixel_witness, to_fraction, witness, witness_candidate,
)

E1, E2 = F(1, 50), F(1, 10)           # the notebook's defaults; eps1/eps2 = 1/5 = 51/255


def separates(x, w, e1, e2, *, valid_only=False) -> bool:
    return (in_combined(x, w, e1, e2, valid_only=valid_only)
            and not in_additive(x, w, e1, valid_only=valid_only)
            and not in_functional(x, w, e2, valid_only=valid_only))


# --------------------------------------------------------------------------- (a) fixed witnesses

@pytest.mark.parametrize("x, expected", [
    ([F(1), F(0)], [F(9, 10), F(1, 50)]),
    ([F(0), F(1, 2), F(1)], [F(1, 50), F(9, 20), F(9, 10)]),
    ([F(1, 2), F(1, 2)], [F(9, 20), F(9, 20) + F(1, 50)]),   # constant image: i = 0, j = 1
    ([F(52, 255), F(0), F(0)], [F(52 * 9, 2550), F(1, 50), F(0)]),  # just above the threshold
])
def test_witness_exact_values(x, expected):
    w = witness(x, E1, E2)
    assert w == expected
    assert all(isinstance(v, F) for v in w)
    assert separates(x, w, E1, E2)
    assert separates(x, w, E1, E2, valid_only=True)     # inside [0, 1]^n: clipping is irrelevant


def test_witness_membership_details():
    x = [F(1), F(0)]
    w = witness(x, E1, E2)
    # combined through c = 1 - eps2 exactly, and through no c outside [1 - eps2, 1 - eps2]
    assert combined_scales(x, w, E1, E2) == (F(9, 10) - 0, F(9, 10) + F(1, 50))
    assert functional_scale(x, w, E2) is None
    assert max(abs(a - b) for a, b in zip(w, x)) == F(1, 10) > E1


def test_witness_accepts_floats_strings_and_converts_exactly():
    w = witness([1.0, 0.5, 0], "1/50", 0.1)
    # 0.1 is the double nearest 1/10, not 1/10: the witness carries it exactly
    assert w[0] == 1 - F(0.1) and w[0] != F(9, 10)
    assert separates([1, F(1, 2), 0], w, F(1, 50), 0.1)
    assert to_fraction("0.02") == F(1, 50)
    assert to_fraction(0.02) != F(1, 50)


def test_witness_on_uint8_pixels():
    x = from_uint8([[0, 255], [51, 128]])
    assert x == [F(0), F(1), F(1, 5), F(128, 255)]
    assert separates(x, witness(x, E1, E2), E1, E2, valid_only=True)


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("x, e1, e2, match", [
    ([F(1)], E1, E2, r"n >= 2"),
    ([F(1), F(0)], E2, E1, r"eps2 > eps1"),
    ([F(1), F(0)], E1, E1, r"eps2 > eps1"),
    ([F(1, 5), F(0)], E1, E2, r"pixel > eps1/eps2"),       # exactly at the threshold: dark
    ([F(0), F(0)], E1, E2, r"pixel > eps1/eps2"),
    ([F(3, 2), F(0)], E1, E2, r"\[0, 1\]"),
    ([F(1), F(0)], 0, E2, r"eps1 must be > 0"),
])
def test_witness_raises(x, e1, e2, match):
    with pytest.raises(ValueError, match=match):
        witness(x, e1, e2)


def test_bad_inputs():
    with pytest.raises(ValueError, match="same length"):
        in_additive([0, 1], [0], E1)
    with pytest.raises(TypeError, match="bool"):
        in_additive([True], [0], E1)
    with pytest.raises(ValueError, match="finite"):
        in_additive([float("nan")], [0], E1)
    with pytest.raises(ValueError, match="'1/50'"):
        in_additive([0], [0], "one fiftieth")
    with pytest.raises(ValueError, match="all-zero"):
        one_pixel_witness([0, 0, 0], E1, E2)
    with pytest.raises(ValueError, match="direction"):
        one_pixel_witness([1], E1, E2, direction="sideways")


# --------------------------------------------------------------------------- membership: yes and no

def test_in_additive_yes_and_no():
    x = [F(1, 2), F(0)]
    assert in_additive(x, [F(1, 2) + E1, -E1], E1)                    # on the boundary: yes
    assert not in_additive(x, [F(1, 2) + E1 + F(1, 10**9), F(0)], E1)  # just past it: no
    assert not in_additive(x, [F(1, 2), F(-1, 100)], E1, valid_only=True)  # below 0: not a valid image
    assert in_additive(x, [F(1, 2), F(-1, 100)], E1)


def test_in_functional_yes_and_no():
    x = [F(1), F(1, 2), F(0)]
    assert in_functional(x, [F(11, 10), F(11, 20), F(0)], E2)           # c = 1 + eps2: yes
    assert in_functional(x, [F(9, 10), F(9, 20), F(0)], E2)             # c = 1 - eps2: yes
    assert not in_functional(x, [F(11, 10) + F(1, 10**9), F(11, 20) + F(1, 2 * 10**9), F(0)], E2)
    assert not in_functional(x, [F(1), F(1, 2), F(1, 10**9)], E2)       # zero pixel must stay 0
    assert not in_functional(x, [F(1), F(51, 100), F(0)], E2)           # two different ratios
    assert in_functional([F(0), F(0)], [F(0), F(0)], E2)
    assert not in_functional([F(0), F(0)], [F(0), F(1, 100)], E2)
    assert functional_scale(x, [F(21, 20), F(21, 40), F(0)], E2) == F(21, 20)
    assert not in_functional(x, [F(11, 10), F(11, 20), F(0)], E2, valid_only=True)  # 1.1 > 1


def test_in_combined_yes_and_no():
    x = [F(1), F(1, 2)]
    assert in_combined(x, [F(9, 10) - E1, F(9, 20) + E1], E1, E2)     # c = 0.9, d = (-e1, +e1)
    assert not in_combined(x, [F(9, 10) - E1 - F(1, 10**9), F(9, 20)], E1, E2)
    # each pixel alone is reachable, but pixel 0 needs c in [0.88, 0.92] and pixel 1
    # needs c in [0.96, 1.04]: no common c, so no
    assert combined_scales(x, [F(9, 10), F(1, 2)], E1, E2) is None
    assert not in_combined(x, [F(9, 10), F(1, 2)], E1, E2)
    # a zero pixel only admits the additive part
    assert in_combined([F(0), F(1)], [E1, F(1)], E1, E2)
    assert not in_combined([F(0), F(1)], [E1 + F(1, 10**9), F(1)], E1, E2)
    assert not in_combined(x, [F(11, 10), F(11, 20)], E1, E2, valid_only=True)
    assert in_combined(x, [F(11, 10), F(11, 20)], E1, E2)


def test_boundary_needs_exact_arithmetic():
    # x_0 = eps1/eps2 exactly: darkening by 1 - eps2 moves it by exactly eps1, which the
    # additive model still allows, so the image is dark and the construction fails.
    x = [F(1, 5), F(0)]
    assert F(1, 10) * F(1, 5) == E1 and is_dark(x, E1, E2)
    cand = witness_candidate(x, E1, E2)
    assert cand == [F(9, 50), F(1, 50)]
    assert in_additive(x, cand, E1)
    # In doubles the same question gets contradictory answers: eps2 * x_0 > eps1 says
    # "not dark", yet the move |x_0 - 0.9 x_0| < eps1 says "additive".
    assert 0.1 * 0.2 > 0.02 and abs(0.2 - 0.9 * 0.2) < 0.02


# --------------------------------------------------------------------------- (b) property

pixels = st.one_of(
    st.fractions(min_value=0, max_value=1, max_denominator=1000),
    st.integers(0, 255).map(lambda p: F(p, 255)),
    st.sampled_from([F(0), F(1)]),
)
images = st.lists(pixels, min_size=1, max_size=20)
# 0 < eps1 < eps2 < 1 as a/q < b/q, drawn without filtering
budgets = st.integers(3, 500).flatmap(
    lambda q: st.lists(st.integers(1, q - 1), min_size=2, max_size=2, unique=True)
    .map(lambda ab: (F(min(ab), q), F(max(ab), q))))
fast = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(x=images, eps=budgets)
def test_theorem1_property(x, eps):
    e1, e2 = eps
    if len(x) >= 2 and max(x) > e1 / e2:
        event("not dark, n >= 2: witness")
        w = witness(x, e1, e2)
        assert separates(x, w, e1, e2)
        assert separates(x, w, e1, e2, valid_only=True)   # e2 < 1: the witness is a valid image
    else:
        event("dark or n = 1: ValueError")
        with pytest.raises(ValueError):
            witness(x, e1, e2)


@fast
@given(x=images, eps=budgets, t=st.fractions(-1, 1, max_denominator=100),
       d=st.data())
def test_membership_is_sound(x, eps, t, d):
    """Points built from the definitions are recognised: c x, x + delta, c x + delta."""
    e1, e2 = eps
    c = 1 + t * e2
    delta = [u * e1 for u in d.draw(st.lists(st.fractions(-1, 1, max_denominator=100),
                                             min_size=len(x), max_size=len(x)))]
    assert in_functional(x, [c * v for v in x], e2)
    assert in_additive(x, [v + dv for v, dv in zip(x, delta)], e1)
    y = [c * v + dv for v, dv in zip(x, delta)]
    assert in_combined(x, y, e1, e2)
    lo, hi = combined_scales(x, y, e1, e2)
    assert lo <= c <= hi
    for cc in (lo, hi, (lo + hi) / 2):                     # every returned c really works
        assert max(abs(yk - cc * v) for yk, v in zip(y, x)) <= e1


# --------------------------------------------------------------------------- (c) dark images

@fast
@given(x=images, eps=budgets, t=st.fractions(-1, 1, max_denominator=100))
def test_dark_images_functional_is_additive(x, eps, t):
    """If every pixel is <= eps1/eps2, every c x is already an additive perturbation."""
    e1, e2 = eps
    thr = dark_threshold(e1, e2)
    dark = [v * thr for v in x]                            # scale into [0, eps1/eps2]
    assert is_dark(dark, e1, e2)
    assert in_additive(dark, [(1 + t * e2) * v for v in dark], e1)
    if len(dark) >= 2:
        with pytest.raises(ValueError, match="dark"):
            witness(dark, e1, e2)
        # the proof's construction, forced anyway, is additive: it separates nothing
        assert in_additive(dark, witness_candidate(dark, e1, e2), e1)


@fast
@given(x=images, eps=budgets)
def test_dark_iff_functional_inside_additive(x, eps):
    """The hypothesis is exactly the condition for t_func(x) to reach outside t_add(x).

    t_func(x) is a segment and t_add(x) a box, so checking both ends decides inclusion.
    """
    e1, e2 = eps
    ends_inside = all(in_additive(x, [c * v for v in x], e1) for c in (1 - e2, 1 + e2))
    assert ends_inside == is_dark(x, e1, e2)


@fast
@given(x=images, eps=budgets)
def test_condition_is_sufficient_not_necessary(x, eps):
    """Every non-zero image, dark or not, n = 1 included, has a separating point."""
    e1, e2 = eps
    if max(x) == 0:
        with pytest.raises(ValueError, match="all-zero"):
            one_pixel_witness(x, e1, e2)
        return
    for direction in ("up", "down"):
        assert separates(x, one_pixel_witness(x, e1, e2, direction=direction), e1, e2)
    w = one_pixel_witness(x, e1, e2)
    if 2 * e1 + e2 <= 1:                                   # then it is also a valid image
        assert separates(x, w, e1, e2, valid_only=True)


def test_dark_mnist_like_example():
    x = [F(0), F(1, 5), F(1, 10)]                          # max pixel exactly eps1/eps2
    assert is_dark(x, E1, E2)
    assert in_additive(x, [F(9, 10) * v for v in x], E1)
    assert in_additive(x, [F(11, 10) * v for v in x], E1)
    w = one_pixel_witness(x, E1, E2)
    assert w == [F(0), F(11, 50) + E1, F(11, 100)]
    assert separates(x, w, E1, E2, valid_only=True)
    # just above the threshold the proof's witness works again
    y = [F(0), F(1, 5) + F(1, 10**6), F(1, 10)]
    assert not is_dark(y, E1, E2)
    assert separates(y, witness(y, E1, E2), E1, E2)


def test_zero_image_combined_equals_additive():
    """For x = 0, c x + d = d: the combined model is exactly the additive one."""
    x = [F(0), F(0), F(0)]
    for y in ([E1, -E1, F(0)], [E1 + F(1, 10**9), F(0), F(0)], [F(1, 100)] * 3):
        assert in_combined(x, y, E1, E2) == in_additive(x, y, E1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 255), min_size=1, max_size=12).filter(any),
       st.integers(1, 499), st.integers(1, 999))
def test_clipped_witness_is_a_valid_separating_image(pixels, a, b):
    from stego_lib.theorem1 import clipped_witness
    x = [F(p, 255) for p in pixels]
    e1, e2 = F(a, 1000), F(b, 1000)          # eps1 < 1/2, eps2 < 1, in either order
    w = clipped_witness(x, e1, e2)
    assert all(0 <= v <= 1 for v in w)
    assert in_combined(x, w, e1, e2) and not in_additive(x, w, e1) and not in_functional(x, w, e2)


def test_clipped_witness_example_where_the_full_budget_witnesses_are_invalid():
    from stego_lib.theorem1 import clipped_witness, one_pixel_witness
    x, e1, e2 = [F(3, 5)], F(2, 5), F(1, 2)
    assert 2 * e1 + e2 > 1
    assert one_pixel_witness(x, e1, e2, direction="up") == [F(13, 10)]
    assert one_pixel_witness(x, e1, e2, direction="down") == [F(-1, 10)]
    assert clipped_witness(x, e1, e2) == [F(0)]
    with pytest.raises(ValueError, match="all-zero"):
        clipped_witness([F(0), F(0)], e1, e2)
