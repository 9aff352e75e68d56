"""Adversarial attacks. Images are ``(N, C, H, W)`` floats in [0, 1]; attacks never load data.

Example::

    >>> PGD(eps=0.3)
    PGD(eps=0.3, steps=40, alpha=0.01, random_start=True, clip_start=False, loss='ce')
    >>> functional_attack("C+S").name
    'C+S'
"""
from .pgd import PGD
from .threat import ThreatModel
from .recolor import ReColorAdv
from .stadv import StAdv
from .delta import Delta
from .combined import Combined
from .loop import (FUNCTIONAL_ATTACKS, PROTOCOLS, attack, cw_margin, functional_attack,
                   protocol_kappa)
from .adaptive import AdaptivePGD, quantize_in_ball
