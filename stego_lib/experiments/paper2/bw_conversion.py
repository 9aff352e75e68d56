"""Which grayscale conversion does the authors' released B&W model expect?

The paper does not name its conversion and the authors' code does not contain it. Two kinds of
evidence are measured on the released ``bw.resnet32.pt``:

- **Clean accuracy and loss** on the 846 exact-pixel test images, for every plausible
  conversion: ITU-R BT.601 and BT.709 luma, the channel mean, PIL's 8-bit ``convert("L")``,
  luminance computed in linear light and re-encoded, CIELUV's L*/100, each replicated on the
  three channels before the ImageNet normaliser (as the released colour models see colour).
- **The first batch-norm layer's stored statistics.** ``bn1.running_mean``/``running_var`` are
  averages of the first convolution's output over the images the model was trained on. For
  each conversion they are recomputed from the 4,660 exact-pixel training images with the usual
  CIFAR augmentation (random crop with 4 black pixels of padding, horizontal flip) and compared
  with the stored ones (RMS over the channels that are not dead; the log for the variances).
  The released colour models serve as the yardstick: on their own input pipeline they match to
  about 0.01–0.06 (means) and 0.01–0.10 (log variances).

Because the first convolution is linear, a conversion applied *after* the normaliser (three
equal normalised channels) and a contrast factor ``s`` on the network's input can be told
apart from these statistics too; both are measured, with the factor that fits best.

Example::

    >>> sorted(config())
    ['augment', 'checkpoint', 'conversions', 'kind', 'scales', 'seed', 'test', 'train']
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ... import data
from ...cache import ResultsCache, cached
from ...color import rgb_to_luv
from ...models.reference import BW_FITTED_SCALE, load_reference, reference_sha
from ...models.resnet import GRAY_WEIGHTS, IMAGENET_MEAN, IMAGENET_STD
from ...tasks import Chunk, Item
from .config import CAMPAIGN_COMMAND

__all__ = ["CONVERSIONS", "EXPERIMENT", "config", "result", "run"]

EXPERIMENT = "paper2_bw_conversion"
VERSION = "1"
# Contrast factors tried: coarse for the conversions before the normaliser (none fits at any
# factor), fine for the normalised-space form.
SCALES = {"before": tuple(round(0.6 + 0.1 * i, 2) for i in range(5)),      # 0.6 ... 1.0
          "after": tuple(round(0.6 + 0.02 * i, 2) for i in range(21))}     # 0.60 ... 1.00


def _srgb_to_linear(c):
    return torch.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(c):
    return torch.where(c <= 0.0031308, 12.92 * c, 1.055 * c.clamp(min=0) ** (1 / 2.4) - 0.055)


def _weighted(name):
    w = torch.tensor(GRAY_WEIGHTS[name]).view(1, 3, 1, 1)
    return lambda x: (x * w).sum(1, keepdim=True)


def _pil_l(x):
    # PIL's convert("L") on 8-bit pixels: (R 19595 + G 38470 + B 7471 + 2^15) >> 16.
    p = (x * 255).round().to(torch.int64)
    y = (p[:, 0:1] * 19595 + p[:, 1:2] * 38470 + p[:, 2:3] * 7471 + 32768) >> 16
    return y.float() / 255


def _linear_y(x):
    w = torch.tensor(GRAY_WEIGHTS["bt709"]).view(1, 3, 1, 1)
    return _linear_to_srgb((_srgb_to_linear(x) * w).sum(1, keepdim=True))


# name -> (label, (N, 3, H, W) in [0, 1] -> (N, 1, H, W) gray in [0, 1])
CONVERSIONS = {
    "bt601": ("BT.601 luma (PIL, torchvision)", _weighted("bt601")),
    "bt709": ("BT.709 luma", _weighted("bt709")),
    "mean": ("channel mean", _weighted("mean")),
    "pil": ("PIL convert('L'), 8-bit", _pil_l),
    "linear": ("luminance in linear light, re-encoded", _linear_y),
    "luv": ("CIELUV L*/100", lambda x: rgb_to_luv(x)[:, 0:1] / 100),
}


def _normalise(x):
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def _network_input(x, conv: str, where: str, scale: float = 1.0):
    """What the first convolution sees: gray before the normaliser (as the colour models see
    colour), or three equal channels of the gray of the normalised image."""
    gray = CONVERSIONS[conv][1]
    if where == "before":
        inp = _normalise(gray(x).expand(-1, 3, -1, -1))
    else:
        w = torch.tensor(GRAY_WEIGHTS[conv if conv in GRAY_WEIGHTS else "bt601"]).view(1, 3, 1, 1)
        inp = (_normalise(x) * w).sum(1, keepdim=True).expand(-1, 3, -1, -1)
    return scale * inp


def _augment(x, gen):
    n = len(x)
    p = F.pad(x, (4, 4, 4, 4))
    dy = torch.randint(0, 9, (n,), generator=gen)
    dx = torch.randint(0, 9, (n,), generator=gen)
    out = torch.stack([p[k, :, dy[k]:dy[k] + 32, dx[k]:dx[k] + 32] for k in range(n)])
    flip = torch.rand(n, generator=gen) < 0.5
    out[flip] = out[flip].flip(-1)
    return out


def _bn_fit(net, inp) -> tuple[float, float]:
    """RMS error of the first convolution's channel means and log variances on ``inp``
    against ``bn1``'s running statistics, over the channels that are not dead."""
    with torch.no_grad():
        h = net.conv1(inp)
    m, v = h.mean((0, 2, 3)), h.var((0, 2, 3))
    rm, rv = net.bn1.running_mean, net.bn1.running_var
    live = rv > 1e-2
    return (float(((m - rm)[live] ** 2).mean().sqrt()),
            float(((v.log() - rv.log())[live] ** 2).mean().sqrt()))


def _head(net, inp):
    h = F.relu(net.bn1(net.conv1(inp)))
    h = F.adaptive_avg_pool2d(net.layers(h), 1).flatten(1)
    return net.fc(h)


def _network():
    """The released B&W ResNet-32. :func:`_head` and :func:`_bn_fit` feed its first
    convolution directly, so whichever front end ``load_reference`` puts before it never runs."""
    return load_reference("gray")


def config() -> dict:
    return {"kind": "bw-conversion", "checkpoint": reference_sha("gray"),
            "test": "sample", "train": "exact-subset", "augment": "crop4+flip", "seed": 0,
            "conversions": list(CONVERSIONS), "scales": {k: list(v) for k, v in SCALES.items()}}


def _compute():
    test = data.load_cifar10("test", exact_subset=True)
    train = data.load_cifar10("train", exact_subset=True)
    gen = torch.Generator().manual_seed(0)
    x_aug = _augment(train.images, gen)
    net = _network()
    rows = []
    for conv in CONVERSIONS:
        for where in ("before", "after"):
            if where == "after" and conv not in GRAY_WEIGHTS:
                continue   # a nonlinear conversion has no normalised-space form
            for s in SCALES[where]:
                with torch.no_grad():
                    logits = _head(net, _network_input(test.images, conv, where, s))
                nll = F.cross_entropy(logits, test.labels, reduction="none")
                bn_m, bn_v = _bn_fit(net, _network_input(x_aug, conv, where, s))
                rows.append((conv, where, s, logits.argmax(1) == test.labels, nll, bn_m, bn_v))
    yard = []
    for row in ("natural", "c", "d"):   # the colour models on their own input pipeline
        colour = load_reference(row)
        yard.append(_bn_fit(colour, _normalise(x_aug)))
    arrays = {"conversion": np.array([r[0] for r in rows]),
              "where": np.array([r[1] for r in rows]),
              "scale": np.array([r[2] for r in rows], np.float32),
              "correct": np.stack([r[3].numpy() for r in rows]),
              "nll": np.stack([r[4].numpy() for r in rows]).astype(np.float32),
              "bn_mean_rms": np.array([r[5] for r in rows], np.float32),
              "bn_logvar_rms": np.array([r[6] for r in rows], np.float32),
              "colour_bn": np.array(yard, np.float32)}
    meta = {"test": test.provenance.to_dict(), "train": train.provenance.to_dict(),
            "colour_models": ["natural", "c", "d"]}
    return arrays, meta


def run(*, mode: str = "auto"):
    """The cached measurements (see the module docstring); arrays are not pickled: the string
    columns are fixed-width unicode."""
    return cached(EXPERIMENT, config(), VERSION, _compute, needs_gpu=False,
                  command=CAMPAIGN_COMMAND, mode=mode)


def has() -> bool:
    return ResultsCache().has(EXPERIMENT, config(), VERSION)


def result(entry=None) -> dict:
    """Per conversion at scale 1 (gray before the normaliser): ``accuracy`` (%), ``nll`` and
    the BN fit; ``best``: the input whose BN fit is best, with its accuracy; ``used``: the
    input the released B&W model is given elsewhere (0.74 times the channel mean of the
    normalised image, :data:`~stego_lib.models.reference.BW_FITTED_SCALE`); ``fitting``: how
    many measured inputs fit within the yardstick and the range of their accuracies;
    ``colour_bn``: the colour models' own fit (the yardstick)."""
    a = (entry or run(mode="cache-only")).arrays
    conv, where, scale = a["conversion"], a["where"], a["scale"]
    out = {"plain": [], "colour_bn": a["colour_bn"].tolist()}
    for name, (label, _) in CONVERSIONS.items():
        i = int(np.flatnonzero((conv == name) & (where == "before") & np.isclose(scale, 1))[0])
        out["plain"].append({"conversion": name, "label": label,
                             "accuracy": 100 * float(a["correct"][i].mean()),
                             "nll": float(a["nll"][i].mean()),
                             "bn_mean_rms": float(a["bn_mean_rms"][i]),
                             "bn_logvar_rms": float(a["bn_logvar_rms"][i])})
    def row(i):
        return {"conversion": str(conv[i]), "where": str(where[i]), "scale": float(scale[i]),
                "accuracy": 100 * float(a["correct"][i].mean()),
                "bn_mean_rms": float(a["bn_mean_rms"][i]),
                "bn_logvar_rms": float(a["bn_logvar_rms"][i])}

    out["best"] = row(int(np.argmin(a["bn_mean_rms"] + a["bn_logvar_rms"])))
    out["used"] = row(int(np.flatnonzero((conv == "mean") & (where == "after")
                                         & np.isclose(scale, BW_FITTED_SCALE))[0]))
    yard = float(np.max(a["colour_bn"]))
    good = np.flatnonzero((a["bn_mean_rms"] <= yard) & (a["bn_logvar_rms"] <= yard))
    acc = 100 * a["correct"][good].mean(1)
    out["fitting"] = {"count": int(good.size), "of": int(len(conv)),
                      "accuracy": (float(acc.min()), float(acc.max())) if good.size else None}
    return out


def items() -> list[Item]:
    return [Item("paper2-released-bw", f"results/{EXPERIMENT}: which grayscale conversion the "
                                       "released B&W model expects", lambda device: [
                     Chunk("conversions × scales", has, lambda progress: (run(), progress(1)))],
                 unit="chunk", rate={"cpu": 1 / 120})]
