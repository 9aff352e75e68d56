"""Figures and tables for the book. Plotting never computes: it draws results.

Example::

    >>> Table(["model", "accuracy"], [["natural", 0.9912]], caption="Clean accuracy")
    Clean accuracy
    | model | accuracy |
    |---|---|
    | natural | 0.991 |
"""
from .table import Table

__all__ = ["Table"]
