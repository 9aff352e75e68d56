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

import csv
import html
import io
import re
from dataclasses import dataclass, field
from urllib.parse import quote


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def _escape(text: str) -> str:
    """``text`` as HTML, its ``<sub>`` tags kept: a subscript is the one markup a cell needs."""
    return (html.escape(text).replace("&lt;sub&gt;", "<sub>")
            .replace("&lt;/sub&gt;", "</sub>"))


LONG = 15   # rows a table shows in full; a longer one scrolls inside a box of about that height


def _plain(text: str) -> str:
    return text.replace("<sub>", "_").replace("</sub>", "")


@dataclass
class Table:
    """Rows of cells under a header; ``caption`` is shown above the table. A cell may carry a
    subscript as ``<sub>…</sub>`` (``ε<sub>C</sub>``); every other markup is shown as text.

    Example:
        >>> t = Table(["bound"], [["ε<sub>C</sub> < 1"]])
        >>> t._repr_html_().split("<tbody>")[1].split("</tbody>")[0]
        '<tr><td>ε<sub>C</sub> &lt; 1</td></tr>'
        >>> t.to_csv()
        'bound\\nε_C < 1\\n'
    """

    header: list[str]
    rows: list[list] = field(default_factory=list)
    caption: str = ""

    def __post_init__(self):
        for r in self.rows:
            if len(r) != len(self.header):
                raise ValueError(f"every row needs {len(self.header)} cells, got {len(r)}: {r!r}")

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td>{_escape(_fmt(c))}</td>" for c in r) + "</tr>"
                       for r in self.rows)
        cap = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        # The table scrolls inside its own box when wider than the column, and carries the
        # numbers it shows as a CSV file, built with the page (no server needed).
        href = "data:text/csv;charset=utf-8," + quote(self.to_csv())
        # A long table (more than LONG rows) shows a screenful and scrolls under its header.
        box = "table-box long" if len(self.rows) > LONG else "table-box"
        return (f'<div class="{box}"><table class="table">{cap}<thead><tr>{head}</tr>'
                f'</thead><tbody>{body}</tbody></table></div>'
                f'<p class="table-csv"><a download="{self.file_name()}" href="{href}">'
                f'Download this table as CSV</a></p>')

    def to_csv(self) -> str:
        """The header and rows exactly as shown (the same formatting), as CSV text; a
        subscript tag is written as plain text (``ε<sub>C</sub>`` as ``ε_C``)."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow([_plain(str(h)) for h in self.header])
        w.writerows([[_plain(_fmt(c)) for c in r] for r in self.rows])
        return out.getvalue()

    def file_name(self) -> str:
        """A file name for the CSV, from the caption (or the header when there is none)."""
        words = re.findall(r"[a-z0-9]+", (self.caption or " ".join(map(str, self.header)))
                           .lower())
        return "-".join(words[:8] or ["table"]) + ".csv"

    def to_markdown(self) -> str:
        lines = ["| " + " | ".join(map(str, self.header)) + " |",
                 "|" + "---|" * len(self.header)]
        lines += ["| " + " | ".join(_fmt(c) for c in r) + " |" for r in self.rows]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (self.caption + "\n" if self.caption else "") + self.to_markdown()


def attack_names(attacks: list[str]) -> list[str]:
    """Column names for Table 1's attacks: the clean column, "None" in the paper's table, is
    called what it is.

    Example:
        >>> attack_names(["None", "C", "C+S"])
        ['no attack', 'C', 'C+S']
    """
    return ["no attack" if a == "None" else a for a in attacks]


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
