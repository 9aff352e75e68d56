"""Profiles, grids and checks of the "beyond both papers" experiments.

Three experiments share this configuration:

* ``detection``: the detection matrix, per (data set, model, attack, bound) cell: the
  attacked test images' scores under three detectors (the pixel predictor of Paper I, the
  full WS estimator, and a learned SPAM + FLD-ensemble detector), with ROC/AUC and the
  rates at the zero-false-positive threshold;
* ``adaptive``: an attacker who knows the pixel predictor (MNIST, both Paper I models);
* ``lsb``: the detectors on real LSB steganography (no model needed).

Data pools, all disjoint: *test* images (attacked and scored), *train* images (clean and
attacked pairs that train the learned detector) and *calibration* images (clean; the
threshold of every detector is the largest score over them).

Example::

    >>> cfg = make_config("smoke", mnist_eps="0.1, 0.3")
    >>> cfg.mnist_eps, checkpoint_name(cfg, "mnist", "natural"), store(cfg)
    ((0.1, 0.3), 'mnist_natural_pytorch_init', False)
"""
from __future__ import annotations

from dataclasses import dataclass

from ...cache import ModelMissingError  # noqa: F401 - part of this experiment's API
from .. import ProfileConfig

EXPERIMENT = "beyond"
VERSION = "1"   # bump when the stored arrays change meaning
CAMPAIGN_COMMAND = "python -m stego_lib.campaign run --items beyond"

# Paper I's models (MNIST) and the undefended CIFAR-10 ResNet-32 of Paper II.
MNIST_CHECKPOINTS = {"natural": "mnist_natural", "adversarial": "mnist_adversarial"}
CIFAR_CHECKPOINTS = {"natural": "cifar_resnet32_natural"}
# Paper I sweeps ε from 0.01 to 0.5; 0.3 is mnist_challenge's bound.
MNIST_EPS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
# The papers' bounds: Paper II's delta (8/255; also the usual CIFAR-10 PGD bound),
# ReColorAdv 0.06 per scaled channel (CIELUV, and our RGB choice), StAdv 0.05 of the grid.
CIFAR_BOUNDS = {"PGD": 8 / 255, "D": 8 / 255, "C": 0.06, "C-RGB": 0.06, "S": 0.05}
CIFAR_ATTACKS = ("PGD", "D", "C", "C-RGB", "S", "C+S", "C+D", "S+D", "C+S+D")
CIFAR_SCALES = (0.25, 0.5, 1.0, 2.0)   # multiples of the papers' bounds
DETECTORS = ("predictor", "ws", "spam_fld")
LSB_RATES = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)

_DEFAULTS = {
    # seconds on a CPU, from the package's samples and small committed checkpoints only
    "smoke": dict(
        data="sample", mnist_models=("natural",), mnist_eps=(0.1, 0.3),
        cifar_attacks=("PGD", "C+D"), cifar_scales=(1.0,),
        mnist_n=dict(test=40, train=40, cal=100), cifar_n=dict(test=8, train=8, cal=50),
        pgd_steps=5, pgd_alpha=0.06, cifar_pgd_steps=5, iterations=5, adaptive_steps=10,
        c_grid=(1e2, 1e4),
        learners=11, d_sub=50, lsb_n=dict(mnist=100, cifar10=50),
        checkpoints={"mnist:natural": "mnist_natural_pytorch_init",
                     "cifar10:natural": "cifar_resnet32_brief"}),
    # minutes on a CPU: the natural models, the papers' bounds
    "quick": dict(
        data="root", mnist_models=("natural",), mnist_eps=(0.1, 0.3),
        cifar_attacks=("PGD", "D", "C", "S", "C+S+D"), cifar_scales=(1.0,),
        mnist_n=dict(test=500, train=300, cal=2000), cifar_n=dict(test=50, train=50, cal=1000),
        pgd_steps=40, pgd_alpha=0.01, cifar_pgd_steps=20, iterations=100, adaptive_steps=100,
        c_grid=(1e2, 1e4), learners=51, d_sub="automatic", lsb_n=dict(mnist=500, cifar10=200),
        checkpoints={}),
    # the full matrix: 2,000 MNIST and 200 CIFAR-10 test images per cell
    "paper": dict(
        data="root", mnist_models=("natural", "adversarial"), mnist_eps=MNIST_EPS,
        cifar_attacks=CIFAR_ATTACKS, cifar_scales=CIFAR_SCALES,
        mnist_n=dict(test=2000, train=1000, cal=10000),
        cifar_n=dict(test=200, train=200, cal=4460),
        pgd_steps=40, pgd_alpha=0.01, cifar_pgd_steps=20, iterations=100, adaptive_steps=100,
        c_grid=(1e2, 1e4), learners=51, d_sub="automatic", lsb_n=dict(mnist=2000, cifar10=846),
        checkpoints={}),
}
_COMMON = dict(
    seed=0,                # seeds attacks, the ensemble and the LSB embedding
    # CIFAR-10 PGD: cifar_pgd_steps steps of 2.5 ε / steps, random start clipped
    lr=1e-3, reg_weight=0.05,   # the functional attacks' reference settings (Adam, 100 its.)
    lsb_rates=LSB_RATES,
    batch_size=500,
)


@dataclass(frozen=True)
class BeyondConfig(ProfileConfig):
    """Everything the three experiments depend on, validated once when it is made; a field
    left as None takes the profile's value (``_DEFAULTS``, then ``_COMMON``). Lists given as
    comma-separated strings are split."""

    data: str | None = None
    mnist_models: tuple[str, ...] | str | None = None
    mnist_eps: tuple[float, ...] | str | None = None
    cifar_attacks: tuple[str, ...] | str | None = None
    cifar_scales: tuple[float, ...] | str | None = None
    mnist_n: dict | None = None          # test, train, cal images
    cifar_n: dict | None = None
    pgd_steps: int | None = None
    pgd_alpha: float | None = None
    cifar_pgd_steps: int | None = None
    iterations: int | None = None
    adaptive_steps: int | None = None
    c_grid: tuple[float, ...] | str | None = None
    learners: int | None = None
    d_sub: int | str | None = None
    lsb_n: dict | None = None
    checkpoints: dict | None = None      # "dataset:model" -> checkpoint name, where not the default
    seed: int | None = None
    lr: float | None = None
    reg_weight: float | None = None
    lsb_rates: tuple[float, ...] | str | None = None
    batch_size: int | None = None

    def profile_values(self) -> dict:
        return {**_DEFAULTS[self.profile], **_COMMON}

    def check(self) -> None:
        for key in ("mnist_models", "mnist_eps", "cifar_attacks", "cifar_scales", "lsb_rates",
                    "c_grid"):
            v = getattr(self, key)
            self.set(key, tuple(s.strip() for s in v.split(",") if s.strip())
                     if isinstance(v, str) else tuple(v))
        for key in ("mnist_n", "cifar_n", "lsb_n", "checkpoints"):
            self.set(key, dict(getattr(self, key)))   # a copy: the profile's stays as it is
        self.set("mnist_eps", tuple(sorted({round(float(e), 4) for e in self.mnist_eps})))
        self.set("cifar_scales", tuple(sorted({float(s) for s in self.cifar_scales})))
        for m in self.mnist_models:
            if m not in MNIST_CHECKPOINTS:
                raise ValueError(f"unknown MNIST model {m!r}; expected some of "
                                 f"{', '.join(map(repr, MNIST_CHECKPOINTS))}")
        for a in self.cifar_attacks:
            if a not in CIFAR_ATTACKS:
                raise ValueError(f"unknown CIFAR-10 attack {a!r}; expected some of {CIFAR_ATTACKS}")
        if any(not 0 < e <= 1 for e in self.mnist_eps) or any(s <= 0 for s in self.cifar_scales):
            raise ValueError(f"ε and bound scales must be > 0 (ε <= 1), got {self.mnist_eps} and "
                             f"{self.cifar_scales}")
        if any(not 0 < float(r) <= 1 for r in self.lsb_rates):
            raise ValueError(f"LSB rates must lie in (0, 1], got {self.lsb_rates}")
        if self.data not in ("sample", "root"):
            raise ValueError(f"data must be 'sample' or 'root', got {self.data!r}")
        for key in ("seed", "pgd_steps", "iterations", "adaptive_steps", "cifar_pgd_steps",
                    "batch_size"):
            v = getattr(self, key)
            if not isinstance(v, int) or isinstance(v, bool) or v < (0 if key == "seed" else 1):
                raise ValueError(f"{key} must be a positive int, got {v!r}")


def make_config(profile: str, **overrides) -> BeyondConfig:
    """The :class:`BeyondConfig` of ``profile`` with ``overrides`` (None keeps the default).

    Raises:
        ValueError: unknown profile or parameter, or a value out of range.
    """
    return BeyondConfig.of(profile, **overrides)


def checkpoint_name(cfg: BeyondConfig, dataset: str, model: str) -> str:
    """The checkpoint of ``model`` on ``dataset`` at this profile."""
    key = f"{dataset}:{model}"
    if key in cfg.checkpoints:
        return cfg.checkpoints[key]
    return (MNIST_CHECKPOINTS if dataset == "mnist" else CIFAR_CHECKPOINTS)[model]


def store(cfg: BeyondConfig) -> bool:
    """Smoke results are never written to the results folder."""
    return cfg.profile != "smoke"
