"""The detection page's answer, on synthetic matrix rows and on the committed matrix."""
from types import SimpleNamespace

import numpy as np
import pytest

from stego_lib.experiments.beyond import prose


def _det(auc, k, n=200):
    return {"auc": auc, "tpr": {"k": k, "n": n}}


def test_span_names_the_extremes_or_says_every_attack():
    per = {"C": {"predictor": _det(0.70, 0)}, "D": {"predictor": _det(0.93, 3)}}
    assert prose.span(per, "predictor", "auc") == "from 0.700 (C) to 0.930 (D)"
    assert prose.span(per, "predictor", "flagged", "{}") == "from 0 (C) to 3 (D)"
    same = {"C": {"predictor": _det(0.5, 0)}, "D": {"predictor": _det(0.5, 0)}}
    assert prose.span(same, "predictor", "auc") == "0.500 for every attack"


def test_without_cifar_cells_the_answer_says_so_and_the_table_is_empty():
    text, operating, caption = prose.answer(None, [], {"cifar_n": {"cal": 10}})
    assert text.startswith("The CIFAR-10 cells are not committed yet") and operating == []
    assert caption.startswith("At the papers' bounds on CIFAR-10: not computed yet")


def _mnist_row(model, bound, k, auc=0.99, n=2_000):
    return {"dataset": "mnist", "model": model, "attack": "PGD", "bound": bound,
            "detector": "predictor", "auc": auc, "tpr": {"k": k, "n": n}}


def _model_clauses(text):
    """MNIST model -> the clause of the MNIST paragraph about it."""
    para = next(p for p in text.split("\n\n") if p.startswith("On MNIST"))
    clauses = para.split(". ")[0].split("; ")
    return {m: next(c for c in clauses if f"the {name} model" in c)
            for m, name in prose.MODEL_NAMES.items() if f"the {name} model" in para}


def test_each_mnist_model_is_given_its_own_count():
    # the adversarial rows come last: keyed by attack alone they replaced the natural ones
    rows = [_mnist_row("natural", 0.05, 340), _mnist_row("natural", 0.3, 1_990),
            _mnist_row("adversarial", 0.05, 752), _mnist_row("adversarial", 0.3, 2_000)]
    clean = {"thr_predictor": 1.0, "score_predictor": np.full(4, 0.5)}
    res = SimpleNamespace(clean={"mnist": clean, "cifar10": clean}, cells=[])
    clauses = _model_clauses(prose._mnist_scale(res, rows))
    assert "340 of 2,000 at ε 0.05" in clauses["natural"]
    assert "1,990 of 2,000 PGD images at ε 0.3" in clauses["natural"]
    assert "752 of 2,000 at ε 0.05" in clauses["adversarial"]
    assert "2,000 of 2,000 PGD images at ε 0.3" in clauses["adversarial"]


def test_the_committed_page_gives_each_mnist_model_its_own_count():
    from stego_lib.experiments import beyond

    shown = beyond.detection.page_result("paper")
    if shown.profile != "paper":
        pytest.skip("the paper-scale detection matrix is not committed")
    rows = beyond.detection.matrix(shown.result)
    text, _, _ = prose.answer(shown.result, rows, shown.result.config)
    clauses = _model_clauses(text)
    assert set(clauses) == set(shown.result.config.mnist_models)
    for m, clause in clauses.items():
        own = [r for r in rows if (r["dataset"], r["model"], r["detector"], r["bound"])
               == ("mnist", m, "predictor", 0.05)][0]["tpr"]
        assert f"{own['k']:,} of {own['n']:,} at ε 0.05" in clause, (m, clause)


def test_the_released_model_against_ours_is_a_table_and_a_count():
    from stego_lib.experiments.beyond import prose

    def r(auc, se, attack, det="predictor"):
        return {"dataset": "cifar10", "attack": attack, "bound": 1.0, "detector": det,
                "auc": auc, "auc_se": se, "n_pos": 846}
    rel = [r(0.98, 0.004, "PGD"), r(0.70, 0.01, "C")]
    ours = [r(0.95, 0.01, "PGD"), r(0.70, 0.02, "C")]
    text = prose.released_text(rel, ours, 2)
    assert text.startswith("All 2 cells are computed")
    assert text.endswith("indistinguishable from ours under 1 of the 2 attacks, higher under 1 "
                         "and lower under 0 (the table below).")
    t = prose.released_table(rel, ours)
    assert t.rows == [["PGD", "0.980 ± 0.004", "0.950 ± 0.010", "higher"],
                      ["C", "0.700 ± 0.010", "0.700 ± 0.020", "indistinguishable"]]
