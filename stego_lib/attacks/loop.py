"""One attack loop for every threat model (Laidlaw & Feizi, NeurIPS 2019).

The reference (cassidylaidlaw/ReColorAdv, ``utils.get_attack_from_name``)
minimises, per image, the Carlini–Wagner f6 margin plus 0.05 × the threat model's
regulariser, with Adam (lr 1e-3) for 100 iterations, projecting after every step, and
returns the last iterate (it calls this PGD). :func:`attack` does the same for any
:class:`~stego_lib.attacks.threat.ThreatModel`.

Two evaluation protocols differ only in the margin's confidence κ (:data:`PROTOCOLS`):

- ``"package-2020"``: κ = ∞, the f6 margin never clipped. Set by ``get_attack_from_name`` in
  the ``recoloradv`` 0.0.1 package's ``utils.py`` (``CWLossF6(..., kappa=float('inf'))``),
  published in September 2020 with the released models.
- ``"paper-2019"``: κ = 0, the default of ``CWLossF6`` in the mister_ed framework
  (revbucket/mister_ed, ``loss_functions.py``) that the paper's May 2019 experiments were built
  on; its ``scripts/advtrain.py`` and the 2019 getting-started notebook of the ReColorAdv
  repository build the loss without naming κ. With κ = 0 the margin stops pulling as soon as an
  image is misclassified; only the regulariser acts after that, so the last iterate can drift
  back across the decision boundary.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .._checks import check_choice, check_images, check_labels, check_positive
from .combined import Combined
from .delta import Delta
from .linf import eval_mode
from .recolor import ReColorAdv
from .stadv import StAdv
from .threat import ThreatModel

__all__ = ["FUNCTIONAL_ATTACKS", "PROTOCOLS", "attack", "cw_margin", "functional_attack",
           "protocol_kappa"]

FUNCTIONAL_ATTACKS = ("C", "C-RGB", "D", "S", "C+S", "C+D", "S+D", "C+S+D")
# Evaluation protocol -> the CW f6 confidence κ (see the module docstring for the sources).
PROTOCOLS = {"package-2020": float("inf"), "paper-2019": 0.0}
DEFAULT_PROTOCOL = "package-2020"


def protocol_kappa(protocol: str) -> float:
    """The κ of a named protocol.

    Example:
        >>> protocol_kappa("paper-2019"), protocol_kappa("package-2020")
        (0.0, inf)
    """
    check_choice(protocol, tuple(PROTOCOLS), name="protocol")
    return PROTOCOLS[protocol]


def cw_margin(logits: torch.Tensor, labels: torch.Tensor,
              kappa: float = float("inf")) -> torch.Tensor:
    """Carlini–Wagner f6: ``max(z_y − max_{i≠y} z_i, −κ)``, shape ``(N,)``.

    The unclipped margin (κ = ∞, the default) is negative exactly when the image is
    misclassified; with κ = 0 a misclassified image contributes 0 and no gradient.

    Example:
        >>> z = torch.tensor([[2.0, 1.0], [0.0, 3.0]])
        >>> cw_margin(z, torch.tensor([0, 0])).tolist(), cw_margin(z, torch.tensor([0, 0]), 0.0).tolist()
        ([1.0, -3.0], [1.0, 0.0])
    """
    true = logits.gather(1, labels[:, None]).squeeze(1)
    other = logits.masked_fill(nn.functional.one_hot(labels, logits.shape[1]).bool(), float("-inf"))
    margin = true - other.amax(1)
    # Skipped at κ = ∞ so the default protocol's graph, and its results, stay as they were.
    return margin if kappa == float("inf") else margin.clamp(min=-kappa)


def attack(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, threat: ThreatModel, *,
           steps: int = 100, lr: float = 1e-3, reg_weight: float = 0.05,
           kappa: float = float("inf"), generator: torch.Generator | None = None,
           progress: bool = False, return_params: bool = False, trace: tuple = ()):
    """Run a functional attack: Adam on the CW margin plus the weighted regulariser.

    Paper: Laidlaw & Feizi, *Functional Adversarial Attacks*, NeurIPS 2019, Section 4: the
    Lagrangian relaxation the paper labels (∗), ``argmin_{f ∈ F_diff-col} L_adv(f, x) +
    λ L_smooth(f)``, with ``L_adv`` the Carlini–Wagner f6 loss of its Eq. (3). The paper
    solves (∗) by "PGD"; its code (and this loop) takes Adam steps and projects onto
    ``F_diff-col`` after each one.

    Each step: ``loss = Σ_n [margin_n + reg_weight · threat.regularizer_n]``;
    one Adam step on all of ``threat``'s parameters; ``threat.project``. The
    sum over images keeps the images independent of each other. The result is
    the last iterate (not the best one), as in the reference.

    Args:
        model: classifier taking ``(N, C, H, W)`` images in [0, 1] to logits
            ``(N, K)``; it is put in eval mode during the attack and its
            train/eval mode restored afterwards. Its weights are not changed
            and get no ``.grad``.
        images: ``(N, C, H, W)`` float in [0, 1], on the model's device.
        labels: ``(N,)`` int64 true labels.
        threat: a :class:`ThreatModel`, e.g. ``functional_attack("C+S+D")``.
        steps: Adam steps (default 100; the reference's ``num_iterations``). 0 returns the
            initial images.
        lr: Adam learning rate (default 1e-3).
        reg_weight: λ on the regulariser (default 0.05).
        kappa: the CW f6 confidence κ ≥ 0 (default ∞, protocol ``"package-2020"``; 0 is
            ``"paper-2019"``, see :data:`PROTOCOLS`). Every step runs whatever κ is.
        generator: the generator of random starts (a CPU one gives the same start
            on every device). With the default identity start the attack is
            deterministic anyway.
        progress: show a tqdm progress bar.
        return_params: also return the final parameters.
        trace: step counts (each in 1..steps) after which the attacked images are kept too,
            so one run of ``steps`` gives the result of every shorter run (Adam's state
            does not depend on how many steps follow).

    Returns:
        The adversarial images ``(N, C, H, W)`` in [0, 1] (detached), or
        ``(images, params)`` when ``return_params``; with ``trace``, ``(images, {step:
        images after that step})`` (``return_params`` then not allowed).

    Raises:
        TypeError / ValueError: bad images, labels or hyperparameters.

    Example:
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 10))
        >>> x, y = torch.rand(4, 3, 8, 8), torch.randint(0, 10, (4,))
        >>> x_adv = attack(model, x, y, functional_attack("C+D"), steps=5)
        >>> x_adv.shape
        torch.Size([4, 3, 8, 8])
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(threat, ThreatModel):
        raise TypeError(f"threat must be a ThreatModel, got {type(threat).__name__}")
    check_images(images)
    threat.check_input(images)
    check_labels(labels, images.shape[0])
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    check_positive(lr, name="lr")
    check_positive(reg_weight, name="reg_weight", allow_zero=True)
    if not isinstance(kappa, (int, float)) or isinstance(kappa, bool) or not kappa >= 0:
        raise ValueError(f"kappa must be a number >= 0 (float('inf') for no clipping), "
                         f"got {kappa!r}")
    trace = tuple(trace)
    if any(isinstance(t, bool) or not isinstance(t, int) or not 1 <= t <= steps for t in trace):
        raise ValueError(f"trace must hold step counts in 1..{steps}, got {trace!r}")
    if trace and return_params:
        raise ValueError("trace and return_params cannot be combined")
    kept = {}

    with eval_mode(model):
        params = threat.init(images, generator)
        threat.project(params)
        _optimise(model, images, labels, threat, params,
                  _Settings(steps=steps, lr=lr, reg_weight=reg_weight, kappa=float(kappa)),
                  progress=progress, keep=lambda step: _keep(kept, trace, step, threat,
                                                             images, params))
        with torch.no_grad():
            adv = threat.apply(images, params).detach()
    if trace:
        return adv, kept
    return (adv, params) if return_params else adv


def _keep(kept: dict, trace: tuple, step: int, threat, images, params) -> None:
    if step in trace:
        with torch.no_grad():
            kept[step] = threat.apply(images, params).detach()


@dataclass(frozen=True)
class _Settings:
    """The optimisation's settings, validated by :func:`attack`."""

    steps: int
    lr: float
    reg_weight: float
    kappa: float


def _optimise(model, images, labels, threat, params, settings: _Settings, *, progress,
              keep=None) -> None:
    # Adam on the threat model's parameters, projecting after each step. Not PGD's loop
    # (stego_lib.attacks.pgd): PGD takes signed steps on the image itself.
    steps, lr, reg_weight, kappa = (settings.steps, settings.lr, settings.reg_weight,
                                    settings.kappa)
    tensors = threat.tensors(params)
    for t in tensors:
        t.requires_grad_(True)
    opt = torch.optim.Adam(tensors, lr=lr)
    loop = range(steps)
    if progress:
        from tqdm.auto import tqdm
        loop = tqdm(loop, desc=f"attack {threat.name}")
    with torch.enable_grad():
        for step in loop:
            adv = threat.apply(images, params)
            loss = cw_margin(model(adv), labels, kappa).sum()
            if reg_weight:
                loss = loss + reg_weight * threat.regularizer(params).sum()
            # autograd.grad, not backward: the model's .grad stays untouched
            grads = torch.autograd.grad(loss, tensors)
            for t, g in zip(tensors, grads):
                t.grad = g
            opt.step()
            threat.project(params)
            if keep is not None:
                keep(step + 1)
    for t in tensors:
        t.requires_grad_(False)
        t.grad = None


def functional_attack(name: str, *, recolor: dict | None = None, stadv: dict | None = None,
                      delta: dict | None = None) -> ThreatModel:
    """Build one of the paper's threat models by its Table 1 name.

    Args:
        name: ``"C"`` (ReColorAdv, CIELUV), ``"C-RGB"``, ``"D"`` (L∞ 8/255),
            ``"S"`` (StAdv), or a combination ``"C+S"``, ``"C+D"``, ``"S+D"``,
            ``"C+S+D"`` (always applied in the order C → S → D).
        recolor, stadv, delta: keyword arguments for the components
            (:class:`ReColorAdv`, :class:`StAdv`, :class:`Delta`).

    Returns:
        A single threat model, or a :class:`Combined` one.

    Raises:
        ValueError: unknown name, or bad component hyperparameters.

    Example:
        >>> functional_attack("C+D", delta={"eps": 4 / 255})
        Combined([ReColorAdv(space='luv', eps=(0.06, 0.06, 0.06), resolution=(16, 32, 32), gamut='shrink', random_start=False), Delta(eps=0.0156863, random_start=False)])
    """
    check_choice(name, FUNCTIONAL_ATTACKS, name="functional attack")
    parts = []
    for part in name.split("+"):
        if part == "C":
            parts.append(ReColorAdv(space="luv", **(recolor or {})))
        elif part == "C-RGB":
            parts.append(ReColorAdv(**{"space": "rgb", **(recolor or {})}))
        elif part == "S":
            parts.append(StAdv(**(stadv or {})))
        else:
            parts.append(Delta(**(delta or {})))
    return parts[0] if len(parts) == 1 else Combined(parts)
