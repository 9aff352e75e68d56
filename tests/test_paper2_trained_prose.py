"""The Table 1 page's sentences about the models trained here, on synthetic inputs."""
from stego_lib.experiments.paper2 import trained_prose as tp


def _trade(row, label, clean, attacked, shifted=False, behind=False):
    return {"row": row, "label": label, "clean": clean, "attacked": attacked,
            "clean_se": 1.0, "attacked_se": 1.0, "shifted": shifted, "behind": behind}


def test_reference_text_splits_models_near_and_far_from_the_paper():
    refs = [{"row": "natural", "label": "Undefended", "images": 200, "reference": 3.5,
             "ours": 6.5},
            {"row": "gray", "label": "Undefended (B&W)", "images": 200, "reference": 10.5,
             "ours": 12.5}]
    text = tp.reference_text(refs)
    assert "On 2 of our models" in text and "+2.0 to +3.0 points" in text
    assert "for Undefended 3.5 %" in text and "It does not for Undefended (B&W) 10.5 %" in text
    assert tp.reference_text([]) == "The authors' attack has not been run on our models here."


def test_budget_text_names_shifted_and_behind_models():
    trade = [_trade("c+s+d", "C+S+D", -20.9, 25.6, shifted=True),
             _trade("trades", "TRADES", -31.9, -8.5, behind=True)]
    by_cell = {("trades", "D"): {"ours": 12.0, "paper": 53.6}}
    text = tp.budget_text(trade, by_cell)
    assert "1 of these 2 models give up clean accuracy" in text and "(C+S+D)" in text
    assert "1 of them is below the paper's" in text and "keeps 12.0 % under D" in text
    assert tp.budget_text([], {}) == "No fine-tuned row of ours is complete yet."
    assert "-20.9" not in text and "the table below" in text
    t = tp.tradeoff_table(trade + [_trade("natural", "Undefended", 0.5, 0.1)])
    assert t.rows == [["C+S+D", "\u221220.9 ± 1.0", "+25.6 ± 1.0", "less accurate, more robust"],
                      ["TRADES", "\u221231.9 ± 1.0", "\u22128.5 ± 1.0", "behind on both"]]


def test_claims_notes_tie_a_failed_test_to_its_model():
    verdicts = [{"claim": "S stays vulnerable", "ours": "does not hold", "about": ("s",)},
                {"claim": "X", "ours": "holds", "about": ("c",)}]
    text = tp.claims_notes(verdicts, [_trade("s", "S", -8.2, 4.7, shifted=True)])
    assert "\u201cS stays vulnerable\u201d is about our S model" in text and "stronger" in text
    assert tp.claims_notes(verdicts, []) == (
        "No test fails on a model that sits away from the paper's.")


def test_jpeg_text_without_the_jpeg_test_set_says_so():
    assert "not available" in tp.jpeg_text({"row": "natural"}, None, None)
    assert tp.jpeg_text(None, None, None) == "The undefended model is not trained yet."


def test_crgb_text_without_anything_computed():
    assert tp.crgb_trained_text([], [], [], []) == "No C-RGB cell of ours is computed yet. "
