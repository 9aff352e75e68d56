"""Shared figure handling.

Example::

    >>> fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    >>> _ = ax.plot([0, 1], [0, 1], label="a")
    >>> _ = ax.plot([0, 1], [1, 0], label="b")
    >>> leg = legend_outside(fig, [ax])   # under the axes; the figure grows to hold it
    >>> [t.get_text() for t in leg.get_texts()], bool(finish(fig).get_figheight() > 3)
    (['a', 'b'], True)
"""
import matplotlib.pyplot as plt
import numpy as np

# The book's text column is about 690 pixels wide and the notebooks save figures at about
# 100 pixels per inch, so a figure wider than this many inches is drawn shrunk and its
# labels shrink with it; the browser check fails below 60 % (11.5 inches).
MAX_WIDTH = 10.0

# Legend text in points: 8 pt is the least a reader can take in at the size the book shows a
# figure; one point more leaves room for figures that are shrunk a little in the column.
LEGEND_PT = 9


def columns(n: int, panel_width: float) -> int:
    """How many panels of ``panel_width`` inches fit side by side within :data:`MAX_WIDTH`
    (at least one, at most ``n``)."""
    return max(1, min(n, int(MAX_WIDTH // panel_width)))


def _entries(axes) -> dict:
    """Label -> handle over ``axes``; a series drawn in several panels is listed once."""
    out: dict = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            out.setdefault(label, handle)
    return out


def legend_outside(fig, axes, *, ncols: int | None = None, side: str = "lower"):
    """One legend for the series of ``axes``, under the panels (``side="upper"``: above them),
    outside every panel, so that no data of any size can sit beneath it. ``fig`` must use the
    constrained layout. Above is for figures with a ``supxlabel``, which the layout sets in
    the same place as a legend under the panels.

    The legend takes ``ncols`` columns (default: one per entry), fewer where that is wider
    than the figure; the figure grows by the legend's height so the panels keep their size.
    """
    entries = _entries(axes)
    if not entries:
        return None
    for n in range(min(ncols or len(entries), len(entries)), 0, -1):
        legend = fig.legend(entries.values(), entries.keys(), loc=f"outside {side} center",
                            ncols=n, fontsize=LEGEND_PT, frameon=False)
        if n == 1 or legend.get_window_extent().width <= fig.bbox.width:
            break
        legend.remove()
    fig.set_figheight(fig.get_figheight() + legend.get_window_extent().height / fig.dpi)
    return legend


def one_legend(fig, axes: list, n: int, *, side: str = "lower"):
    """One legend for a grid whose first ``n`` panels share their series: in the first
    unused panel if the grid has one (the unused ones are hidden), else outside the panels
    on ``side`` (see :func:`legend_outside`)."""
    for ax in axes[n:]:
        ax.set_visible(False)
    if len(axes) == n:
        return legend_outside(fig, axes, side=side)
    spare = axes[n]
    spare.set_visible(True)
    spare.axis("off")
    entries = _entries(axes[:n])
    return spare.legend(entries.values(), entries.keys(), loc="center", fontsize=LEGEND_PT,
                        frameon=False)


def finish(fig):
    """Close ``fig`` in pyplot and return it.

    Notebooks glue figures into the book; an open figure would also be drawn a second
    time by the inline backend at the end of the cell. A closed figure still renders.
    """
    plt.close(fig)
    return fig


def corners(x, y) -> tuple[np.ndarray, np.ndarray]:
    """The points of a polyline without those in the middle of a horizontal or vertical run.

    A ROC curve from 10,000 scores has a point per threshold, most of them on the flat and
    steep runs of its staircase; drawn, the corners alone give the same line on any axis
    scale (a run stays horizontal or vertical under a monotone scale), and the curve's CSV
    holds hundreds of points instead of a hundred thousand.

    Example:
        >>> corners([0, 0, 0, 1, 2, 2], [0, 1, 2, 2, 2, 3])
        (array([0, 0, 2, 2]), array([0, 2, 2, 3]))
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) < 3:
        return x, y
    inner = ((x[1:-1] == x[:-2]) & (x[1:-1] == x[2:])) | ((y[1:-1] == y[:-2]) & (y[1:-1] == y[2:]))
    keep = np.concatenate([[True], ~inner, [True]])
    return x[keep], y[keep]
