"""Paper I: Schöttle et al., *Detecting Adversarial Examples - A Lesson from Multimedia
Security* (EUSIPCO 2018), end to end.

Pipeline (as alxshine/stego4secureML drives MadryLab/mnist_challenge):

1. a threshold: the largest detector score over the MNIST training images (all 60,000
   here; the paper's text says 50,000, its code used TensorFlow's 55,000);
2. per model (``natural``, and ``adversarial`` = the paper's "secret" model) and per ε:
   PGD-k on the first test images, then the model's prediction and the detector scores of
   each adversarial image (the images themselves are not kept);
3. per model: clean predictions and detector scores of the clean test images (for the
   false-positive rate, which the paper claims is zero but its code never measured).

Modules: :mod:`.config` (profiles and checks), :mod:`.compute` (cached chunks, :func:`run`),
:mod:`.summaries` (Table II, Figs 2-4, ROC/AUC, headlines), :mod:`.training` (the two
models' recipes), :mod:`.items` (the paper-scale campaign items). The paper-scale results
are computed by ``python -m stego_lib.campaign run --items paper1``.

Example::

    >>> cfg = Paper1Config("smoke")
    >>> cfg.models, cfg.eps, cfg.steps
    (('natural_pytorch_init',), (0.05, 0.1, 0.2, 0.3), 10)
"""
from .compute import ModelResult, Paper1Result, committed_eps, page_result, run, run_committed
from .config import (CAMPAIGN_COMMAND, CHECKPOINTS, DETECTORS, EPS_PAPER, EXPERIMENT, VERSION,
                     ModelMissingError, Paper1Config, images_for, make_config)
from .summaries import auc, auc_table, curves, headlines, roc, table2
from .training import RECIPES

__all__ = ["CAMPAIGN_COMMAND", "CHECKPOINTS", "DETECTORS", "EPS_PAPER", "EXPERIMENT",
           "ModelMissingError", "ModelResult", "Paper1Config", "Paper1Result", "RECIPES", "VERSION",
           "auc",
           "auc_table", "committed_eps", "curves", "headlines", "images_for", "make_config",
           "page_result", "roc", "run", "run_committed", "table2"]
