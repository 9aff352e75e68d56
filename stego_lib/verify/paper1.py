"""Re-executing Paper I's sweep points: PGD on MNIST from the entry's own random starts, and
the three detectors' scores.

Example::

    >>> [r.experiment for r in ADAPTERS["paper1"]]
    ['paper1', 'paper1', 'paper1']
"""
from __future__ import annotations

import functools

import numpy as np
import torch

from .. import checkpoints, data
from ..attacks import PGD
from ..cache import Entry, ResultsCache
from ..experiments.paper1.compute import all_scores, start_seed, threshold_config
from ..experiments.paper1.config import CHECKPOINTS, EXPERIMENT, VERSION, make_config
from .compare import Spec
from .registry import ADAPTERS, Reexec, register

__all__ = ["checked_model", "mnist_test", "paper1_threshold"]

BATCH = 100   # the batch of every committed sweep point on a CPU, and of the GPU's slices


@functools.lru_cache(maxsize=1)
def paper1_threshold() -> float:
    """The pixel predictor's threshold: the largest score on the MNIST training images."""
    cfg = make_config("paper")
    entry = ResultsCache().get(EXPERIMENT, threshold_config(cfg), VERSION)
    if entry is None:
        raise LookupError("the Paper I threshold is not committed")
    return float(np.max(entry.arrays["abs"]))


def checked_model(name: str, sha: str, device="cpu"):
    """Checkpoint ``name``, refused unless it is the file the entry was computed with."""
    now = checkpoints.sha(name)
    if now != sha:
        raise LookupError(f"checkpoint {name} is not the one the result was computed with "
                          f"(sha256 {str(now)[:12]}, the result names {sha[:12]})")
    return checkpoints.load(name, device=device)


@functools.lru_cache(maxsize=2)
def mnist_test(source: str, n: int) -> data.Split:
    if source == "sample":
        return data.load_sample("mnist", limit=n)
    return data.load_mnist("test", limit=n)


def _attack(entry: Entry, start: int, stop: int) -> dict:
    k = entry.meta["config"]
    model = checked_model(CHECKPOINTS[k["model"]], k["checkpoint"])
    test = mnist_test(k["data"], k["n_images"])
    atk = PGD(eps=k["eps"], steps=k["steps"], alpha=k["alpha"], clip_start=k["clip_start"],
              loss=k["loss"])
    # The starts are drawn for all the entry's images at once, so a slice gets its own.
    gen = torch.Generator().manual_seed(start_seed(k["seed"], k["model"], k["eps"]))
    starts = atk.init(test.images, generator=gen)
    pred, scores = [], {}
    for i in range(start, stop, BATCH):
        sl = slice(i, min(i + BATCH, stop))
        x_adv = atk.run(model, test.images[sl], test.labels[sl], starts[sl])
        with torch.no_grad():
            pred.append(model(x_adv).argmax(1).numpy())
        for name, v in all_scores(x_adv, k["quantize"]).items():
            scores.setdefault(name, []).append(v)
    pred = np.concatenate(pred).astype(np.int8)
    labels = test.labels[start:stop].numpy()
    out = {"pred": pred, "success": pred != labels, "labels": labels.astype(np.int8)}
    out.update({f"score_{name}": np.concatenate(v) for name, v in scores.items()})
    return out


def _clean(entry: Entry, start: int, stop: int) -> dict:
    k = entry.meta["config"]
    model = checked_model(CHECKPOINTS[k["model"]], k["checkpoint"])
    test = mnist_test(k["data"], k["n_images"])
    with torch.no_grad():
        pred = model(test.images[start:stop]).argmax(1).numpy().astype(np.int8)
    out = {"pred": pred, "labels": test.labels[start:stop].numpy().astype(np.int8)}
    out.update({f"score_{name}": v for name, v in all_scores(test.pixels[start:stop], None).items()})
    return out


def _spec(entry: Entry) -> Spec:
    thr = paper1_threshold()
    if entry.meta["config"]["kind"] == "attack":
        kw = dict(preds=("success",), outcomes=("pred",), labels="labels")
    else:
        kw = dict(preds=("pred",))
    return Spec(**kw, scores=("score_abs", "score_signed"), reported=("score_ws",),
                flags={"score_abs": thr},
                # Table II's detection rate at this ε, in percent of the images
                value=lambda a: 100 * float(np.mean(np.asarray(a["score_abs"]) > thr)))


def _kind(name: str):
    return lambda entry: entry.meta.get("config", {}).get("kind") == name


register(Reexec("paper1", lambda e: "pgd", lambda e: e.meta["config"]["n_images"], _spec,
                _attack, step=BATCH, size=100, applies=_kind("attack"), rate=40.0))
register(Reexec("paper1", lambda e: "exact", lambda e: e.meta["config"]["n_images"], _spec,
                _clean, step=1, size=1000, applies=_kind("clean"), rate=2000.0))


def _threshold(entry: Entry, start: int, stop: int) -> dict:
    train = data.load_mnist("train", limit=stop)
    return all_scores(train.pixels[start:stop], None)


register(Reexec("paper1", lambda e: "exact", lambda e: e.meta["config"]["n"],
                lambda e: Spec(scores=("abs", "signed", "ws"),
                               value=lambda a: float(np.max(a["abs"]))),
                _threshold, step=1, size=2000, applies=_kind("threshold"), rate=4000.0))
