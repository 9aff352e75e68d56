"""The paper's conclusions as tests on a table: they hold on the paper's own table, follow the
cells of ours, respect the standard errors, and wait for missing cells."""
import numpy as np
import pytest

from stego_lib import papers
from stego_lib.experiments import paper2
from stego_lib.experiments.paper2.claims import CLAIMS, claims


def _table(n: int, change: dict | None = None) -> paper2.Table1Result:
    """Our result with every cell set to the paper's accuracy (rounded to n images), except the
    cells in ``change`` ({(row, attack): percent}); a value of None leaves the cell out."""
    change = change or {}
    res = paper2.Table1Result(paper2.make_config("quick"), np.zeros(n, np.int64), "test")
    for row, label in paper2.LABELS.items():
        for a in paper2.ATTACKS:
            pct = change.get((row, a), papers.paper2_accuracy(label, a))
            if pct is not None:
                res.correct.setdefault(row, {})[a] = np.arange(n) < round(pct / 100 * n)
    res.correct_uint8 = res.correct
    return res


def _verdicts(res, side="ours"):
    return {c["key"]: c[side] for c in claims(res)}


def test_every_claim_holds_on_the_papers_table():
    got = claims(None)
    assert [c["key"] for c in got] == [c.key for c in CLAIMS]
    assert all(c["paper"] == "holds" and c["ours"] == "pending" for c in got)
    by = {c["key"]: c for c in got}
    assert by["csd_strongest"]["paper_detail"] == "8 of 11 rows"
    assert by["s_separate"]["paper_detail"] == "8.0 % and 0.5 %"


def test_the_papers_numbers_on_many_images_reproduce_its_verdicts():
    assert set(_verdicts(_table(100_000)).values()) == {"holds"}


def test_a_contradicting_cell_fails_and_a_close_one_is_noise():
    v = _verdicts(_table(200, {("s", "C"): 40.0}))
    assert v["s_separate"] == "does not hold" and v["csd_trained"] == "holds"
    assert _verdicts(_table(200, {("s", "C"): 11.0}))["s_separate"] == "within noise"
    # B&W more accurate than colour under two attacks, far beyond the noise.
    v = _verdicts(_table(200, {("gray", "C"): 40.0, ("gray", "C-RGB"): 40.0}))
    assert v["bw_no_defence"] == "does not hold"
    # A model trained against D that does no better than the undefended one under C.
    assert _verdicts(_table(200, {("d", "C"): 3.0}))["c_d_transfer"] == "within noise"
    assert _verdicts(_table(200, {("trades", "C+S+D"): 30.0}))["trades_csd"] == "does not hold"


def test_the_paper_side_never_depends_on_ours():
    mine = claims(_table(200, {("s", "C"): 40.0}))
    assert [c["paper"] for c in mine] == [c["paper"] for c in claims(None)]


def test_a_missing_cell_leaves_only_its_claims_pending():
    v = _verdicts(_table(200, {("trades", "C+S+D"): None}))
    assert v["trades_csd"] == "pending" and v["trades_best"] == "pending"
    assert v["csd_strongest"] == "pending"      # needs every row under every attack
    assert v["c_d_transfer"] == "holds" and v["bw_no_defence"] == "holds"
    assert v["s_separate"] == "within noise"    # 8.0 % against chance: 1.4 SE at N = 200
    one_row = _table(200)
    one_row.correct = {"natural": one_row.correct["natural"]}
    assert set(_verdicts(one_row).values()) == {"pending"}


@pytest.mark.parametrize("c", claims(None), ids=lambda c: c["key"])
def test_every_claim_states_its_test(c):
    assert c["claim"] and c["test"] and c["paper_detail"]
    assert set(c["rows"]) <= set(paper2.ROWS)
    # A conclusion is about models the test reads (a test that reads every row reads them all).
    assert set(c["about"]) <= set(c["rows"] or paper2.ROWS)


def test_what_a_claim_is_about():
    by = {c["key"]: c for c in claims(None)}
    assert by["trades_best"]["about"] == ("trades",) and by["trades_best"]["rows"] == ()
    assert by["s_separate"]["about"] == ("s",)          # by default, the rows it reads
    assert by["csd_strongest"]["about"] == ()            # about an attack, not a model


def test_cells_are_compared_image_by_image():
    from stego_lib.experiments.paper2.claims import _Cell, _cmp
    n = 200
    cell = lambda ok: _Cell(100 * ok.mean(), ok)
    ten, twenty = np.arange(n) < 10, np.arange(n) < 20         # 5 % and 10 %, nested
    assert _cmp(cell(twenty), cell(ten)) == 1                  # 10 images differ, all one way
    apart = (np.arange(n) >= 10) & (np.arange(n) < 30)          # 10 %, none shared with `ten`
    assert _cmp(cell(apart), cell(ten)) == 0                    # 30 images differ, both ways
    assert _cmp(cell(ten), cell(ten)) == 0
    assert _cmp(_Cell(5.0), _Cell(10.0)) == -1                  # the paper's: the sign decides


def test_the_claims_table_and_summary():
    from stego_lib.plotting import paper2_table1 as plots
    pending = claims(None)
    t = plots.claims_table(pending)
    assert len(t.rows) == len(CLAIMS) and t.rows[0][2] == "holds (8 of 11 rows)"
    assert t.rows[0][3] == "pending"
    assert plots.claims_summary(pending).startswith("None of these tests")
    text = plots.claims_summary(claims(_table(200, {("s", "C"): 40.0})))
    assert text.startswith("All 8 tests run on our table: 7 hold, 1 does not")
    assert "contradict \u201cModels trained against S stay very vulnerable to C and to D\u201d." in text
    one_pending = claims(_table(200, {("trades", "C+S+D"): None}))
    assert plots.claims_summary(one_pending).startswith("5 of the 8 tests can run on our table so far")


def test_the_list_of_differences():
    from stego_lib.plotting import paper2_table1 as plots
    diffs = [{"label": "C", "computed": 9, "cells": [
                {"attack": "C-RGB", "diff": 30.5, "z": 8.7}, {"attack": "S", "diff": -3.1, "z": -2.4}]},
             {"label": "Undefended", "computed": 9, "cells": []}]
    t = plots.differences_table(diffs)
    assert t.rows == [["C", "C-RGB", "+30.5", "8.7"], ["C", "S", "\u22123.1", "2.4"],
                      ["Undefended", "none of its 9 cells", "–", "–"]]
    assert plots.differences_table([]).rows == []


def test_tradeoff_of_clean_accuracy_against_robustness():
    res = _table(200, {("c+s+d", "None"): 68.0, ("c+s+d", "S"): 53.0, ("c+s+d", "C-RGB"): 99.0})
    res.config = paper2.make_config("quick")
    by = {t["row"]: t for t in paper2.tradeoff(res)}
    assert by["c+s+d"]["clean"] == pytest.approx(68.0 - 88.9)
    # one attack moved; C-RGB (bound unknown) does not count
    assert by["c+s+d"]["attacked"] == pytest.approx((53.0 - 3.5) / 7, abs=0.1)
    assert by["c+s+d"]["shifted"] and not by["c"]["shifted"] and not by["c+s+d"]["behind"]
    weaker = _table(200, {("trades", "None"): 52.5, ("trades", "D"): 12.0, ("trades", "C"): 44.0})
    weaker.config = res.config
    (t,) = [t for t in paper2.tradeoff(weaker) if t["row"] == "trades"]
    assert t["behind"] and not t["shifted"]
    assert abs(by["natural"]["attacked"]) < 0.5                # rounding to 200 images only
    del res.correct["trades"]["S"]
    assert "trades" not in {t["row"] for t in paper2.tradeoff(res)}
    assert paper2.tradeoff(None) == []


@pytest.mark.parametrize("c", [c for c in CLAIMS if c.rows], ids=lambda c: c.key)
def test_a_claim_reads_only_the_rows_it_names(c):
    full = _table(200)
    only = _table(200)
    only.correct = {r: v for r, v in only.correct.items() if r in c.rows}
    by = lambda res: {x["key"]: x["ours"] for x in claims(res)}[c.key]
    assert by(only) == by(full) != "pending"


def test_a_table_without_a_model_cannot_test_claims_about_it():
    """The authors released 9 of the 11 models: no TRADES, no C (B&W)."""
    res = _table(846)
    res.config = paper2.make_config(
        "quick", rows=[r for r in paper2.ROWS if r not in ("trades", "gray-c")])
    by = {c["key"]: c for c in claims(res)}
    for key in ("trades_best", "trades_csd", "bw_no_defence"):
        assert by[key]["ours"] == "no such model", key
    assert by["trades_csd"]["ours_detail"] == "no TRADES model"
    # A test over every row reads the nine rows there are.
    assert by["csd_strongest"]["ours"] == "holds"
    assert by["csd_strongest"]["ours_detail"].endswith("of 9 rows")
    assert by["s_separate"]["ours"] == "holds"
