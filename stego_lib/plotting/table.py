"""A tiny table type that renders as HTML in notebooks and the book, and as text elsewhere.

Example::

    >>> t = Table(["attack", "success"], [["C", 0.95], ["D", 1.0]])
    >>> print(t.to_markdown())
    | attack | success |
    |---|---|
    | C | 0.950 |
    | D | 1.000 |
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


@dataclass
class Table:
    """Rows of cells under a header; ``caption`` is shown above the table."""

    header: list[str]
    rows: list[list] = field(default_factory=list)
    caption: str = ""

    def __post_init__(self):
        for r in self.rows:
            if len(r) != len(self.header):
                raise ValueError(f"every row needs {len(self.header)} cells, got {len(r)}: {r!r}")

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in r) + "</tr>"
                       for r in self.rows)
        cap = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return f'<table class="table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def to_markdown(self) -> str:
        lines = ["| " + " | ".join(map(str, self.header)) + " |",
                 "|" + "---|" * len(self.header)]
        lines += ["| " + " | ".join(_fmt(c) for c in r) + " |" for r in self.rows]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (self.caption + "\n" if self.caption else "") + self.to_markdown()


def cell_grid(cells: list[dict]) -> tuple[list[str], dict]:
    """Table cells (dicts with ``label`` and ``attack``) as the attacks in order of appearance
    and ``{label: {attack: cell}}``, the rows and columns of a Table 1-shaped table.

    Example:
        >>> cell_grid([{"label": "C", "attack": "S"}, {"label": "C", "attack": "D"}])[0]
        ['S', 'D']
    """
    attacks = list(dict.fromkeys(c["attack"] for c in cells))
    by: dict = {}
    for c in cells:
        by.setdefault(c["label"], {})[c["attack"]] = c
    return attacks, by
