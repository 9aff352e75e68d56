"""Helpers for the book's notebooks."""
from __future__ import annotations

import ast
import io
import re
import tokenize
import types
from pathlib import Path

__all__ = ["Markdown", "check_parameters", "glue_all", "parameters", "rerun_box"]

_PARAMETERS_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n:tags: \[parameters\]\n(.*?)^```",
                              re.M | re.S)

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


def parameters(path) -> list[tuple[str, str, str]]:
    """The parameters of a MyST notebook, read from its ``parameters``-tagged cell: one
    ``(name, default, comment)`` per assignment, in order, the default as written.

    Raises ValueError when the notebook has no parameters cell, or when that cell holds
    anything but ``name = literal  # comment`` lines (papermill can only override those).

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
        ...     _ = f.write('```{code-cell} ipython3\\n:tags: [parameters]\\n\\n'
        ...                 'profile = "paper"  # smoke | quick | paper\\nseed = 0\\n```\\n')
        >>> parameters(f.name)
        [('profile', '"paper"', 'smoke | quick | paper'), ('seed', '0', '')]
    """
    text = Path(path).read_text(encoding="utf-8")
    cell = _PARAMETERS_CELL.search(text)
    if cell is None:
        raise ValueError(f"{Path(path).name} has no cell tagged 'parameters'")
    comments = {}
    for tok in tokenize.generate_tokens(io.StringIO(cell.group(1)).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    out = []
    for node in ast.parse(cell.group(1)).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            raise ValueError(f"{Path(path).name}: the parameters cell may only assign names "
                             f"(line {node.lineno})")
        ast.literal_eval(node.value)   # papermill passes literals; anything else is a bug
        out.append((node.targets[0].id, ast.get_source_segment(cell.group(1), node.value),
                    comments.get(node.lineno, "")))
    return out


class Markdown(str):
    """A string that notebooks display, and the book pastes (``{glue:md}``), as Markdown."""

    def _repr_markdown_(self) -> str:
        return str(self)


def glue_all(values: dict) -> None:
    """Glue every ``{name: value}`` of a page module's dict into the notebook, none displayed
    where the code runs (the page shows each where its text names it)."""
    from myst_nb import glue

    for name, value in values.items():
        glue(name, value, display=False)


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
        ":class: tip dropdown",   # folded: the page's findings come first
        "",
        "This page is the notebook `notebooks/" + notebook + ".md`; the page's download menu "
        f"offers it as `{notebook}.ipynb`. To execute it again, with any parameter of its first "
        "code cell (`-p name value`):",
        "",
        "```bash",
        f"papermill {notebook}.ipynb {notebook}.out.ipynb -p profile {profile}",
        "```",
        "",
        "In a copy of the repository, the same `.ipynb` comes from the text with "
        f"`jupytext --to ipynb -o {notebook}.ipynb notebooks/{notebook}.md`.",
        "",
    ]
    if results and command:
        lines += [
            "Its long computations are not repeated when the book is built: their results are "
            f"stored with the book, in `{results}`, and read from there. This command computes "
            "whatever is missing, a few minutes' work at a time, and can be stopped and "
            "restarted at any time without losing finished work:",
            "",
            "```bash",
            command,
            "```",
            "",
        ]
    elif results:
        lines += [f"Its results are stored with the book, in `{results}`, and read from there.",
                  ""]
    else:
        lines += ["Nothing on this page is cached: every number is computed when the page is "
                  "built.", ""]
    lines.append(":::")
    return Markdown("\n".join(lines))
