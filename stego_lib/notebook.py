"""Helpers for the book's notebooks."""
from __future__ import annotations

import types

__all__ = ["check_parameters"]

# Names IPython itself puts into a fresh namespace.
_IPYTHON_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


def check_parameters(namespace: dict, declared) -> None:
    """Raise ValueError when a notebook's namespace holds a parameter it does not declare.

    papermill only warns about ``-p name value`` for a name the parameters cell lacks, and then
    defines it anyway; a misspelt parameter would silently do nothing. Call this first thing
    after the parameters cell, before any import: ``check_parameters(globals(), [...])``.
    """
    declared = set(declared)
    # Parameters are literals; modules and callables (this function itself) are not.
    unknown = sorted(name for name, value in namespace.items()
                     if not name.startswith("_") and name not in _IPYTHON_NAMES
                     and name not in declared
                     and not callable(value) and not isinstance(value, types.ModuleType))
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(map(repr, unknown))}; "
                         f"expected some of {', '.join(map(repr, sorted(declared)))}")
