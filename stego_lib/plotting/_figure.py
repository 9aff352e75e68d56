"""Shared figure handling."""
import matplotlib.pyplot as plt


def finish(fig):
    """Close ``fig`` in pyplot and return it.

    Notebooks glue figures into the book; an open figure would also be drawn a second
    time by the inline backend at the end of the cell. A closed figure still renders.
    """
    plt.close(fig)
    return fig
