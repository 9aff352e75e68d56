"""ImageNet examples of functional attacks (Laidlaw & Feizi, NeurIPS 2019, Fig 2).

The paper's Fig 2 shows ImageNet images attacked by ReColorAdv, each as original,
adversarial image and magnified difference. Its text names an Inception-v4; the authors'
script uses a ResNet-50. Here any torchvision ImageNet classifier can be attacked, by name,
with its pretrained weights read from the local torch hub cache only (never downloaded), on
the images of a folder. The model's own prediction on each clean image is the label the
attack moves away from, since arbitrary images come without ground truth.

:func:`availability` says in one line why the examples cannot be computed here (no weights,
no images), so a page can show that instead of failing. Results are cached per
(model, images, attacks, iterations, seed).

Example::

    >>> cfg = make_config("smoke", image_dir="photos")
    >>> cfg.attacks, cfg.n_images, cfg.iterations, cfg.image_dir
    (('C', 'C+S+D'), 2, 5, 'photos')
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .. import checkpoints, data, hub
from .._checks import check_choice, check_images
from ..attacks import FUNCTIONAL_ATTACKS, attack, functional_attack
from ..cache import cached
from . import ProfileConfig
from . import Shown

__all__ = ["EXPERIMENT", "IMAGE_SUFFIXES", "ImageNetConfig", "Normalized", "availability", "classifier",
           "default_image_dir", "find_images", "load_images", "make_config", "page_result", "run",
           "run_examples"]

EXPERIMENT = "imagenet_examples"
VERSION = "1"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
PARAMS = ("model", "image_dir", "attacks", "n_images", "iterations", "seed")
_COMMON = {"model": "resnet50",        # the authors' ImageNet script (the text says Inception-v4)
           "image_dir": None,          # None: <data root>/imagenet-examples
           "attacks": ["C", "C+S+D"],  # Fig 2 shows C; C+S+D for comparison
           "seed": 0}
_DEFAULTS = {"smoke": {"n_images": 2, "iterations": 5},
             "quick": {"n_images": 4, "iterations": 50},
             "paper": {"n_images": 4, "iterations": 100}}  # Fig 2 shows four images


class Normalized(nn.Module):
    """A classifier for ``(N, 3, H, W)`` images in [0, 1]: per-channel normalisation, then ``net``."""

    def __init__(self, net: nn.Module, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)):
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.mean) / self.std)


def _weights(name: str):
    import torchvision

    try:
        return torchvision.models.get_model_weights(name).DEFAULT
    except ValueError as err:
        raise ValueError(f"unknown torchvision model {name!r} ({err})") from None


def classifier(name: str, *, hub_dir: str | os.PathLike | None = None):
    """A pretrained torchvision ImageNet classifier, from the local hub cache only.

    Args:
        name: a torchvision model name (``torchvision.models.list_models()``), e.g.
            ``"resnet50"``; its default weights are used.
        hub_dir: the torch hub directory (default ``torch.hub.get_dir()``).

    Returns:
        ``(model, categories, (resize, crop))``: the model in eval mode, taking images in
        [0, 1] (:class:`Normalized`); the 1,000 class names; the resize and centre-crop
        sizes of its preprocessing.

    Raises:
        ValueError: unknown model name.
        stego_lib.hub.WeightsMissingError: its weights are not in the hub cache.
    """
    import torchvision

    weights = _weights(name)
    state = hub.load_cached_state_dict(weights, hub_dir)
    net = torchvision.models.get_model(name, weights=None, **_arch_kwargs(name))
    net.load_state_dict(state)
    tf = weights.transforms()
    model = Normalized(net, tf.mean, tf.std).eval()
    return model, list(weights.meta["categories"]), (int(tf.resize_size[0]), int(tf.crop_size[0]))


def _arch_kwargs(name: str) -> dict:
    # torchvision's own builders make these two with auxiliary heads (their pretrained state
    # dicts carry them) and with the input transform their weights were trained with
    if name in ("inception_v3", "googlenet"):
        return {"aux_logits": True, "init_weights": False, "transform_input": True}
    return {}


def default_image_dir() -> Path:
    """``<data root>/imagenet-examples`` (the data root is ``$STEGO_DATA``, else ``./data``)."""
    return data.data_root() / "imagenet-examples"


def find_images(folder: str | os.PathLike) -> list[Path]:
    """Image files (by suffix, :data:`IMAGE_SUFFIXES`) directly in ``folder``, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def load_images(paths, *, resize: int = 256, crop: int = 224) -> torch.Tensor:
    """Read images as the classifier expects them: RGB, shorter side resized to ``resize``
    (bilinear, antialiased), centre crop ``crop`` × ``crop``; returns ``(N, 3, crop, crop)``
    float32 in [0, 1].

    Raises:
        ValueError: no paths, or ``crop`` > ``resize``.
        OSError: a file is not a readable image.
    """
    from PIL import Image
    from torchvision.transforms import functional as TF

    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("no image files given, got an empty list")
    if crop > resize:
        raise ValueError(f"crop must be <= resize, got crop={crop}, resize={resize}")
    out = []
    for p in paths:
        with Image.open(p) as im:
            x = TF.pil_to_tensor(im.convert("RGB")).float().div_(255)  # (3, H, W)
        x = TF.resize(x, resize, antialias=True).clamp_(0, 1)
        out.append(TF.center_crop(x, [crop, crop]))
    return torch.stack(out)


def availability(model: str, image_dir: str | os.PathLike | None = None, *,
                 hub_dir: str | os.PathLike | None = None) -> str | None:
    """None when the examples can be computed; otherwise one line saying what is missing."""
    # the lines name files, not this machine's folders: a page shows them as they are
    folder = Path(image_dir) if image_dir is not None else default_image_dir()
    try:
        weights = _weights(model)
    except ValueError as err:
        return f"The classifier cannot be loaded: {err}."
    try:
        hub.weights_file(weights, hub_dir)
    except hub.WeightsMissingError:
        return (f"The classifier cannot be loaded: the pretrained weights of {model} "
                f"({weights.url.rsplit('/', 1)[-1]}) are not in the local torch hub cache.")
    if not find_images(folder):
        return (f"No images to attack: the image folder '{folder.name}' holds no "
                f"{'/'.join(s.lstrip('.') for s in IMAGE_SUFFIXES)} files.")
    return None


def run_examples(model: nn.Module, images: torch.Tensor, *, attacks=("C", "C+S+D"),
                 iterations: int = 100, seed: int = 0, labels: torch.Tensor | None = None,
                 progress: bool = False) -> dict:
    """Attack ``images`` with each of ``attacks`` and collect what the figure needs.

    Args:
        model: classifier on ``(N, 3, H, W)`` images in [0, 1] (e.g. :func:`classifier`).
        images: ``(N, 3, H, W)`` in [0, 1], on the model's device.
        attacks: names of :data:`stego_lib.attacks.FUNCTIONAL_ATTACKS`.
        iterations, seed: as :func:`stego_lib.attacks.attack` (its other defaults are the
            reference's).
        labels: ``(N,)`` labels to attack; default the model's clean predictions.

    Returns:
        ``{"images": (N, 3, H, W) float32 array, "clean_pred": (N,), "attacks":
        {name: {"adv": (N, 3, H, W) float32, "adv_pred": (N,), "linf": (N,)}}}``.
    """
    check_images(images, channels=3)
    for name in attacks:
        check_choice(name, FUNCTIONAL_ATTACKS, name="functional attack")
    was_training = model.training
    model.eval()
    with torch.no_grad():
        clean_pred = model(images).argmax(1)
    y = clean_pred if labels is None else labels
    out = {"images": images.detach().cpu().numpy().astype(np.float32),
           "clean_pred": clean_pred.cpu().numpy(), "attacks": {}}
    for name in attacks:
        adv = attack(model, images, y, functional_attack(name), steps=iterations,
                     generator=torch.Generator().manual_seed(seed), progress=progress)
        with torch.no_grad():
            adv_pred = model(adv).argmax(1)
        out["attacks"][name] = {"adv": adv.cpu().numpy().astype(np.float32),
                                "adv_pred": adv_pred.cpu().numpy(),
                                "linf": (adv - images).flatten(1).abs().amax(1).cpu().numpy()}
    model.train(was_training)
    return out


@dataclass(frozen=True)
class ImageNetConfig(ProfileConfig):
    """The classifier, the folder of images (None: the data root's), the attacks, the first
    ``n_images`` images, the attack's iterations and seed; None fields take the profile's
    value."""

    model: str | None = None
    image_dir: str | None = None
    attacks: tuple[str, ...] | None = None
    n_images: int | None = None
    iterations: int | None = None
    seed: int | None = None

    def profile_values(self) -> dict:
        return {**_COMMON, **_DEFAULTS[self.profile]}

    def check(self) -> None:
        self.set("attacks", tuple(self.attacks))
        for name in self.attacks:
            check_choice(name, FUNCTIONAL_ATTACKS, name="functional attack")
        if not isinstance(self.n_images, int) or self.n_images < 1:
            raise ValueError(f"n_images must be an int >= 1, got {self.n_images!r}")
        self.set("image_dir", str(self.image_dir if self.image_dir is not None
                                  else default_image_dir()))


def make_config(profile: str, **overrides) -> ImageNetConfig:
    """Config for ``profile``; ``overrides`` replace any of ``PARAMS`` (None keeps the default)."""
    return ImageNetConfig.of(profile, **overrides)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def run(config: dict, *, mode: str = "auto", progress: bool = False) -> dict:
    """Load the classifier and the first ``n_images`` images, attack them (cached), and return
    :func:`run_examples`'s dict plus ``"names"`` (file names), ``"categories"`` (class names
    of the predictions, per image and attack), ``"model"`` and ``"iterations"``.

    Raises:
        stego_lib.hub.WeightsMissingError / ValueError: see :func:`classifier`,
            :func:`availability`.
    """
    paths = find_images(config.image_dir)[:config.n_images]
    if not paths:
        raise ValueError(f"no images in {config.image_dir}")
    weights_path = hub.weights_file(_weights(config.model))
    key = {"model": config.model, "weights": weights_path.name,
           "images": [[p.name, _sha(p)] for p in paths],
           **{k: getattr(config, k) for k in ("attacks", "iterations", "seed")}}
    device = checkpoints.device()
    loaded = {}

    def compute():
        model, cats, (resize, crop) = classifier(config.model)
        loaded["categories"] = cats
        x = load_images(paths, resize=resize, crop=crop).to(device)
        res = run_examples(model.to(device), x, attacks=config.attacks,
                           iterations=config.iterations, seed=config.seed,
                           progress=progress)
        arrays = {"images": res["images"], "clean_pred": res["clean_pred"]}
        for name, r in res["attacks"].items():
            arrays |= {f"{name}/{k}": v for k, v in r.items()}
        return arrays, {"device": str(device), "names": [p.name for p in paths]}

    entry = cached(EXPERIMENT, key, VERSION, compute, needs_gpu=False,
                   command=f"python -m stego_lib.experiments.imagenet --profile {config.profile}",
                   mode=mode, store=config.profile != "smoke")
    cats = loaded.get("categories") or list(_weights(config["model"]).meta["categories"])
    a = entry.arrays
    out = {"model": config.model, "iterations": config.iterations, "names": [p.name for p in paths], "images": a["images"],
           "clean_pred": a["clean_pred"], "attacks": {}}
    for name in config.attacks:
        out["attacks"][name] = {k: a[f"{name}/{k}"] for k in ("adv", "adv_pred", "linf")}
    out["categories"] = {"clean": [cats[i] for i in a["clean_pred"]],
                         **{n: [cats[i] for i in r["adv_pred"]] for n, r in out["attacks"].items()}}
    return out


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--model", default=None)
    parser.add_argument("--image-dir", default=None)
    args = parser.parse_args()
    cfg = make_config(args.profile, model=args.model, image_dir=args.image_dir)
    reason = availability(cfg.model, cfg.image_dir)
    if reason:
        raise SystemExit(reason)
    res = run(cfg, progress=True)
    for i, name in enumerate(res["names"]):
        print(name, res["categories"]["clean"][i], "->",
              ", ".join(f"{n}: {res['categories'][n][i]}" for n in res["attacks"]))


def page_result(profile: str, **overrides) -> Shown:
    """What the page shows: the examples computed at ``profile``, or no result and, as the note,
    why they cannot be computed here (:func:`availability`): nothing to fall back to, since no
    ImageNet result is committed."""
    config = make_config(profile, **overrides)
    reason = availability(config.model, config.image_dir)
    if reason:
        return Shown(None, profile, profile, reason)
    return Shown(run(config), profile, profile, f"Profile '{profile}' as requested.")
