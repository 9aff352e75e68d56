"""The book speaks to a reader: no hashes, checkpoint file names, loader layouts or campaign
words in its prose, whether written on a page or generated from the results."""
import re
from pathlib import Path

import pytest

from stego_lib import checkpoints, data
from stego_lib.notebook import rerun_box
from stego_lib.plotting.table import Table

ROOT = Path(__file__).resolve().parents[1]
# the pages checked here; the others are edited elsewhere
PAGES = [ROOT / "notebooks" / f"{n}.md" for n in (
    "paper1_detection", "beyond_detection", "beyond_adaptive", "beyond_lsb", "data_overview",
    "imagenet_examples", "paper2_figures", "theorem1_check")] + [
    p for p in sorted((ROOT / "book").glob("*.md")) if p.name not in ("intro.md", "bibliography.md")]
JARGON = re.compile(r"committed cache|chunk by chunk|package sample|package's (?:own|samples?)|"
                    r"exact-pixel subset npz|sha256 [0-9a-f]{6}|campaign item|"
                    r"item `?[a-z0-9]+-[a-z0-9-]+`?|ε_[A-Z]")
INTERNAL = ("exact-pixel subset npz", "package sample", "npz", "sha256")


def _prose(markdown: str) -> str:
    """Markdown outside code cells and code blocks (where commands belong)."""
    return re.sub(r"^```.*?^```", "", str(markdown), flags=re.S | re.M)


def test_the_jargon_pattern_catches_what_readers_found():
    for found in ("the item `paper1-device-check` recomputes", "sha256 875c3592aa1a…",
                  "from the committed cache", "ε_C = 0.06", "the package sample: CIFAR-10"):
        assert JARGON.search(found), found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_prose_has_no_internal_words(page):
    assert not JARGON.findall(_prose(page.read_text())), page.name


def test_the_rerun_box_explains_stored_results_in_plain_words():
    box = rerun_box("x", profile="paper", results="results/x/", command="python -m x")
    assert not JARGON.findall(_prose(box)) and "chunk" not in _prose(box)
    assert "stored with the book" in box and "python -m x" in box


def test_every_stored_layout_name_has_plain_words():
    """The layout names the loaders record, read back from a loader, come out as words."""
    sample = data.load_sample("cifar10", limit=1).provenance
    assert not any(w in data.plain_source(sample.source) for w in INTERNAL)
    assert not any(w in data.plain_source(sample.describe()) for w in INTERNAL)
    for name in data.PLAIN_SOURCES:
        assert not any(w in data.plain_source(f"x ({name}, images 0-9)") for w in INTERNAL)


def test_the_committed_detection_pools_and_models_read_as_words():
    """The pools and models the detection page lists, read as the page reads them."""
    from stego_lib.experiments import beyond

    res = beyond.detection.page_result("paper").result
    for per in res.pools.values():
        for desc in per.values():
            assert not any(w in data.plain_source(desc) for w in INTERNAL), desc
    for name in res.checkpoints.values():
        assert checkpoints.plain_name(name) != name, name


def test_a_table_cell_keeps_a_subscript_and_escapes_the_rest():
    html = Table(["bound"], [["ε<sub>C</sub> = 0.06 <b>"]])._repr_html_()
    assert "ε<sub>C</sub> = 0.06 &lt;b&gt;" in html


def test_a_table_offers_its_numbers_as_csv():
    from urllib.parse import unquote
    import csv
    import io
    import re

    t = Table(["attack", "paper", "ours", "N"], [["C, then S", 3.0, 0.41, 846], ["D", "–", 1.0, 0]],
              caption="Accuracy under attack (%)")
    page = t._repr_html_()
    href = re.search(r'href="data:text/csv;charset=utf-8,([^"]*)"', page).group(1)
    assert re.search(r'download="accuracy-under-attack\.csv"', page)
    rows = list(csv.reader(io.StringIO(unquote(href))))
    shown = re.findall(r"<t[hd]>(.*?)</t[hd]>", page)
    assert [c for r in rows for c in r] == shown       # exactly the cells the page shows
    assert rows[1] == ["C, then S", "3.000", "0.410", "846"]


def test_a_long_table_scrolls_in_its_box_and_a_short_one_does_not():
    from stego_lib.plotting.table import LONG

    short = Table(["n"], [[i] for i in range(LONG)])._repr_html_()
    long = Table(["n"], [[i] for i in range(LONG + 1)])._repr_html_()
    assert '<div class="table-box">' in short and '<div class="table-box long">' in long
    assert long.count("<tr>") == LONG + 2       # every row is still there, and the header
