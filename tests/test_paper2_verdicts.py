"""The verdict of each released Table 1 cell: matches, reproduced by one named setting, or
open; and the fit of each (protocol, scoring) over all cells and the 62 non-trivial ones."""
import numpy as np
import pytest

from stego_lib.experiments.paper2 import verdicts
from stego_lib.experiments.paper2.config import RELEASED_ROWS
from stego_lib.papers import PAPER2_TABLE1_ATTACKS, paper2_accuracy


def _correct(pct: float, n: int = 282) -> np.ndarray:
    k = int(round(pct * n / 100))
    return np.array([True] * k + [False] * (n - k))


def _measured(**choices):
    """{choice: pct} for the S-trained model under S (paper: 26.2 %)."""
    names = {"base": verdicts.BASELINE, "bit8": ("package-2020", "8-bit"),
             "p2019": ("paper-2019", "float"), "p2019_8": ("paper-2019", "8-bit")}
    return {names[k]: {"s": {"S": _correct(v)}} for k, v in choices.items()}


def _one(**choices):
    return verdicts.cells(_measured(**choices), rows=["s"], attacks=["S"])[0]


def test_the_non_trivial_cells_are_the_papers_62():
    cells = [(r, a) for r in RELEASED_ROWS for a in PAPER2_TABLE1_ATTACKS
             if verdicts.nontrivial(r, a)]
    assert len(cells) == 62
    assert all(paper2_accuracy(verdicts.LABELS[r], a) != 0.0 for r, a in cells)


def test_a_cell_within_two_se_under_todays_protocol_matches():
    c = _one(base=26.0, p2019=60.0)
    assert (c["verdict"], c["by"]) == ("matches", None)


def test_a_cell_reproduced_by_one_setting_names_it():
    c = _one(base=6.7, p2019=26.2, bit8=7.0)
    assert (c["verdict"], c["by"]) == ("reproduced by the 2019 protocol", "the 2019 protocol")
    c = _one(base=6.7, p2019=12.0, bit8=25.0)
    assert c["by"] == "8-bit scoring"
    # Two settings at once do not make a single-setting verdict.
    assert _one(base=6.7, p2019=12.0, bit8=7.0, p2019_8=26.2)["verdict"] == "open"


def test_a_cell_no_experiment_reaches_is_open_and_an_uncomputed_one_has_no_verdict():
    assert _one(base=6.7, p2019=12.0)["verdict"] == "open"
    assert _one(p2019=26.2)["verdict"] is None


def test_fit_counts_all_and_non_trivial_cells():
    table = verdicts.cells(_measured(base=6.7, p2019=26.2), rows=["s"], attacks=["S"])
    f = verdicts.fit(table, ("paper-2019", "float"))
    assert (f["computed"], f["within"], f["nontrivial"], f["nontrivial_within"]) == (1, 1, 1, 1)
    assert f["mean_abs"] == pytest.approx(abs(100 * 74 / 282 - 26.2))
    f = verdicts.fit(table, verdicts.BASELINE)
    assert f["nontrivial_within"] == 0 and f["worst"][0]["row"] == "s"


def test_the_committed_released_cells_give_the_known_fit():
    """All 846 images under today's protocol: 37 of 81 cells and 18 of the 62 non-trivial ones
    within two standard errors (derived from the committed cells, not typed in)."""
    table = verdicts.cells(verdicts.grids())
    f = verdicts.fit(table, verdicts.BASELINE)
    assert f["computed"] == 81 and f["nontrivial"] == 62
    assert f["within"] == sum(c["verdict"] == "matches" for c in table)
    assert all(c["verdict"] in ("matches", "open") or c["verdict"].startswith("reproduced by")
               for c in table)


def test_a_setting_on_fewer_images_counts_only_where_the_baseline_misses_on_them():
    # today's protocol: 20.0 % on the first 282 images (within 2 SE of 26.2 there? no:
    # SE 2.6, z -2.4) and far off on all 846; the 2019 protocol on the 282 lands at 24.8 %
    base = np.concatenate([_correct(20.0), _correct(6.0, 564)])
    m = {verdicts.BASELINE: {"s": {"S": base}},
         ("paper-2019", "float"): {"s": {"S": _correct(24.8)}}}
    c = verdicts.cells(m, rows=["s"], attacks=["S"])[0]
    assert c["verdict"] == "reproduced by the 2019 protocol"
    assert c["baseline_on"][282]["near"] is False
    # on those 282 images today's protocol already lands within 2 SE (23.0 %, z -1.3): the
    # setting's 24.8 % does not show that it, rather than the smaller sample, closes the gap
    base = np.concatenate([_correct(23.0), _correct(6.0, 564)])
    m[verdicts.BASELINE] = {"s": {"S": base}}
    c = verdicts.cells(m, rows=["s"], attacks=["S"])[0]
    assert c[verdicts.BASELINE]["near"] is False and c["verdict"] == "open"


def test_a_setting_must_move_the_cell_beyond_the_paired_noise():
    # the baseline misses on all 846 and on the first 282 (7.1 %, paper 10.9 %, z -2.0 on
    # 282 images: just outside); a setting that changes 3 of the 282 images lands at 8.2 %,
    # within two SE of the paper, but its shift (+1.1 ± 0.6) is not beyond two paired SE
    paper = 10.9
    first = np.array([True] * 20 + [False] * 262)
    moved = first.copy()
    moved[20:23] = True
    base = np.concatenate([first, np.zeros(564, bool)])
    m = {verdicts.BASELINE: {"c+s": {"S": base}}, verdicts.FLIP_CROP: {"c+s": {"S": moved}}}
    c = verdicts.cells(m, rows=["c+s"], attacks=["S"])[0]
    assert c["paper"] == paper and c[verdicts.FLIP_CROP]["near"]
    assert c[verdicts.FLIP_CROP]["shift"] > 0 and c["verdict"] == "open"
    # moved by 12 images: beyond two paired standard errors, and within two SE of the paper
    moved[20:32] = True
    m[verdicts.FLIP_CROP] = {"c+s": {"S": moved}}
    c = verdicts.cells(m, rows=["c+s"], attacks=["S"])[0]
    assert c["verdict"] == "reproduced by the 2019 loader's flip and crop"
