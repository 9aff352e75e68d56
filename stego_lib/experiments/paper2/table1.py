"""Table 1 of Laidlaw & Feizi (2019): every model against every attack, one cache entry per cell.

A *cell* is one (model, attack) pair on the first N test images; it is stored as one or more
cache entries of ``chunk_images`` images each (the campaign computes them one at a time). Each
entry holds, per image: the label, the model's prediction on the attacked image as the attack
returned it (float32) and after rounding it to 8-bit pixels. For the undefended model it also
keeps the attacked images themselves as uint8, for the detection experiments that reuse them.
Every evaluation attack is :func:`stego_lib.attacks.attack` with the paper's bounds (the
defaults of :func:`~stego_lib.attacks.functional_attack`), Adam lr 1e-3, 100 iterations,
λ = 0.05, identity start: deterministic, so no seed enters the results.

Example::

    >>> from stego_lib.experiments.paper2 import make_config
    >>> key = cell_config(make_config("smoke"), "natural", "0123abcd", "C", 0, 4)
    >>> key["attack"], key["start"], key["stop"], key["iterations"]
    ('C', 0, 4, 5)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ... import checkpoints, data
from ...augment import flip_crop
from ...attacks import attack, functional_attack, protocol_kappa
from ...attacks.loop import DEFAULT_PROTOCOL
from ...cache import CacheMiss, GPURequiredError, cached
from ...tasks import CachedUnit, Lazy
from .config import (CAMPAIGN_COMMAND, EXPERIMENT, PAPER_IMAGES, VERSION, Table1Config,
                     image_ranges, loader_seed, make_config)
from .. import page_entry

__all__ = ["Cell", "Table1Result", "adversarial_images", "cell_chunk", "cell_config", "row_sha",
           "cpu_layout", "has_cell", "outcomes", "page_result", "run", "stored_correct"]


def row_sha(cfg: Table1Config, row: str) -> str | None:
    """The sha256 of the model of Table 1 row ``row`` in ``cfg`` (None: not committed)."""
    return checkpoints.sha(cfg.checkpoints[row])


def cell_config(cfg: Table1Config, row: str, sha: str, attack_name: str, start: int, stop: int) -> dict:
    """The cache key of images ``[start, stop)`` of one cell."""
    key = {"kind": "cell", "row": row, "checkpoint": sha, "attack": attack_name,
           "data": cfg.data, "start": start, "stop": stop}
    if cfg.models == "released" and row == "gray":
        # the released B&W model's input is measured, not in its file: part of the key
        key["front_end"] = checkpoints.entry(cfg.checkpoints[row])["arch_kwargs"]
    # Only a transformed loader enters the key (clean cells too: their images change).
    if cfg.loader != "plain":
        key["loader"] = cfg.loader
    if attack_name != "None":
        key.update(iterations=cfg.iterations, lr=cfg.lr, reg_weight=cfg.reg_weight)
        # Only a non-default protocol enters the key: every cell computed before protocols
        # were named keeps its key (and the clean column is the same under both).
        if cfg.protocol != DEFAULT_PROTOCOL:
            key["protocol"] = cfg.protocol
    return key


def has_cell(cfg: Table1Config, row: str, sha: str, attack_name: str, start: int, stop: int) -> bool:
    return Cell(cfg, row, sha, attack_name, start, stop).done()


def stored_correct(cfg: Table1Config, row: str, attack_name: str, start: int,
                   stop: int) -> np.ndarray | None:
    """The per-image ``correct`` of a committed cache entry of the cell, or None when it is
    not committed (nothing is computed)."""
    sha = row_sha(cfg, row)
    if sha is None or not has_cell(cfg, row, sha, attack_name, start, stop):
        return None
    entry = cell_chunk(Cell(cfg, row, sha, attack_name, start, stop), model=Lazy(_unused),
                       images=lazy_images(cfg), mode="cache-only")
    return np.asarray(entry.arrays["correct"], bool)


def _unused():
    raise RuntimeError("a committed entry is read, never computed, here")


def cpu_layout(model: torch.nn.Module) -> torch.nn.Module:
    """On a CPU, put the model's weights in channels-last layout: the same float32 results
    (to rounding) in about 0.8 of the time per attack step on the 2-core CPU
    (benchmarks/bench_cpu_resnet.py); elsewhere the model is returned as it is."""
    p = next(model.parameters(), None)
    if p is not None and p.device.type == "cpu":
        return model.to(memory_format=torch.channels_last)
    return model


def lazy_model(name: str, device=None) -> Lazy:
    return Lazy(lambda: cpu_layout(checkpoints.load(name, device=device or checkpoints.device())))


def lazy_images(cfg: Table1Config) -> Lazy:
    """The first ``n_images`` test images of ``cfg.data``."""
    if cfg.data == "sample":
        return Lazy(lambda: data.load_sample("cifar10", limit=cfg.n_images))
    return Lazy(lambda: data.load_cifar10("test", limit=cfg.n_images))


def _predict(model, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(x).argmax(1).cpu()


def outcomes(labels: torch.Tensor, pred: list, pred8: list) -> dict[str, np.ndarray]:
    """A cell's per-image record: ``labels``, ``pred`` (on the attacked image as returned),
    ``pred_uint8`` (rounded to 8-bit pixels), as int8, and ``correct`` (``pred == labels``);
    ``pred`` and ``pred8`` are lists of per-batch prediction tensors.

    Example:
        >>> outcomes(torch.tensor([3, 5]), [torch.tensor([3])], [torch.tensor([3, 4])])
        Traceback (most recent call last):
        ...
        ValueError: pred has 1 images, labels 2
        >>> out = outcomes(torch.tensor([3, 5]), [torch.tensor([3, 4])], [torch.tensor([3, 5])])
        >>> out["correct"].tolist(), out["pred_uint8"].dtype
        ([True, False], dtype('int8'))
    """
    arrays = {"labels": labels.numpy().astype(np.int8),
              "pred": torch.cat(pred).numpy().astype(np.int8),
              "pred_uint8": torch.cat(pred8).numpy().astype(np.int8)}
    for k in ("pred", "pred_uint8"):
        if len(arrays[k]) != len(arrays["labels"]):
            raise ValueError(f"{k.replace('_uint8', '8')} has {len(arrays[k])} images, "
                             f"labels {len(arrays['labels'])}")
    arrays["correct"] = arrays["pred"] == arrays["labels"]
    return arrays


def _compute(cfg, row, attack_name, start, stop, model: Lazy, images: Lazy, progress):
    m = model.get()
    dev = next(m.parameters()).device
    split = images.get()
    x_all, y_all = split.images[start:stop], split.labels[start:stop]
    seed = loader_seed(cfg.loader)
    if seed is not None:
        x_all = flip_crop(x_all, range(start, stop), seed)
    # reused by the detection study (our undefended model's only)
    keep = row == "natural" and attack_name != "None" and cfg.models == "trained"
    pred, pred8, advs = [], [], []
    threat = None if attack_name == "None" else functional_attack(attack_name)
    kappa = protocol_kappa(cfg.protocol)
    for i in range(0, len(x_all), cfg.batch_size):
        x = x_all[i:i + cfg.batch_size].to(dev)
        y = y_all[i:i + cfg.batch_size].to(dev)
        if threat is not None:
            x = attack(m, x, y, threat, steps=cfg.iterations, lr=cfg.lr,
                       reg_weight=cfg.reg_weight, kappa=kappa)
        x8 = (x * 255).round().to(torch.uint8)   # (B, 3, 32, 32)
        pred.append(_predict(m, x))
        pred8.append(_predict(m, x8.float() / 255))
        if keep:
            advs.append(x8.cpu())
        if progress is not None:
            progress(len(x))
    arrays = outcomes(y_all, pred, pred8)
    if keep:
        arrays["adv_uint8"] = torch.cat(advs).numpy()
    meta = {"attack": repr(threat) if threat is not None else "none (clean images)",
            "protocol": cfg.protocol,
            "loader": cfg.loader,
            "data": split.provenance.to_dict(), "images": [start, stop],
            "model_checkpoint": cfg.checkpoints[row], "device": str(dev)}
    return arrays, meta


@dataclass(frozen=True, eq=False)
class Cell(CachedUnit):
    """Images ``[start, stop)`` of the Table 1 cell (``row``, ``attack``) under ``cfg``, on the
    checkpoint of sha256 ``sha``: one cache entry, whose key :meth:`key` builds once."""

    experiment, version = EXPERIMENT, VERSION

    cfg: Table1Config
    row: str
    sha: str
    attack: str
    start: int
    stop: int

    def key(self) -> dict:
        return cell_config(self.cfg, self.row, self.sha, self.attack, self.start, self.stop)


def cell_chunk(cell: Cell, *, model: Lazy, images: Lazy, mode: str = "auto",
               needs_gpu: bool = False, store: bool = True, progress=None):
    """The cache entry of ``cell``, computed on a miss when ``mode`` and ``needs_gpu`` allow
    (see :func:`stego_lib.cache.cached`). ``progress(n)`` is called as images are done."""
    c = cell
    return cached(EXPERIMENT, c.key(), VERSION,
                  lambda: _compute(c.cfg, c.row, c.attack, c.start, c.stop, model, images,
                                   progress),
                  needs_gpu=needs_gpu, command=CAMPAIGN_COMMAND, mode=mode, store=store)


@dataclass
class Table1Result:
    """Per-image results of every computed cell.

    ``correct[row][attack]`` is a bool array ``(N,)`` (the model classifies the attacked image
    correctly); ``pending`` lists the cells not computed yet, with the reason."""

    config: Table1Config
    labels: np.ndarray | None                      # (N,) int64, None when nothing is computed
    data: str                                      # provenance of the test images
    correct: dict = field(default_factory=dict)    # row -> attack -> (N,) bool
    correct_uint8: dict = field(default_factory=dict)
    checkpoints: dict = field(default_factory=dict)  # row -> manifest entry
    pending: list = field(default_factory=list)    # (row, attack, reason)
    runtime_s: float = 0.0

    @property
    def n_images(self) -> int:
        return 0 if self.labels is None else len(self.labels)


def _pick_image_set(cfg: Table1Config) -> Table1Config:
    """At paper scale: the GPU's 1,000 JPEG images where they are committed for more cells than
    the CPU's 200 exact-pixel images, else the latter. Every cell uses the same images."""
    if {"data": cfg.data, "n_images": cfg.n_images} != PAPER_IMAGES["cpu"]:
        return cfg   # the caller chose the images
    counts = []
    for dev in ("cuda", "cpu"):
        c = cfg.replace(**PAPER_IMAGES[dev])
        n = 0
        for row in c.rows:
            sha = row_sha(c, row)
            if sha is not None:
                n += sum(all(has_cell(c, row, sha, a, s, e) for s, e in image_ranges(c))
                         for a in c.attacks)
        counts.append((n, c))
    return counts[0][1] if counts[0][0] > counts[1][0] else counts[1][1]


def run(config: Table1Config, *, mode: str = "auto", progress: bool = False) -> Table1Result:
    """Read (or compute, where allowed) every cell of ``config``.

    Cells whose model is not committed, or that are not cached and too large to compute here
    (paper scale outside the campaign), are listed in ``pending``.

    Raises:
        GPURequiredError: at paper scale, when not a single cell is available yet (so
            :func:`stego_lib.experiments.best_available` shows a smaller profile instead).
        CacheMiss: ``mode="cache-only"`` and not a single cell is cached.
    """
    cfg = _pick_image_set(config) if config.profile == "paper" else config
    store, needs_gpu = cfg.profile != "smoke", cfg.profile == "paper"
    images = lazy_images(cfg)
    res = Table1Result(cfg, None, "")
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(cfg.rows) * len(cfg.attacks), desc="table 1", unit="cell",
                   disable=None)
    try:
        for row in cfg.rows:
            sha = row_sha(cfg, row)
            if sha is None:
                res.pending += [(row, a, "model not trained yet") for a in cfg.attacks]
                continue
            res.checkpoints[row] = checkpoints.entry(cfg.checkpoints[row])
            model = lazy_model(cfg.checkpoints[row])
            for a in cfg.attacks:
                try:
                    parts = [cell_chunk(Cell(cfg, row, sha, a, s, e), model=model,
                                        images=images, mode=mode, needs_gpu=needs_gpu,
                                        store=store)
                             for s, e in image_ranges(cfg)]
                except (GPURequiredError, CacheMiss):
                    res.pending.append((row, a, "not computed yet"))
                    continue
                finally:
                    if bar is not None:
                        bar.update(1)
                labels = np.concatenate([p.arrays["labels"] for p in parts]).astype(np.int64)
                if res.labels is None:
                    res.labels = labels
                    res.data = data.Provenance(**parts[0].meta["data"]).describe()
                res.correct.setdefault(row, {})[a] = np.concatenate(
                    [p.arrays["correct"] for p in parts])
                res.correct_uint8.setdefault(row, {})[a] = np.concatenate(
                    [p.arrays["pred_uint8"] for p in parts]).astype(np.int64) == labels
                res.runtime_s += sum(float(p.meta.get("runtime_s", 0)) for p in parts)
    finally:
        if bar is not None:
            bar.close()
    if res.labels is None:
        err = CacheMiss if mode == "cache-only" else GPURequiredError
        raise err(f"{EXPERIMENT}: no cell of Table 1 is available at profile "
                  f"'{cfg.profile}' yet; the campaign computes them: {CAMPAIGN_COMMAND}")
    return res


def adversarial_images(cfg: Table1Config, attack_name: str, *, mode: str = "cache-only") -> np.ndarray:
    """The undefended model's attacked test images ``(N, 3, 32, 32)`` uint8 for ``attack_name``
    (the first ``n_images`` of ``cfg.data``), read from the cache."""
    sha = row_sha(cfg, "natural")
    if sha is None:
        raise CacheMiss(f"{EXPERIMENT}: the undefended model is not trained yet")
    images, model = lazy_images(cfg), lazy_model(cfg.checkpoints["natural"])
    parts = [cell_chunk(Cell(cfg, "natural", sha, attack_name, s, e), model=model,
                        images=images, mode=mode, store=cfg.profile != "smoke")
             for s, e in image_ranges(cfg)]
    return np.concatenate([p.arrays["adv_uint8"] for p in parts])


page_result = page_entry(make_config, run)
