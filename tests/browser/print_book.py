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

import json
import re
import sys
import time
from pathlib import Path

import yaml

from chromium import NO_CHROMIUM, Browser, Server, find_chromium, page_ready

REPO = Path(__file__).resolve().parents[2]
# Documents the PDF leaves out: the API reference is half the book's pages in print and reads
# better in the HTML, where it is searchable.
LEFT_OUT = ("book/api",)


def parts(toc_file: Path = REPO / "_toc.yml") -> list[dict]:
    """The book's parts in reading order: ``caption`` and the ``files`` of their chapters
    (sections included), without the documents the PDF leaves out."""
    toc = yaml.safe_load(toc_file.read_text(encoding="utf-8"))
    out = []
    for part in toc.get("parts", []):
        files = []

        def walk(entries):
            for e in entries:
                if e["file"] not in LEFT_OUT:
                    files.append(e["file"])
                walk(e.get("sections", []))
        walk(part["chapters"])
        out.append({"caption": part["caption"], "files": files})
    return out


# In print: each part gets a heading of its own (so the PDF's outline has the parts, the
# chapters under them); every heading of a chapter is re-levelled from the chapter's own
# depth, because the single page nests all chapters under the root page's "Contents" section;
# the empty contents section gets the list of parts and chapters; the left-out documents are
# hidden.
RESTRUCTURE = r"""
  const PARTS = %s, LEFT_OUT = %s;
  const chapter = f => document.getElementById("document-" + f);
  for (const f of LEFT_OUT) {
    const span = chapter(f);
    if (span && span.nextElementSibling) span.nextElementSibling.remove();
    if (span) span.remove();
  }
  const relevel = (h, level) => {
    const n = document.createElement("h" + Math.min(level, 6));
    for (const a of h.attributes) n.setAttribute(a.name, a.value);
    while (h.firstChild) n.appendChild(h.firstChild);
    h.replaceWith(n);
    return n;
  };
  const titles = {};
  for (const part of PARTS) {
    for (const f of part.files) {
      const span = chapter(f), sec = span && span.nextElementSibling;
      if (!sec) continue;
      for (const h of [...sec.querySelectorAll("h1, h2, h3, h4, h5, h6")]) {
        let depth = 0;
        for (let e = h.parentElement; e && e !== sec.parentElement; e = e.parentElement)
          if (e.tagName === "SECTION") depth++;
        const n = relevel(h, depth + 1);
        if (depth === 1 && !titles[f]) titles[f] = n.textContent.replace(/#$/, "").trim();
      }
    }
  }
  PARTS.forEach((part, i) => {
    const first = part.files.map(chapter).find(Boolean);
    if (!first) return;
    // in a section of its own, whose padding keeps the heading off the page's top edge
    const sec = document.createElement("section"), h = document.createElement("h1");
    sec.className = "part-title";
    h.id = "part-" + (i + 1);
    h.textContent = part.caption;
    sec.appendChild(h);
    first.parentElement.insertBefore(sec, first);
  });
  const heads = [...document.querySelectorAll("h2")].filter(
    h => h.textContent.replace(/#$/, "").trim() === "Contents");
  if (heads.length) {
    const nav = document.createElement("nav");
    nav.className = "print-contents";
    PARTS.forEach((part, i) => {
      const p = document.createElement("p");
      p.className = "print-contents-part";
      const a = document.createElement("a");
      a.href = "#part-" + (i + 1);
      a.textContent = part.caption;
      p.appendChild(a);
      nav.appendChild(p);
      const ol = document.createElement("ul");
      for (const f of part.files) {
        if (!titles[f]) continue;
        const li = document.createElement("li"), link = document.createElement("a");
        link.href = "#document-" + f;
        link.textContent = titles[f];
        li.appendChild(link);
        ol.appendChild(li);
      }
      nav.appendChild(ol);
    });
    heads[0].after(nav);
  }
"""


def restructure(toc_file: Path = REPO / "_toc.yml") -> str:
    """The script that gives the printed page its parts, levels and contents list."""
    return RESTRUCTURE % (json.dumps(parts(toc_file)), json.dumps(list(LEFT_OUT)))


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
    // every chapter (a document of the book) starts a page, and so does every part
    "span[id^='document-'] + section, section.part-title { break-before: page; } " +
    "section.part-title + span[id^='document-'] + section { break-before: avoid; } " +
    // the theme hides an h1 it did not place itself in print
    "section.part-title h1 { display: block !important; font-size: 2em; } " +
    // the contents list, and a caption kept with its table
    "nav.print-contents ul { list-style: none; margin: 0 0 0.8em 1.2em; padding: 0; } " +
    "nav.print-contents p { margin: 0.6em 0 0.2em; font-weight: bold; } " +
    "figure.glued-table figcaption { break-after: avoid; } " +
    "figure.glued-table { break-inside: avoid; } }";
""" + "%RESTRUCTURE%" + r"""
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


def ready_script(toc_file: Path = REPO / "_toc.yml") -> str:
    """What the page runs before it is printed: wait, style for print, restructure."""
    return READY.replace("%RESTRUCTURE%", restructure(toc_file))

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
            state = browser.evaluate(ready_script())
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
