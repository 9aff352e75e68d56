"""The authors' own attack on the authors' own models: ``recoloradv`` 0.0.1 (the ReColorAdv
reference package) on the released ResNet-32s, beside our attack on the same images.

Our Table 1 cell on a released model and the paper's cell differ for one of two reasons: our
attack is not theirs, or the paper's number is not reproducible from their release. Running
their package on their model, on the same images as our cell, separates the two. Each cache
entry holds, per image, whether the released model still classifies the authors' attacked
image correctly (as returned, and rounded to 8-bit pixels); the reference attacks from the
identity (no random start), so the result is deterministic.

The reference is an optional dependency (``pip install recoloradv==0.0.1 six``, the ``bench``
and ``test`` extras); it runs unmodified, with two runtime shims: a stand-in ``six`` module
when ``six`` is missing, and its deprecation warnings silenced.

Example::

    >>> reference_names()["C+S"]
    'recoloradv+stadv'
"""
from __future__ import annotations

import sys
import types
import warnings

import torch

from ... import checkpoints
from ...cache import ResultsCache, cached
from ...tasks import Chunk, Item
from ...models.reference import PREFIX
from ...attacks import protocol_kappa
from ...attacks.loop import DEFAULT_PROTOCOL
from .config import CAMPAIGN_COMMAND, RELEASED_ROWS, make_config
from .table1 import lazy_images, lazy_model, outcomes

__all__ = ["ATTACKS", "COMBINED", "EXPERIMENT", "IMAGES", "RGB", "RGB_EPS", "chunk_config", "items",
           "reference_attack", "reference_names", "run_chunk", "shim"]

EXPERIMENT = "paper2_authors"
VERSION = "1"
# The columns whose gaps on the released models call for the authors' own attack: C, and S
# (our StAdv pads the image by repeating its border, the reference with black).
ATTACKS = ("C", "S")
# Then every other column the reference names (all but C-RGB, which its bound sweep covers),
# cheapest first: the combinations' cells lie beyond two standard errors of the paper's on
# several released models, and only the authors' own code on the same images can say whether
# that is our attack or the paper's number.
COMBINED = ("D", "S+D", "C+S", "C+D", "C+S+D")
# Last, C-RGB through the reference's own colour-space code at Table 1's bound: the bound sweep
# says which bound would fit (none fits the undefended and the C-trained model together); this
# says whether, at our bound, the authors' RGB attack lands where ours does.
RGB = ("C-RGB",)
RGB_EPS = 0.06         # Table 1's C-RGB bound per RGB channel (our ReColorAdv(space="rgb") default)
IMAGES = (0, 282)      # the first cache entry of every released Table 1 cell (same images)
CPU_RATE = 0.8         # images/s on one thread: C 343 s for 200 images, S about 4x faster
COMBINED_RATE = 0.9    # averaged over the five columns: D far cheaper than C, C+S+D dearer

# Table 1 name -> name understood by recoloradv.utils.get_attack_from_name; C-RGB is not
# among them (the reference has no RGB attack by name) and is built by reference_rgb_attack.
REFERENCE_NAMES = {"C": "recoloradv", "C-RGB": None, "D": "delta", "S": "stadv",
                   "C+S": "recoloradv+stadv", "C+D": "recoloradv+delta", "S+D": "stadv+delta",
                   "C+S+D": "recoloradv+stadv+delta"}


def reference_names() -> dict:
    return dict(REFERENCE_NAMES)


def shim() -> None:
    """Runtime compatibility shim for the reference on a modern stack."""
    try:
        import six  # noqa: F401
    except ImportError:
        sys.modules["six"] = types.SimpleNamespace(string_types=(str,))
    warnings.filterwarnings("ignore", module=r"recoloradv\..*")
    warnings.filterwarnings("ignore", message=".*align_corners.*")
    warnings.filterwarnings("ignore", message=".*Converting a tensor with requires_grad.*")


def _reference():
    shim()
    try:
        from recoloradv import utils as ru
        from recoloradv.mister_ed.utils import pytorch_utils as pu
    except ImportError as err:
        raise ImportError("the authors' attack needs the reference package: "
                          "pip install recoloradv==0.0.1 six") from err
    return ru, pu


def reference_rgb_attack(model: torch.nn.Module, eps: float, iterations: int = 100,
                         kappa: float = float("inf")):
    """The reference's ReColorAdv with its RGB colour space: ``get_attack_from_name("recoloradv")``
    with ``cs.RGBColorSpace()``, bound ``eps`` per channel and our C-RGB lattice (32, 32, 32);
    the paper states neither the bound nor the lattice of its C-RGB. ``kappa``: the CW f6
    confidence (see :data:`stego_lib.attacks.PROTOCOLS`)."""
    _reference()
    from torch import optim
    from recoloradv import color_spaces as cs, color_transformers as ct, perturbations as pt
    from recoloradv.mister_ed import adversarial_attacks as aa
    from recoloradv.mister_ed import adversarial_perturbations as ap
    from recoloradv.mister_ed import adversarial_training as advtrain
    from recoloradv.mister_ed import loss_functions as lf
    from recoloradv.mister_ed.utils import pytorch_utils as pu
    threat = ap.ThreatModel(ap.SequentialPerturbation, [ap.ThreatModel(
        pt.ReColorAdv, ap.PerturbationParameters(
            lp_style="inf", lp_bound=[eps] * 3, xform_class=ct.FullSpatial,
            xform_params={"resolution_x": 32, "resolution_y": 32, "resolution_z": 32},
            use_smooth_loss=True, cspace=cs.RGBColorSpace()))],
        ap.PerturbationParameters(norm_weights=[1.0]))
    normalizer = pu.IdentityNormalize()
    loss = lf.RegularizedLoss({"adv": lf.CWLossF6(model, normalizer, kappa=kappa),
                               "pert": lf.PerturbationNormLoss(lp=2)},
                              {"adv": 1.0, "pert": 0.05}, negate=True)
    return advtrain.AdversarialAttackParameters(
        aa.PGD(model, normalizer, threat, loss), 1.0,
        attack_specific_params={"attack_kwargs": {
            "num_iterations": iterations, "optimizer": optim.Adam,
            "optimizer_kwargs": {"lr": 0.001}, "signed": False, "verbose": False}})


def reference_attack(name: str, model: torch.nn.Module, iterations: int = 100,
                     rgb_eps: float = 0.06, protocol: str = DEFAULT_PROTOCOL):
    """The reference's ``AdversarialAttackParameters`` for Table 1 attack ``name`` with its
    defaults (Adam lr 1e-3, CW f6 with κ = ∞, λ = 0.05, last iterate), ``iterations`` steps.
    ``protocol="paper-2019"`` sets the κ of the package's own ``CWLossF6`` object to 0, the
    default of that class, and changes nothing else. ``model`` takes [0, 1] images (its
    normaliser inside); ``params.attack(x, y)[0]`` is the attacked batch."""
    if name not in REFERENCE_NAMES:
        raise ValueError(f"name must be one of {list(REFERENCE_NAMES)}, got {name!r}")
    kappa = protocol_kappa(protocol)
    if name == "C-RGB":
        return reference_rgb_attack(model, rgb_eps, iterations, kappa)
    ru, pu = _reference()
    params = ru.get_attack_from_name(REFERENCE_NAMES[name], model, pu.IdentityNormalize())
    params.attack_kwargs["num_iterations"] = iterations
    if protocol != DEFAULT_PROTOCOL:
        reference_cw_loss(params).kappa = kappa
    return params


def reference_cw_loss(params):
    """The ``CWLossF6`` object inside the reference's attack parameters (its ``kappa`` is read
    at every step)."""
    loss = params.adv_attack_obj.loss_fxn
    return loss.losses["adv"]


def _cfg(row: str) -> dict:
    return make_config("paper", models="released", rows=[row])


def chunk_config(row: str, attack: str, start: int, stop: int,
                 protocol: str = DEFAULT_PROTOCOL) -> dict:
    """The cache key: the released model's pinned sha256, the images, the reference attack,
    and the protocol when it is not the package's own."""
    cfg = _cfg(row)
    sha = checkpoints.entry(cfg.checkpoints[row])["sha256"]
    key = {"kind": "authors", "row": row, "checkpoint": sha, "attack": attack,
           "package": "recoloradv==0.0.1", "data": cfg.data, "start": start, "stop": stop,
           "iterations": cfg.iterations}
    if attack == "C-RGB":   # the only reference attack with a bound of ours; the others keep their keys
        key["rgb_eps"] = RGB_EPS
    if protocol != DEFAULT_PROTOCOL:   # the committed entries keep their keys
        key["protocol"] = protocol
    return key


def _compute(row: str, attack: str, start: int, stop: int, protocol: str, progress):
    cfg = _cfg(row)
    model = lazy_model(cfg.checkpoints[row]).get()
    split = lazy_images(cfg).get()
    x_all, y_all = split.images[start:stop], split.labels[start:stop]
    params = reference_attack(attack, model, cfg.iterations, rgb_eps=RGB_EPS,
                              protocol=protocol)
    pred, pred8 = [], []
    for i in range(0, len(x_all), cfg.batch_size):
        x, y = x_all[i:i + cfg.batch_size], y_all[i:i + cfg.batch_size]
        adv = params.attack(x, y)[0].detach()
        model.eval()   # the reference leaves the model as it found it; make sure
        with torch.no_grad():
            pred.append(model(adv).argmax(1))
            pred8.append(model((adv * 255).round() / 255).argmax(1))
        if progress is not None:
            progress(len(x))
    arrays = outcomes(y_all, pred, pred8)
    how = (f"ReColorAdv with RGBColorSpace, bound {RGB_EPS:g}, lattice 32x32x32"
           if attack == "C-RGB" else f"get_attack_from_name({REFERENCE_NAMES[attack]!r})")
    meta = {"attack": f"recoloradv 0.0.1 {how}, {cfg.iterations} iterations, "
                      f"kappa {protocol_kappa(protocol)}", "protocol": protocol,
            "data": split.provenance.to_dict(), "images": [start, stop],
            "model_checkpoint": cfg.checkpoints[row], "device": "cpu"}
    return arrays, meta


def run_chunk(row: str, attack: str = "C", start: int = IMAGES[0], stop: int = IMAGES[1], *,
              protocol: str = DEFAULT_PROTOCOL, mode: str = "auto", progress=None):
    """The authors' ``attack`` on the released model of ``row``, images ``[start, stop)`` of
    the exact-pixel test set, under ``protocol`` (cached; see :func:`stego_lib.cache.cached`)."""
    return cached(EXPERIMENT, chunk_config(row, attack, start, stop, protocol), VERSION,
                  lambda: _compute(row, attack, start, stop, protocol, progress),
                  needs_gpu=False, command=CAMPAIGN_COMMAND, mode=mode)


def has(row: str, attack: str = "C", start: int = IMAGES[0], stop: int = IMAGES[1],
        protocol: str = DEFAULT_PROTOCOL) -> bool:
    return ResultsCache().has(EXPERIMENT, chunk_config(row, attack, start, stop, protocol),
                              VERSION)


def _chunks(attacks: tuple[str, ...]):
    def chunks(device: str) -> list[Chunk]:
        out = []
        for attack in attacks:
            for row in RELEASED_ROWS:
                def run(progress, row=row, attack=attack):
                    run_chunk(row, attack, progress=progress)
                out.append(Chunk(f"{attack} on {PREFIX}{row}", lambda row=row, attack=attack:
                                 has(row, attack), run, units=IMAGES[1] - IMAGES[0]))
        return out
    return chunks


def items() -> list[Item]:
    images = f"on the nine released models, images {IMAGES[0]}-{IMAGES[1] - 1}"
    # S first: its chunks cost a quarter of C's and its gaps on the released models are the largest
    return [Item("paper2-authors", f"results/{EXPERIMENT}: the authors' C and S (recoloradv "
                                   f"0.0.1) {images}", _chunks(("S", "C")), unit="image",
                 rate={"cpu": CPU_RATE}),
            Item("paper2-authors-combined", f"results/{EXPERIMENT}: the authors' D and "
                                            f"combinations (recoloradv 0.0.1) {images}",
                 _chunks(COMBINED), unit="image", rate={"cpu": COMBINED_RATE}),
            Item("paper2-authors-crgb", f"results/{EXPERIMENT}: the authors' ReColorAdv in RGB "
                                        f"(recoloradv 0.0.1, bound {RGB_EPS:g}) {images}",
                 _chunks(RGB), unit="image", rate={"cpu": CPU_RATE})]
