"""Adversarial attacks. Images are ``(N, C, H, W)`` floats in [0, 1]; attacks never load data.

Two call shapes remain, on purpose:

- The L∞ attacks of Paper I (:class:`PGD`, :class:`AdaptivePGD`) take a fixed step along the
  gradient's sign. They are configured once and called like a torchattacks attack,
  ``PGD(eps=0.3, steps=40)(model, x, y)``: the shape of the reference PGD the tests compare
  against, and of the sweep that calls one configured attack per ε.
- The functional attacks of Paper II are a threat model (a perturbation's parameters, its
  projection and its regulariser: :class:`ReColorAdv`, :class:`StAdv`, :class:`Delta`,
  :class:`Combined`) run by one optimisation loop shared by all of them,
  ``attack(model, x, y, threat, steps=100)``: Adam on the CW margin plus the regulariser.

Two modules are imported by name, not re-exported here: :mod:`.training` (the attacks that
run inside adversarial training, one call per batch) and :mod:`.reference_variants` (our
threat models with one of the reference implementation's choices switched in, for the gap
studies of Paper II's Table 1).

Both name the iteration count ``steps``; experiment configs that follow a paper's wording call
it ``iterations`` and pass it on as ``steps``.

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
