"""The built book, opened page by page in headless Chromium as a reader would see it.

Serves ``_build/html`` (or ``$BOOK_HTML``) on 127.0.0.1 and opens every page at a window
1,300 pixels wide, with no network beyond that server. A page fails when it throws a
JavaScript error, leaves a formula unrendered (raw ``\\(``, ``$$`` or ``\\begin`` in its text,
a math element MathJax did not typeset, or a MathJax error node), links to a page or anchor
of the book that does not exist, shows an image that does not load, scrolls sideways, or
fetches anything from outside the local server. The link to the book's PDF, which ``make pdf``
copies into the HTML build, counts as broken once a PDF has been built (and always on CI);
before that it is the one link allowed to point at a missing file. It also fails on the
rendering defects of ``defects.py``: Markdown markers shown as text, tables captioned as
figures, images squeezed below 60 % of their width, bold walls of text, pasted tables with
two captions, tables wider than their column, and figures that do not offer their points.
Screenshots of seven pages are saved under ``_build/screenshots/``.

Run after building the book: ``make browser-check`` (``make test`` does both).
"""
from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from chromium import Browser, Server, chromium_or_skip, page_ready
from defects import FIND_DEFECTS

REPO = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("BOOK_HTML", REPO / "_build" / "html"))
PDF = Path(os.environ.get("BOOK_PDF", REPO / "_build" / "pdf" / "book.pdf"))
PDF_LINK = "book.pdf"   # where `make pdf` copies the PDF, relative to HTML
SCREENSHOTS = HTML.parent / "screenshots"
SKIP_DIRS = {"_static", "_sources", "_images", "reports"}
# name of the screenshot -> page
SHOTS = {"index": "book/intro.html", "paper1_detection": "notebooks/paper1_detection.html",
         "theorem1": "book/theorem1.html", "paper2_figures": "notebooks/paper2_figures.html",
         "paper2_table1": "notebooks/paper2_table1.html",
         "beyond_detection": "notebooks/beyond_detection.html",
         "results_glance": "notebooks/results_glance.html"}

CHECK_PAGE = r"""
(async () => {""" + page_ready(15000) + r"""
  const skip = "pre, code, script, style, textarea, mjx-container, .highlight";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(n) {
      const p = n.parentElement;
      return (!p || p.closest(skip)) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
    }});
  const raw = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (/\\\(|\$\$|\\begin/.test(n.textContent)) raw.push(n.textContent.trim().slice(0, 100));
  }
  const visible = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
  const describe = e => e.tagName.toLowerCase() + [...e.classList].map(c => "." + c).join("")
                        + ": " + e.textContent.trim().replace(/\s+/g, " ").slice(0, 80);
  const scrollers = [...document.querySelectorAll("main *")].filter(e => {
    // a results table wider than the column scrolls inside its own box, by design
    if (!visible(e) || e.matches("div.table-box")) return false;
    const ox = getComputedStyle(e).overflowX;
    return (ox === "auto" || ox === "scroll") && e.scrollWidth > e.clientWidth + 1;
  });
  return {
    title: document.title,
    badImages: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.currentSrc || i.src),
    raw: raw,
    untypeset: [...document.querySelectorAll("span.math, div.math")]
      .filter(e => !e.querySelector("mjx-container")).map(e => e.textContent.slice(0, 100)),
    mathErrors: [...document.querySelectorAll("mjx-merror, [data-mjx-error]")]
      .map(e => (e.getAttribute("data-mjx-error") || e.textContent).slice(0, 100)),
    links: [...document.querySelectorAll("a[href]")].map(a => a.href),
    ids: [...document.querySelectorAll("[id]")].map(e => e.id),
    pageWidth: document.documentElement.scrollWidth,
    viewWidth: document.documentElement.clientWidth,
    scrollers: scrollers.map(describe),
    prose: (() => {
      const root = document.querySelector("article.bd-article") || document.body;
      const copy = root.cloneNode(true);
      copy.querySelectorAll("pre, code, script, style, .cell_input, .highlight, mjx-container")
        .forEach(e => e.remove());
      return copy.textContent.replace(/\s+/g, " ");
    })(),
    csvTables: [...document.querySelectorAll("div.table-box")].map(box => {
      const a = box.nextElementSibling && box.nextElementSibling.querySelector(
        'a[download][href^="data:text/csv"]');
      return {cells: [...box.querySelectorAll("th, td")].map(c => c.textContent),
              csv: a ? a.getAttribute("href") : null};
    }),
  };
})()
"""


def _pages() -> list[str]:
    if not HTML.is_dir():
        return []
    out = []
    for p in sorted(HTML.rglob("*.html")):
        rel = p.relative_to(HTML)
        if rel.parts[0] in SKIP_DIRS:
            continue
        out.append(rel.as_posix())
    return out


def pdf_not_built_yet(path: str, html: Path = HTML, pdf: Path = PDF) -> bool:
    """Whether ``path`` (relative to ``html``) is the link to the book's PDF and no PDF has
    been built: ``make book`` writes the link, ``make pdf`` the file. Once either copy of the
    PDF exists, or on CI (where ``make test`` builds the PDF first), the link must resolve."""
    return (path == PDF_LINK and not (html / PDF_LINK).exists() and not pdf.exists()
            and not os.environ.get("CI"))


def _is_redirect(page: str) -> bool:
    return 'http-equiv="Refresh"' in (HTML / page).read_text(errors="replace")[:2000]


@pytest.fixture(scope="module")
def report():
    """Open every page once; return ``{page: findings}`` plus the server's base URL."""
    if not (HTML / "index.html").exists():
        pytest.skip(f"no built book at {HTML}: run `make book` first")
    exe = chromium_or_skip()
    findings = {}
    with Server(HTML) as server:
        browser = Browser(exe)
        try:
            for page in _pages():
                if _is_redirect(page):
                    continue
                events = browser.open(server.base + page)
                info = browser.evaluate(CHECK_PAGE)
                info.update(browser.evaluate(FIND_DEFECTS))  # images have loaded by now
                events = events + browser.events
                info["js_errors"] = (
                    [e["params"]["exceptionDetails"].get("exception", {}).get("description")
                     or e["params"]["exceptionDetails"].get("text")
                     for e in events if e["method"] == "Runtime.exceptionThrown"]
                    + [e["params"]["entry"]["text"] for e in events
                       if e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"
                       and not e["params"]["entry"].get("url", "").endswith("/favicon.ico")]
                    + [" ".join(str(a.get("value", a.get("description", "")))
                                for a in e["params"]["args"])
                       for e in events if e["method"] == "Runtime.consoleAPICalled"
                       and e["params"]["type"] == "error"])
                info["requests"] = [e["params"]["request"]["url"] for e in events
                                    if e["method"] == "Network.requestWillBeSent"]
                info["failed"] = (
                    [e["params"].get("errorText") for e in events
                     if e["method"] == "Network.loadingFailed"
                     and e["params"].get("errorText") != "net::ERR_ABORTED"]
                    + [f"HTTP {e['params']['response']['status']}: {e['params']['response']['url']}"
                       for e in events if e["method"] == "Network.responseReceived"
                       and e["params"]["response"]["status"] >= 400
                       and not e["params"]["response"]["url"].endswith("/favicon.ico")])
                findings[page] = info
                for shot, target in SHOTS.items():
                    if target == page:
                        browser.screenshot(SCREENSHOTS / f"{shot}.png")
                        browser.screenshot(SCREENSHOTS / f"{shot}-full.png", full_page=True)
        finally:
            browser.close()
        yield {"base": server.base, "pages": findings}


def _fail_if(problems: dict, what: str) -> None:
    problems = {k: v for k, v in problems.items() if v}
    if problems:
        lines = [f"{page}: {items}" for page, items in problems.items()]
        pytest.fail(f"{what} on {len(problems)} page(s):\n" + "\n".join(lines))


def test_every_page_was_opened(report):
    assert report["pages"], "no pages found"
    for page in SHOTS.values():
        assert page in report["pages"], f"{page} is not in the built book"


def test_no_javascript_errors(report):
    _fail_if({p: r["js_errors"] + r["failed"] for p, r in report["pages"].items()},
             "JavaScript errors or failed loads")


def test_no_request_leaves_the_local_server(report):
    base = report["base"]
    _fail_if({p: [u for u in r["requests"]
                  if not u.startswith((base, "data:", "blob:", "about:"))]
              for p, r in report["pages"].items()}, "requests to other hosts")


def test_every_formula_is_rendered(report):
    _fail_if({p: r["raw"] + r["untypeset"] + r["mathErrors"] for p, r in report["pages"].items()},
             "unrendered formulas")


def test_every_image_loads(report):
    _fail_if({p: r["badImages"] for p, r in report["pages"].items()}, "missing images")


def test_internal_links_resolve(report):
    base, pages = report["base"], report["pages"]
    problems = {}
    for page, r in pages.items():
        bad = []
        for url in r["links"]:
            if not url.startswith(base):
                continue
            parts = urlsplit(url)
            path = unquote(parts.path.lstrip("/"))
            target = HTML / path
            if target.is_dir():
                path, target = path.rstrip("/") + "/index.html", target / "index.html"
            if not target.exists():
                if not pdf_not_built_yet(path):
                    bad.append(url[len(base):])
                continue
            frag = unquote(parts.fragment)
            if frag and path in pages and frag not in pages[path]["ids"]:
                bad.append(url[len(base):])
        problems[page] = sorted(set(bad))
    _fail_if(problems, "broken internal links")


def test_nothing_scrolls_sideways(report):
    _fail_if({p: r["scrollers"] + ([f"page {r['pageWidth']} px wide in a {r['viewWidth']} px "
                                    "window"] if r["pageWidth"] > r["viewWidth"] + 1 else [])
              for p, r in report["pages"].items()}, "sideways scrolling")


def test_no_markdown_markers_as_text(report):
    _fail_if({p: r["markers"] for p, r in report["pages"].items()},
             "Markdown shown as text (glue it with {glue:md} and :format: myst)")


def test_tables_are_not_captioned_as_figures(report):
    _fail_if({p: r["table_figures"] for p, r in report["pages"].items()},
             "tables numbered as figures (paste them with {glue:table})")


def test_no_bold_passage_longer_than_60_words(report):
    _fail_if({p: r["bold_walls"] for p, r in report["pages"].items()},
             "paragraphs with more than 60 words in bold")


def test_images_are_not_squeezed(report):
    _fail_if({p: r["shrunk_images"] for p, r in report["pages"].items()},
             "images drawn under 60 % of their width (draw the figure narrower)")


def test_no_table_is_wider_than_its_column(report):
    _fail_if({p: r["wide_tables"] for p, r in report["pages"].items()},
             "tables running out of the column (show them with stego_lib.plotting.Table)")


def test_every_figure_offers_its_plotted_points(report):
    _fail_if({p: r["figure_data"] for p, r in report["pages"].items()},
             "figures without the CSV of their points (glue them through with_points)")


def test_screenshots_saved(report):
    for shot in SHOTS:
        path = SCREENSHOTS / f"{shot}.png"
        assert path.exists() and path.stat().st_size > 10_000, f"{path} missing or empty"


def test_the_pdf_link_may_wait_for_the_pdf_only(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    html, pdf = tmp_path / "html", tmp_path / "pdf" / "book.pdf"
    html.mkdir()
    # nothing printed yet: the PDF's link may point at the missing file, no other link may
    assert pdf_not_built_yet(PDF_LINK, html, pdf)
    assert not pdf_not_built_yet("book/book.pdf", html, pdf)
    assert not pdf_not_built_yet("book/intro.html", html, pdf)
    # printed but not copied into the HTML build: the link is broken
    pdf.parent.mkdir()
    pdf.write_bytes(b"%PDF-1.4")
    assert not pdf_not_built_yet(PDF_LINK, html, pdf)
    # copied: the link resolves, so it needs no excuse
    (html / PDF_LINK).write_bytes(b"%PDF-1.4")
    pdf.unlink()
    assert not pdf_not_built_yet(PDF_LINK, html, pdf)
    # on CI the PDF is built before the check, so a missing one is a broken link
    (html / PDF_LINK).unlink()
    monkeypatch.setenv("CI", "true")
    assert not pdf_not_built_yet(PDF_LINK, html, pdf)


def csv_mismatches(tables: list[dict]) -> list[str]:
    """Tables whose CSV download is missing or does not hold exactly the cells shown (a
    subscript reads ``ε_C`` in the CSV and ``εC`` as page text)."""
    bad = []
    for i, t in enumerate(tables):
        if not t["csv"]:
            bad.append(f"table {i + 1}: no CSV download")
            continue
        text = unquote(t["csv"].split(",", 1)[1])
        got = [c.replace("_", "") for row in csv.reader(io.StringIO(text)) for c in row]
        if got != [c.replace("_", "") for c in t["cells"]]:
            bad.append(f"table {i + 1}: the CSV differs from the table shown")
    return bad


def test_every_results_table_offers_its_csv(report):
    _fail_if({p: csv_mismatches(r["csvTables"]) for p, r in report["pages"].items()},
             "results tables without a matching CSV download")


def test_a_missing_or_wrong_csv_is_found():
    from urllib.parse import quote
    good = {"cells": ["attack", "ours", "C", "0.41"],
            "csv": "data:text/csv;charset=utf-8," + quote("attack,ours\nC,0.41\n")}
    assert csv_mismatches([good]) == []
    assert csv_mismatches([{**good, "csv": None}]) == ["table 1: no CSV download"]
    wrong = {**good, "csv": good["csv"].replace("0.41", "0.42")}
    assert csv_mismatches([wrong]) == ["table 1: the CSV differs from the table shown"]


# Words of the machinery behind the book, not of its subject; the Reproducing page and the API
# reference explain that machinery and may use them.
INTERNAL_WORDS = re.compile(r"committed (?:results )?cache|chunks?\b|campaign item|package sample|"
                            r"manifest entry|\bnpz\b|sha256 [0-9a-f]{6}|RECIPES\[")
MACHINERY_PAGES = ("book/reproducing.html", "book/api.html", "genindex.html", "py-modindex.html")


def internal_words(text: str) -> list[str]:
    """Each internal word in ``text`` with a little of its context."""
    return [text[max(0, m.start() - 40):m.end() + 30] for m in INTERNAL_WORDS.finditer(text)]


def test_internal_words_are_found():
    assert internal_words("read from the committed cache, chunk by chunk") != []
    assert len(internal_words("its manifest entry; RECIPES[\"madry\"]; results/x.npz")) == 3
    assert internal_words("the stored results, computed in resumable steps") == []


def test_the_rendered_prose_has_no_internal_words(report):
    _fail_if({p: internal_words(r["prose"]) for p, r in report["pages"].items()
              if not p.startswith(MACHINERY_PAGES)}, "internal words in the prose")


def test_a_pasted_table_has_one_caption(report):
    _fail_if({p: r["two_captions"] for p, r in report["pages"].items()},
             "tables with two captions")
