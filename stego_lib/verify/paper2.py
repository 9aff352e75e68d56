"""Re-executing Paper II's Table 1 cells (ours, on the models trained here and on the released
ones) and the authors' package on the released models.

Example::

    >>> {"paper2_table1", "paper2_authors"} <= set(ADAPTERS)
    True
"""
from __future__ import annotations

import functools

import numpy as np
import torch

from .. import checkpoints, data
from ..attacks import attack, functional_attack, protocol_kappa
from ..attacks.loop import DEFAULT_PROTOCOL
from ..augment import flip_crop
from ..cache import Entry
from ..experiments.paper2 import authors
from ..experiments.paper2.config import loader_seed
from ..experiments.paper2.table1 import cpu_layout
from .compare import Spec
from .paper1 import checked_model
from .registry import ADAPTERS, Reexec, register

__all__ = ["cifar_test", "correct_percent"]

BATCH = 100   # the CPU campaign's batch; the images of a functional attack do not interact


@functools.lru_cache(maxsize=2)
def cifar_test(source: str) -> data.Split:
    """The exact-pixel sample (846 images) or the JPEG copy's test set."""
    if source == "sample":
        return data.load_sample("cifar10", limit=846)
    return data.load_cifar10("test")


@functools.lru_cache(maxsize=2)
def _model(name: str, sha: str):
    return cpu_layout(checked_model(name, sha))


def correct_percent(arrays: dict) -> float:
    """A Table 1 cell's value: the share of images still classified correctly, in percent."""
    return 100 * float(np.mean(arrays["correct"]))


def _cell(entry: Entry, start: int, stop: int) -> dict:
    k, name = entry.meta["config"], entry.meta["model_checkpoint"]
    if "front_end" in k and checkpoints.entry(name)["arch_kwargs"] != k["front_end"]:
        raise LookupError(f"{name}: its front end is not the one the result was computed with")
    model = _model(name, k["checkpoint"])
    split = cifar_test(k["data"])
    x_all, y_all = split.images[k["start"]:k["stop"]], split.labels[k["start"]:k["stop"]]
    seed = loader_seed(k.get("loader", "plain"))
    if seed is not None:   # the images as the 2019 evaluation loader flipped and cropped them
        x_all = flip_crop(x_all, range(k["start"], k["stop"]), seed)
    threat = None if k["attack"] == "None" else functional_attack(k["attack"])
    kappa = protocol_kappa(k.get("protocol", DEFAULT_PROTOCOL))
    pred, pred8 = [], []
    for i in range(start, stop, BATCH):
        x, y = x_all[i:min(i + BATCH, stop)], y_all[i:min(i + BATCH, stop)]
        if threat is not None:
            x = attack(model, x, y, threat, steps=k["iterations"], lr=k["lr"],
                       reg_weight=k["reg_weight"], kappa=kappa)
        with torch.no_grad():
            pred.append(model(x).argmax(1))
            pred8.append(model((x * 255).round() / 255).argmax(1))
    return _outcomes(y_all[start:stop], pred, pred8)


def _outcomes(labels, pred, pred8) -> dict:
    pred, pred8 = torch.cat(pred).numpy().astype(np.int8), torch.cat(pred8).numpy().astype(np.int8)
    return {"pred": pred, "pred_uint8": pred8, "correct": pred == labels.numpy(),
            "labels": labels.numpy().astype(np.int8)}


def _authors(entry: Entry, start: int, stop: int) -> dict:
    k, name = entry.meta["config"], entry.meta["model_checkpoint"]
    model = _model(name, k["checkpoint"])
    split = cifar_test(k["data"])
    x_all, y_all = split.images[k["start"]:k["stop"]], split.labels[k["start"]:k["stop"]]
    params = authors.reference_attack(k["attack"], model, k["iterations"],
                                      rgb_eps=k.get("rgb_eps", authors.RGB_EPS),
                                      protocol=k.get("protocol", DEFAULT_PROTOCOL))
    pred, pred8 = [], []
    for i in range(start, stop, BATCH):
        x, y = x_all[i:min(i + BATCH, stop)], y_all[i:min(i + BATCH, stop)]
        adv = params.attack(x, y)[0].detach()
        model.eval()
        with torch.no_grad():
            pred.append(model(adv).argmax(1))
            pred8.append(model((adv * 255).round() / 255).argmax(1))
    return _outcomes(y_all[start:stop], pred, pred8)


def _images(entry: Entry) -> int:
    k = entry.meta["config"]
    return k["stop"] - k["start"]


# Which wrong class an attacked image ends in is reported, not compared (see Spec.outcomes).
_SPEC = Spec(preds=("correct",), outcomes=("pred", "pred_uint8"), labels="labels",
             value=correct_percent)


def _kind(entry: Entry) -> str:
    return "exact" if entry.meta["config"]["attack"] == "None" else "functional"


def _is(kind: str):
    return lambda entry: entry.meta.get("config", {}).get("kind") == kind


register(Reexec("paper2_table1", _kind, _images, lambda e: _SPEC, _cell, size=20,
                applies=_is("cell"), rate=1.4))
register(Reexec("paper2_authors", lambda e: "functional", _images, lambda e: _SPEC, _authors,
                size=20, applies=_is("authors"), rate=0.42))
