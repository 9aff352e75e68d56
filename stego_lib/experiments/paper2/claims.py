"""The conclusions the paper's text draws from Table 1, each written as a test on a table of
accuracies, so that the same test runs on the paper's table and on ours.

A test compares cells with each other or with chance (10 % on CIFAR-10). On the paper's table,
which gives no N, the sign of a difference decides. On ours a difference counts only beyond
two standard errors: every cell holds the same test images, so two cells are compared image by
image (the standard error of the mean per-image difference, a paired test), and a cell is
compared with chance by its binomial standard error. A test says "pending" until every cell
it needs is computed.

Example:
    >>> [c["paper"] for c in claims(None)][:2]
    ['holds', 'holds']
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ...papers import PAPER2_TABLE1_ATTACKS, paper2_accuracy
from ...stats import paired_difference
from .config import LABELS, ROWS
from .summaries import binomial_se
from .table1 import Table1Result

__all__ = ["CHANCE", "CLAIMS", "claims"]

CHANCE = 10.0   # % correct of a random guess among CIFAR-10's ten classes
HOLDS, FAILS, NOISE, PENDING = "holds", "does not hold", "within noise", "pending"
ABSENT = "no such model"   # the table has no row for a model the test reads
_ATTACKS = [a for a in PAPER2_TABLE1_ATTACKS if a != "None"]


@dataclass(frozen=True, eq=False)
class _Cell:
    pct: float
    ok: np.ndarray | None = None   # ours: per image, classified correctly; None: the paper's


class _Missing(Exception):
    """A cell the test needs is not computed yet."""


class _Absent(Exception):
    """A row the test needs is not in the table at all (e.g. a model that was not released)."""


def _se(x: _Cell, y: _Cell) -> float:
    """Standard error (percentage points) of ``x.pct - y.pct``; 0 for the paper's cells."""
    if x.ok is not None and y.ok is not None:
        return paired_difference(x.ok, y.ok)[1]
    one = x.ok if x.ok is not None else y.ok
    return 0.0 if one is None else 100 * binomial_se(float(one.mean()), int(one.size))


def _cmp(x: _Cell, y: _Cell) -> int:
    """+1 if x is above y, -1 if below, 0 if equal or (for ours) within 2 standard errors."""
    d, s = float(x.pct - y.pct), _se(x, y)
    return int(d > 2 * s) - int(d < -2 * s) if s > 0 else int(d > 0) - int(d < 0)


def _verdict(support: bool, against: bool) -> str:
    return HOLDS if support else FAILS if against else NOISE


def _below_chance(acc, cells) -> tuple[str, str]:
    got = [acc(r, a) for r, a in cells]
    signs = [_cmp(c, _Cell(CHANCE)) for c in got]
    return (_verdict(all(s < 0 for s in signs), any(s > 0 for s in signs)),
            " and ".join(f"{c.pct:.1f} %" for c in got))


def _csd_strongest(acc):
    # Rows in which no attack leaves a (significantly) lower accuracy than C+S+D.
    lowest = [all(_cmp(acc(r, a), acc(r, "C+S+D")) >= 0 for a in _ATTACKS) for r in acc.rows]
    k, n = sum(lowest), len(lowest)
    return _verdict(2 * k > n, 2 * k <= n), f"{k} of {n} rows"


def _trades_best(acc):
    # Attacks under which no other model is (significantly) more accurate than TRADES.
    best = [all(_cmp(acc(r, a), acc("trades", a)) <= 0 for r in acc.rows) for a in _ATTACKS]
    k = sum(best)
    return _verdict(k >= 6, k < 6), f"{k} of {len(best)} attacks"


def _c_d_transfer(acc):
    signs = [_cmp(acc("c", "D"), acc("natural", "D")), _cmp(acc("d", "C"), acc("natural", "C"))]
    detail = (f"C-trained under D {acc('c', 'D').pct:.1f} % vs {acc('natural', 'D').pct:.1f} %; "
              f"D-trained under C {acc('d', 'C').pct:.1f} % vs {acc('natural', 'C').pct:.1f} %")
    return _verdict(all(s > 0 for s in signs), any(s < 0 for s in signs)), detail


def _bw_no_defence(acc):
    clean, gains = [], []
    for gray, colour in (("gray", "natural"), ("gray-c", "c")):
        clean.append(_cmp(acc(gray, "None"), acc(colour, "None")))
        gains.append(sum(_cmp(acc(gray, a), acc(colour, a)) > 0 for a in _ATTACKS))
    detail = (f"clean accuracy {'lower' if all(c < 0 for c in clean) else 'not lower'} for both; "
              f"more accurate under {gains[0]} and {gains[1]} of 8 attacks")
    return _verdict(all(c < 0 for c in clean) and max(gains) <= 1,
                    any(c > 0 for c in clean) or max(gains) > 1), detail


def _luv_stronger(acc):
    signs = [_cmp(acc(r, "C"), acc(r, "C-RGB")) for r in acc.rows]
    lower, higher = signs.count(-1), signs.count(1)
    return (_verdict(2 * lower > len(signs), 2 * higher >= len(signs)),
            f"C lower in {lower}, higher in {higher} of {len(signs)} rows")


@dataclass(frozen=True)
class Claim:
    key: str
    claim: str                    # what the paper concludes, in words
    test: str                     # the test run on a table
    check: Callable               # acc(row, attack) -> _Cell  =>  (verdict, detail)
    rows: tuple = ()              # the rows the test reads (empty: every row)
    about: tuple | None = None    # the models the conclusion is about (None: ``rows``)


CLAIMS = (
    Claim("csd_strongest", "Combining all three threat models gives the strongest attack",
          "in more than half of the rows no attack leaves a lower accuracy than C+S+D",
          _csd_strongest),
    Claim("csd_trained", "Training against C+S+D does not protect against C+S+D",
          "the C+S+D-trained model under C+S+D is below chance (10 %)",
          lambda acc: _below_chance(acc, [("c+s+d", "C+S+D")]), ("c+s+d",)),
    Claim("trades_best", "TRADES is the best defence against almost all attacks",
          "under at least 6 of the 8 attacks no model is more accurate than TRADES",
          _trades_best, about=("trades",)),
    Claim("trades_csd", "C+S+D still defeats TRADES",
          "TRADES under C+S+D is below chance (10 %)",
          lambda acc: _below_chance(acc, [("trades", "C+S+D")]), ("trades",)),
    Claim("s_separate", "Models trained against S stay very vulnerable to C and to D",
          "the S-trained model under C and under D is below chance (10 %)",
          lambda acc: _below_chance(acc, [("s", "C"), ("s", "D")]), ("s",)),
    Claim("c_d_transfer", "Robustness to C and to D carries over to each other",
          "the C-trained model under D, and the D-trained model under C, are more accurate "
          "than the undefended model", _c_d_transfer, ("natural", "c", "d")),
    Claim("bw_no_defence", "Grayscale conversion is no defence",
          "each B&W model is less accurate on clean images than its colour counterpart, and "
          "more accurate under at most 1 of the 8 attacks", _bw_no_defence,
          ("natural", "c", "gray", "gray-c")),
    Claim("luv_stronger", "ReColorAdv in CIELUV is stronger than in RGB",
          "in more than half of the rows C leaves a lower accuracy than C-RGB", _luv_stronger),
)


class _Paper:
    """The paper's table: every row."""

    rows = tuple(ROWS)

    def __call__(self, row: str, attack: str) -> _Cell:
        return _Cell(paper2_accuracy(LABELS[row], attack))


class _Ours:
    """A computed table: the rows of its config (a row outside them is absent)."""

    def __init__(self, res: Table1Result):
        self.res, self.rows = res, tuple(res.config.rows)

    def __call__(self, row: str, attack: str) -> _Cell:
        if row not in self.rows:
            raise _Absent(row)
        ok = self.res.correct.get(row, {}).get(attack)
        if ok is None:
            raise _Missing(f"{row} × {attack}")
        return _Cell(100 * float(ok.mean()), np.asarray(ok, bool))


def claims(res: Table1Result | None) -> list[dict]:
    """Each of :data:`CLAIMS` run on the paper's table and on ours: ``key``, ``claim``,
    ``test``, ``rows`` (the rows it reads; empty: every row), ``about`` (the models the
    conclusion is about: a test that reads every row can still be about one model; empty: it is
    about attacks, not models), ``paper`` and ``ours`` (``"holds"``, ``"does not hold"``,
    ``"within noise"``, or for ours ``"pending"``, or ``"no such model"`` when the test reads
    a row that ``res`` does not have, e.g. a model the authors did not release),
    ``paper_detail`` and ``ours_detail`` (the numbers behind the verdict; empty while pending).
    A test that reads every row reads the rows ``res`` has."""
    out = []
    for c in CLAIMS:
        paper, paper_detail = c.check(_Paper())
        ours, ours_detail = PENDING, ""
        if res is not None:
            try:
                ours, ours_detail = c.check(_Ours(res))
            except _Missing:
                pass
            except _Absent as err:
                ours, ours_detail = ABSENT, f"no {LABELS[str(err)]} model"
        out.append({"key": c.key, "claim": c.claim, "test": c.test, "rows": c.rows,
                    "about": c.rows if c.about is None else c.about, "paper": paper,
                    "paper_detail": paper_detail, "ours": ours, "ours_detail": ours_detail})
    return out
