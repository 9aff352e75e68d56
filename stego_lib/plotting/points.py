"""The points a figure plots, read back from the drawn figure, and a figure that offers them.

A reader who wants the numbers behind a figure gets them as CSV beside it. They are read from
the matplotlib figure after it is drawn, not passed alongside it, so the file holds exactly
what is drawn: lines and markers, scatter points, bars, error bars and heat maps, each
in data coordinates, with a category axis written as its labels. A line across the panel at
one value (``axhline``, ``axvline``) is one row with the other coordinate empty. A heat map
is an ``imshow`` grid whose rows and columns are named by tick labels; any other image is a
picture, and pictures and shaded bands are not points.

Example::

    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.errorbar([0.1, 0.2], [90.0, 80.0], yerr=[1.0, 2.0], label="ours")
    >>> _ = ax.axhline(50.0, label="chance")       # a line at one value: one row
    >>> _ = ax.set(xlabel="ε", ylabel="TPR (%)")
    >>> t = plotted_points(fig)
    >>> t.header
    ['series', 'ε', 'TPR (%)', 'TPR (%) low', 'TPR (%) high']
    >>> t.rows
    [['ours', '0.1', '90', '89', '91'], ['ours', '0.2', '80', '78', '82'], ['chance', '', '50', '', '']]
    >>> plt.close(fig)
"""
from __future__ import annotations

import base64
import html
import re
from urllib.parse import quote

import numpy as np

from .table import Table

# A heat map is a grid of numbers a reader may want; a picture shown with imshow is not.
MAX_HEATMAP_CELLS = 2_500
# The CSV travels inside the page; past this many points a figure draws more than a reader
# can see (a ROC curve's every threshold): draw its corners (plotting._figure.corners).
MAX_POINTS = 20_000


def _num(v) -> str:
    """A coordinate as short text: integers without a point, others to 6 significant
    digits (the drawn values, not more)."""
    v = float(v)
    if not np.isfinite(v):
        return ""
    return f"{v:.6g}"


def _category(axis) -> dict:
    """Tick position -> label, when ``axis`` (``ax.xaxis``) names its ticks with words
    (``set_xticks(ticks, labels)`` or string data); else ``{}``: numbers are written as
    numbers, whatever their tick labels look like (``$\\mathdefault{10^{-3}}$``)."""
    from matplotlib import ticker
    numeric = (ticker.ScalarFormatter, ticker.LogFormatter, ticker.PercentFormatter,
               ticker.EngFormatter, ticker.StrMethodFormatter, ticker.FormatStrFormatter)
    if isinstance(axis.get_major_formatter(), numeric):
        return {}
    labels = {float(loc): tick.get_text().strip()
              for loc, tick in zip(axis.get_ticklocs(), axis.get_ticklabels())
              if tick.get_text().strip()}
    number = r"[−\-+]?[\d.,]+(e[−\-+]?\d+)?\s*%?"
    return {} if all(re.fullmatch(number, t) for t in labels.values()) else labels


def _coord(v, categories: dict) -> str:
    for loc, label in categories.items():
        if abs(float(v) - loc) < 1e-9:
            return label
    return _num(v)


def _label(artist) -> str:
    label = artist.get_label() or ""
    return "" if label.startswith("_") else label


def _errorbars(ax) -> dict:
    """id(data line) -> ``{"y": [(low, high), ...]}`` and/or ``"x"`` from the error bars of
    ``ax``, in the order of the line's points."""
    out: dict = {}
    for c in ax.containers:
        if type(c).__name__ != "ErrorbarContainer":
            continue
        line, _caps, bars = c.lines
        if line is None:
            continue
        # errorbar puts the legend label on the container, not on its data line
        out.setdefault(id(line), {})["label"] = _label(c)
        for coll in bars:
            segs = coll.get_segments()
            if not segs:
                continue
            vertical = all(abs(s[0][0] - s[1][0]) < 1e-12 for s in segs)
            k, i = ("y", 1) if vertical else ("x", 0)
            out.setdefault(id(line), {})[k] = [tuple(sorted((s[0][i], s[1][i]))) for s in segs]
    return out


def _panel_rows(ax, name: str) -> list[dict]:
    """Every point of ``ax`` as a dict of panel, series, x, y (and intervals, value)."""
    xcat, ycat = _category(ax.xaxis), _category(ax.yaxis)
    errs = _errorbars(ax)
    rows = []
    for line in ax.get_lines():
        if not line.get_visible():
            continue
        t = line.get_transform()
        if t != ax.transData:
            # a line across the panel at one data value (axvline / axhline): one row
            x, y = line.get_xdata()[0], line.get_ydata()[0]
            if t == ax.get_xaxis_transform():
                rows.append({"panel": name, "series": _label(line), "x": _coord(x, xcat), "y": ""})
            elif t == ax.get_yaxis_transform():
                rows.append({"panel": name, "series": _label(line), "x": "", "y": _coord(y, ycat)})
            continue
        xs, ys = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        e = errs.get(id(line), {})
        for j, (x, y) in enumerate(zip(xs, ys)):
            row = {"panel": name, "series": _label(line) or e.get("label", ""),
                   "x": _coord(x, xcat), "y": _coord(y, ycat)}
            for k in ("x", "y"):
                if k in e and len(e[k]) == len(xs):
                    row[k + " low"], row[k + " high"] = map(_num, e[k][j])
            rows.append(row)
    for coll in ax.collections:
        if (type(coll).__name__ != "PathCollection" or not coll.get_visible()
                or coll.get_offset_transform() != ax.transData):
            continue
        for x, y in np.asarray(coll.get_offsets(), float):
            rows.append({"panel": name, "series": _label(coll),
                         "x": _coord(x, xcat), "y": _coord(y, ycat)})
    for c in ax.containers:
        if type(c).__name__ != "BarContainer":
            continue
        horizontal = getattr(c, "orientation", "vertical") == "horizontal"
        for p in c.patches:
            if horizontal:
                x, y = p.get_x() + p.get_width(), p.get_y() + p.get_height() / 2
            else:
                x, y = p.get_x() + p.get_width() / 2, p.get_y() + p.get_height()
            rows.append({"panel": name, "series": _label(c),
                         "x": _coord(x, xcat), "y": _coord(y, ycat)})
    for im in ax.get_images():
        a = np.ma.filled(np.ma.asarray(im.get_array(), float), np.nan)
        if a.ndim != 2 or a.size > MAX_HEATMAP_CELLS or not (xcat and ycat):
            continue   # a picture, not a grid of numbers with named rows and columns
        x0, x1, y0, y1 = im.get_extent()
        ny, nx = a.shape
        top_down = im.origin == "upper"
        for r in range(ny):
            for col in range(nx):
                x = x0 + (col + 0.5) * (x1 - x0) / nx
                yy = (y1 + (r + 0.5) * (y0 - y1) / ny) if top_down else (y0 + (r + 0.5) * (y1 - y0) / ny)
                rows.append({"panel": name, "series": _label(im),
                             "x": _coord(round(x, 9), xcat), "y": _coord(round(yy, 9), ycat),
                             "value": _num(a[r, col])})
    # A curve is often drawn twice: an unlabelled line and the labelled markers on it. The
    # markers name the series; the line's copy of the same points would be an unnamed repeat.
    named = {(r["x"], r["y"]) for r in rows if r["series"]}
    return [r for r in rows if r["series"] or (r["x"], r["y"]) not in named]


def plotted_points(fig) -> Table:
    """The points ``fig`` draws, one row each, as a :class:`~stego_lib.plotting.Table`.

    Columns: ``panel`` (the panel's title, only when the figure has more than one panel with
    points), ``series`` (the legend label; only when some point has one), the x and y
    coordinates under their axis labels (``x`` and ``y`` where a figure's panels label them
    differently), ``… low`` / ``… high`` where error bars are drawn, and ``value`` for heat
    maps. The figure is drawn first, so tick labels are final.
    """
    fig.canvas.draw()
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    found = []
    for i, ax in enumerate(panels):
        rows = _panel_rows(ax, ax.get_title() or f"panel {i + 1}")
        if rows:
            found.append((ax, rows))
    if not found:
        return Table(["x", "y"], [])
    xnames = {ax.get_xlabel() for ax, _ in found}
    ynames = {ax.get_ylabel() for ax, _ in found}
    xname = xnames.pop() if len(xnames) == 1 and "" not in xnames else "x"
    yname = ynames.pop() if len(ynames) == 1 and "" not in ynames else "y"
    rows = [r for _, rs in found for r in rs]
    keys = ["panel"] if len(found) > 1 else []
    keys += ["series"] if any(r["series"] for r in rows) else []
    keys += ["x", "y"]
    keys += [k for k in ("x low", "x high", "y low", "y high", "value")
             if any(k in r for r in rows)]
    names = {"x": xname, "y": yname, "x low": f"{xname} low", "x high": f"{xname} high",
             "y low": f"{yname} low", "y high": f"{yname} high"}
    return Table([names.get(k, k) for k in keys], [[r.get(k, "") for k in keys] for r in rows])


class FigureWithPoints:
    """A figure for the book that offers the CSV of its plotted points under it.

    Displays as the same PNG the notebook's inline backend draws, in a box that says how many
    points it plots (``data-points``), with a CSV link when there are any. Made by
    :func:`with_points`.
    """

    def __init__(self, fig, name: str):
        self.fig = fig
        self.name = name

    def png(self) -> bytes:
        from IPython.core.pylabtools import print_figure
        # the inline backend's own call and options, so the image is the one it would show
        return print_figure(self.fig, "png", bbox_inches="tight")

    def _repr_mimebundle_(self, include=None, exclude=None):
        png = self.png()
        points = plotted_points(self.fig)
        if len(points.rows) > MAX_POINTS:
            raise ValueError(f"{self.name}: the figure plots {len(points.rows):,} points, more "
                             f"than the {MAX_POINTS:,} a page carries; draw fewer (a curve's "
                             f"corners, stego_lib.plotting._figure.corners)")
        img = (f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" '
               f'alt="{html.escape(self.name)}">')
        link = ""
        if points.rows:
            href = "data:text/csv;charset=utf-8," + quote(points.to_csv())
            link = (f'<p class="figure-csv"><a download="{html.escape(self.name)}.csv" '
                    f'href="{href}">Download the plotted points as CSV</a></p>')
        box = f'<div class="figure-data" data-points="{len(points.rows)}">{img}{link}</div>'
        return {"text/html": box, "image/png": png}


def with_points(fig, name: str) -> FigureWithPoints:
    """``fig`` for the book with the CSV of its plotted points (see :func:`plotted_points`);
    ``name`` names the CSV file (``name.csv``)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name or ""):
        raise ValueError(f"name must be lower-case words joined by '-', got {name!r}")
    if not hasattr(fig, "canvas"):
        raise TypeError(f"with_points needs a matplotlib figure, got {type(fig).__name__}")
    return FigureWithPoints(fig, name)
