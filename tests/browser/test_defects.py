"""Each rendering check of ``defects.py`` fails on a page with its defect and passes on the
page fixed. Tiny pages in a temporary folder, opened in the same headless Chromium as the
book; no book build needed."""
from __future__ import annotations

import struct
import zlib

import pytest

from chromium import Browser, Server, chromium_or_skip
from defects import CHECKS, FIND_DEFECTS

# The theme's article is 688 px wide in the book's 1,300 px window; these pages pin it.
PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
article {{ width: 688px; }} img {{ max-width: 100%; }}
</style></head><body><article class="bd-article">{body}</article></body></html>"""

TABLE = "<table><tr><th>model</th><th>accuracy</th></tr><tr><td>C</td><td>0.5</td></tr></table>"

WIDE = ("<table><tr>" + "".join(f"<th>column {i}</th>" for i in range(40)) + "</tr><tr>"
        + "".join(f"<td>{i}.000</td>" for i in range(40)) + "</tr></table>")


def _points(n_rows: int, announced: int) -> str:
    """A figure box announcing ``announced`` points, with a CSV of ``n_rows`` rows."""
    from urllib.parse import quote
    text = "x,y\n" + "".join(f"{i},{i}\n" for i in range(n_rows))
    return (f'<figure><div class="figure-data" data-points="{announced}"><img src="narrow.png">'
            f'<p><a download="f.csv" href="data:text/csv;charset=utf-8,{quote(text)}">CSV</a>'
            f'</p></div><figcaption><p>Figure 1 A plot.</p></figcaption></figure>')


def _img(src: str) -> str:
    return f'<div class="figure-data" data-points="0"><img src="{src}"></div>'


# check -> (broken page body, fixed page body)
PAGES = {
    "markers": (
        "<p>- natural: checkpoint a - adversarial: checkpoint b</p>"
        "<p>**Status.** computed</p><p>| a | b | |---|---| | 1 | 2 |</p>",
        "<ul><li>natural: checkpoint a</li><li><p>adversarial: checkpoint b</p></li></ul>"
        "<p><strong>Status.</strong> computed, 3 - 1 = 2</p>"
        "<pre>- a list in code is fine\n|---|</pre>",
    ),
    "table_figures": (
        f'<figure id="tab-x">{TABLE}<figcaption><p>Figure 1.2 Accuracy.</p></figcaption></figure>',
        f'<figure id="tab-x"><figcaption><p>Table 1.2 Accuracy.</p></figcaption>{TABLE}</figure>'
        f'<figure>{_img("narrow.png")}<figcaption><p>Figure 1.3 A plot.</p></figcaption>'
        '</figure>',
    ),
    "bold_walls": (
        '<p><span class="pasted-text" style="font-weight: bold">' + "word " * 70 + "</span></p>",
        '<p><strong>Status.</strong> <span class="pasted-text" style="font-weight: normal">'
        + "word " * 70 + "</span></p><h2>" + "heading " * 70 + "</h2>",
    ),
    "shrunk_images": (
        f'<figure>{_img("wide.png")}<figcaption><p>Figure 1 A wide plot.</p></figcaption>'
        '</figure>',
        f'<figure>{_img("narrow.png")}<figcaption><p>Figure 1 A plot.</p></figcaption>'
        '</figure>',
    ),
    "two_captions": (
        '<figure class="glued-table"><figcaption><p>Table 1 Accuracy.</p></figcaption>'
        + TABLE.replace("<tr>", "<caption>Accuracy</caption><tr>", 1) + "</figure>",
        '<figure class="glued-table"><figcaption><p>Table 1 Accuracy.</p></figcaption>'
        + TABLE.replace("<tr>", '<caption style="display: none">Accuracy</caption><tr>', 1)
        + "</figure>",
    ),
    "wide_tables": (
        WIDE,
        f'<div style="overflow-x: auto">{WIDE}</div>',
    ),
    "figure_data": (
        '<figure><img src="narrow.png"><figcaption><p>Figure 1 A plot.</p></figcaption>'
        '</figure>' + _points(3, 4)
        + '<figure><div class="figure-data" data-points="2"><img src="narrow.png"></div>'
        '</figure>',
        _points(3, 3) + f'<figure>{_img("narrow.png")}</figure>',
    ),
}


def _png(width: int, height: int) -> bytes:
    """A grey PNG of the given size (no image library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def opened(tmp_path_factory):
    """``open(name)``: the findings of FIND_DEFECTS on one of the pages written here."""
    exe = chromium_or_skip()
    root = tmp_path_factory.mktemp("pages")
    (root / "wide.png").write_bytes(_png(1300, 20))    # drawn at 688 px: 53 %
    (root / "narrow.png").write_bytes(_png(900, 20))   # drawn at 688 px: 76 %
    for check, (broken, fixed) in PAGES.items():
        (root / f"{check}-broken.html").write_text(PAGE.format(body=broken), encoding="utf-8")
        (root / f"{check}-fixed.html").write_text(PAGE.format(body=fixed), encoding="utf-8")
    with Server(root) as server:
        browser = Browser(exe)
        try:
            def open_page(name):
                browser.open(server.base + name)
                return browser.evaluate(FIND_DEFECTS)
            yield open_page
        finally:
            browser.close()


@pytest.mark.parametrize("check", CHECKS)
def test_check_fails_on_its_broken_page(opened, check):
    found = opened(f"{check}-broken.html")
    assert found[check], f"{check} found nothing on its broken page"
    # the other checks stay quiet: each page has one kind of defect
    assert not any(found[c] for c in CHECKS if c != check), found


@pytest.mark.parametrize("check", CHECKS)
def test_check_passes_on_the_fixed_page(opened, check):
    found = opened(f"{check}-fixed.html")
    assert not any(found[c] for c in CHECKS), found


def test_markers_are_found_one_by_one(opened):
    # a list, a bold phrase and a table, each pasted as text
    assert len(opened("markers-broken.html")["markers"]) == 3


def test_figure_data_finds_each_kind_of_miss(opened):
    # a bare image, a CSV one row short of its points, points announced without a CSV
    found = opened("figure_data-broken.html")["figure_data"]
    assert len(found) == 3, found
    assert any("3 rows for 4 points" in f for f in found)
