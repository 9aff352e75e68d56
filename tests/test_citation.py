"""How to cite: the citation file at the repository's root and the BibTeX entries of the book's
bibliography page say the same thing, and both parse."""
import codecs
import datetime
import re
import tomllib
from pathlib import Path

import latexcodec  # noqa: F401  (registers the "ulatex" codec)
import pytest
import yaml
from pybtex.database import parse_string

REPO = Path(__file__).resolve().parents[1]
CFF = REPO / "CITATION.cff"
PAGE = REPO / "book" / "bibliography.md"


@pytest.fixture(scope="module")
def cff() -> dict:
    return yaml.safe_load(CFF.read_text(encoding="utf-8"))


def _bibtex_blocks() -> list[str]:
    return re.findall(r"^```bibtex\n(.*?)^```", PAGE.read_text(encoding="utf-8"), re.S | re.M)


@pytest.fixture(scope="module")
def page_entries():
    return parse_string("\n".join(_bibtex_blocks()), "bibtex").entries


def _plain(latex: str) -> str:
    """A BibTeX field as text to compare: accents decoded, braces dropped, case folded."""
    return " ".join(codecs.decode(latex, "ulatex").replace("{", "").replace("}", "")
                    .casefold().split())


def test_cff_has_the_required_keys_and_the_book_s_metadata(cff):
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors", "version", "date-released", "references"):
        assert cff.get(key), f"CITATION.cff lacks {key!r}"
    book = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert cff["title"] == book["title"]
    assert [a.get("name") for a in cff["authors"]] == [book["author"]]
    assert cff["version"] == project["version"]
    assert cff["date-released"] == datetime.date(2026, 12, 7)
    assert cff["license"] == project["license"]["text"]


def test_cff_references_both_papers_with_their_years(cff):
    refs = cff["references"]
    for ref in refs:
        for key in ("type", "title", "authors", "year", "collection-title", "start", "end"):
            assert ref.get(key), f"{ref.get('title')!r} lacks {key!r}"
        assert all(a.get("family-names") and a.get("given-names") for a in ref["authors"])
    by_year = {r["year"]: r for r in refs}
    assert sorted(by_year) == [2018, 2019]
    assert "Multimedia Security" in by_year[2018]["title"]
    assert "EUSIPCO" in by_year[2018]["collection-title"]
    assert by_year[2019]["title"] == "Functional Adversarial Attacks"
    assert "Neural Information Processing Systems" in by_year[2019]["collection-title"]


def test_bibtex_on_the_page_is_balanced_and_complete(page_entries):
    blocks = _bibtex_blocks()
    assert len(blocks) == 3
    for block in blocks:
        depth = 0
        for ch in block:
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0, f"a closing brace without an opening one in:\n{block}"
        assert depth == 0, f"unbalanced braces in:\n{block}"
        assert re.match(r"\s*@\w+\{[\w-]+,", block), f"no entry type and key in:\n{block}"
    assert len(page_entries) == 3
    for key, entry in page_entries.items():
        assert key and entry.fields.get("title") and entry.fields.get("year"), key
        assert entry.persons.get("author"), f"{key} has no author"


def test_bibtex_agrees_with_the_citation_file(cff, page_entries):
    for ref in cff["references"]:
        same = [e for e in page_entries.values()
                if _plain(e.fields["title"]) == _plain(ref["title"])]
        assert len(same) == 1, f"no BibTeX entry on the page for {ref['title']!r}"
        entry = same[0]
        assert int(entry.fields["year"]) == ref["year"]
        assert entry.fields["pages"].split("--") == [str(ref["start"]), str(ref["end"])]
        assert ([_plain(str(p.last_names[0])) for p in entry.persons["author"]]
                == [_plain(a["family-names"]) for a in ref["authors"]])
        if "doi" in ref:
            assert entry.fields["doi"] == ref["doi"]
    book = [e for e in page_entries.values() if _plain(e.fields["title"]) == _plain(cff["title"])]
    assert len(book) == 1, "no BibTeX entry on the page for the book"
    assert int(book[0].fields["year"]) == cff["date-released"].year
    assert cff["version"] in book[0].fields["note"]


def test_bibtex_of_the_papers_matches_the_book_s_bibliography(page_entries):
    """The page's entries for the papers carry the keys the book cites them by, with the same
    title, year and pages as in the bibliography the book is built from."""
    cited = parse_string((REPO / "references.bib").read_text(encoding="utf-8"), "bibtex").entries
    papers = [k for k in page_entries if k in cited]
    assert sorted(papers) == ["laidlaw2019functional", "schoettle2018detecting"]
    for key in papers:
        for field in ("title", "year", "pages"):
            assert _plain(page_entries[key].fields[field]) == _plain(cited[key].fields[field])


def test_the_page_links_the_pdf_where_make_pdf_puts_it():
    # book/bibliography.html sits one folder below the top of the HTML build, where the
    # Makefile copies the PDF
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "cp _build/pdf/book.pdf _build/html/book.pdf" in makefile
    assert 'href="../book.pdf"' in PAGE.read_text(encoding="utf-8")
