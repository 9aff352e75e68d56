"""Run profiles shared by every notebook.

- ``smoke``: seconds on a CPU, on the package's own data sample; what nbval runs.
- ``quick``: minutes on a CPU, on the real data root.
- ``paper``: the largest scale the project computes (each page states its N, iterations and
  models); read from the committed results cache, computed by the campaign.

Example::

    >>> fallbacks("quick")
    ('quick', 'smoke')
"""
from __future__ import annotations

from ._checks import check_choice

PROFILES = ("smoke", "quick", "paper")

__all__ = ["PROFILES", "check_profile", "fallbacks"]


def check_profile(profile: str) -> str:
    check_choice(profile, PROFILES, name="profile")
    return profile


def fallbacks(profile: str) -> tuple[str, ...]:
    """``profile`` and every smaller one, largest first: paper -> quick -> smoke."""
    check_profile(profile)
    return PROFILES[: PROFILES.index(profile) + 1][::-1]
