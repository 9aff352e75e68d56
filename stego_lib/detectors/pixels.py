"""What the pixel predictor and WS share: the 8-bit pixel check, the KB pixel predictor and the
local variances that weight its residuals.

The predictor of Ker & Böhme (2008), written KB below, predicts each interior pixel from its
8 neighbours with the kernel

    [[-1/4, 1/2, -1/4],
     [ 1/2,  0,   1/2],
     [-1/4, 1/2, -1/4]]

('valid' convolution, so an H x W image gives an (H-2) x (W-2) interior). Both detectors
weight each residual by 1 / (5 + sigma^2), with sigma^2 a local variance. Everything is
elementwise on shifted slices of the batch: no Python loop over images or pixels.

Example::

    >>> import torch
    >>> x = to_255(torch.full((1, 1, 3, 3), 0.5))
    >>> x_hat, var = kb_predict(x)
    >>> x_hat.flatten().tolist(), var.flatten().tolist()
    ([127.5], [0.0])
"""
from __future__ import annotations

import torch

from .._checks import check_choice, check_images

__all__ = ["QUANTIZE", "VARIANCES", "check_3x3", "check_pixels", "kb_predict", "local_variance",
           "to_255"]

QUANTIZE = (None, "floor", "round")
VARIANCES = ("cross4", "window9")


def check_pixels(images, *, name: str = "images") -> None:
    """Accept uint8 ``(N, C, H, W)`` pixels or float images in [0, 1] (TypeError/ValueError)."""
    if isinstance(images, torch.Tensor) and images.dtype == torch.uint8:
        if images.ndim != 4:
            raise ValueError(f"{name} must have shape (N, C, H, W), "
                             f"got shape {tuple(images.shape)}")
        return
    check_images(images, name=name)


def to_255(images: torch.Tensor, *, quantize: str | None = None,
           dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """uint8 pixels, or floats in [0, 1] times 255, as ``dtype``.

    ``quantize`` applies to float input only: ``None`` keeps the real values,
    ``"floor"`` truncates like the reference's ``(x * 255).astype(int)``, ``"round"``
    rounds to the nearest 8-bit level (what saving the image as a PNG would do).
    """
    check_choice(quantize, QUANTIZE, name="quantize")
    check_pixels(images)
    if images.dtype == torch.uint8:
        return images.to(dtype)
    x = images.to(dtype) * 255.0
    if quantize == "floor":
        x = x.floor()
    elif quantize == "round":
        x = x.round()
    return x


def check_3x3(images: torch.Tensor) -> None:
    """Both detectors need an interior: ValueError for images smaller than 3 x 3."""
    if images.shape[-1] < 3 or images.shape[-2] < 3:
        raise ValueError(f"images must be at least 3x3 pixels, got shape {tuple(images.shape)}")


def kb_predict(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The KB prediction of every interior pixel and the sample variance (ddof = 1) of its 4
    cross neighbours, both ``(N, C, H-2, W-2)``, for ``x`` ``(N, C, H, W)`` on the 0-255 scale."""
    up, down = x[..., :-2, 1:-1], x[..., 2:, 1:-1]
    left, right = x[..., 1:-1, :-2], x[..., 1:-1, 2:]
    corners = x[..., :-2, :-2] + x[..., :-2, 2:] + x[..., 2:, :-2] + x[..., 2:, 2:]
    cross = up + down + left + right
    x_hat = 0.5 * cross - 0.25 * corners                       # the kernel, 'valid'
    m = 0.25 * cross                                           # mean of the 4 neighbours
    var = ((up - m) ** 2 + (down - m) ** 2 + (left - m) ** 2 + (right - m) ** 2) / 3.0
    return x_hat, var


def local_variance(x: torch.Tensor, kind: str) -> torch.Tensor:
    """WS's variance of each interior pixel's neighbourhood, ``(N, C, H-2, W-2)``.

    ``"cross4"``: of the 4 cross neighbours (ddof = 1), the quantity :func:`kb_predict`
    returns too, formed in another order: the two differ in the last bit (about 1e-16 in
    float64), and each detector's committed scores were computed with its own, so both stay.
    ``"window9"``: of the whole 3 x 3 window, centre included (population variance), what
    sealwatch's ``ws.attack`` weights by.
    """
    check_choice(kind, VARIANCES, name="variance")
    if kind == "cross4":
        nb = torch.stack([x[..., :-2, 1:-1], x[..., 2:, 1:-1], x[..., 1:-1, :-2], x[..., 1:-1, 2:]])
        return nb.var(dim=0, correction=1)
    h, w = x.shape[-2] - 2, x.shape[-1] - 2
    win = torch.stack([x[..., i:i + h, j:j + w] for i in range(3) for j in range(3)])
    mu = win.mean(0)
    return (win ** 2).mean(0) - mu ** 2
