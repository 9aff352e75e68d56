"""The example experiment: what data the book runs on.

Per data set and split it records the image count, the class histogram and the
mean pixel value, and for CIFAR-10 it measures how far the JPEG copy lies from the
original pixels on the images where both exist (PSNR, and the L-infinity error in
1/255 units). CPU-cheap at every profile.

Example::

    >>> cfg = make_config("smoke")
    >>> cfg.datasets, cfg.splits, cfg.source, cfg.limit
    (('mnist', 'cifar10'), ('test',), 'sample', 200)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .. import data
from ..cache import cached
from . import ProfileConfig
from . import page_entry

EXPERIMENT = "data_overview"
COMMAND = f"python -m stego_lib.experiments.{EXPERIMENT} --profile paper"  # seconds on a CPU
VERSION = "1"
PARAMS = ("datasets", "splits", "source", "limit")
_DEFAULTS = {
    "smoke": {"datasets": ["mnist", "cifar10"], "splits": ["test"], "source": "sample", "limit": 200},
    "quick": {"datasets": ["mnist", "cifar10"], "splits": ["test"], "source": "root", "limit": None},
    "paper": {"datasets": ["mnist", "cifar10"], "splits": ["train", "test"], "source": "root",
              "limit": None},
}


@dataclass(frozen=True)
class OverviewConfig(ProfileConfig):
    """The data sets and splits to describe, from the package's sample or the data root, and
    how many images of each (None: all); None fields take the profile's value."""

    datasets: tuple[str, ...] | None = None
    splits: tuple[str, ...] | None = None
    source: str | None = None
    limit: int | None = None

    def profile_values(self) -> dict:
        return dict(_DEFAULTS[self.profile])

    def check(self) -> None:
        self.set("datasets", tuple(self.datasets))
        self.set("splits", tuple(self.splits))
        for name in self.datasets:
            if name not in data.DATASETS:
                raise ValueError(f"unknown dataset {name!r}; expected one of {data.DATASETS}")


def make_config(profile: str, **overrides) -> OverviewConfig:
    """Config for ``profile``; ``overrides`` replace any of ``PARAMS`` (None keeps the default)."""
    return OverviewConfig.of(profile, **overrides)


def _summary(split: data.Split) -> dict:
    labels = split.labels.numpy()
    classes = 10
    return {
        "count": np.array(len(split)),
        "class_counts": np.bincount(labels, minlength=classes),
        "mean_pixel": np.array(split.pixels.float().mean().item() / 255.0),
        "examples": split.pixels[:8].numpy(),
    }


def _jpeg_error(split: str) -> dict:
    exact = data.load_cifar10(split, exact_subset=True)
    jpeg = data.load_cifar10(split)
    # The subset's train images are scattered over the 50,000: index them.
    with np.load(data.data_root() / "cifar10-exact-subset.npz", allow_pickle=False) as z:
        idx = torch.from_numpy(z[f"{split}_indices"].astype(np.int64))
    diff = exact.pixels.float() - jpeg.pixels[idx].float()
    mse = diff.pow(2).mean(dim=(1, 2, 3)).clamp_min(1e-12)
    psnr = 10 * torch.log10(255.0 ** 2 / mse)
    return {"psnr": psnr.numpy(), "linf": diff.abs().amax(dim=(1, 2, 3)).numpy()}


def run(config: dict, *, mode: str = "auto", progress: bool = True) -> dict:
    """Return ``{(dataset, split): {"arrays": ..., "provenance": ...}}`` plus JPEG errors."""
    out = {}
    for name in config.datasets:
        for split in config.splits:
            chunk = {"dataset": name, "split": split, "source": config.source,
                     "limit": config.limit}

            def compute(name=name, split=split):
                s = data.load(name, split, source=config.source, limit=config.limit)
                return _summary(s), {"provenance": s.provenance.to_dict()}

            entry = cached(EXPERIMENT, chunk, VERSION, compute, needs_gpu=False,
                           command=COMMAND,
                           mode=mode, store=config.profile != "smoke")
            out[(name, split)] = {"arrays": entry.arrays, "provenance": entry.meta["provenance"]}
            if name == "cifar10" and config.source == "root":
                jchunk = {"jpeg_error": split}
                entry = cached(EXPERIMENT, jchunk, VERSION, lambda split=split: (_jpeg_error(split), {}),
                               needs_gpu=False, command=COMMAND, mode=mode,
                               store=config.profile != "smoke")
                out[("cifar10-jpeg-error", split)] = {"arrays": entry.arrays, "provenance": None}
    return out


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="paper")
    args = parser.parse_args()
    res = run(make_config(args.profile))
    for key, val in res.items():
        print(key, val["provenance"] or {k: float(np.median(v)) for k, v in val["arrays"].items()})


page_result = page_entry(make_config, run)
