"""Which committed results can be re-executed, and how: one :class:`Reexec` per experiment.

An adapter re-executes images ``[start, stop)`` of a stored entry from nothing but the entry's
own key (its config) and the committed checkpoints and data, in the batches the entry had, and
returns arrays named as the stored ones. :func:`cut` gives the stored arrays of the same images.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..cache import Entry
from .compare import Spec

__all__ = ["ADAPTERS", "CANNOT", "Reexec", "adapter", "cut", "register"]


@dataclass(frozen=True)
class Reexec:
    """How to re-execute the entries of one experiment.

    - ``experiment``: the results folder.
    - ``kind``: the tolerance kind (:data:`stego_lib.verify.compare.TOLERANCES`) of an entry.
    - ``n_images``: the images of an entry (length of its per-image arrays).
    - ``spec``: which arrays are compared, and the headline value.
    - ``rerun``: ``(entry, start, stop) -> arrays`` of images ``[start, stop)``.
    - ``step``: a slice starts at a multiple of it and spans whole batches (the entry's batch
      size; 1 where images are independent of their batch).
    - ``size``: images re-executed by default (whole batches; the entry's own size when
      smaller).
    - ``applies``: which entries it can re-execute (others are listed as not re-executable).
    - ``rate``: a prior of images re-executed per second on one CPU thread, for the plan.
    - ``image_axis``: the axis of an array that runs over images (0 unless it says otherwise).
    """

    experiment: str
    kind: Callable[[Entry], str]
    n_images: Callable[[Entry], int]
    spec: Callable[[Entry], Spec]
    rerun: Callable[[Entry, int, int], dict]
    step: int = 1
    size: int = 100
    applies: Callable[[Entry], bool] = lambda entry: True
    rate: float = 1.0
    image_axis: Callable[[str], int] = lambda name: 0


ADAPTERS: dict[str, list[Reexec]] = {}

# Committed experiments that cannot be re-executed from what is committed, and why.
CANNOT = {"paper1_madry_snapshots": "the weights at those training steps were not kept",
          "paper1_snapshots": "only the snapshot taken from a committed checkpoint can be; the "
                              "weights at the other training steps were not kept"}


def register(reexec: Reexec) -> Reexec:
    ADAPTERS.setdefault(reexec.experiment, []).append(reexec)
    return reexec


def adapter(entry: Entry) -> Reexec | None:
    """The adapter that re-executes ``entry``, or None."""
    for r in ADAPTERS.get(entry.meta.get("experiment", ""), []):
        if r.applies(entry):
            return r
    return None


def cut(reexec: Reexec, arrays: dict, names, start: int, stop: int) -> dict:
    """The stored arrays ``names`` restricted to images ``[start, stop)``."""
    out = {}
    for k in names:
        a = np.asarray(arrays[k])
        out[k] = np.take(a, np.arange(start, stop), axis=reexec.image_axis(k))
        if reexec.image_axis(k):
            out[k] = np.moveaxis(out[k], reexec.image_axis(k), 0)
    return out
