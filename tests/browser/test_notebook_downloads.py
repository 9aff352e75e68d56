"""Every notebook page of the built book links to its notebook as an ``.ipynb`` that papermill
can run: the file exists, its first code cell is tagged ``parameters`` and holds the same
parameters as the page's source, and papermill puts the given values after it.

Run after building the book (``make browser-check``; ``make test`` does both).
"""
from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import nbformat
import pytest
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from stego_lib.notebook import parameters

REPO = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("BOOK_HTML", REPO / "_build" / "html"))
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.md"))


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _notebook_links(page: Path) -> list[Path]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    base = "file:///" + page.relative_to(HTML).as_posix()
    return [HTML / unquote(urlsplit(urljoin(base, h)).path).lstrip("/")
            for h in parser.hrefs if urlsplit(h).path.endswith(".ipynb")]


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_page_offers_a_runnable_notebook(source):
    page = HTML / "notebooks" / f"{source.stem}.html"
    if not (HTML / "index.html").exists():
        pytest.skip(f"no built book at {HTML}: run `make book` first")
    assert page.exists(), f"{source.name} has no page in the built book"
    links = _notebook_links(page)
    assert links, f"{page.name} links to no .ipynb"
    target = links[0]
    assert all(t == target for t in links), f"{page.name} links to several notebooks: {links}"
    assert target.name == f"{source.stem}.ipynb" and target.exists(), f"missing {target}"

    nb = nbformat.read(target, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and "parameters" in code[0].metadata.get("tags", []), \
        f"{target.name}: the first code cell is not tagged 'parameters'"
    # the same names as the parameters cell of the text the page was built from
    names = [name for name, _, _ in parameters(source)]
    assert all(f"{name} =" in code[0].source for name in names), code[0].source

    # as `papermill <notebook> out.ipynb -p profile smoke` loads and parameterises it
    run = parameterize_notebook(load_notebook_node(str(target)), {"profile": "smoke"})
    i = next(i for i, c in enumerate(run.cells) if "parameters" in c.metadata.get("tags", []))
    injected = run.cells[i + 1]
    assert "injected-parameters" in injected.metadata.get("tags", [])
    assert 'profile = "smoke"' in injected.source
