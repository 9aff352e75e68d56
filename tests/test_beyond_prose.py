"""The detection page's answer, on synthetic matrix rows."""
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
