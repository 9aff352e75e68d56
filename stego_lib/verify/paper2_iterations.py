"""Re-executing the iteration trace of Table 1's S and C+S cells under the 2019 protocol.

Like the other functional attacks the trace starts at the identity and sums its loss over the
images, so a slice may start anywhere; the batches are cut on the original's grid. Which wrong
class an attacked image ends in is reported, not compared (see
:class:`stego_lib.verify.compare.Spec`).

Example::

    >>> [r.experiment for r in ADAPTERS["paper2_iterations"]]
    ['paper2_iterations']
"""
from __future__ import annotations

import numpy as np
import torch

from ..attacks import attack, functional_attack, protocol_kappa
from ..cache import Entry
from ..experiments.paper2 import iterations
from .compare import Spec
from .paper2 import _model, cifar_test
from .paper2_more import _batches
from .registry import ADAPTERS, Reexec, register

__all__ = ["ADAPTERS"]


def _n(entry: Entry) -> int:
    s, e = entry.meta["config"]["images"]
    return e - s


def _rerun(entry: Entry, start: int, stop: int) -> dict:
    k = entry.meta["config"]
    model = _model(entry.meta["model_checkpoint"], k["checkpoint"])
    split = cifar_test(k["data"])
    first = k["images"][0]
    threat, kappa = functional_attack(k["attack"]), protocol_kappa(k["protocol"])
    out = {f"{kind}_{t}": [] for t in k["steps"] for kind in ("pred", "pred_uint8")}
    for sl in _batches(first + start, first + stop, k["batch_size"]):
        x, y = split.images[sl], split.labels[sl]
        _, kept = attack(model, x, y, threat, steps=max(k["steps"]), lr=k["lr"],
                         reg_weight=k["reg_weight"], kappa=kappa, trace=tuple(k["steps"]))
        with torch.no_grad():
            for t, adv in kept.items():
                out[f"pred_{t}"].append(model(adv).argmax(1))
                out[f"pred_uint8_{t}"].append(model((adv * 255).round() / 255).argmax(1))
    arrays = {name: torch.cat(v).numpy().astype(np.int8) for name, v in out.items()}
    arrays["labels"] = split.labels[first + start:first + stop].numpy().astype(np.int8)
    return arrays


def _spec(entry: Entry) -> Spec:
    steps = entry.meta["config"]["steps"]
    return Spec(preds=("labels",), labels="labels",
                outcomes=tuple(f"{kind}_{t}" for t in steps for kind in ("pred", "pred_uint8")),
                # the cell's value after the paper's 100 steps, float scoring, %
                value=lambda a: 100 * float(np.mean(np.asarray(a["pred_100"])
                                                    == np.asarray(a["labels"]))))


# 300 steps: a third of the Table 1 cells' rate
register(Reexec("paper2_iterations", lambda e: "functional", _n, _spec, _rerun, size=6,
                applies=lambda e: e.meta.get("config", {}).get("steps") == list(iterations.STEPS),
                rate=0.3))
