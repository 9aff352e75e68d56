"""Beyond both papers: steganalysis detectors against PGD and functional attacks, an
adaptive attacker, and the detectors on real LSB steganography.

Modules: :mod:`.config` (profiles), :mod:`.common` (pools, attacks, 8-bit delivery),
:mod:`.stats` (rates with Wilson intervals, ROC/AUC), :mod:`.detection` (the detection
matrix), :mod:`.adaptive` (the strategic attacker), :mod:`.lsb` (LSB replacement and
matching), :mod:`.items` (campaign items). Paper-scale results are computed by
``python -m stego_lib.campaign run --items beyond``.

Example::

    >>> cfg = make_config("smoke")
    >>> cfg.mnist_models, cfg.cifar_attacks[:3], DETECTORS
    (('natural',), ('PGD', 'C+D'), ('predictor', 'ws', 'spam_fld'))
"""
from . import adaptive, detection, lsb
from .config import DETECTORS, EXPERIMENT, VERSION, BeyondConfig, ModelMissingError, make_config

__all__ = ["BeyondConfig", "DETECTORS", "EXPERIMENT", "ModelMissingError", "VERSION", "adaptive",
           "detection", "lsb", "make_config"]
