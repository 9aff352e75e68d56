"""A small campaign for the runner's tests: a sliced training item and a results item that
needs it, on the package's MNIST sample.

Hooks for the tests, by environment variable (the chunks run in Dask worker processes):
``TOY_PAUSE`` (a file path) makes the chunk named by ``TOY_PAUSE_AT`` write its process id
to that file half-way through and then sleep (``TOY_PAUSE_S`` seconds, default 60), once, so
a test can kill a worker or the whole campaign in the middle of a chunk; ``TOY_FAIL_AT`` names a chunk that raises; ``TOY_EVENTS``
(a file path) gets a line ``start <chunk>`` / ``end <chunk>`` around every chunk.

Run as a script, it is the campaign's command line with these items added:
``python tests/campaign_toy.py run --items toy``; ``python tests/campaign_toy.py serial``
computes every chunk in order in that one process, without the campaign (the reference).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from stego_lib import checkpoints, data, models, training
from stego_lib.attacks import PGD
from stego_lib.cache import ResultsCache, cached, config_key
from stego_lib.storage import state_dir
from stego_lib.tasks import Chunk, Item, chained

SLICES = (6, 12, 18)
EPS = (0.1, 0.2, 0.3)


def _pause(name: str) -> None:
    marker = os.environ.get("TOY_PAUSE")
    if marker and os.environ.get("TOY_PAUSE_AT") == name and not Path(marker).exists():
        Path(marker).write_text(str(os.getpid()))
        time.sleep(float(os.environ.get("TOY_PAUSE_S", "60")))


def _event(what: str) -> None:
    if os.environ.get("TOY_EVENTS"):
        with open(os.environ["TOY_EVENTS"], "a") as fh:  # one short append: atomic
            fh.write(f"{what}\n")


def _traced(chunk: Chunk) -> Chunk:
    run = chunk.run

    def traced(progress):
        _event(f"start {chunk.name}")
        if os.environ.get("TOY_FAIL_AT") == chunk.name:
            raise RuntimeError(f"toy failure in {chunk.name}")
        run(progress)
        _event(f"end {chunk.name}")
    chunk.run = traced
    return chunk


def _state() -> Path:
    return state_dir() / "toy.state.pt"


def _steps() -> int:
    p = _state()
    return int(torch.load(p, weights_only=True)["step"]) if p.exists() else 0


def _trained() -> bool:
    return "toy_cnn" in checkpoints.available()


def _train_chunks(device):
    out, prev = [], 0
    for end in SLICES:
        def run(progress, end=end, start=prev):
            split = data.load_sample("mnist", limit=60)
            torch.manual_seed(0)
            model = models.build("mnist_cnn")
            calls = {"n": 0}

            def augment(x):  # pauses half-way through the slice when asked
                calls["n"] += 1
                if calls["n"] == (end - start) // 2:
                    _pause(f"train {end}")
                return x
            _state().parent.mkdir(parents=True, exist_ok=True)
            hist = training.train(model, split.pixels, split.labels, epochs=100, batch_size=10,
                                  lr=1e-3, max_steps=SLICES[-1], stop_at=end, seed=0,
                                  adversary=lambda m, x, y: PGD(eps=0.1, steps=2, alpha=0.05)(m, x, y),
                                  augment=augment, state_path=_state(), progress=False)
            if hist["finished"]:
                _pause("save")  # the state file is at the last step, the checkpoint not stored
                checkpoints.save(model, "toy_cnn", arch="mnist_cnn", config={}, data={},
                                 metrics={}, half=False)
            progress(end - start)
        out.append(Chunk(f"steps to {end}", lambda end=end: _trained() or (
            end < SLICES[-1] and _steps() >= end),
                         run, units=end - prev))
        prev = end
    return [_traced(c) for c in chained(out)]


def _cfg(eps):
    return {"eps": eps, "sha": checkpoints.entry("toy_cnn")["sha256"] if _trained() else None}


def _results_chunks(device):
    def make(eps):
        def done():
            npz, meta = ResultsCache().paths("toy", config_key(_cfg(eps), "1"))
            return _trained() and meta.exists()

        def run(progress):
            def compute():
                model = checkpoints.load("toy_cnn")
                split = data.load_sample("mnist", limit=40)
                gen = torch.Generator().manual_seed(int(eps * 100))
                atk = PGD(eps=eps, steps=3, alpha=eps / 2)
                first = atk(model, split.images[:20], split.labels[:20], generator=gen)
                _pause(f"results {eps}")
                second = atk(model, split.images[20:], split.labels[20:], generator=gen)
                x = torch.cat([first, second])
                return {"x": x.numpy(), "pred": model(x).argmax(1).numpy()}, {}
            cached("toy", _cfg(eps), "1", compute, needs_gpu=False, command="-")
            progress(1)
        return _traced(Chunk(f"eps {eps}", done, run))
    return [make(e) for e in EPS]


def items():
    return [Item("toy-train", "checkpoint toy_cnn", _train_chunks, unit="step", rate={"cpu": 10}),
            Item("toy-results", "results/toy", _results_chunks, needs=("toy-train",),
                 unit="chunk", rate={"cpu": 1})]


def arrays(results_root) -> dict:
    """Every array the toy campaign stored, by file and name (for comparing two runs)."""
    out = {}
    for f in sorted(Path(results_root, "toy").glob("*.npz")):
        with np.load(f, allow_pickle=False) as z:
            out.update({f"{f.stem}/{k}": z[k] for k in z.files})
    return out


def serial() -> None:
    for item in items():
        for chunk in item.chunks("cpu"):
            chunk.run(lambda n: None)


if __name__ == "__main__":
    if sys.argv[1:] == ["serial"]:
        serial()
        sys.exit(0)
    import campaign_toy  # this file under its importable name, which the workers can load
    from stego_lib.campaign.__main__ import main

    sys.exit(main(extra=(campaign_toy,)))
