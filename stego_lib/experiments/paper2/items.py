"""Paper II's campaign items: the eleven Table 1 models and one Table 1 row per model.

``paper2-train-natural`` trains the undefended ResNet-32 from scratch; the seven
``paper2-train-<threat>`` items, ``paper2-train-trades`` and ``paper2-train-gray`` fine-tune
it, and ``paper2-train-gray-c`` fine-tunes the gray model. Each ``paper2-table1-<row>`` item
attacks its model with the nine columns of Table 1, one chunk per cell (or per slice of a cell's
images): the first 200 exact-pixel test images on a CPU, the first 1,000 JPEG test images on a
GPU. Recipes and their CPU/GPU differences: :mod:`.recipes`.

Example::

    >>> names = [i.name for i in items()]
    >>> len(names), names[0], names[-1]
    (31, 'paper2-train-natural', 'paper2-released-table1-gray')
    >>> cells = items()[names.index("paper2-table1-c")].chunks("cpu")
    >>> len(cells), cells[1].name, cells[1].done()   # done: the committed results cache holds it
    (9, 'C-RGB × images 0-200', True)
"""
from __future__ import annotations

import torch

from ... import data
from ...storage import scratch_state
from ...tasks import Chunk, Item, chained
from . import training
from .recipes import recipe
from .config import PAPER_IMAGES, RELEASED_ROWS, ROWS, image_ranges, make_config
from .table1 import Cell, cell_chunk, row_sha, has_cell, lazy_images, lazy_model

# CPU priors (2 cores, 2 threads), until the campaign has measured this machine; seconds per
# training step (batch 128). Measured by the campaign on a 2-core CPU, in chunks that ran
# alone: natural 0.25, gray 0.43 (one thread, beside another worker), c 1.8, c+s+d 1.8 and
# trades 1.25 (5 KL steps, two training passes). The others were not measured when this was
# written and are their earlier interleaved one-thread estimates (9.1 (C), 6.5 (D), 5.5 (S),
# 8.2 (C+S+D) natural steps; C+S, C+D and S+D from their attack's cost per iteration) scaled
# by 0.32, the ratio of the measured C step to its estimate.
CPU_STEP_SECONDS = {"natural": 0.25, "gray": 0.43, "c": 1.8, "d": 1.3, "s": 1.2, "c+s": 1.7,
                    "c+d": 1.75, "s+d": 1.3, "c+s+d": 1.8, "trades": 1.25, "gray-c": 1.8}
# Table 1: a row's eight attacks on 200 images took 316 s when it ran alone (the C-trained
# row), 5.0 images/s over the eight attack columns.
CPU_TABLE1_IMAGES_PER_S = 5.0
# The clean column costs one forward pass per image, against 100 forward-backward passes and
# the threat model's own work for an attack: it counts as this fraction of an image.
CLEAN_UNITS = 0.01
# A chunk's tiny run (see stego_lib.tasks.Chunk): images per batch or cell, steps, iterations.
TINY = {"images": 4, "steps": 2, "iterations": 2}


def _train_chunks(row: str):
    def chunks(device: str) -> list[Chunk]:
        out, prev = [], 0
        total = training.slices(row, device)[-1]
        for end in training.slices(row, device):
            # The last slice is done only once the checkpoint is stored: the state file reaches
            # the final step before the checkpoint is written and measured.
            def done(end=end):
                return training.is_trained(row, device) or (
                    end < total and training.steps_done(row, device) >= end)

            def run(progress, end=end, start=prev):
                training.train_slice(row, end, device=device)
                progress(end - start)
            out.append(Chunk(f"steps {prev:,}-{end:,}", done, run, units=end - prev))
            prev = end
        out[0].tiny = lambda: _tiny_train(row, device)
        return chained(out)
    return chunks


def _table_chunks(row: str, models: str = "trained"):
    def chunks(device: str) -> list[Chunk]:
        batch = 500 if device == "cuda" else 100
        if models == "released":   # all 846 exact-pixel images on any device
            cfg = make_config("paper", models="released", rows=[row], batch_size=batch)
        else:
            cfg = make_config("paper", rows=[row], batch_size=batch, **PAPER_IMAGES[device])
        images, model = lazy_images(cfg), lazy_model(cfg.checkpoints[row])
        out = []
        for a in cfg.attacks:
            for s, e in image_ranges(cfg):
                def done(a=a, s=s, e=e):
                    sha = row_sha(cfg, row)
                    return sha is not None and has_cell(cfg, row, sha, a, s, e)

                def run(progress, a=a, s=s, e=e):
                    step = CLEAN_UNITS if a == "None" else 1.0
                    cell_chunk(Cell(cfg, row, row_sha(cfg, row), a, s, e), model=model,
                               images=images, mode="auto", needs_gpu=False, store=True,
                               progress=lambda n: progress(n * step))
                def tiny(a=a, s=s):
                    cell_chunk(Cell(cfg.replace(iterations=TINY["iterations"]), row,
                               row_sha(cfg, row), a, s, s + TINY["images"]), model=model,
                               images=images, mode="recompute", store=False)
                units = (e - s) * (CLEAN_UNITS if a == "None" else 1.0)
                out.append(Chunk(f"{a} × images {s}-{e}", done, run, units=units,
                                 tiny=tiny if models == "trained" else None))
        return out
    return chunks


def _tiny_train(row: str, device: str) -> None:
    """``device``'s recipe of ``row`` on this machine, at a batch of TINY["images"]."""
    split = data.load_cifar10("train", limit=TINY["images"] * TINY["steps"])
    here = "cuda" if torch.cuda.is_available() else "cpu"
    with scratch_state():
        training.train_slice(row, TINY["steps"], device=here,
                             override=dict(recipe(row, device), batch_size=TINY["images"]),
                             train_split=split)


def _needs(row: str) -> tuple[str, ...]:
    init = recipe(row, "cpu")["init"]
    return () if init == "scratch" else (f"paper2-train-{init}",)


def items() -> list[Item]:
    out = []
    for row, (label, ckpt) in ROWS.items():
        out.append(Item(f"paper2-train-{row}",
                        f"checkpoints/{ckpt}.pt (Table 1 row '{label}')",
                        _train_chunks(row), needs=_needs(row), unit="step",
                        rate={"cpu": 1 / CPU_STEP_SECONDS[row]}))
    for row, (label, _) in ROWS.items():
        out.append(Item(f"paper2-table1-{row}",
                        f"results/paper2_table1: row '{label}' of Table 1 (9 cells)",
                        _table_chunks(row), needs=(f"paper2-train-{row}",), unit="image",
                        rate={"cpu": CPU_TABLE1_IMAGES_PER_S}))
    for row in RELEASED_ROWS:
        out.append(Item(f"paper2-released-table1-{row}",
                        f"results/paper2_table1: row '{ROWS[row][0]}' of Table 1 on the authors' "
                        f"released model, 846 images (9 cells)",
                        _table_chunks(row, "released"), unit="image",
                        rate={"cpu": CPU_TABLE1_IMAGES_PER_S}))
    return out
