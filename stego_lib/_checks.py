"""Input validation shared by every public entry point.

Errors follow kornia's convention: the message says what was expected and
ends with what was received.
"""
from __future__ import annotations

import torch

__all__ = ["check_images", "check_labels", "check_choice", "check_int", "check_positive"]


def check_images(x, *, channels: int | tuple[int, ...] | None = None, name: str = "images",
                 size: tuple[int, int] | None = None) -> None:
    """Check that ``x`` is a float image batch ``(N, C, H, W)`` with values in [0, 1].

    Args:
        x: the tensor to check.
        channels: the accepted channel count(s), or None for any.
        name: how the argument is called in the error message.
        size: the accepted ``(H, W)``, or None for any.

    Raises:
        TypeError: ``x`` is not a floating-point ``torch.Tensor``.
        ValueError: wrong rank, channel count or size; NaN/inf; values outside [0, 1].
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, C, H, W), got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor in [0, 1], got dtype {x.dtype}")
    if x.ndim != 4:
        raise ValueError(f"{name} must have shape (N, C, H, W), got shape {tuple(x.shape)}")
    if channels is not None:
        allowed = (channels,) if isinstance(channels, int) else tuple(channels)
        if x.shape[1] not in allowed:
            raise ValueError(f"{name} must have {' or '.join(map(str, allowed))} channel(s), "
                             f"got shape {tuple(x.shape)}")
    if size is not None and tuple(x.shape[-2:]) != tuple(size):
        raise ValueError(f"{name} must be {size[0]}x{size[1]} pixels, got shape {tuple(x.shape)}")
    if x.numel() == 0:
        return
    # One reduction pass each: cheap next to any model forward.
    x = x.detach()  # a check, not part of any graph (attacks validate inputs that need grad)
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} must be finite, got NaN or inf values")
    lo, hi = float(x.min()), float(x.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got values in [{lo:.4g}, {hi:.4g}]")


def check_labels(y, n: int, *, num_classes: int | None = None, name: str = "labels") -> None:
    """Check that ``y`` is an int64 label vector ``(n,)``."""
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape ({n},), got {type(y).__name__}")
    if y.dtype != torch.int64:
        raise TypeError(f"{name} must have dtype torch.int64, got {y.dtype}")
    if tuple(y.shape) != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {tuple(y.shape)}")
    if num_classes is not None and y.numel() and (int(y.min()) < 0 or int(y.max()) >= num_classes):
        raise ValueError(f"{name} must lie in [0, {num_classes - 1}], "
                         f"got values in [{int(y.min())}, {int(y.max())}]")


def check_choice(value, choices, *, name: str) -> None:
    """Raise ValueError naming the accepted values when ``value`` is not one of ``choices``."""
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(map(repr, choices))}")


def check_int(value, *, name: str, minimum: int = 1, allow_none: bool = False) -> None:
    """Raise ValueError unless ``value`` is an int (not a bool) >= ``minimum`` (or None, when
    allowed).

    Example:
        >>> check_int(True, name="steps")
        Traceback (most recent call last):
        ...
        ValueError: steps must be an int >= 1, got True
    """
    if value is None and allow_none:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


def check_positive(value, *, name: str, allow_zero: bool = False) -> None:
    """Raise ValueError unless ``value`` is a finite number > 0 (or >= 0)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
    ok = ok and (value >= 0 if allow_zero else value > 0) and value != float("inf")
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
