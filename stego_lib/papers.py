"""Published numbers of the two papers, for overlays in the book.

Paper I: Schöttle, Schlögl, Pasquini, Böhme, "Detecting Adversarial Examples - A Lesson
from Multimedia Security", EUSIPCO 2018, Table II and Sections IV-A/B, transcribed from
the published paper.
"""
from __future__ import annotations

__all__ = ["PAPER1_TABLE2_EPS", "PAPER1_TABLE2_TPR", "PAPER1_HEADLINES"]

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
