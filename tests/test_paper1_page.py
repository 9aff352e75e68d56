"""The Paper I page's sentences, on synthetic curves and results and on the committed sweep."""
from types import SimpleNamespace

import numpy as np
import pytest

from stego_lib.experiments.paper1 import page
from stego_lib.papers import paper_tpr50_eps


def _curve(eps, tpr, acc, flagged, n=10_000):
    eps = np.array(eps)
    return {"eps": eps, "n": np.full(len(eps), n), "tpr": np.array(tpr),
            "accuracy": np.array(acc), "combined": np.ones(len(eps)),
            "flagged": np.array(flagged)}


def test_paper_tpr50_is_read_off_table_ii():
    assert paper_tpr50_eps("natural") == 0.1 and paper_tpr50_eps("adversarial") == 0.37


def test_secret_text_says_whether_the_secret_examples_are_harder_to_detect():
    nat = _curve([0.1, 0.3], [0.5, 1.0], [0.2, 0.0], [0.7, 1.0])
    harder = _curve([0.1, 0.3], [0.0, 0.05], [0.98, 0.93], [0.1, 0.7])
    easier = _curve([0.1, 0.3], [0.0, 0.06], [0.98, 0.94], [0.99, 1.0])
    assert "are the harder ones" in page.secret_text({"natural": nat, "adversarial": harder})
    text = page.secret_text({"natural": nat, "adversarial": easier})
    assert "are not the harder ones" in text and "100.00% are flagged" in text
    assert page.secret_text({"natural": nat}) == "Both models' sweeps are needed for this comparison."


def test_compare_text_reports_not_reached_and_the_paper_grid():
    c = _curve([0.1, 0.2], [0.6, 1.0], [0.2, 0.0], [0.8, 1.0])
    heads = {"natural": {"computed": True, "tpr50_eps": 0.1, "zero_accuracy_eps": None,
                         "perfect_separation_eps": 0.2, "min_combined_accuracy": 0.9,
                         "min_combined_eps": 0.1,
                         "paper": {"zero_accuracy_eps": 0.17, "perfect_separation_eps": 0.17,
                                   "min_combined_accuracy": 0.5}}}
    text = page.compare_text("natural", heads, {"natural": c})
    assert "never reaches zero over the ε computed (0.10–0.20)" in text and "not yet reached" in text
    assert "(paper: 0.1, on its coarser grid)" in text


def test_scale_text_says_how_many_eps_hold_every_image():
    full = SimpleNamespace(n=np.array([10_000, 10_000]), eps=np.array([0.1, 0.2]))
    part = SimpleNamespace(n=np.array([10_000, 2_000]), eps=np.array([0.1, 0.11]))
    res = SimpleNamespace(models={"natural": full, "adversarial": part}, labels=np.zeros(10_000))
    heads = {"natural": {"computed": True, "eps_used": 2, "eps_total": 2},
             "adversarial": {"computed": True, "eps_used": 1, "eps_total": 2}}
    text = page.scale_text(res, heads)
    assert "natural model: all 2 ε on all 10,000" in text
    assert "adversarial model: 1 of 2 ε on all 10,000 test images, the others on the first 2,000" in text
    assert "read only from the ε computed on all images" in text


def test_dependence_text_needs_committed_rows():
    assert page.dependence_text([]) == "The measurements for this section are not committed yet."


def test_auc_at_prints_a_computed_value_only():
    aucs = {"natural": {"eps": [0.05, 0.1], "auc": [0.61234, 0.9]}}
    assert page.auc_at(aucs, "natural", 0.05) == "0.6123"
    assert page.auc_at(aucs, "natural", 0.3) == "(not computed)"


def test_models_text_prints_one_number_when_every_eps_has_the_same_images():
    same = SimpleNamespace(eps=[0.1, 0.2], n=np.array([10_000, 10_000]))
    mixed = SimpleNamespace(eps=[0.1, 0.2], n=np.array([2_000, 10_000]))
    text = page.models_text(SimpleNamespace(models={"natural": same, "madry": mixed}, notes=[]))
    assert "natural: 2 ε values, 10,000 images each;" in text
    assert "10,000 to 10,000" not in text
    assert "madry: 2 ε values, 2,000 to 10,000 images each." in text


def test_the_committed_sweep_is_described_without_collapsed_ranges_or_stale_progress():
    """On the committed sweep: one image count per model where all its ε agree, and no
    "so far" once the Madry-recipe sweep is complete."""
    from stego_lib.experiments import paper1
    from stego_lib.experiments.paper1 import prose
    from stego_lib.papers import PAPER1_TABLE2_EPS, PAPER1_TABLE2_TPR

    shown = paper1.page_result("paper")
    if shown.profile != "paper":
        pytest.skip("the paper-scale sweep is not committed")
    res = shown.result
    text = page.models_text(res)
    for m, mr in res.models.items():
        lo, hi = int(mr.n.min()), int(mr.n.max())
        want = f"{lo:,} images each" if lo == hi else f"{lo:,} to {hi:,} images each"
        assert f"{m}: {len(mr.eps)} ε values, {want}" in text
    heads = paper1.headlines(res, "abs")
    h = heads.get("madry", {})
    if not h.get("computed"):
        pytest.skip("the Madry-recipe sweep is not committed")
    sweep = prose.madry_sweep(heads, paper1.curves(res, "abs"),
                              dict(zip(PAPER1_TABLE2_EPS, PAPER1_TABLE2_TPR["adversarial"])),
                              len(res.labels))
    assert ("so far" in sweep) == (h["eps_used"] < h["eps_total"])


def test_scale_text_is_one_sentence_when_every_sweep_is_complete():
    full = SimpleNamespace(n=np.array([10_000, 10_000]), eps=np.array([0.1, 0.2]))
    res = SimpleNamespace(models={"natural": full, "adversarial": full}, labels=np.zeros(10_000))
    assert page.scale_text(res, {}) == ("Every model's sweep covers all 2 ε on all 10,000 test "
                                        "images.")
