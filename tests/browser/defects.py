"""Rendering defects a reader sees but a build does not report, found in an opened page.

Run :data:`FIND_DEFECTS` with ``Browser.evaluate`` once the page's images have loaded. It
looks only at the page's article (``article.bd-article`` in the book's theme, else the body),
so the theme's navigation never counts, and returns one list per check:

``markers``
    A paragraph or list item whose text, outside code and math, starts with ``- ``, ``* ``
    or ``**``, or contains ``|---``: Markdown that was pasted as text instead of rendered
    (a glued list, bold phrase or table shown with its markers).
``table_figures``
    A ``figure`` that holds a ``table`` and whose caption reads "Figure N" (or "Fig. N"): a
    table numbered and cited as a figure. Tables belong to ``{glue:table}``.
``shrunk_images``
    An image in the article drawn at less than 60 % of its natural width. The book's images
    are matplotlib figures that the notebooks' inline backend saves at one fixed resolution,
    so an image's natural width measures its width in inches against its font size; below
    0.6 a 10-point axis label (about 14 natural pixels) is drawn under 9 pixels high and
    stops being readable. A figure that is too wide for the page has to be drawn narrower
    in inches, not squeezed by the browser. Images that are not drawn (in a folded cell)
    report their natural width and pass.
``bold_walls``
    A paragraph or list item with more than 60 words set in bold (computed font weight of
    600 or more): a generated sentence pasted in bold, which a reader cannot skim.
``two_captions``
    A pasted table (``figure.glued-table``) that shows more than one caption: the glue
    caption above it and the table's own.
``wide_tables``
    A table wider than the article's column that no box around it scrolls: it runs out of
    the column (or makes the whole page scroll sideways).
``figure_data``
    A figure image that does not offer its plotted points: an image in a ``figure`` outside a
    ``div.figure-data`` box, a box that says it plots points but has no CSV link, or a CSV
    whose rows are not the points the box announces (``data-points``).
"""
from __future__ import annotations

FIND_DEFECTS = r"""
(() => {
  const root = document.querySelector("article.bd-article") || document.body;
  const skip = "pre, code, kbd, script, style, textarea, mjx-container, .math, .highlight";
  const clean = s => s.replace(/\s+/g, " ").trim();
  // The text a reader sees in el, leaving out code and typeset math.
  const ownText = el => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, {
      acceptNode(n) {
        const p = n.parentElement;
        return (p && p.closest(skip)) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }});
    let text = "";
    for (let n = walker.nextNode(); n; n = walker.nextNode()) text += n.textContent;
    return clean(text);
  };
  // A list item made of paragraphs is judged by those paragraphs.
  const blocks = [...root.querySelectorAll("p, li")].filter(
    e => !e.closest(skip) && !(e.tagName === "LI" && e.querySelector(":scope > p")));
  const markers = blocks.map(ownText)
    .filter(t => /^(- |\* |\*\*)/.test(t) || t.includes("|---"))
    .map(t => t.slice(0, 100));
  const tableFigures = [...root.querySelectorAll("figure")].filter(f => {
    const cap = f.querySelector(":scope > figcaption");
    return f.querySelector("table") && cap && /^(Figure|Fig\.)\s*\d/.test(clean(cap.textContent));
  }).map(f => (f.id ? "#" + f.id + ": " : "")
               + clean(f.querySelector(":scope > figcaption").textContent).slice(0, 80));
  const shrunkImages = [...root.querySelectorAll("img")].filter(
    i => i.naturalWidth > 0 && i.width < 0.6 * i.naturalWidth
  ).map(i => `${(i.currentSrc || i.src).split("/").pop()}: drawn ${i.width} px wide of `
             + `${i.naturalWidth} (${Math.round(100 * i.width / i.naturalWidth)} %)`);
  // Words set in bold per paragraph or list item, headings and table headers aside.
  const boldWords = el => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, {
      acceptNode(n) {
        const p = n.parentElement;
        return (p && !p.closest(skip + ", h1, h2, h3, h4, h5, h6, th")
                && Number(getComputedStyle(p).fontWeight) >= 600)
          ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT;
      }});
    let words = 0;
    for (let n = walker.nextNode(); n; n = walker.nextNode())
      words += clean(n.textContent).split(" ").filter(Boolean).length;
    return words;
  };
  const boldWalls = blocks.filter(e => boldWords(e) > 60)
    .map(e => `${boldWords(e)} bold words: ` + ownText(e).slice(0, 80));
  const visible = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
  const twoCaptions = [...root.querySelectorAll("figure.glued-table")].filter(
    f => [...f.querySelectorAll("figcaption, caption")].filter(visible).length > 1
  ).map(f => clean(f.textContent).slice(0, 80));
  const column = root.getBoundingClientRect().width;
  const scrolls = (e, width) => {
    const ox = getComputedStyle(e).overflowX;
    return (ox === "auto" || ox === "scroll" || ox === "hidden") && width <= column + 1;
  };
  const wideTables = [...root.querySelectorAll("table")].filter(t => {
    if (!visible(t) || t.getBoundingClientRect().width <= column + 1) return false;
    for (let e = t.parentElement; e && e !== root; e = e.parentElement)
      if (scrolls(e, e.getBoundingClientRect().width)) return false;
    return true;
  }).map(t => `${Math.round(t.getBoundingClientRect().width)} px in a ${Math.round(column)} px `
              + "column: " + clean(t.textContent).slice(0, 60));
  const figureData = [];
  for (const img of root.querySelectorAll("figure img"))
    if (!img.closest("div.figure-data"))
      figureData.push("no plotted points offered: " + (img.currentSrc || img.src).slice(0, 60));
  for (const box of root.querySelectorAll("div.figure-data")) {
    const n = Number(box.dataset.points);
    const a = box.querySelector('a[download][href^="data:text/csv"]');
    if (!a) {
      if (n > 0) figureData.push(`${n} points and no CSV`);
      continue;
    }
    const text = decodeURIComponent(a.getAttribute("href").split(",").slice(1).join(","));
    const rows = text.split("\n").filter(Boolean).length - 1;
    if (rows !== n) figureData.push(`the CSV has ${rows} rows for ${n} points`);
  }
  return {markers: markers, table_figures: tableFigures, shrunk_images: shrunkImages,
          bold_walls: boldWalls, two_captions: twoCaptions, wide_tables: wideTables,
          figure_data: figureData};
})()
"""

CHECKS = ("markers", "table_figures", "shrunk_images", "bold_walls", "two_captions",
          "wide_tables", "figure_data")
