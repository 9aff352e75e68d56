"""Shared figure handling."""
import matplotlib.pyplot as plt

# The book's text column is about 690 pixels wide and the notebooks save figures at about
# 100 pixels per inch, so a figure wider than this many inches is drawn shrunk and its
# labels shrink with it; the browser check fails below 60 % (11.5 inches).
MAX_WIDTH = 10.0


def columns(n: int, panel_width: float) -> int:
    """How many panels of ``panel_width`` inches fit side by side within :data:`MAX_WIDTH`
    (at least one, at most ``n``)."""
    return max(1, min(n, int(MAX_WIDTH // panel_width)))


def finish(fig):
    """Close ``fig`` in pyplot and return it.

    Notebooks glue figures into the book; an open figure would also be drawn a second
    time by the inline backend at the end of the cell. A closed figure still renders.
    """
    plt.close(fig)
    return fig
