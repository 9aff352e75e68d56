"""The campaign: one resumable queue of every paper-scale computation.

``python -m stego_lib.campaign status`` lists the items with what is done and the time left;
``python -m stego_lib.campaign run [--max-minutes M] [--items a,b] [--device cpu|cuda]``
computes what is missing, chunk by chunk. Finished chunks land in ``results/`` and
``checkpoints/``; committing them is what carries the work forward.
"""
from .core import MODULES, Chunk, Item, UnknownItemError, registry, select, state_dir
from .runner import format_status, run, status

__all__ = ["Chunk", "Item", "MODULES", "UnknownItemError", "format_status", "registry", "run",
           "select", "state_dir", "status"]
