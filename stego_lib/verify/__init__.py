"""Re-execute a seeded sample of the committed results on this machine and compare.

``python -m stego_lib.verify --minutes 5`` re-executes, within the budget, a slice of as many
committed results as fit (one of each experiment first), compares each with its committed
arrays under the tolerances of :mod:`stego_lib.verify.compare`, prints a table, writes a JSON
report and exits non-zero when any result falls outside its tolerance.

Example::

    >>> from stego_lib.verify import TOLERANCES
    >>> TOLERANCES["exact"].pred_agree
    1.0
"""
from . import beyond, other, paper1, paper2   # noqa: F401  (each registers its adapters)
from . import paper2_more, paper2_iterations  # noqa: F401
from .compare import TOLERANCES, Comparison, Spec, Tolerance, compare
from .registry import ADAPTERS, Reexec, adapter
from .run import UnknownResultError, entries, plan, verify

__all__ = ["ADAPTERS", "Comparison", "Reexec", "Spec", "TOLERANCES", "Tolerance",
           "UnknownResultError", "adapter", "compare", "entries", "plan", "verify"]
