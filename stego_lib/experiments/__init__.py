"""Experiments: config -> results, cached.

Each experiment has a typed, frozen config (a :class:`ProfileConfig`: the profile's values,
checked once when it is made), ``make_config(profile, **overrides)`` that makes one, and
``run(config, *, mode="auto", progress=True) -> result``. Heavy work is split into chunks
cached by :func:`stego_lib.cache.cached`, so a paper-scale run resumes across commands. Every
page calls one entry, its experiment's ``page_result(config)`` (or ``page_result(profile,
**overrides)``): :func:`best_available` (made by :func:`page_entry`) where nothing more is
needed, which shows the largest scale it can without starting GPU-scale work on a CPU.

Example::

    >>> try:
    ...     check_overrides({"eps": 0.1}, ("n_images",))
    ... except ValueError as e:
    ...     print(e)
    unknown parameter(s) 'eps'; expected some of 'n_images'
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Callable

from ..cache import CacheMiss, GPURequiredError, ModelMissingError
from ..profiles import check_profile, fallbacks

__all__ = ["ProfileConfig", "Shown", "best_available", "check_overrides", "page_entry"]


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


@dataclass(frozen=True)
class ProfileConfig:
    """The base of a study's typed, frozen config.

    A subclass declares its fields, each defaulting to None ("the profile's value"), and
    implements :meth:`profile_values` (the profile's defaults, written in one place) and
    :meth:`check` (normalise with :meth:`set` and validate, once, when the config is made).
    The values the caller set are kept, as given, in ``chosen``: :meth:`at` carries them to
    another profile, which is how a page falls back to a smaller one with the reader's values.

    Example::

        >>> @dataclass(frozen=True)
        ... class Demo(ProfileConfig):
        ...     n: int | None = None
        ...     def profile_values(self):
        ...         return {"n": {"smoke": 2, "quick": 20}.get(self.profile, 200)}
        ...     def check(self):
        ...         if self.n < 1: raise ValueError("n must be >= 1")
        >>> Demo("quick").n, Demo("quick", n=5).at("smoke").n, Demo("paper").replace(n=3).n
        (20, 5, 3)
    """

    profile: str
    chosen: dict = field(default_factory=dict, compare=False, repr=False, kw_only=True)

    def __post_init__(self):
        check_profile(self.profile)
        values = self.profile_values()
        chosen = {n: getattr(self, n) for n in values if getattr(self, n) is not None}
        for name, value in values.items():
            if name not in chosen:
                self.set(name, value)
        self.set("chosen", chosen)
        self.check()

    def profile_values(self) -> dict:
        raise NotImplementedError

    def check(self) -> None:
        raise NotImplementedError

    def set(self, name: str, value) -> None:
        """Set a field while the config is being made (it is frozen after)."""
        object.__setattr__(self, name, value)

    def at(self, profile: str):
        """This config's chosen values on ``profile``'s defaults."""
        return type(self)(profile, **self.chosen)

    def replace(self, **changes):
        """A copy with ``changes`` set (and counted as chosen)."""
        return type(self)(self.profile, **{**self.chosen, **changes})

    @classmethod
    def of(cls, profile: str, **overrides):
        """The config of ``profile`` with ``overrides`` (None keeps the default); an unknown
        name raises ValueError listing the accepted ones."""
        check_overrides(overrides, [f.name for f in fields(cls) if f.name not in
                                    ("profile", "chosen")])
        return cls(profile, **{k: v for k, v in overrides.items() if v is not None})


def _why(err: Exception) -> str:
    """Why a profile could not be shown, in the words of the exception that stopped it."""
    if isinstance(err, ModelMissingError):
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


def page_entry(make_config: Callable[..., Any], run: Callable[..., Any]) -> Callable[..., Shown]:
    """An experiment's ``page_result(profile, **overrides) -> Shown``, the one entry every page
    calls, for an experiment whose page needs nothing beyond :func:`best_available`. A typed
    config (:class:`ProfileConfig`) may stand for the profile and its overrides: the page
    falls back with the values it was given (:meth:`ProfileConfig.at`).

    Example::

        >>> page_result = page_entry(lambda profile, **o: {"profile": profile, **o},
        ...                          lambda cfg, mode: cfg["n"] * 2)
        >>> shown = page_result("smoke", n=21)
        >>> shown.result, shown.profile, shown.note
        (42, 'smoke', "Profile 'smoke' as requested.")
    """
    def page_result(profile, **overrides) -> Shown:
        if isinstance(profile, ProfileConfig):
            if overrides:
                raise TypeError("give either a config or a profile and its overrides, not both")
            config = profile
            return best_available(lambda p: config.at(p), run, config.profile)
        return best_available(make_config, run, profile, **overrides)

    page_result.__doc__ = ("What the page shows: the largest profile up to ``profile`` whose "
                           "results are committed or computable here (see "
                           ":func:`stego_lib.experiments.best_available`).")
    return page_result
