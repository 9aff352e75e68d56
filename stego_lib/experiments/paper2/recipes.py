"""Training recipes of Paper II's eleven ResNet-32 models, one per row of Table 1 and device.

Laidlaw & Feizi (2019) give no training recipe beyond "adversarial training" and the reference
code's trainer (``mister_ed``: Adam, lr 1e-3, every batch concatenated with its adversarial
version); the released robust models were fine-tuned from the natural one. So:

* **natural** (the undefended model, akamaster's ResNet-32 with the normaliser inside).
  GPU: akamaster's schedule (SGD, momentum 0.9, weight decay 1e-4, batch 128, lr 0.1 divided
  by 10 after epochs 100 and 150, 200 epochs; the target is >= 92 %). CPU: 35 epochs with a
  one-cycle schedule (peak lr 0.2 after a 15 % warm-up, then cosine annealing) and weight
  decay 5e-4. A short schedule needs the larger decay, and the warm-up lets it use a peak lr
  twice akamaster's without diverging from a random start; one-cycle reaches in 35 epochs
  what a step schedule needs about 100 for. No label smoothing: it changes the logits'
  margins, which is what the attacks optimise, so it would make the undefended row less
  comparable with the paper's.
* **adversarial** (one per threat model of Table 1): fine-tuned from the natural model on
  ``cat(clean, adversarial)`` with Adam (lr 1e-3 as the reference, decayed by a cosine so a
  short run ends settled), crop + flip. The training attack is the evaluation attack with
  fewer Adam steps and a larger step, so that the few steps still reach the bounds (Adam's
  steps are about ``lr`` each; 5 x 0.02 = 0.1 spans every bound: 0.06 for C, 8/255 for D,
  0.05 for S). CPU: one epoch, 5 steps. GPU: 5 epochs, 20 steps of 0.005.
* **TRADES**: β = 6, ε = 8/255, the authors' KL inner maximisation; fine-tuned from the
  natural ResNet-32 with the same optimiser as the adversarial models. GPU: the authors'
  PGD-10 (step 0.007), 5 epochs. CPU: PGD-5 with step 0.014 (the same total path length), one
  epoch.
* **gray**: the natural model behind the ITU-R 601 luma conversion, fine-tuned on grayscale
  input with SGD (lr 0.02, cosine, weight decay 5e-4); 5 epochs on a CPU, 30 on a GPU.
* **gray-c**: the gray model adversarially trained against C, as the C row.
"""
from __future__ import annotations

import copy

from ..._checks import check_choice
from ...attacks import FUNCTIONAL_ATTACKS
from ...models import ARCHITECTURES
from ...training import OPTIMIZERS, SCHEDULES
from .config import ROWS, THREATS

__all__ = ["DEVICES", "RECIPES", "recipe", "validate"]

DEVICES = ("cpu", "cuda")
OBJECTIVES = ("ce", "concat", "trades")
_FINE_TUNE = dict(optimizer="adam", lr=1e-3, weight_decay=0.0, momentum=0.9, schedule="cosine",
                  milestones=(), batch_size=128)
_PAPER = "Laidlaw & Feizi 2019 (NeurIPS), Table 1"
_NO_WRN = ("ResNet-32 instead of the TRADES authors' released WRN-34-10 (not downloadable "
           "here); trained with their loss, fine-tuned from our natural ResNet-32")
_CPU_ADV = ("one epoch of fine-tuning with a 5-step training attack (Adam step 0.02) instead "
            "of a longer run with a stronger attack: a CPU budget of 25-40 minutes per model")


def _adversarial(threat: str, device: str, *, arch="resnet32", init="natural") -> dict:
    iters, lr, epochs = (5, 0.02, 1) if device == "cpu" else (20, 0.005, 5)
    r = dict(arch=arch, init=init, epochs=epochs, objective="concat", **_FINE_TUNE,
             adversary=dict(kind="functional", threat=threat, iterations=iters, lr=lr,
                            reg_weight=0.05),
             reference=f"{_PAPER}; adversarial training as the reference's mister_ed trainer "
                       f"(Adam 1e-3, batch = clean + adversarial), fine-tuned from {init}",
             deviations=["the paper does not state its training attack's iterations; ours: "
                         f"{iters} Adam steps of {lr:g}",
                         "cosine decay of Adam's lr (the reference trainer keeps it constant)",
                         "trained on the JPEG copy of CIFAR-10"])
    if device == "cpu":
        r["deviations"].append(_CPU_ADV)
    return r


def _build() -> dict:
    out = {}
    for dev in DEVICES:
        gpu = dev == "cuda"
        nat = dict(arch="resnet32", init="scratch", objective="ce", adversary=None, batch_size=128,
                   optimizer="sgd", momentum=0.9,
                   reference="akamaster/pytorch_resnet_cifar10 (the paper's undefended model)",
                   deviations=["trained on the JPEG copy of CIFAR-10"])
        if gpu:
            nat.update(epochs=200, lr=0.1, weight_decay=1e-4, schedule="multistep",
                       milestones=(100, 150))
        else:
            nat.update(epochs=35, lr=0.2, weight_decay=5e-4, schedule="onecycle", milestones=(),
                       deviations=nat["deviations"] + [
                           "35 epochs with a one-cycle schedule (peak lr 0.2, weight decay 5e-4) "
                           "instead of akamaster's 200 epochs with steps at 100 and 150"])
        out[("natural", dev)] = nat
        for t in THREATS:
            out[(t.lower(), dev)] = _adversarial(t, dev)
        steps, step_size, epochs = (10, 0.007, 5) if gpu else (5, 0.014, 1)
        out[("trades", dev)] = dict(
            arch="resnet32", init="natural", epochs=epochs, objective="trades", beta=6.0,
            **_FINE_TUNE,
            adversary=dict(kind="trades", eps=8 / 255, step_size=step_size, steps=steps,
                           init_std=0.001),
            reference="Zhang et al. 2019 (ICML), yaodongyu/TRADES trades.py: beta 6, eps 8/255",
            deviations=[_NO_WRN, "Adam 1e-3 with cosine decay, fine-tuning, instead of SGD "
                        "0.1 from scratch for 100 epochs", "trained on the JPEG copy of CIFAR-10"]
            + ([] if gpu else ["PGD-5 with step 0.014 inside TRADES instead of PGD-10 with "
                               "step 0.007; one epoch (CPU budget)"]))
        out[("gray", dev)] = dict(
            arch="resnet32_gray", init="natural", epochs=30 if gpu else 5, objective="ce",
            adversary=None, batch_size=128, optimizer="sgd", lr=0.02, momentum=0.9,
            weight_decay=5e-4, schedule="cosine", milestones=(),
            reference=f"{_PAPER}, B&W rows: luma (ITU-R BT.601) replicated to 3 channels in "
                      f"front of the network; fine-tuned from the natural model",
            deviations=["the paper does not say how its B&W models were trained or which "
                        "grayscale conversion they used", "trained on the JPEG copy of CIFAR-10"])
        out[("gray-c", dev)] = _adversarial("C", dev, arch="resnet32_gray", init="gray")
    return out


RECIPES = _build()
_REQUIRED = ("arch", "init", "epochs", "objective", "adversary", "batch_size", "optimizer", "lr",
             "weight_decay", "momentum", "schedule", "milestones", "reference", "deviations")


def _positive_int(r: dict, key: str) -> None:
    v = r[key]
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise ValueError(f"recipe {key} must be an int >= 1, got {v!r}")


def _number(r: dict, key: str, *, positive: bool) -> None:
    v = r[key]
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and (v > 0 if positive else v >= 0)
    if not ok:
        raise ValueError(f"recipe {key} must be a number {'>' if positive else '>='} 0, got {v!r}")


def _validate_adversary(adv: dict, objective: str) -> None:
    kind = adv.get("kind")
    want = {"concat": "functional", "trades": "trades"}.get(objective)
    if kind != want:
        raise ValueError(f"objective {objective!r} needs an adversary of kind {want!r}, got {kind!r}")
    if kind == "functional":
        check_choice(adv.get("threat"), FUNCTIONAL_ATTACKS, name="adversary threat")
        keys = ("iterations",), ("lr",), ("reg_weight",)
    else:
        keys = ("steps",), ("eps", "step_size"), ("init_std",)
    for k in keys[0]:
        _positive_int(adv, k)
    for k in keys[1]:
        _number(adv, k, positive=True)
    for k in keys[2]:
        _number(adv, k, positive=False)


def validate(r: dict) -> dict:
    """Check a recipe (see ``RECIPES``) and return it.

    Raises:
        ValueError: a missing key, an unknown architecture, init, optimiser, schedule or
            objective, or a bad number; an adversary that does not fit the objective.
    """
    if not isinstance(r, dict):
        raise ValueError(f"a recipe must be a dict, got {type(r).__name__}")
    missing = [k for k in _REQUIRED if k not in r]
    if missing:
        raise ValueError(f"recipe lacks {', '.join(missing)}")
    check_choice(r["arch"], tuple(ARCHITECTURES), name="architecture")
    check_choice(r["init"], ("scratch",) + tuple(ROWS), name="init")
    check_choice(r["optimizer"], OPTIMIZERS, name="optimizer")
    check_choice(r["schedule"], SCHEDULES, name="schedule")
    check_choice(r["objective"], OBJECTIVES, name="objective")
    for k in ("epochs", "batch_size"):
        _positive_int(r, k)
    _number(r, "lr", positive=True)
    for k in ("weight_decay", "momentum"):
        _number(r, k, positive=False)
    if r["schedule"] == "multistep" and not r["milestones"]:
        raise ValueError("schedule 'multistep' needs milestones (epochs), got none")
    if r["objective"] == "ce":
        if r["adversary"] is not None:
            raise ValueError(f"objective 'ce' trains on clean images only; got an adversary "
                             f"{r['adversary']!r}")
    elif not isinstance(r["adversary"], dict):
        raise ValueError(f"objective {r['objective']!r} needs an adversary dict, got "
                         f"{r['adversary']!r}")
    else:
        _validate_adversary(r["adversary"], r["objective"])
    if r["objective"] == "trades":
        _number(r, "beta", positive=False)
    return r


def recipe(row: str, device: str) -> dict:
    """A validated copy of the recipe of Table 1's ``row`` (see ``config.ROWS``) on ``device``
    (``"cpu"`` or ``"cuda"``).

    Example:
        >>> r = recipe("c+s+d", "cpu")
        >>> r["init"], r["objective"], r["adversary"]["iterations"]
        ('natural', 'concat', 5)
    """
    check_choice(row, tuple(ROWS), name="row")
    check_choice(device, DEVICES, name="device")
    return validate(copy.deepcopy(RECIPES[(row, device)]))
