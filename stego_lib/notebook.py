"""Helpers for the book's notebooks."""
from __future__ import annotations

import types

__all__ = ["Markdown", "check_parameters", "rerun_box"]

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


class Markdown(str):
    """A string that notebooks display, and the book pastes (``{glue:md}``), as Markdown."""

    def _repr_markdown_(self) -> str:
        return str(self)


def rerun_box(notebook: str, *, profile: str, results: str | None = None,
              command: str | None = None) -> Markdown:
    """The admonition that tells a reader how to re-run a book page, as MyST Markdown.

    Args:
        notebook: the page's name under ``notebooks/``, without ``.md``.
        profile: the profile the page was computed at (the one the command re-runs).
        results: the results folder the page reads (``results/<experiment>/``), if any.
        command: the resumable command that recomputes those cached results.

    Returns:
        Markdown to glue with ``display=False`` and paste with ``{glue:md}`` and
        ``:format: myst``.

    Example:
        >>> box = rerun_box("data_overview", profile="paper", results="results/data_overview/",
        ...                 command="python -m stego_lib.experiments.data_overview")
        >>> "papermill data_overview.ipynb" in box
        True
    """
    lines = [
        ":::{admonition} Re-running this page",
        ":class: tip",
        "",
        "This page is the notebook `notebooks/" + notebook + ".md`. To execute it again, with "
        "any parameter of its first code cell (`-p name value`):",
        "",
        "```bash",
        f"jupytext --to ipynb -o {notebook}.ipynb notebooks/{notebook}.md",
        f"papermill {notebook}.ipynb {notebook}.out.ipynb -p profile {profile}",
        "```",
        "",
    ]
    if results and command:
        lines += [
            f"It reads its heavy results from the committed cache `{results}`. This command "
            "recomputes whatever is missing there, chunk by chunk, and can be stopped and "
            "restarted at any time:",
            "",
            "```bash",
            command,
            "```",
            "",
        ]
    elif results:
        lines += [f"It reads its results from the committed cache `{results}`.", ""]
    else:
        lines += ["Nothing on this page is cached: every number is computed when the page is "
                  "built.", ""]
    lines.append(":::")
    return Markdown("\n".join(lines))
