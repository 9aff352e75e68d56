"""Figures and tables for the book. Plotting never computes: it draws results."""
from .table import Table

__all__ = ["Table"]
