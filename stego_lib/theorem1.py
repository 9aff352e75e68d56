"""Theorem 1 of Laidlaw & Feizi (NeurIPS 2019), checked in exact arithmetic.

Images are vectors ``x`` in ``[0, 1]^n`` (grayscale, flattened). For budgets
``0 < eps1 < eps2`` the paper compares three threat models around ``x``:

- additive:   ``t_add(x)  = {x' : ||x' - x||_inf <= eps1}``
- functional: ``t_func(x) = {c x : c in [1 - eps2, 1 + eps2]}``
- combined:   ``t_combined(x) = {c x + d : c in [1 - eps2, 1 + eps2], ||d||_inf <= eps1}``

**Theorem 1.** If ``n >= 2`` and some pixel satisfies ``x_i > eps1 / eps2`` (the image
is *not dark*), then ``t_combined(x)`` contains a point that lies in neither
``t_add(x)`` nor ``t_func(x)``.

:func:`witness` builds such a point: darken the whole image by the largest allowed
factor ``c = 1 - eps2`` (pixel ``i`` then moves by ``eps2 x_i > eps1``, too far for
``t_add``), and add ``eps1`` to one other pixel ``j`` (no single factor ``c`` now fits
both ``i`` and ``j``, so it is not in ``t_func``).

Every function works on :class:`fractions.Fraction` values: floats are converted
exactly (``Fraction(0.1)`` is the binary double, not 1/10), and strings such as
``"1/50"`` are parsed. No comparison is ever made in floating point, so a witness
that sits exactly on a boundary is classified correctly.

**Clipping.** The paper's sets are subsets of ``R^n``; it never clips. Pass
``valid_only=True`` to the membership functions to intersect each set with the valid
images ``[0, 1]^n``. For ``eps2 <= 1`` the witness lies in ``[0, 1]^n``, so the theorem
holds for the clipped models as well.

**Dark images.** If every pixel is ``<= eps1 / eps2`` then ``|c - 1| x_k <= eps1`` for
every allowed ``c``, so ``t_func(x)`` is a subset of ``t_add(x)`` and the union is just
``t_add(x)``. The theorem's condition is sufficient, not necessary:
:func:`one_pixel_witness` separates the combined model from both others for every
image except the all-zero one (where ``t_combined(x) == t_add(x)``). It stays in
``[0, 1]^n`` whenever ``2 eps1 + eps2 <= 1``.

Example:
    >>> from fractions import Fraction as F
    >>> x = [F(1), F(0)]
    >>> w = witness(x, "1/50", "1/10")
    >>> w
    [Fraction(9, 10), Fraction(1, 50)]
    >>> in_combined(x, w, "1/50", "1/10"), in_additive(x, w, "1/50"), in_functional(x, w, "1/10")
    (True, False, False)
"""
from __future__ import annotations

import numbers
from fractions import Fraction
from typing import Iterable, Sequence

__all__ = [
    "clipped_witness",
    "to_fraction", "to_fractions", "from_uint8",
    "in_additive", "in_functional", "in_combined",
    "functional_scale", "combined_scales",
    "is_dark", "dark_threshold",
    "witness_candidate", "witness", "one_pixel_witness",
    "randomised_check",
]


# --------------------------------------------------------------------------- conversion

def to_fraction(v, *, name: str = "value") -> Fraction:
    """Convert ``v`` exactly to a :class:`Fraction`.

    Accepts ints (also numpy integers), Fractions and other rationals, finite floats
    (converted exactly: ``to_fraction(0.1) != Fraction(1, 10)``) and strings
    such as ``"1/50"`` or ``"0.02"`` (parsed as decimals, so ``"0.02" == 1/50``).

    Raises:
        TypeError: ``v`` is a bool or of another type.
        ValueError: ``v`` is a float NaN/inf or an unparsable string.
    """
    if isinstance(v, bool):
        raise TypeError(f"{name} must be a number, got bool {v!r}")
    if isinstance(v, Fraction):
        return v
    if isinstance(v, numbers.Rational):
        return Fraction(int(v.numerator), int(v.denominator))
    if isinstance(v, numbers.Real) and not isinstance(v, numbers.Rational):
        f = float(v)
        if f != f or f in (float("inf"), float("-inf")):
            raise ValueError(f"{name} must be finite, got {v!r}")
        return Fraction(f)
    if isinstance(v, str):
        try:
            return Fraction(v.strip())
        except (ValueError, ZeroDivisionError) as err:
            raise ValueError(f"{name} must be a number such as '1/50', got {v!r}") from err
    raise TypeError(f"{name} must be an int, float, Fraction or str, got {type(v).__name__}")


def to_fractions(xs: Iterable, *, name: str = "x") -> list[Fraction]:
    """Convert a flat sequence (or any array-like with ``.ravel()``) to a list of Fractions."""
    if hasattr(xs, "ravel"):      # numpy array / torch tensor of any shape: flatten
        xs = xs.ravel().tolist()
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Iterable):
        raise TypeError(f"{name} must be a sequence of numbers, got {type(xs).__name__}")
    return [to_fraction(v, name=f"{name}[{k}]") for k, v in enumerate(xs)]


def from_uint8(pixels) -> list[Fraction]:
    """uint8 pixels (any shape) -> flat list of exact values ``p / 255`` in [0, 1]."""
    import numpy as np  # only here: the rest of the module is pure Python

    out = [Fraction(int(p), 255) for p in to_fractions(np.asarray(pixels).ravel(), name="pixels")]
    bad = [p for p in out if not 0 <= p <= 1]
    if bad:
        raise ValueError(f"pixels must be uint8 values in 0..255, got {bad[0] * 255}")
    return out


def _image(x, name: str = "x") -> list[Fraction]:
    xs = to_fractions(x, name=name)
    if not xs:
        raise ValueError(f"{name} must have at least one pixel, got an empty sequence")
    for k, v in enumerate(xs):
        if not 0 <= v <= 1:
            raise ValueError(f"{name} must lie in [0, 1], got {name}[{k}] = {v}")
    return xs


def _pair(x, x_adv) -> tuple[list[Fraction], list[Fraction]]:
    xs = _image(x)
    ys = to_fractions(x_adv, name="x_adv")
    if len(ys) != len(xs):
        raise ValueError(f"x and x_adv must have the same length, got {len(xs)} and {len(ys)}")
    return xs, ys


def _budget(eps, name: str) -> Fraction:
    e = to_fraction(eps, name=name)
    if e <= 0:
        raise ValueError(f"{name} must be > 0, got {e}")
    return e


def _valid(ys: Sequence[Fraction]) -> bool:
    return all(0 <= y <= 1 for y in ys)


# --------------------------------------------------------------------------- membership

def in_additive(x, x_adv, eps1, *, valid_only: bool = False) -> bool:
    """Is ``x_adv`` in ``t_add(x) = {x' : ||x' - x||_inf <= eps1}``? Exact.

    Args:
        x: the image, n values in [0, 1].
        x_adv: the candidate, n values.
        eps1: the L-inf budget (> 0), in pixel units on the [0, 1] scale.
        valid_only: also require ``x_adv`` in ``[0, 1]^n``.

    Raises:
        ValueError: lengths differ, ``x`` outside [0, 1], or ``eps1 <= 0``.
    """
    xs, ys = _pair(x, x_adv)
    e1 = _budget(eps1, "eps1")
    if valid_only and not _valid(ys):
        return False
    return all(abs(y - v) <= e1 for v, y in zip(xs, ys))


def functional_scale(x, x_adv, eps2) -> Fraction | None:
    """The factor ``c`` in ``[1 - eps2, 1 + eps2]`` with ``x_adv == c x``, or None.

    Each pixel with ``x_k > 0`` pins ``c = x_adv_k / x_k``; a pixel with ``x_k == 0``
    leaves ``c`` free but forces ``x_adv_k == 0``. When all pixels are zero any ``c``
    works and ``1`` is returned.
    """
    xs, ys = _pair(x, x_adv)
    e2 = _budget(eps2, "eps2")
    c = None
    for v, y in zip(xs, ys):
        if v == 0:
            if y != 0:
                return None
        elif c is None:
            c = y / v
        elif y / v != c:
            return None
    if c is None:
        return Fraction(1)
    return c if 1 - e2 <= c <= 1 + e2 else None


def in_functional(x, x_adv, eps2, *, valid_only: bool = False) -> bool:
    """Is ``x_adv`` in ``t_func(x) = {c x : c in [1 - eps2, 1 + eps2]}``? Exact.

    Raises:
        ValueError: lengths differ, ``x`` outside [0, 1], or ``eps2 <= 0``.
    """
    xs, ys = _pair(x, x_adv)
    if valid_only and not _valid(ys):
        return False
    return functional_scale(xs, ys, eps2) is not None


def combined_scales(x, x_adv, eps1, eps2) -> tuple[Fraction, Fraction] | None:
    """The interval of factors ``c`` with ``x_adv - c x`` inside the eps1 box, or None.

    Pixel k with ``x_k > 0`` allows ``c`` in ``[(x_adv_k - eps1) / x_k, (x_adv_k + eps1) / x_k]``;
    a pixel with ``x_k == 0`` allows every ``c`` if ``|x_adv_k| <= eps1`` and none otherwise.
    The answer is the intersection of these intervals with ``[1 - eps2, 1 + eps2]``.
    """
    xs, ys = _pair(x, x_adv)
    e1, e2 = _budget(eps1, "eps1"), _budget(eps2, "eps2")
    lo, hi = 1 - e2, 1 + e2
    for v, y in zip(xs, ys):
        if v == 0:
            if abs(y) > e1:
                return None
        else:
            lo, hi = max(lo, (y - e1) / v), min(hi, (y + e1) / v)
    return (lo, hi) if lo <= hi else None


def in_combined(x, x_adv, eps1, eps2, *, valid_only: bool = False) -> bool:
    """Is ``x_adv`` in ``t_combined(x) = {c x + d : |c - 1| <= eps2, ||d||_inf <= eps1}``? Exact.

    Raises:
        ValueError: lengths differ, ``x`` outside [0, 1], or a budget ``<= 0``.
    """
    xs, ys = _pair(x, x_adv)
    if valid_only and not _valid(ys):
        return False
    return combined_scales(xs, ys, eps1, eps2) is not None


# --------------------------------------------------------------------------- the theorem

def dark_threshold(eps1, eps2) -> Fraction:
    """``eps1 / eps2``: an image is dark when no pixel exceeds it."""
    return _budget(eps1, "eps1") / _budget(eps2, "eps2")


def is_dark(x, eps1, eps2) -> bool:
    """True when every pixel is ``<= eps1 / eps2`` (the theorem does not apply)."""
    t = dark_threshold(eps1, eps2)
    return all(v <= t for v in _image(x))


def witness_candidate(x, eps1, eps2, *, i: int | None = None, j: int | None = None) -> list[Fraction]:
    """The proof's construction, without checking the theorem's hypotheses.

    Returns ``(1 - eps2) x + eps1 e_j``: the whole image darkened by the factor
    ``1 - eps2`` and pixel ``j`` raised by ``eps1``. By default ``i`` is the brightest
    pixel (first one on ties) and ``j`` the first other index. Useful to see the
    construction fail on dark images; use :func:`witness` for the checked version.

    Raises:
        ValueError: ``n < 2``, ``i == j`` or an index out of range.
    """
    xs = _image(x)
    e1, e2 = _budget(eps1, "eps1"), _budget(eps2, "eps2")
    n = len(xs)
    if n < 2:
        raise ValueError(f"the construction needs n >= 2 pixels, got n = {n}")
    if i is None:
        i = max(range(n), key=lambda k: (xs[k], -k))
    if j is None:
        j = 0 if i != 0 else 1
    if not (0 <= i < n and 0 <= j < n) or i == j:
        raise ValueError(f"i and j must be two different indices in 0..{n - 1}, got i={i}, j={j}")
    w = [(1 - e2) * v for v in xs]
    w[j] += e1
    return w


def witness(x, eps1, eps2) -> list[Fraction]:
    """A point of ``t_combined(x)`` that lies in neither ``t_add(x)`` nor ``t_func(x)``.

    Theorem 1 (Laidlaw & Feizi 2019): for ``x`` in ``[0, 1]^n`` with ``n >= 2``,
    ``0 < eps1 < eps2`` and some pixel ``x_i > eps1 / eps2``, the combined threat
    model strictly contains the union of the additive and functional ones. The
    witness is ``w = (1 - eps2) x + eps1 e_j`` with ``i`` the brightest pixel and
    ``j != i``:

    - ``w`` is in ``t_combined(x)``: ``c = 1 - eps2``, ``d = eps1 e_j``;
    - not in ``t_add(x)``: ``|w_i - x_i| = eps2 x_i > eps1``;
    - not in ``t_func(x)``: pixel ``i`` forces ``c = 1 - eps2``, but then pixel ``j``
      would need ``eps1 = 0``.

    For ``eps2 <= 1`` all its pixels lie in ``[0, 1]`` (``w_j <= 1 - eps2 + eps1 < 1``).

    Args:
        x: the image, n values in [0, 1] (Fractions, ints, floats or strings).
        eps1: additive L-inf budget, > 0.
        eps2: functional budget, > eps1.

    Returns:
        The witness as a list of Fractions.

    Raises:
        ValueError: ``n < 2``, ``eps2 <= eps1``, or the image is dark (no pixel > eps1/eps2).

    Example:
        >>> witness([1, "1/2", 0], "1/50", "1/10")
        [Fraction(9, 10), Fraction(47, 100), Fraction(0, 1)]
    """
    xs = _image(x)
    e1, e2 = _budget(eps1, "eps1"), _budget(eps2, "eps2")
    if len(xs) < 2:
        raise ValueError(f"Theorem 1 needs n >= 2 pixels, got n = {len(xs)}")
    if e2 <= e1:
        raise ValueError(f"Theorem 1 needs eps2 > eps1, got eps1 = {e1}, eps2 = {e2}")
    if is_dark(xs, e1, e2):
        raise ValueError(f"Theorem 1 needs a pixel > eps1/eps2 = {e1 / e2} (the image is dark), "
                         f"got max pixel {max(xs)}")
    return witness_candidate(xs, e1, e2)


def one_pixel_witness(x, eps1, eps2, *, direction: str = "auto") -> list[Fraction]:
    """A separating point for every non-zero image, dark or not, any ``n >= 1``.

    With ``i`` the brightest pixel (value ``m > 0``) and ``s = +1`` (brighten) or
    ``-1`` (darken), returns ``(1 + s eps2) x + s eps1 e_i``. Pixel ``i`` moves by
    ``eps2 m + eps1 > eps1`` (not additive) and its ratio ``1 + s (eps2 + eps1 / m)``
    lies outside ``[1 - eps2, 1 + eps2]`` (not functional). No ordering of ``eps1``
    and ``eps2`` is needed.

    ``direction="auto"`` brightens if the result stays in ``[0, 1]`` (needs
    ``(1 + eps2) m + eps1 <= 1``), else darkens if that stays in range (needs
    ``(1 - eps2) m >= eps1``), else brightens. When ``2 eps1 + eps2 <= 1`` one of the
    two always stays in range.

    Raises:
        ValueError: ``x`` is all zeros (then ``t_combined(x) == t_add(x)``: nothing
            separates), or ``direction`` is not ``"auto"``, ``"up"`` or ``"down"``.
    """
    if direction not in ("auto", "up", "down"):
        raise ValueError(f"direction must be 'auto', 'up' or 'down', got {direction!r}")
    xs = _image(x)
    e1, e2 = _budget(eps1, "eps1"), _budget(eps2, "eps2")
    m = max(xs)
    if m == 0:
        raise ValueError("the all-zero image has no witness: t_combined(0) equals t_add(0), got x = 0")
    i = xs.index(m)

    def build(s: int) -> list[Fraction]:
        w = [(1 + s * e2) * v for v in xs]
        w[i] += s * e1
        return w

    if direction == "up":
        return build(+1)
    if direction == "down":
        return build(-1)
    for s in (+1, -1):
        w = build(s)
        if _valid(w):
            return w
    return build(+1)


def clipped_witness(x, eps1, eps2) -> list[Fraction]:
    """A separating point that is also a valid image, using less than the full budget.

    With ``i`` the brightest pixel (value ``m``) and ``eps2 < 1``: darken every pixel by
    ``1 - eps2`` and set pixel ``i`` to ``max(0, (1 - eps2) m - eps1)`` when ``m > eps1``;
    otherwise brighten by ``1 + eps2`` and set pixel ``i`` to
    ``min(1, (1 + eps2) m + eps1)``, which works when ``m + eps1 < 1`` and
    ``(1 + eps2) m < 1``. For ``eps1 < 1/2`` one of the two always applies to a non-zero
    image, so the conclusion of Theorem 1 survives clipping to ``[0, 1]^n`` even where the
    full-budget :func:`one_pixel_witness` leaves it.

    Raises:
        ValueError: ``x`` is all zeros, ``eps2 >= 1``, or neither construction applies.

    Example:
        >>> from fractions import Fraction as F
        >>> x = [F(3, 5)]
        >>> w = clipped_witness(x, "2/5", "1/2")
        >>> w, in_combined(x, w, "2/5", "1/2"), in_additive(x, w, "2/5"), in_functional(x, w, "1/2")
        ([Fraction(0, 1)], True, False, False)
    """
    xs = _image(x)
    e1, e2 = _budget(eps1, "eps1"), _budget(eps2, "eps2")
    if e2 >= 1:
        raise ValueError(f"clipped_witness needs eps2 < 1, got eps2 = {e2}")
    m = max(xs)
    if m == 0:
        raise ValueError("the all-zero image has no witness: t_combined(0) equals t_add(0), got x = 0")
    i = xs.index(m)
    if m > e1:
        w = [(1 - e2) * v for v in xs]
        w[i] = max(Fraction(0), (1 - e2) * m - e1)
        return w
    if m + e1 < 1 and (1 + e2) * m < 1:
        w = [(1 + e2) * v for v in xs]
        w[i] = min(Fraction(1), (1 + e2) * m + e1)
        return w
    raise ValueError(f"neither construction applies: brightest pixel {m}, eps1 = {e1}, "
                     f"eps2 = {e2} (needs m > eps1, or m + eps1 < 1 and (1 + eps2) m < 1)")


# --------------------------------------------------------------------------- the randomised check
def _counts_in_trial(counts: dict, xr: list[Fraction], r1: Fraction, r2: Fraction) -> None:
    """Classify one trial (image ``xr``, budgets ``r1 < r2``) and check every witness exactly."""
    n = len(xr)
    counts["trials"] += 1
    if n >= 2 and not is_dark(xr, r1, r2):
        counts["applies"] += 1
        wr = witness(xr, r1, r2)
        counts["witness_ok"] += (in_combined(xr, wr, r1, r2) and not in_additive(xr, wr, r1)
                                 and not in_functional(xr, wr, r2))
        counts["witness_valid"] += all(0 <= v <= 1 for v in wr)
    else:
        counts["dark_or_n1"] += 1
        try:
            witness(xr, r1, r2)
        except ValueError:
            counts["refused"] += 1
    if is_dark(xr, r1, r2):
        counts["dark"] += 1
        counts["func_in_add_when_dark"] += all(
            in_additive(xr, [c * v for v in xr], r1) for c in (1 - r2, 1 + r2))
    if max(xr) > 0:
        counts["nonzero"] += 1
        wo = one_pixel_witness(xr, r1, r2)
        counts["one_pixel_ok"] += (in_combined(xr, wo, r1, r2) and not in_additive(xr, wo, r1)
                                   and not in_functional(xr, wo, r2))
        if r1 < Fraction(1, 2):
            counts["clip_cases"] += 1
            wv = clipped_witness(xr, r1, r2)
            counts["clip_ok"] += (all(0 <= v <= 1 for v in wv) and in_combined(xr, wv, r1, r2)
                                  and not in_additive(xr, wv, r1)
                                  and not in_functional(xr, wv, r2))


def randomised_check(n_trials: int, seed: int) -> dict:
    """Draw ``n_trials`` random images of 1 to 20 pixels (each under a random brightness
    ceiling, so that some come out dark) with random budgets ``0 < eps1 < eps2 < 1`` of
    denominator 1000, classify each trial and check its witnesses exactly. Returns the counts:
    ``applies`` (the theorem's condition holds) against ``witness_ok`` and ``witness_valid``,
    ``dark_or_n1`` against ``refused``, ``dark`` against ``func_in_add_when_dark``,
    ``nonzero`` against ``one_pixel_ok``, ``clip_cases`` against ``clip_ok``.

    Example:
        >>> c = randomised_check(50, seed=0)
        >>> c["trials"], c["witness_ok"] == c["applies"], c["refused"] == c["dark_or_n1"]
        (50, True, True)
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    counts = dict(trials=0, applies=0, witness_ok=0, witness_valid=0, dark_or_n1=0, refused=0,
                  func_in_add_when_dark=0, dark=0, nonzero=0, one_pixel_ok=0,
                  clip_cases=0, clip_ok=0)
    for _ in range(n_trials):
        n = int(rng.integers(1, 21))
        ceiling = int(rng.integers(0, 256))
        xr = from_uint8(rng.integers(0, ceiling + 1, size=n))
        a, b = sorted(rng.choice(np.arange(1, 1000), size=2, replace=False).tolist())
        _counts_in_trial(counts, xr, Fraction(a, 1000), Fraction(b, 1000))
    return counts

