"""Print the single-page build of the book to a PDF with headless Chromium.

    python tests/browser/print_book.py _build/singlehtml _build/pdf/book.pdf

``make pdf`` runs it after ``jupyter-book build . --builder singlehtml``. The folder is
served on 127.0.0.1 and its one page opened in the same Chromium as the browser check
(nothing is downloaded); printing waits until MathJax has typeset every formula and every
image has loaded, and refuses to print a page where either failed. The PDF is A4 with page
numbers, and its outline (bookmarks) follows the book's headings. Code cells that the book
folds away are left out; their outputs stay.
"""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from chromium import NO_CHROMIUM, Browser, Server, find_chromium, page_ready

READY = r"""
(async () => {""" + page_ready(30000) + r"""
  const style = document.createElement("style");
  // A heading whose top margin ends one page and whose text starts the next enters the PDF
  // outline twice, its text doubled: in print the space above a heading is the section's.
  style.textContent = "@media print { details.hide.above-input { display: none !important; } " +
    // A heading that wraps enters it with the words at the break run together, unless the
    // space there is kept (pre-wrap keeps it, hanging, at the line's end).
    "h1, h2, h3, h4, h5, h6 { margin-top: 0 !important; break-before: avoid; break-after: avoid; " +
    "white-space: pre-wrap; } " +
    "section { padding-top: 1.2em; } " +
    // every chapter (a document of the book) starts a page
    "span[id^='document-'] + section { break-before: page; } }";
  document.head.appendChild(style);
  return {
    images: imgs.length,
    badImages: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
    untypeset: [...document.querySelectorAll("span.math, div.math")]
      .filter(e => !e.querySelector("mjx-container")).map(e => e.textContent.slice(0, 80)),
    mathErrors: [...document.querySelectorAll("mjx-merror")].map(e => e.textContent.slice(0, 80)),
  };
})()
"""

FOOTER = ('<div style="font-size: 8px; width: 100%; text-align: center; color: #555;">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
PDF_OPTIONS = dict(
    paperWidth=8.27, paperHeight=11.69,                      # A4, in inches
    marginTop=0.6, marginBottom=0.7, marginLeft=0.6, marginRight=0.6,
    printBackground=True,                                    # code blocks keep their shading
    displayHeaderFooter=True, headerTemplate="<span></span>", footerTemplate=FOOTER,
    generateDocumentOutline=True,
)


def single_page(site: Path) -> str:
    """The single page, as a file at the top of ``site``; returns its name.

    ``index.html`` redirects to the page of the root document (``book/intro.html``), which
    Sphinx writes at that path but links as if it sat at the top of the folder: its images,
    styles and MathJax would not load there. A copy at the top reads right.
    """
    index = (site / "index.html").read_text(encoding="utf-8")
    found = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', index)
    if not found:
        return "index.html"
    page = site / found.group(1)
    if page.parent == site:
        return page.name
    (site / "book.html").write_bytes(page.read_bytes())
    return "book.html"


def print_book(site: Path, out: Path) -> dict:
    """Print the single page of ``site`` to ``out``; returns what was waited for."""
    exe = find_chromium()
    if exe is None:
        raise SystemExit(NO_CHROMIUM)
    with Server(site) as server:
        # A book of a hundred pages takes Chromium a while to lay out and print.
        browser = Browser(exe, width=800, timeout=600)
        try:
            browser.open(server.base + single_page(site))
            state = browser.evaluate(READY)
            problems = state["badImages"] + state["untypeset"] + state["mathErrors"]
            if problems:
                raise SystemExit("not printed: images that did not load or formulas MathJax did "
                                 "not typeset:\n" + "\n".join(problems))
            browser.print_pdf(out, **PDF_OPTIONS)
        finally:
            browser.close()
    return state


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit(__doc__)
    site, out = Path(argv[0]), Path(argv[1])
    start = time.monotonic()
    state = print_book(site, out)
    print(f"{out}: {out.stat().st_size / 1e6:.1f} MB, {state['images']} images, "
          f"printed in {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
