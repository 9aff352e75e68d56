"""Table 1 three ways: Wilson intervals, the fit to the paper, and the sentences that explain
each released cell beyond two standard errors, on small synthetic results."""
import numpy as np
import pytest

from stego_lib import papers
from stego_lib.experiments import paper2
from stego_lib.experiments.paper2 import prose, released


def _table(n, rows, change=None):
    """A result whose cells hold the paper's accuracy (rounded to n images) except ``change``."""
    change = change or {}
    res = paper2.Table1Result(paper2.make_config("smoke", rows=list(rows)), np.zeros(n, np.int64),
                              "test")
    for row in rows:
        for a in paper2.ATTACKS:
            pct = change.get((row, a), papers.paper2_accuracy(paper2.LABELS[row], a))
            if pct is not None:
                res.correct.setdefault(row, {})[a] = np.arange(n) < round(pct / 100 * n)
    res.correct_uint8 = res.correct
    return res


def test_wilson_interval_is_never_a_point_and_brackets_the_rate():
    lo, hi = released.wilson(0, 846)
    assert lo == 0.0 and 0.4 < hi < 0.5
    lo, hi = released.wilson(846, 846)
    assert hi == 100.0 and 99.5 < lo < 99.6
    for k in (1, 100, 423, 845):
        lo, hi = released.wilson(k, 846)
        assert lo < 100 * k / 846 < hi
    with pytest.raises(ValueError):
        released.wilson(5, 4)


def test_comparison_keeps_released_and_trained_apart():
    rel = _table(846, paper2.RELEASED_ROWS, {("c", "C"): 60.0})
    ours = _table(200, paper2.ROWS)
    cells = released.comparison(rel, ours)
    assert len(cells) == 99
    by = {(c["row"], c["attack"]): c for c in cells}
    assert by[("trades", "C")]["released"] is None and by[("trades", "C")]["trained"] is not None
    cc = by[("c", "C")]["released"]
    assert cc["n"] == 846 and not cc["near"] and cc["z"] > 2
    fit = released.fit(cells, "released")
    assert fit["computed"] == 81 and fit["within"] == 80 and fit["worst"][0]["row"] == "c"
    assert released.fit(cells, "trained")["within"] == 99


def test_a_c_cell_is_explained_by_the_authors_attack_either_way():
    rel = _table(846, paper2.RELEASED_ROWS, {("c", "C"): 60.0, ("d", "C"): 70.0,
                                             ("s", "D"): 20.0})
    cells = released.comparison(rel, None)
    authors = [
        # theirs lands where ours does, far from the paper's: not our attack
        {"row": "c", "label": "C", "n": 282, "authors": 59.0, "ours": 60.0, "diff": 1.0,
         "se": 1.0, "apart": False, "paper": 45.8, "authors_near": False, "ours_near": False},
        # theirs on the paper's, ours far: our attack
        {"row": "d", "label": "D", "n": 282, "authors": 51.0, "ours": 70.0, "diff": 19.0,
         "se": 2.0, "apart": True, "paper": 50.6, "authors_near": True, "ours_near": False}]
    why = prose.causes(cells, {"C": authors}, [], [])
    assert why[("c", "C")][0] == "measured" and "not our attack" in why[("c", "C")][1]
    assert why[("d", "C")][0] == "measured" and why[("d", "C")][1].startswith("our attack")
    assert why[("s", "D")][0] == "open"
    text = prose.worst_list(cells, why)
    assert text.count("- **") == 3 and "*open*" in text and "*measured cause*" in text
    assert text.startswith("- **S × D**")   # the largest |z| first
    assert prose.worst_list(released.comparison(_table(846, ["natural"]), None), {}) == (
        "Every computed cell lies within two standard errors of the paper's.")


def test_crgb_cells_are_open_unless_a_bound_matches():
    rel = _table(846, paper2.RELEASED_ROWS, {("natural", "C-RGB"): 20.0})
    cells = released.comparison(rel, None)
    assert prose.causes(cells, {}, [], [])[("natural", "C-RGB")][0] == "open"
    assert prose.causes(cells, {}, [], [0.03])[("natural", "C-RGB")][0] == "measured"
    swept = [{"row": "natural", "eps": 0.02}, {"row": "natural", "eps": 0.03}]
    assert prose.causes(cells, {}, swept, [], crgb_runs=16)[("natural", "C-RGB")][1].endswith(
        "so far (2 of its 16 runs are computed)")
    assert "so far" not in prose.causes(cells, {}, swept, [], crgb_runs=2)[("natural", "C-RGB")][1]


def test_crgb_cells_read_the_authors_rgb_attack_once_the_sweep_is_done():
    rel = _table(846, paper2.RELEASED_ROWS, {("natural", "C-RGB"): 0.5, ("c", "C-RGB"): 60.0})
    cells = released.comparison(rel, None)
    runs = [
        # theirs lands where ours does, far from the paper's: not our attack
        {"row": "natural", "label": "Undefended", "n": 282, "authors": 0.4, "ours": 0.7,
         "diff": 0.3, "se": 0.4, "apart": False, "paper": 5.9, "authors_near": False,
         "ours_near": False},
        # theirs on the paper's, ours far: our attack
        {"row": "c", "label": "C", "n": 282, "authors": 44.0, "ours": 60.0, "diff": 16.0,
         "se": 2.5, "apart": True, "paper": 43.5, "authors_near": True, "ours_near": False}]
    swept = [{"row": "natural", "eps": 0.02}, {"row": "c", "eps": 0.02}]
    why = prose.causes(cells, {"C-RGB": runs}, swept, [], crgb_runs=2, rgb_eps=0.06)
    kind, text = why[("natural", "C-RGB")]
    assert kind == "measured" and text.startswith("not our attack: at our bound of 0.06")
    assert "no single bound" in text
    kind, text = why[("c", "C-RGB")]
    assert kind == "measured" and text.startswith("at our bound of 0.06 per channel, our attack")
    # the sweep unfinished, or the authors' run missing: the cell stays open
    assert prose.causes(cells, {"C-RGB": runs}, swept, [], crgb_runs=16)[
        ("natural", "C-RGB")][0] == "open"
    assert prose.causes(cells, {}, swept, [], crgb_runs=2)[("natural", "C-RGB")][0] == "open"
    # a bound that fits both swept models explains the column before any authors' run
    kind, text = prose.causes(cells, {"C-RGB": runs}, swept, [0.03], crgb_runs=2)[
        ("c", "C-RGB")]
    assert kind == "measured" and text.startswith("the bound: at 0.03")


def test_fit_text_says_when_cells_are_still_missing():
    assert "computed so far (of 81)" in prose.fit_text(
        {"computed": 27, "within": 20, "mean_abs": 2.0, "worst": []}, 81, "the released models")
    assert prose.fit_text({"computed": 0, "within": 0, "mean_abs": None, "worst": []}, 81,
                          "x") == "No cell of x is computed yet."


def test_authors_text_counts_models_apart_and_near():
    rows = [{"row": "c", "label": "C", "n": 282, "authors": 44.0, "ours": 50.0, "diff": 6.0,
             "se": 2.0, "apart": True, "paper": 45.8, "authors_near": True, "ours_near": False},
            {"row": "d", "label": "D", "n": 282, "authors": 50.0, "ours": 51.0, "diff": 1.0,
             "se": 1.0, "apart": False, "paper": 50.6, "authors_near": True, "ours_near": True}]
    text = prose.authors_text(rows)
    assert "on 1 of the 2 models (C: ours +6.0 ± 2.0 points)" in text and text.startswith("C: ")
    assert "on 2 of them, ours on 1" in text
    one = prose.authors_text(rows[1:])
    assert one.startswith("C: on one released model,") and "do not differ" in one
    assert one.endswith("Both land within two standard errors of the paper's C cell.")
    assert "They differ beyond" in prose.authors_text(rows[:1])


def test_authors_further_from_the_paper_than_ours_is_not_our_attack():
    rel = _table(846, paper2.RELEASED_ROWS, {("c", "C"): 40.0, ("d", "C"): 40.0})
    cells = released.comparison(rel, None)
    base = {"n": 282, "se": 1.4, "apart": True, "paper": 50.0, "authors_near": False,
            "ours_near": False}
    authors = [
        # theirs further below the paper than ours: our gap is not ours being stronger
        {**base, "row": "c", "label": "C", "authors": 35.0, "ours": 40.0, "diff": 5.0},
        # theirs above ours but still below the paper: a difference of attacks, open
        {**base, "row": "d", "label": "D", "authors": 45.0, "ours": 40.0, "diff": -5.0}]
    why = prose.causes(cells, {"C": authors}, [], [])
    assert why[("c", "C")][0] == "measured" and "not our attack" in why[("c", "C")][1]
    assert why[("d", "C")][0] == "open"


def test_c_gap_text_names_the_variants_that_reach_the_authors():
    a = {"authors": 35.1, "ours": 40.1, "diff": 5.0, "se": 1.4, "n": 282}
    rows = [{"variant": "RGB clamp", "accuracy": 39.0, "n": 282, "vs_ours": (-1.1, 0.8),
             "vs_authors": (3.9, 1.3)},
            {"variant": "both", "accuracy": 35.5, "n": 282, "vs_ours": (-4.6, 1.2),
             "vs_authors": (0.4, 1.0)}]
    text = prose.c_gap_text(rows, a)
    assert text.endswith("Of the 2 variants of our C in the table below, \u201cboth\u201d lands "
                         "within two standard errors of the authors'.")
    assert prose.c_gap_text(rows[:1], a).endswith(
        "With the reference's RGB clamp, our C does not come within two standard errors of the "
        "authors'.")
    far = [{**rows[0], "variant": v} for v in ("x", "y")]
    assert prose.c_gap_text(far, a).endswith("None of the 2 variants of our C in the table "
                                             "below comes within two standard errors of the "
                                             "authors'.")
    assert "not computed yet" in prose.c_gap_text([], a)
    assert prose.c_gap_text(rows, None).startswith("The authors' C")


def test_the_gap_table_holds_every_variant_with_its_differences():
    a = {"authors": 35.1, "ours": 40.1, "diff": 5.0, "se": 1.4, "n": 282}
    tw = {"name": "the authors' C+D with our white point", "accuracy": 36.0,
          "vs_authors": (0.9, 0.8), "vs_variant": (-0.5, 0.7)}
    rows = [{"variant": "RGB clamp", "accuracy": 39.0, "n": 282, "vs_ours": (-1.1, 0.8),
             "vs_authors": (3.9, 1.3), "twin": tw}]
    t = prose.gap_table([("C-trained", "C", rows, a), ("S-trained", "S", [], None)])
    assert [r[2] for r in t.rows] == ["ours as published", "the authors' package", "RGB clamp",
                                      "the authors' C+D with our white point"]
    assert t.rows[1][3:6] == ["35.1", "\u22125.0 ± 1.4", "–"]
    assert t.rows[2][3:] == ["39.0", "\u22121.1 ± 0.8", "+3.9 ± 1.3", "\u22120.5 ± 0.7"]
    assert t.rows[3][5:] == ["+0.9 ± 0.8", "–"]
    assert all(len(r) == len(t.header) for r in t.rows)


def test_agreeing_attacks_within_noise_on_few_images_still_acquit_ours():
    rel = _table(846, paper2.RELEASED_ROWS, {("natural", "S"): 0.0})
    cells = released.comparison(rel, None)
    a = {"row": "natural", "label": "Undefended", "n": 282, "authors": 0.0, "ours": 0.0,
         "diff": 0.0, "se": 0.0, "apart": False, "paper": 0.9, "authors_near": True,
         "ours_near": True}
    kind, text = prose.causes(cells, {"S": [a]}, [], [])[("natural", "S")]
    assert kind == "measured" and text.startswith("not our attack, as far as 282 images tell")


def test_gap_text_speaks_of_the_attack_and_model_it_is_given():
    a = {"authors": 6.7, "ours": 10.3, "diff": 3.5, "se": 1.1, "n": 282}
    rows = [{"variant": "zero padding", "accuracy": 7.1, "n": 282, "vs_ours": (-3.2, 1.0),
             "vs_authors": (0.4, 0.9)}]
    text = prose.c_gap_text(rows, a, "S", "S-trained")
    assert text.startswith("On the authors' S-trained model, our S leaves 10.3 %")
    assert text.endswith("With the reference's zero padding, our S lands within two standard "
                         "errors of the authors'.")
    assert prose.c_gap_text(rows, None, "S", "D-trained") == (
        "The authors' S on their D-trained model is not computed yet.")


def test_s_gap_runs_our_s_with_the_references_padding_on_released_models(tmp_path, monkeypatch):
    from stego_lib.experiments.paper2 import c_gap, s_gap
    from stego_lib.models.reference import entry

    monkeypatch.setenv("STEGO_RESULTS", str(tmp_path))
    sha, cfg = c_gap.released_sha("s")
    assert sha == entry("s")["sha256"]
    key = s_gap.chunk_config("s", sha, cfg)
    assert key["padding"] == "zeros" and key["attack"] == "S" and key["n_images"] == 282
    chunks = s_gap.items()[0].chunks("cpu")
    assert [c.name for c in chunks] == ["S zero padding on released/s",
                                        "S zero padding on released/d"]
    assert not any(c.done() for c in chunks) and s_gap.result() == {}


def test_gap_text_says_when_a_variant_matches_the_authors_image_by_image():
    a = {"authors": 6.7, "ours": 10.3, "diff": 3.5, "se": 1.1, "n": 282}
    rows = [{"variant": "zero padding", "accuracy": 6.7, "n": 282, "vs_ours": (-3.5, 1.1),
             "vs_authors": (0.0, 0.0)}]
    text = prose.c_gap_text(rows, a, "S", "S-trained")
    assert text.endswith("With the reference's zero padding, our S gives the authors' outcome "
                         "on every image.")


def _bw(count):
    plain = [{"conversion": c, "label": lab, "accuracy": 87.0, "nll": 0.5,
              "bn_mean_rms": 0.4, "bn_logvar_rms": 0.6}
             for c, lab in (("bt709", "BT.709 luma"), ("mean", "channel mean"))]
    fit = {"where": "after", "accuracy": 90.0, "bn_mean_rms": 0.004, "bn_logvar_rms": 0.02}
    return {"plain": plain, "colour_bn": [[0.02, 0.1]],
            "best": {"conversion": "bt709", "scale": 0.72, **fit},
            "used": {"conversion": "mean", "scale": 0.74, **fit, "accuracy": 89.8},
            "fitting": {"count": count, "of": 93, "accuracy": (89.6, 90.2) if count else None}}


def test_bw_text_names_the_best_fit_and_the_input_the_table_uses():
    text = prose.bw_text(_bw(11), 88.3)
    assert "best 0.72 times the BT.709 luma" in text
    assert "11 of the 93 measured inputs" in text and "89.6–90.2 %" in text
    assert "gives it 0.74 times the channel mean" in text and "89.8 % correct" in text
    assert "misses by 0.40–0.60" in text
    none = prose.bw_text(_bw(0), 88.3)
    assert "measured inputs" not in none and "0.74 times the channel mean" in none


def _crgb(row, eps, acc, near, lr=1e-3):
    return {"row": row, "label": row, "eps": eps, "lr": lr, "accuracy": acc, "n": 282,
            "paper": 5.9 if row == "natural" else 43.5, "near": near}


def test_crgb_text_names_the_bound_each_model_matches_alone_per_protocol():
    sweep = [_crgb("natural", 0.02, 5.3, True), _crgb("natural", 0.06, 0.4, False),
             _crgb("c", 0.02, 70.2, False), _crgb("c", 0.06, 39.4, True)]
    text = prose.crgb_text({"package-2020": sweep}, lambda e: e["row"], total=2)
    assert text.startswith("Under the released package's protocol (κ = ∞), no bound of the sweep brings both")
    assert ("the natural model's cell comes within them only at 0.02, the c model's only at "
            "0.06.") in text
    assert text.endswith("The 2019 protocol (κ = 0) is not computed yet.")
    nothing = [dict(e, near=False) for e in sweep]
    assert "the c model's at no bound." in prose.crgb_text({"package-2020": nothing},
                                                           lambda e: e["row"], total=2)
    fits = sweep + [_crgb("natural", 0.04, 5.0, True), _crgb("c", 0.04, 44.0, True)]
    two = prose.crgb_text({"package-2020": sweep, "paper-2019": fits}, lambda e: e["row"],
                          total=3)
    assert ("Under the 2019 protocol (κ = 0), both cells lie within two standard errors of the "
            "paper's at a bound of 0.04. That changes two settings at once") in two
    partial = prose.crgb_text({"package-2020": sweep, "paper-2019": fits[:1]},
                              lambda e: e["row"], total=2)
    assert partial.endswith("Under the 2019 protocol (κ = 0), 1 of the sweep's 4 points is "
                            "computed so far: the natural model's cell lies within them at 0.02. "
                            "Which bound fits both cells stays open until the sweep is done.")


def test_crgb_table_has_one_column_per_model_and_protocol():
    sweeps = {"package-2020": [_crgb("c", 0.06, 39.4, True), _crgb("natural", 0.06, 0.4, False)],
              "paper-2019": [_crgb("natural", 0.06, 2.1, False)]}
    t = prose.crgb_table(sweeps, lambda e: e["row"])
    assert t.header == ["bound", "Adam step", "natural (paper 5.9), κ = ∞",
                        "natural (paper 5.9), κ = 0", "c (paper 43.5), κ = ∞"]
    assert t.rows == [["0.06", "0.001", "0.4", "2.1", "39.4 *"]]


def test_a_variant_of_ours_that_reaches_the_authors_names_the_choice():
    rel = _table(846, paper2.RELEASED_ROWS, {("c+s+d", "C+D"): 13.0})
    cells = released.comparison(rel, None)
    # theirs nearer the paper than ours, both far, and apart: open without a variant
    a = {"row": "c+s+d", "label": "C+S+D", "n": 282, "authors": 10.3, "ours": 13.1, "diff": 2.8,
         "se": 1.0, "apart": True, "paper": 5.5, "authors_near": False, "ours_near": False}
    assert prose.causes(cells, {"C+D": [a]}, [], [])[("c+s+d", "C+D")][0] == "open"
    far = {"variant": "reference box", "accuracy": 13.5, "n": 282, "vs_ours": (0.4, 0.5),
           "vs_authors": (3.2, 1.1)}
    near = {"variant": "reference delta", "accuracy": 10.6, "n": 282, "vs_ours": (-2.5, 0.9),
            "vs_authors": (0.3, 0.6)}
    kind, text = prose.causes(cells, {"C+D": [a]}, [], [],
                              gaps={("c+s+d", "C+D"): [far]})[("c+s+d", "C+D")]
    assert kind == "open" and "none of our variants" in text and "(reference box)" in text
    kind, text = prose.causes(cells, {"C+D": [a]}, [], [],
                              gaps={("c+s+d", "C+D"): [far, near]})[("c+s+d", "C+D")]
    assert kind == "measured" and "to the reference's (reference delta)" in text
    assert "+0.3 ± 0.6 from the authors' 10.3 %" in text and "misses the paper's 5.5 %" in text
    # the same variant, but theirs near the paper: the whole gap is that choice
    kind, text = prose.causes(cells, {"C+D": [{**a, "authors_near": True, "ours_near": True}]}, [], [],
                              gaps={("c+s+d", "C+D"): [near]})[("c+s+d", "C+D")]
    assert kind == "measured" and text.endswith("within noise of the paper's 5.5 %")


def test_a_variant_within_noise_of_the_references_numerical_twin_counts_as_close():
    rel = _table(846, paper2.RELEASED_ROWS, {("c+s+d", "C+D"): 13.0})
    cells = released.comparison(rel, None)
    a = {"row": "c+s+d", "label": "C+S+D", "n": 282, "authors": 10.3, "ours": 13.1, "diff": 2.8,
         "se": 1.0, "apart": True, "paper": 5.5, "authors_near": False, "ours_near": False}
    twin = {"name": "the authors' C+D with our white point", "accuracy": 11.0,
            "vs_authors": (0.7, 0.9), "vs_variant": (-0.7, 0.9)}
    row = {"variant": "reference colour function", "accuracy": 11.7, "n": 282,
           "vs_ours": (-1.4, 0.9), "vs_authors": (1.42, 0.70), "twin": twin}
    kind, text = prose.causes(cells, {"C+D": [a]}, [], [],
                              gaps={("c+s+d", "C+D"): [row]})[("c+s+d", "C+D")]
    assert kind == "measured" and "+1.4 ± 0.7 from the authors' 10.3 %" in text
    assert "−0.7 ± 0.9 from the authors' C+D with our white point (11.0 %)" in text.replace(
        "-", "−") and "+0.7 ± 0.9 from their run as released" in text
    for vs_variant in ((3.0, 1.0), (2.5, 1.3)):   # beyond 2 SE; within, but further than the twin
        far = {**row, "twin": {**twin, "vs_variant": vs_variant}}
        assert prose.causes(cells, {"C+D": [a]}, [], [], gaps={("c+s+d", "C+D"): [far]})[
            ("c+s+d", "C+D")][0] == "open"


def test_the_authors_summary_counts_the_committed_runs():
    import re

    theirs = released.result()
    runs = [r for a in ("C", "S", "D") for r in released.authors_runs(theirs, a)]
    if not runs:
        pytest.skip("no run of the authors' package is committed")
    text = prose.authors_summary(runs)
    apart = [r for r in runs if r["apart"]]
    assert text.startswith(f"On {len(runs)} cells (3 attacks")
    assert f"beyond two paired standard errors on {len(apart)} of them" in text
    m = re.search(r"ours leaves more images correct on (\d+) and fewer on (\d+)", text)
    assert (m is not None) == bool(apart)
    if apart:
        assert int(m.group(1)) == sum(r["diff"] > 0 for r in apart)
    assert text.endswith(f"ours on {sum(r['ours_near'] for r in runs)}.")


def test_twin_text_names_only_variants_as_close_to_the_twin_as_it_is_to_the_authors():
    tw = {"name": "the authors' C+D with our white point", "accuracy": 11.0,
          "vs_authors": (0.7, 0.9)}
    near = {"variant": "reference colour function", "twin": {**tw, "vs_variant": (0.5, 0.9)}}
    far = {"variant": "reference delta", "twin": {**tw, "vs_variant": (3.2, 1.0)}}
    wide = {"variant": "RGB clamp", "twin": {**tw, "vs_variant": (1.5, 0.9)}}  # within 2 SE
    text = prose.twin_text([near, far, wide])
    assert ("Of our variants, \u201creference colour function\u201d lies as close to this twin "
            "(+0.5 ± 0.9 points)") in text
    assert "reference delta" not in text and "RGB clamp" not in text
    assert prose.twin_text([far]).endswith("as close to this twin as the twin lies to their run.")
    assert prose.twin_text([{"variant": "x"}]) == ""


def test_bw_conversions_are_a_table_and_the_text_gives_their_range():
    bw = _bw(11)
    bw["plain"][1]["accuracy"] = 86.5
    text = prose.bw_text(bw, 88.3)
    assert "cannot tell the 2 usual conversions apart: 86.5–87.0 %" in text
    assert "BT.709 luma 87.0 %" not in text
    t = prose.bw_table(bw)
    assert t.rows == [["BT.709 luma", "87.0", "0.400", "0.600"],
                      ["channel mean", "86.5", "0.400", "0.600"]]


def test_the_table1_status_names_the_images_in_words():
    from stego_lib.experiments.paper2.page import Table1Page

    page = Table1Page("paper", paper2.page_result(paper2.Table1Config("paper")),
                      released.result())
    text = page.status()["p2t_status"]
    cells = "all 81 cells" if page.n_released == 81 else f"{page.n_released} of 81 cells"
    assert text.startswith(f"The authors' released models: {cells} on the same 846 CIFAR-10 "
                           "test images, with their original pixels")
    for word in ("profile", "stego_lib", "sample of", "(("):
        assert word not in text, word
