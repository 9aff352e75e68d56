"""Published numbers of the two papers, for overlays in the book.

Paper I: Schöttle, Schlögl, Pasquini, Böhme, "Detecting Adversarial Examples - A Lesson
from Multimedia Security", EUSIPCO 2018, Table II and Sections IV-A/B. Paper II: Laidlaw &
Feizi, "Functional Adversarial Attacks", NeurIPS 2019, Table 1. Both transcribed from the
published papers.
"""
from __future__ import annotations

__all__ = ["PAPER1_TABLE2_EPS", "PAPER1_TABLE2_TPR", "PAPER1_HEADLINES", "PAPER1_AUTHORS_THRESHOLD",
           "PAPER1_SECRET_PGD40_ACCURACY", "PAPER2_TABLE1",
           "PAPER2_TABLE1_ATTACKS", "paper2_accuracy", "paper_tpr50_eps"]

# Table II: detector true positive rate over the 10,000 MNIST test images.
PAPER1_TABLE2_EPS = (0.01, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.33, 0.35, 0.37,
                     0.40, 0.42, 0.45, 0.47, 0.50)
PAPER1_TABLE2_TPR = {
    "natural": (0.000, 0.000, 0.529, 0.982, 1.000, 1.000, 1.000, 1.000, 1.000, 1.000,
                1.000, 1.000, 1.000, 1.000, 1.000),
    # the paper's "secret" model: mnist_challenge's adversarially trained network
    "adversarial": (0.000, 0.000, 0.000, 0.001, 0.009, 0.025, 0.047, 0.137, 0.320, 0.574,
                    0.848, 0.937, 0.985, 0.995, 0.999),
}
PAPER1_HEADLINES = {
    # smallest eps from which adversarial and benign are perfectly separated (Sec. IV-B)
    "perfect_separation_eps": {"natural": 0.17, "adversarial": 0.31},
    # eps at which the model's accuracy reaches 0 (Sec. IV-B, Fig. 3)
    "zero_accuracy_eps": {"natural": 0.17, "adversarial": 0.47},
    # lower bound on the combined (detector, then classifier) accuracy (Sec. IV-B)
    "min_combined_accuracy": {"natural": 0.50, "adversarial": 0.96},
    # false positives on benign images claimed (Sec. IV-A)
    "false_positive_rate": 0.0,
}
# The threshold hard-coded in the authors' evaluation script (09_detection_evaluation.py of
# alxshine/stego4secureML); the text describes it as the maximum score over the training set.
PAPER1_AUTHORS_THRESHOLD = 0.014321956650606307
# Madry et al. (ICLR 2018), Table 1: the adversarially trained MNIST network under PGD with 40
# steps and one random start at eps 0.3 (white box).
PAPER1_SECRET_PGD40_ACCURACY = 0.932

# Laidlaw & Feizi (NeurIPS 2019), Table 1: accuracy (%) of ResNet-32 on CIFAR-10 (the TRADES
# row: the TRADES authors' model). Rows are defences, columns attacks; "None" is clean accuracy.
PAPER2_TABLE1_ATTACKS = ("None", "C-RGB", "C", "D", "S", "C+S", "C+D", "S+D", "C+S+D")
PAPER2_TABLE1 = {
    "Undefended": (92.2, 5.9, 3.0, 0.0, 0.9, 0.8, 0.0, 0.0, 0.0),
    "C": (88.7, 43.5, 45.8, 5.7, 3.6, 3.4, 0.9, 0.2, 0.2),
    "D": (84.8, 74.9, 50.6, 30.6, 16.0, 11.7, 8.9, 2.7, 2.2),
    "S": (82.7, 16.9, 8.0, 0.5, 26.2, 4.8, 0.0, 0.1, 0.0),
    "C+S": (89.5, 31.7, 23.0, 0.7, 10.9, 8.7, 0.5, 0.6, 0.4),
    "C+D": (88.5, 36.3, 19.5, 7.5, 2.7, 2.8, 5.2, 4.1, 4.6),
    "S+D": (82.1, 66.9, 42.7, 35.4, 21.9, 13.4, 12.2, 7.6, 4.1),
    "C+S+D": (88.9, 30.6, 17.2, 7.3, 3.5, 3.3, 5.5, 3.7, 3.6),
    "TRADES": (84.4, 81.3, 59.2, 53.6, 26.6, 17.5, 22.0, 8.6, 5.7),
    "Undefended (B&W)": (88.3, 5.3, 4.1, 0.0, 0.9, 0.6, 0.0, 0.0, 0.0),
    "C (B&W)": (85.8, 40.8, 38.9, 4.2, 2.5, 2.5, 0.5, 0.1, 0.2),
}


def paper2_accuracy(defence: str, attack: str) -> float:
    """The paper's Table 1 entry (accuracy in %) for ``defence`` under ``attack``.

    Example:
        >>> paper2_accuracy("Undefended", "C")
        3.0
    """
    if defence not in PAPER2_TABLE1:
        raise ValueError(f"unknown defence {defence!r}; expected one of {', '.join(PAPER2_TABLE1)}")
    if attack not in PAPER2_TABLE1_ATTACKS:
        raise ValueError(f"unknown attack {attack!r}; expected one of "
                         f"{', '.join(PAPER2_TABLE1_ATTACKS)}")
    return PAPER2_TABLE1[defence][PAPER2_TABLE1_ATTACKS.index(attack)]


def paper_tpr50_eps(model: str):
    """First ε of the paper's Table II (a coarser grid than 0.01) where the TPR of ``model``
    (``"natural"`` or ``"adversarial"``) reaches 0.5, or None.

    Example:
        >>> paper_tpr50_eps("natural"), paper_tpr50_eps("adversarial")
        (0.1, 0.37)
    """
    tpr = PAPER1_TABLE2_TPR[model]
    return next((e for e, t in zip(PAPER1_TABLE2_EPS, tpr) if t >= 0.5), None)
