"""Paper II: Laidlaw & Feizi, *Functional Adversarial Attacks* (NeurIPS 2019), Table 1.

Eleven ResNet-32 models (undefended; adversarially trained against C, D, S, C+S, C+D, S+D and
C+S+D; TRADES; grayscale undefended and grayscale C-trained) against nine columns (no attack,
C-RGB, C, D, S, C+S, C+D, S+D, C+S+D), every attack with the paper's bounds and 100 iterations,
on the same test images in every cell.

Modules: :mod:`.config` (rows, columns, profiles), :mod:`.recipes` (how each model is trained,
on a CPU and on a GPU), :mod:`.objectives` (the training attacks and losses, TRADES included),
:mod:`.training` (resumable training slices, checkpoints with manifest), :mod:`.table1` (one
cache entry per cell, :func:`run`), :mod:`.summaries` (accuracy, standard error, the paper
beside ours, headlines), :mod:`.claims` (the paper's conclusions as tests on a table),
:mod:`.items` (the campaign items); :mod:`.released` and :mod:`.prose` (Table 1 on the
authors' released models beside ours), :mod:`.authors` (the authors' own attack on them),
:mod:`.bw_conversion` (the released B&W model's input). The models and the table are computed by
``python -m stego_lib.campaign run --items paper2``.

Example::

    >>> cfg = make_config("smoke")
    >>> cfg.rows[:3], ATTACKS[:4], LABELS["natural"]
    (('natural',), ('None', 'C-RGB', 'C', 'D'), 'Undefended')
"""
from .config import (ATTACKS, CAMPAIGN_COMMAND, CHECKPOINTS, EXPERIMENT, LABELS, PAPER_IMAGES,
                     RELEASED_ROWS, ROWS, THREATS, VERSION, Table1Config, image_ranges,
                     make_config)
from .claims import claims
from .clean import jpeg_cost, model_rows
from .recipes import RECIPES, recipe
from .summaries import (binomial_se, cells, diff_se, differences, grids, headlines, near_paper,
                        tradeoff)
from .table1 import Table1Result, adversarial_images, page_result, run

__all__ = ["ATTACKS", "CAMPAIGN_COMMAND", "CHECKPOINTS", "EXPERIMENT", "LABELS", "PAPER_IMAGES",
           "RECIPES", "RELEASED_ROWS", "ROWS", "THREATS", "Table1Config", "Table1Result", "VERSION",
           "adversarial_images", "binomial_se", "cells", "claims", "diff_se", "differences",
           "grids", "headlines", "image_ranges", "jpeg_cost", "make_config", "model_rows",
           "near_paper", "page_result", "recipe", "run", "tradeoff"]
