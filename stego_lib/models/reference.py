"""The ResNet-32s that Laidlaw & Feizi released with ReColorAdv: Table 1's own models.

The authors' repository publishes nine of the eleven Table 1 models in ``pretrained_models/``
(all but TRADES and C (B&W)). They are read from the data root, like the data sets, under
``reference-models/recoloradv/<file>``; nothing is downloaded. Each file's sha256 is pinned
here and checked before the file is opened, and the file is read with
``torch.load(weights_only=True)``, so a modified or foreign file never runs code.

The files are akamaster's ``pytorch_resnet_cifar10`` state dicts (``conv1``, ``bn1``,
``layer{1,2,3}.{0..4}.*``, ``linear``; the undefended model wrapped as
``{"state_dict": {"module.<name>": ...}}``). :func:`rename_keys` maps them onto
:class:`~stego_lib.models.ResNetCIFAR`, strictly: every key of the file has a place, and every
parameter and running statistic of the model comes from the file. The input normaliser (the
ImageNet mean and std) is not in the files; the authors apply it inside the model, and so does
ours.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import torch
from torch import nn

from .._io import read_weights, sha256_file
from .resnet import GRAY_WEIGHTS, Grayscale, Normalize, ResNetCIFAR

__all__ = ["BW_FITTED_SCALE", "NormalisedGray", "PREFIX", "RELEASED", "ReferenceChecksumError", "ReferenceModelMissingError", "entry",
           "batchnorm_counter", "front_end", "load_reference", "reference_dir", "reference_file",
           "reference_sha", "rename_keys"]

SOURCE = ("the ReColorAdv repository's pretrained_models/ (github.com/cassidylaidlaw/ReColorAdv, "
          "MIT licence), copied into <data root>/reference-models/recoloradv/")
SUBDIR = ("reference-models", "recoloradv")

# Table 1 row slug -> (file, sha256 of the released file).
RELEASED = {
    "natural": ("normal.resnet32.pt",
                "d509ac1820d7f25398913559d7e81a13229b1e7adc5648e3bfa5e22dc137f850"),
    "c": ("recoloradv.resnet32.pt",
          "54c620c7ceb2e3c10fd994bb0c65db64c61cb5df825ed9ee0af4a70c1d7387af"),
    "d": ("delta.resnet32.pt",
          "ab473e82c38e813de88209ddc6ecf392fc488ebaf68b07589b6e04a97157c9a6"),
    "s": ("stadv.resnet32.pt",
          "7c1470cced359b490de209e86e3fac63c525185fbdd58afaf03c5e5d069f1ec1"),
    "c+s": ("recoloradv_stadv.resnet32.pt",
            "224cdf388334f312b9957861e00b9735cd347567c2255a57e974e94305b1e9a1"),
    "c+d": ("recoloradv_delta.resnet32.pt",
            "b16e4d4d529879b2c7f91f86570204576d44ce5e30158e3342bd1b25372f398f"),
    "s+d": ("stadv_delta.resnet32.pt",
            "7fc479a46acc781b503bcca2025ffe5bddd255ebb3ef4a949507a358a558db5b"),
    "c+s+d": ("recoloradv_stadv_delta.resnet32.pt",
              "a34c09ff1434538e0f151786949aa1d24b278686d8bb19d3e2b9aa11e2dbc707"),
    "gray": ("bw.resnet32.pt",
             "50f2ffc71c08d6656c9f8f4302c2c89769f9f58cbfd1ff0a88a93cdda97df9d0"),
}
# Model entries that the released files do not hold: the fixed input normaliser, and the
# batch-norm step counters that the undefended model's older file lacks (unused in eval mode).
NOT_IN_FILE = re.compile(r"^(normalize\.(mean|std)|.*num_batches_tracked)$")
BLOCKS_PER_STAGE = 5   # ResNet-32: 3 stages of 5 blocks


# The input the released B&W model was trained on, measured (stego_lib.experiments.paper2.
# bw_conversion): its first batch-norm layer's stored statistics are matched, as closely as the
# colour models match their own input, by three equal channels holding 0.74 times the channel
# mean of the ImageNet-normalised image, and by no standard grayscale conversion placed before
# the normaliser. The authors' code that produced it is not published.
BW_FITTED_SCALE = 0.74


class NormalisedGray(Normalize):
    """The released B&W model's front end: ImageNet-normalise, average the three channels,
    multiply by ``scale`` and replicate; it replaces the network's normaliser (same buffers).

    Example:
        >>> from .resnet import IMAGENET_MEAN, IMAGENET_STD
        >>> f = NormalisedGray(IMAGENET_MEAN, IMAGENET_STD, scale=0.74)
        >>> y = f(torch.rand(2, 3, 4, 4))
        >>> bool((y[:, 0] == y[:, 1]).all() and (y[:, 1] == y[:, 2]).all())
        True
    """

    def __init__(self, mean, std, scale: float = BW_FITTED_SCALE):
        super().__init__(mean, std)
        self.scale = float(scale)

    def forward(self, x):
        z = super().forward(x)
        return (self.scale * z.mean(1, keepdim=True)).expand(-1, 3, -1, -1)


class ReferenceModelMissingError(FileNotFoundError):
    """A released model's file is not under the data root (nothing is downloaded)."""


class ReferenceChecksumError(RuntimeError):
    """A released model's file is not the published one (its sha256 differs)."""


def reference_dir(root: str | os.PathLike | None = None) -> Path:
    """``<data root>/reference-models/recoloradv`` (data root: ``root``, else ``$STEGO_DATA``,
    else ``./data``)."""
    from ..data import data_root

    return data_root(root).joinpath(*SUBDIR)


def front_end(name: str) -> tuple[str, str]:
    """``(row, gray front end)`` of a released model's name: ``"gray@bt601"`` is the B&W model
    behind a BT.601 luma (any key of ``GRAY_WEIGHTS``), ``"gray"`` the fitted front end; other
    rows have none.

    Example:
        >>> front_end("gray@bt601"), front_end("c")
        (('gray', 'bt601'), ('c', 'fitted'))
    """
    row, _, gray = name.partition("@")
    if gray and (row != "gray" or gray not in GRAY_WEIGHTS):
        raise ValueError(f"only the B&W model takes a front end, one of {sorted(GRAY_WEIGHTS)}; "
                         f"got {name!r}")
    return row, gray or "fitted"


def _check_row(row: str) -> None:
    if row not in RELEASED:
        raise ValueError(f"row must be one of the released models {sorted(RELEASED)}, "
                         f"got {row!r}")


def reference_sha(row: str) -> str:
    """The pinned sha256 of the released file of ``row``."""
    _check_row(row)
    return RELEASED[row][1]


def reference_file(row: str, root: str | os.PathLike | None = None) -> Path:
    """The path of the released file of ``row``.

    Raises:
        ValueError: ``row`` is not one of the released models.
        ReferenceModelMissingError: the file is not there; the message names the path.
    """
    _check_row(row)
    path = reference_dir(root) / RELEASED[row][0]
    if not path.is_file():
        raise ReferenceModelMissingError(
            f"the authors' released model for row {row!r} is not under the data root: no file "
            f"{path}. The files come from {SOURCE}")
    return path


def rename_keys(state: dict) -> dict:
    """akamaster's ResNet-32 parameter names -> :class:`ResNetCIFAR`'s.

    ``module.`` prefixes are dropped, ``layer<s>.<i>.`` becomes ``layers.<5(s-1)+i>.`` and
    ``linear.`` becomes ``fc.``; ``conv1`` and ``bn1`` keep their names.

    Raises:
        KeyError: a key that belongs to no part of the architecture.

    Example:
        >>> sorted(rename_keys({"module.layer2.1.bn1.weight": 0, "linear.bias": 1}))
        ['fc.bias', 'layers.6.bn1.weight']
    """
    out = {}
    for key, value in state.items():
        k = key[len("module."):] if key.startswith("module.") else key
        m = re.fullmatch(r"layer([123])\.(\d)\.((conv|bn)[12]\..+)", k)
        if m:
            stage, block = int(m.group(1)), int(m.group(2))
            if block >= BLOCKS_PER_STAGE:
                raise KeyError(f"{key!r}: block {block} does not exist in ResNet-32")
            k = f"layers.{BLOCKS_PER_STAGE * (stage - 1) + block}.{m.group(3)}"
        elif k.startswith("linear."):
            k = "fc." + k[len("linear."):]
        elif not re.fullmatch(r"(conv1|bn1)\..+", k):
            raise KeyError(f"{key!r} is not a parameter of akamaster's ResNet-32")
        if k in out:
            raise KeyError(f"{key!r} maps onto {k!r} twice")
        out[k] = value
    return out


def _read(path: Path, sha: str) -> dict:
    digest = sha256_file(path)
    if digest != sha:
        raise ReferenceChecksumError(
            f"{path} has sha256 {digest}, the released file has {sha}: it is not the authors' "
            f"file (modified, truncated or replaced), so it is not loaded")
    state = read_weights(path, ReferenceChecksumError)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    return state


def load_state(model: ResNetCIFAR, state: dict) -> ResNetCIFAR:
    """Load a renamed state dict into ``model``, strictly: a key of the file the model lacks,
    a model entry the file lacks (other than ``NOT_IN_FILE``), or a shape mismatch raises
    ``KeyError``/``RuntimeError``."""
    own = model.state_dict()
    extra = sorted(set(state) - set(own))
    missing = sorted(k for k in set(own) - set(state) if not NOT_IN_FILE.match(k))
    if extra or missing:
        raise KeyError(f"released state dict does not fit ResNet-32: not in the model "
                       f"{extra[:5]}, not in the file {missing[:5]}")
    merged = {k: state.get(k, v) for k, v in own.items()}
    model.load_state_dict({k: v.float() if v.is_floating_point() else v
                           for k, v in merged.items()}, strict=True)
    return model


def load_reference(row: str, *, root: str | os.PathLike | None = None,
                   device: str | torch.device = "cpu", gray: str = "fitted") -> nn.Module:
    """The authors' released model of Table 1 row ``row``, in eval mode, on [0, 1] inputs.

    Args:
        row: a key of ``RELEASED`` (the Table 1 row slugs: ``natural``, ``c``, ``d``, ``s``,
            ``c+s``, ``c+d``, ``s+d``, ``c+s+d``, ``gray``).
        root: the data root (default ``$STEGO_DATA``, else ``./data``).
        device: where the model goes.
        gray: for ``row="gray"`` only, the grayscale front end: ``"fitted"`` (default), the
            input measured from the model's own statistics (:class:`NormalisedGray`), or a key
            of :data:`stego_lib.models.resnet.GRAY_WEIGHTS` for that luma before the normaliser.

    Raises:
        ValueError: an unknown row or conversion.
        ReferenceModelMissingError: the file is not under the data root.
        ReferenceChecksumError: the file's sha256 is not the published one.
    """
    if "@" in row:   # "gray@bt601": the front end named with the row
        row, gray = front_end(row)
    if gray != "fitted" and gray not in GRAY_WEIGHTS:
        raise ValueError(f"gray must be 'fitted' or one of {sorted(GRAY_WEIGHTS)}, got {gray!r}")
    path = reference_file(row, root)
    net = load_state(ResNetCIFAR(depth=32), rename_keys(_read(path, RELEASED[row][1])))
    if row != "gray":
        model = net
    elif gray == "fitted":
        old = net.normalize
        net.normalize = NormalisedGray(old.mean.flatten().tolist(), old.std.flatten().tolist())
        model = net
    else:
        model = Grayscale(net, conversion=gray)
    return model.to(device).eval()


PREFIX = "released/"   # checkpoint names of the released models: "released/<row>"


def entry(row: str) -> dict:
    """A checkpoint-manifest-like record of the released model of ``row`` (its file, pinned
    sha256, architecture and source); no file is read, so committed results that name it can
    be read on a machine without the file. ``"gray@bt601"``: the B&W model behind that luma."""
    row, gray = front_end(row)
    _check_row(row)
    file, sha = RELEASED[row]
    kwargs = {} if row != "gray" else (
        {"gray": "fitted", "scale": BW_FITTED_SCALE} if gray == "fitted" else {"gray": gray})
    return {"file": file, "sha256": sha, "arch": "resnet32_gray" if row == "gray" else "resnet32",
            "arch_kwargs": kwargs,
            "source": SOURCE, "released": True,
            "config": {"recipe_name": "released by the authors"}, "metrics": {}}


def batchnorm_counter(row: str, *, root: str | os.PathLike | None = None) -> int | None:
    """How many training batches the released file's batch-norm layers have seen
    (``num_batches_tracked``, the same in every layer of a file); None when the file keeps no
    counter. A record of how each released model was trained, read from the verified file.

    Raises:
        ValueError: the layers of the file disagree.
    """
    state = _read(reference_file(row, root), reference_sha(row))
    counts = {int(v) for k, v in state.items() if k.endswith("num_batches_tracked")}
    if len(counts) > 1:
        raise ValueError(f"released {row}: its batch-norm layers disagree: {sorted(counts)}")
    return counts.pop() if counts else None
