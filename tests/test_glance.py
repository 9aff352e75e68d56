"""The results-at-a-glance rows: verdicts follow the two-standard-error rule, and every row
read from the committed results names its page and says why it differs."""
import pytest

from stego_lib.experiments import glance


def test_a_rate_within_two_se_matches_and_one_beyond_differs_with_its_cause():
    near = glance._rate_row("II", "x", 45.8, 47.0, 846, "because", "p")
    far = glance._rate_row("II", "x", 45.8, 60.0, 846, "because", "p")
    assert near["verdict"] == "matches" and near["cause"] == ""
    assert far["verdict"] == "differs" and far["cause"] == "because"
    assert glance._rate_row("II", "x", 3.0, None, 0, "c", "p")["verdict"] == "pending"
    # at 0 % the standard error at the paper's value still counts: one image is not a gap
    assert glance._rate_row("II", "x", 0.2, 0.0, 846, "c", "p")["verdict"] == "matches"


def test_an_eps_matches_only_at_the_same_grid_point():
    assert glance._eps_row("w", 0.17, 0.17, 10_000, "c")["verdict"] == "matches"
    assert glance._eps_row("w", 0.17, 0.18, 10_000, "c")["verdict"] == "differs"
    assert glance._eps_row("w", 0.47, None, 10_000, "c")["ours"] == "not reached"


def test_committed_rows_are_complete():
    rows = glance.rows()
    assert rows, "the committed results give at least the paper's headline rows"
    for r in rows:
        assert r["page"] in glance.PAGES.values() and r["paper"] in ("I", "II")
        assert r["verdict"] in ("matches", "differs", "pending", "–")
        if r["verdict"] == "differs":
            assert r["cause"], r["what"]


def test_the_verdict_sentences_count_what_the_rows_and_cells_hold():
    import re

    from stego_lib.experiments.paper2 import verdicts

    rows = glance.rows()
    cells = verdicts.cells(verdicts.grids())
    said = glance.verdict_text(rows, cells)
    one = [r for r in rows if r["paper"] == "I"]
    if one:
        same = sum(r["verdict"] == "matches" for r in one)
        assert f"{same} of Paper I's {len(one)} headline numbers" in said["I"]
        for r in one:
            if r["verdict"] == "differs":
                assert r["ours"].split(" ±")[0] in said["I"], r["what"]
    attacked = [c for c in cells if c["attack"] != "None"]
    m = re.search(r"With κ = ∞, (\d+) of the (\d+) attacked cells .*? lie within two standard "
                  r"errors.*?Changing one setting brings (\d+) more within.*?The other (\d+) "
                  r"are open", said["II"])
    assert m, said["II"]
    matched, total, reproduced, open_ = map(int, m.groups())
    assert total == len(attacked) and matched + reproduced + open_ == total
    assert open_ == sum(c["verdict"] == "open" for c in attacked)


def test_the_undefended_cause_follows_the_authors_attack_on_our_model():
    from stego_lib import papers
    from stego_lib.experiments.paper2.reference import reference_runs
    from stego_lib.experiments.paper2.summaries import near_paper

    ref = next((r for r in reference_runs("C") if r["row"] == "natural"), None)
    cause = glance._undefended_cause("C")
    if ref is None:
        assert cause.startswith("open")
        return
    assert f"{ref['reference']:.1f} %" in cause and f"{ref['ours']:.1f} %" in cause
    near = near_paper(ref["reference"], papers.paper2_accuracy(ref["label"], "C"), ref["images"])
    assert ("the gap comes from our attack, not from the model" in cause) == near


def test_the_verdict_figure_draws_every_computed_cell_beside_the_papers_value():
    from stego_lib.experiments.paper2 import verdicts
    from stego_lib.plotting.glance import verdict_figure

    points = glance.figure_points()
    cells = {f"{c['label']} × {c['attack']}": c for c in verdicts.cells(verdicts.grids())}
    for p in points["II"]:
        assert p["paper"] == cells[p["what"]]["paper"] and p["se"] >= 0
    assert sum(p["group"] == "2020" for p in points["II"]) == sum(
        c[("package-2020", "float")] is not None for c in cells.values() if c["attack"] != "None")
    assert len(verdict_figure(points).axes) == 2
    with pytest.raises(ValueError, match="no computed point"):
        verdict_figure({"I": [], "II": []})


def test_every_glance_row_is_named_in_words():
    # the short forms of the results ("Table II TPR", "accuracy 0 from ε", "two SE") become
    # what they measure, each with the paper's term kept in brackets
    for r in glance.rows():
        name = glance.table_name(r)
        assert name[0].isupper(), name
        assert not name.startswith(("Table II TPR", "perfect separation", "accuracy 0")), name
        assert " SE " not in f" {name} ", name
        if r["what"].startswith("Table II TPR"):
            assert "(Table II's TPR)" in name


def test_the_verdict_says_whether_the_authors_code_lands_nearer_the_paper():
    runs = [{"n": 282, "authors_near": True, "ours_near": False},
            {"n": 282, "authors_near": False, "ours_near": True},
            {"n": 282, "authors_near": True, "ours_near": True}]
    runs = [dict(r, attack=a, row="c") for r, a in zip(runs, ("C", "S", "D"))]
    assert ("is no closer to the paper than ours: on the 3 cells where both ran (3 attacks on 1 "
            "model, the first 282 test images, κ = ∞), it lands within two standard errors of "
            "the paper on 2, ours on 2.") in glance._authors_sentence(runs)
    assert "is closer to the paper than ours: on the 2 cells" in glance._authors_sentence(
        runs[:1] + runs[2:])
    assert glance._authors_sentence([]) == ""


def test_the_verdict_says_what_the_flip_and_crop_did():
    from stego_lib.experiments.paper2 import verdicts
    fc = verdicts.FLIP_CROP
    cells = [{fc: {"shift": 0.5, "shift_se": 0.4}}, {fc: {"shift": 2.0, "shift_se": 0.5}}, {}]
    text = glance._flip_crop_sentence(cells)
    assert "has run so far on 2 of the 44 attacked cells that κ = ∞ misses; it moves 1 of " \
        "them by more than two standard errors" in text
    assert glance._flip_crop_sentence([{}]) == ""
