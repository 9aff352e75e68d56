"""The campaign: one resumable queue of every paper-scale computation, run on Dask.

``python -m stego_lib.campaign status`` lists the items with what is done and the time left;
``python -m stego_lib.campaign run [--max-minutes M] [--items a,b] [--device cpu|cuda]``
computes what is missing, chunk by chunk, on local worker processes, an existing Dask cluster
(``--scheduler-address``/``--scheduler-file``) or Slurm jobs (``--slurm``). Finished chunks
land in ``results/`` and ``checkpoints/``; committing them is what carries the work forward.
The items and chunks are the experiments' own (:mod:`stego_lib.tasks`).

Example::

    >>> select("paper2-figures", registry())   # the model it attacks is trained first
    ['paper2-train-natural', 'paper2-figures']
"""
from .cluster import Engine
from .core import MODULES, Throughput, UnknownItemError, registry, select
from .runner import run
from .status import format_status, status

__all__ = ["Engine", "MODULES", "Throughput", "UnknownItemError", "format_status", "registry",
           "run", "select", "status"]
