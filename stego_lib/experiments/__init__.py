"""Experiments: config -> results, cached.

Each experiment module exposes ``make_config(profile, **overrides) -> dict`` and
``run(config, *, mode="auto", progress=True) -> result``. Heavy work is split into
chunks cached by :func:`stego_lib.cache.cached`, so a paper-scale run resumes
across commands. :func:`best_available` is what the book calls: it shows the
largest scale it can without starting GPU-scale work on a CPU.

Example::

    >>> cfg = merged_config("smoke", {"n_images": 8, "seed": None}, ("n_images", "seed"),
    ...                     {"n_images": 4, "seed": 0})
    >>> cfg
    {'n_images': 8, 'seed': 0, 'profile': 'smoke'}
    >>> try:
    ...     check_overrides({"eps": 0.1}, ("n_images",))
    ... except ValueError as e:
    ...     print(e)
    unknown parameter(s) 'eps'; expected some of 'n_images'
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..cache import CacheMiss, GPURequiredError
from ..profiles import check_profile, fallbacks

__all__ = ["Shown", "best_available", "check_overrides", "merged_config"]


@dataclass
class Shown:
    """A result together with the profile it was computed at and a note for the page."""

    result: Any
    profile: str
    requested: str
    note: str


def check_overrides(overrides: dict, allowed) -> None:
    """Reject unknown parameter names with the accepted ones listed."""
    unknown = sorted(set(overrides) - set(allowed))
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(map(repr, unknown))}; "
                         f"expected some of {', '.join(map(repr, sorted(allowed)))}")


def merged_config(profile: str, overrides: dict, allowed, *layers: dict) -> dict:
    """The config of ``profile``: ``layers`` merged in order, then the ``overrides`` that are
    not None, and ``"profile"``. Unknown profiles and parameter names raise ValueError."""
    check_profile(profile)
    check_overrides(overrides, allowed)
    cfg = {}
    for layer in layers:
        cfg.update(layer)
    cfg.update({k: v for k, v in overrides.items() if v is not None})
    cfg["profile"] = profile
    return cfg


def _why(err: Exception) -> str:
    """Why a profile could not be shown, in the words of the exception that stopped it."""
    if type(err).__name__ == "ModelMissingError":   # experiments.paper1; named, not imported
        return f"a model it needs is not committed yet ({err})"
    if isinstance(err, GPURequiredError):
        return f"its results are not committed yet ({err})"
    if isinstance(err, CacheMiss):
        return f"its results are not in the committed results cache ({err})"
    return str(err)


def best_available(make_config: Callable[..., dict], run: Callable[..., Any], profile: str,
                   **overrides) -> Shown:
    """Run ``profile``; if its results are neither cached nor computable here, fall back to
    the largest smaller profile whose results are committed (``smoke`` is always computed).

    The note says which scale is shown and why, quoting the reason each larger profile could
    not be shown (a model that is not committed yet, or results that are not computed yet and
    the command that computes them), so a page never passes one scale off as another.

    Raises:
        RuntimeError: no profile could be shown; the message gives each profile's reason.
    """
    check_profile(profile)
    reasons = []
    for p in fallbacks(profile):
        config = make_config(p, **overrides)
        mode = "auto" if p in (profile, "smoke") else "cache-only"
        try:
            result = run(config, mode=mode)
        except (GPURequiredError, CacheMiss) as err:
            reasons.append(f"profile '{p}': {_why(err)}")
            continue
        if p == profile:
            note = f"Profile '{p}' as requested."
        else:
            note = (f"Shown at profile '{p}', not the requested '{profile}'. "
                    + " ".join(r + "." for r in reasons))
        return Shown(result, p, profile, note)
    raise RuntimeError("no profile could be shown: " + " | ".join(reasons))
