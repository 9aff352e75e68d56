"""Perceptual distances between images and their perturbed versions (Laidlaw & Feizi, Fig 6).

The paper measures perceptual distortion with LPIPS (Zhang et al., CVPR 2018) on an AlexNet
trunk. LPIPS needs that trunk's ImageNet weights; they are read from the local torch hub cache
only (:mod:`stego_lib.hub`), never downloaded. Where they are missing, two metrics from a
maintained library stand in, each reported under its own name:

* ``"lpips"``: LPIPS v0.1 with the AlexNet trunk (``lpips`` package, its shipped linear
  layers), on images in [0, 1]; 0 for identical images, larger is more different.
* ``"dssim"``: ``1 − SSIM``, structural similarity from scikit-image
  (``skimage.metrics.structural_similarity``, its default 7×7 uniform window,
  ``data_range=1``, the three RGB channels averaged); 0 for identical images.
* ``"ciede2000"``: the CIEDE2000 colour difference ΔE00 per pixel
  (``skimage.color.rgb2lab`` with D65, then ``skimage.color.deltaE_ciede2000``), averaged
  over the image's pixels; 0 for identical images, about 1 is a just-noticeable difference.

Every function takes two batches ``(N, 3, H, W)`` in [0, 1] and returns a float64 numpy
array ``(N,)``, one distance per image pair.
"""
from __future__ import annotations

import functools
import os
import warnings

import numpy as np
import torch

from ._checks import check_choice, check_images
from .hub import WeightsMissingError, load_cached_state_dict, weights_file

__all__ = ["METRICS", "available_metrics", "ciede2000", "distances", "dssim", "lpips",
           "lpips_available"]

# name -> what the number is, for axis labels and captions
METRICS = {"lpips": "LPIPS (AlexNet)", "dssim": "1 − SSIM", "ciede2000": "mean CIEDE2000 ΔE00"}


def _check_pair(x: torch.Tensor, y: torch.Tensor) -> None:
    check_images(x, channels=3, name="x")
    check_images(y, channels=3, name="y")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")


def _hwc(x: torch.Tensor) -> np.ndarray:
    return x.detach().to("cpu", torch.float64).permute(0, 2, 3, 1).numpy()  # (N, H, W, 3)


def dssim(x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """``1 − SSIM`` per image pair, with scikit-image's ``structural_similarity``.

    Args:
        x, y: ``(N, 3, H, W)`` in [0, 1], H and W at least 7.

    Returns:
        ``(N,)`` float64, 0 for identical images.

    Example:
        >>> x = torch.rand(2, 3, 16, 16)
        >>> dssim(x, x).tolist()
        [0.0, 0.0]
    """
    from skimage.metrics import structural_similarity

    _check_pair(x, y)
    a, b = _hwc(x), _hwc(y)
    return np.array([1.0 - structural_similarity(p, q, data_range=1.0, channel_axis=-1)
                     for p, q in zip(a, b)], dtype=np.float64)


def ciede2000(x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Mean CIEDE2000 colour difference ΔE00 over the pixels of each image pair (scikit-image).

    Args:
        x, y: ``(N, 3, H, W)`` sRGB in [0, 1].

    Returns:
        ``(N,)`` float64, 0 for identical images.

    Example:
        >>> x = torch.rand(2, 3, 4, 4)
        >>> ciede2000(x, x).tolist()
        [0.0, 0.0]
    """
    from skimage.color import deltaE_ciede2000, rgb2lab

    _check_pair(x, y)
    de = deltaE_ciede2000(rgb2lab(_hwc(x), channel_axis=-1), rgb2lab(_hwc(y), channel_axis=-1),
                          channel_axis=-1)  # (N, H, W)
    return de.reshape(len(de), -1).mean(1).astype(np.float64)


def _alexnet_weights():
    from torchvision.models import AlexNet_Weights

    return AlexNet_Weights.IMAGENET1K_V1  # the trunk LPIPS v0.1 was calibrated on


def lpips_available(hub_dir: str | os.PathLike | None = None) -> bool:
    """True when the ``lpips`` package is installed and the AlexNet ImageNet weights are in the
    local torch hub cache (``hub_dir``, default ``torch.hub.get_dir()``). Downloads nothing."""
    try:
        import lpips as _  # noqa: F401
        weights_file(_alexnet_weights(), hub_dir)
    except (ImportError, WeightsMissingError):
        return False
    return True


@functools.lru_cache(maxsize=4)
def _lpips_model(hub_dir: str | None, device: str) -> torch.nn.Module:
    import lpips as lpips_pkg

    trunk = load_cached_state_dict(_alexnet_weights(), hub_dir)
    features = {k[len("features."):]: v for k, v in trunk.items() if k.startswith("features.")}
    with warnings.catch_warnings():
        # pnet_rand: build the trunk without asking torchvision to download anything; the
        # lpips package still loads its own calibrated linear layers, which it ships
        warnings.simplefilter("ignore")
        model = lpips_pkg.LPIPS(net="alex", pretrained=True, pnet_rand=True, verbose=False)
    # the package splits AlexNet's ``features`` into slices whose children keep their indices
    for stage in (model.net.slice1, model.net.slice2, model.net.slice3, model.net.slice4,
                  model.net.slice5):
        for name, layer in stage.named_children():
            own = {k: features[f"{name}.{k}"] for k in layer.state_dict()}
            layer.load_state_dict(own)
    return model.eval().requires_grad_(False).to(device)


def lpips(x: torch.Tensor, y: torch.Tensor, *, hub_dir: str | os.PathLike | None = None,
          batch_size: int = 256) -> np.ndarray:
    """LPIPS v0.1 (AlexNet trunk) per image pair; runs on the device of ``x``.

    Args:
        x, y: ``(N, 3, H, W)`` in [0, 1], on the same device.
        hub_dir: the torch hub directory holding ``checkpoints/alexnet-owt-7be5be79.pth``
            (default ``torch.hub.get_dir()``).
        batch_size: pairs per forward pass.

    Returns:
        ``(N,)`` float64.

    Raises:
        WeightsMissingError: the AlexNet weights are not in the hub cache.
        ImportError: the ``lpips`` package is not installed.
    """
    _check_pair(x, y)
    weights_file(_alexnet_weights(), hub_dir)  # raises, naming the path, before any work
    model = _lpips_model(None if hub_dir is None else str(hub_dir), str(x.device))
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            d = model(x[i:i + batch_size].float(), y[i:i + batch_size].float(), normalize=True)
            out.append(d.flatten().double().cpu())
    return torch.cat(out).numpy() if out else np.zeros(0)


def available_metrics(hub_dir: str | os.PathLike | None = None) -> tuple[str, ...]:
    """The metrics this machine can compute: LPIPS first when its weights are present."""
    return (("lpips",) if lpips_available(hub_dir) else ()) + ("dssim", "ciede2000")


def distances(x: torch.Tensor, y: torch.Tensor, metrics=None, *,
              hub_dir: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """``{metric: (N,) distances}`` for each of ``metrics`` (default: :func:`available_metrics`).

    Raises:
        ValueError: an unknown metric name.

    Example:
        >>> x = torch.rand(3, 3, 8, 8)
        >>> sorted(distances(x, x, ["dssim", "ciede2000"]))
        ['ciede2000', 'dssim']
    """
    metrics = available_metrics(hub_dir) if metrics is None else tuple(metrics)
    for m in metrics:
        check_choice(m, tuple(METRICS), name="perceptual metric")
    fns = {"lpips": functools.partial(lpips, hub_dir=hub_dir), "dssim": dssim,
           "ciede2000": ciede2000}
    return {m: fns[m](x, y) for m in metrics}
