"""The PDF of the book (``make pdf``) holds every chapter, with its math, figures, tables and
citations.

Reads ``_build/pdf/book.pdf`` (or ``$BOOK_PDF``) with pypdf. ``make test`` builds the PDF
before this runs; on its own, run ``make pdf`` first.
"""
from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from print_book import LEFT_OUT, parts

REPO = Path(__file__).resolve().parents[2]
PDF = Path(os.environ.get("BOOK_PDF", REPO / "_build" / "pdf" / "book.pdf"))
# The book without its API reference printed to 123 A4 pages; losing a chapter or the figures
# of one drops it far below this, a paragraph more or less does not.
MIN_PAGES = 95


def _toc_files() -> list[str]:
    """The files of ``_toc.yml`` in reading order: the root, then every chapter and section."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    out = [toc["root"]]

    def walk(entries):
        for e in entries:
            out.append(e["file"])
            walk(e.get("sections", []))
    for part in toc.get("parts", []):
        walk(part["chapters"])
    return out


def _title(file: str) -> str:
    text = (REPO / f"{file}.md").read_text(encoding="utf-8")
    return re.search(r"^# (.+)$", text, re.M).group(1).strip()


def _squash(s: str) -> str:
    """Text as compared here: ligatures and typographic quotes undone, no whitespace (the
    PDF's text breaks lines where the page did)."""
    s = unicodedata.normalize("NFKC", s).replace("’", "'").replace("‘", "'")
    return re.sub(r"\s+", "", s)


TITLES = [_title(f) for f in _toc_files() if f not in LEFT_OUT]


@pytest.fixture(scope="module")
def book():
    """The PDF's reader, its text, and the titles of its outline in order."""
    if not PDF.exists():
        msg = f"no PDF of the book at {PDF}: run `make pdf` first"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    from pypdf import PdfReader

    reader = PdfReader(PDF)
    outline, depths = [], []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                outline.append(item.title)
                depths.append(depth)
    walk(reader.outline, 0)
    pages = [page.extract_text() for page in reader.pages]
    return {"reader": reader, "text": "\n".join(pages), "pages": pages, "outline": outline,
            "depths": depths}


def test_page_count(book):
    assert len(book["reader"].pages) >= MIN_PAGES


def test_every_chapter_title_is_in_the_text(book):
    text = _squash(book["text"])
    missing = [t for t in TITLES if _squash(t) not in text]
    assert not missing, f"chapter titles not in the PDF's text: {missing}"


def test_every_chapter_is_a_heading_in_reading_order(book):
    # The outline is made from the page's headings, so a title there is a heading, not a
    # line of the table of contents.
    # Headings start with their number ("12.1."); a title must start one, not sit inside it.
    outline = [re.sub(r"^(?:\d+(?:\.\d+)*\.)+", "", _squash(t)) for t in book["outline"]]
    where = []
    for title in TITLES:
        hits = [i for i, o in enumerate(outline) if o.startswith(_squash(title))]
        assert hits, f"{title!r} is no heading of the PDF"
        where.append(hits[-1])   # the chapter itself comes after any contents entry
    assert where == sorted(where), "the chapters are out of the order of _toc.yml"


def test_no_outline_entry_is_doubled(book):
    # Chromium writes a heading that starts a page into the outline with its text twice
    # ("2.1. 2.1. TitleTitle"); print_book.py keeps every heading off the top edge of a page.
    def doubled(t):
        body = re.sub(r"^(?:\d+(?:\.\d+)*\.)+", "", _squash(t))
        half = len(body) // 2
        return len(body) > 1 and len(body) % 2 == 0 and body[:half] == body[half:]
    bad = [t for t in book["outline"] if doubled(t)]
    assert not bad, f"outline entries with their text twice: {bad[:5]}"


def test_outline_titles_keep_the_spaces_between_their_words(book):
    # Chromium builds an entry from the heading's lines: a title that wraps would read
    # "functionaladversarial" at the break unless the space there is kept (print_book.py).
    def words(t):
        t = unicodedata.normalize("NFKC", t).replace("’", "'").replace("‘", "'")
        return " ".join(re.sub(r"^(?:\d+(?:\.\d+)*\.)+", "", t.strip()).split())
    outline = [words(t) for t in book["outline"]]
    missing = [t for t in TITLES if not any(o.startswith(words(t)) for o in outline)]
    assert not missing, f"chapter titles whose outline entry lost a space: {missing}"


def test_math_is_typeset(book):
    text = book["text"]
    raw = [d for d in ("\\(", "\\[", "$$", "\\begin", "\\varepsilon", "\\frac") if d in text]
    assert not raw, f"TeX left untypeset in the PDF: {raw}"
    assert "ℓ" in text and "ε" in text, "no typeset symbols in the PDF"


def _images(reader) -> int:
    """The distinct raster images the pages draw (read from their resources, which is much
    faster than pypdf's ``page.images``)."""
    seen = set()

    def walk(resources):
        xobjects = (resources or {}).get("/XObject") or {}
        for ref in xobjects.values():
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                seen.add(getattr(ref, "idnum", id(obj)))
            elif obj.get("/Subtype") == "/Form":
                walk(obj.get("/Resources"))
    for page in reader.pages:
        walk(page.get("/Resources"))
    return len(seen)


def test_figures_and_tables_are_there(book):
    images = _images(book["reader"])
    html = (REPO / "_build" / "singlehtml" / "book.html")
    expected = html.read_text(encoding="utf-8").count("<img") if html.exists() else 10
    assert images >= expected, f"{images} images in the PDF, {expected} in the book"
    assert len(set(re.findall(r"Figure \d+\.\d+", book["text"]))) >= 10
    assert len(set(re.findall(r"Table \d+\.\d+", book["text"]))) >= 10


def test_citations_and_bibliography(book):
    text = book["text"]
    assert len(re.findall(r"\[\d+\]", text)) >= 20, "few citations in the text"
    bibliography = _squash(text[text.rfind("Bibliography"):])
    for title in ("Functional adversarial attacks", "a lesson from multimedia security"):
        assert _squash(title).lower() in bibliography.lower(), f"{title!r} not in the bibliography"


def _bare(title: str) -> str:
    return re.sub(r"^(?:\d+(?:\.\d+)*\.)+", "", _squash(title))


def test_the_parts_head_the_outline_with_their_chapters_under_them(book):
    top = [(i, _bare(t)) for i, (t, d) in enumerate(zip(book["outline"], book["depths"]))
           if d == 0]
    where = {}
    for part in parts():
        hits = [i for i, t in top if t == _squash(part["caption"])]
        assert hits, f"the part {part['caption']!r} is no top-level entry of the outline"
        where[part["caption"]] = hits[0]
    assert list(where.values()) == sorted(where.values()), "the parts are out of order"
    starts = sorted(where.values()) + [len(book["outline"])]
    for part, start in zip(parts(), sorted(where.values())):
        end = starts[starts.index(start) + 1]
        under = [_bare(t) for t, d in zip(book["outline"][start + 1:end],
                                          book["depths"][start + 1:end]) if d == 1]
        for f in part["files"]:
            if f in {x for p in _toc_sections() for x in p}:
                continue      # a section sits one level further down, under its chapter
            assert any(u.startswith(_squash(_title(f))) for u in under), \
                f"{_title(f)!r} is not a chapter under {part['caption']!r}"


def _toc_sections() -> list[list[str]]:
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    return [[s["file"] for s in c.get("sections", [])]
            for part in toc.get("parts", []) for c in part["chapters"]]


def test_a_contents_page_lists_every_chapter_in_order(book):
    front = _squash("\n".join(book["pages"][:8]))
    at = front.find("Contents")
    assert at >= 0, "no contents in the first pages"
    where = [front.find(_squash(t), at) for t in TITLES[1:]]
    missing = [t for t, w in zip(TITLES[1:], where) if w < 0]
    assert not missing, f"chapters missing from the contents page: {missing}"
    assert where == sorted(where), "the contents page lists the chapters out of order"


def test_the_api_reference_is_left_out_and_the_readme_says_so(book):
    for f in LEFT_OUT:
        title = _squash(_title(f))
        assert not any(_bare(t).startswith(title) for t in book["outline"]), f
    assert "API reference" in (REPO / "README.md").read_text(encoding="utf-8")


def test_parts_come_from_the_toc_without_the_left_out_documents(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: intro\nparts:\n"
                   "  - caption: One\n    chapters:\n      - file: a\n"
                   "        sections:\n          - file: b\n"
                   "  - caption: Reference\n    chapters:\n      - file: book/api\n"
                   "      - file: c\n", encoding="utf-8")
    assert parts(toc) == [{"caption": "One", "files": ["a", "b"]},
                          {"caption": "Reference", "files": ["c"]}]
