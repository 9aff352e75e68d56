"""Paper I's campaign items: the two MNIST models and the PGD sweep at paper scale.

The sweep attacks all 10,000 test images at all 50 ε of the 0.01 ... 0.50 grid, the 15 ε of
Table II first.
The secret model is trained with a shortened PGD recipe on a CPU and with mnist_challenge's
exact recipe on a GPU (see :mod:`.training`).

Example::

    >>> names = [i.name for i in items()]
    >>> names[:3]
    ['paper1-threshold', 'paper1-train-natural', 'paper1-snapshot-pytorch-init']
    >>> sweep = items()[names.index("paper1-sweep-natural")].chunks("cpu")
    >>> len(sweep), sweep[1].name, sweep[1].done()   # done: the committed results cache holds it
    (51, 'ε 0.01 × 10,000', True)
"""
from __future__ import annotations

import dataclasses
import os

from ... import checkpoints, data
from ...cache import CacheMiss, ResultsCache
from ...storage import scratch_state
from ...tasks import Chunk, Item, chained
from . import training
from .compute import (LazyModel, LazyTest, SweepPoint, attack_chunk, model_sha,
                      clean_chunk, clean_config, threshold_chunk, threshold_config)
from .config import CHECKPOINTS, EXPERIMENT, VERSION, Paper1Config, make_config, sweep_plan

# Throughput measured on a 2-core CPU (2 threads): PGD-40 on MadryCNN 43 images/s; a natural
# training step (batch 50) 44 ms; a PGD-7 training step 177 ms; a PGD-40 one ~0.9 s.
# Training steps of a chunk's tiny run (see stego_lib.tasks.Chunk).
TINY_STEPS = 2
CPU_RATE = {"sweep": 43.0, "natural": 22.7, "adversarial": 5.6, "adversarial-reference": 1.1,
            "madry": 0.75}


def _has(ccfg: dict) -> bool:
    return ResultsCache().has(EXPERIMENT, ccfg, VERSION)


def _adv_recipe(device: str) -> str:
    return "adversarial-reference" if device == "cuda" else "adversarial"


def _train_chunks(which_for_device):
    def chunks(device: str) -> list[Chunk]:
        which = which_for_device(device)
        done_any = training.is_trained(which) or (
            which == "adversarial" and training.is_trained("adversarial-reference"))
        out, prev = [], 0
        total = training.slices(which)[-1]
        for end in training.slices(which):
            # The last slice is done only once the checkpoint is stored: the state file reaches
            # the final step before the checkpoint is written and measured.
            def done(end=end):
                return done_any or (end < total and training.steps_done(which) >= end)

            def run(progress, end=end, start=prev):
                training.train_slice(which, end, progress=False)
                progress(end - start)
            out.append(Chunk(f"steps {prev:,}-{end:,}", done, run, units=end - prev))
            prev = end
        if which_for_device("cuda") != which_for_device("cpu"):
            out[0].tiny = lambda: _tiny_train(which)
        chained(out)
        if training.RECIPES[which]["adversary"] is not None:
            # the robustness runs measure the stored checkpoint, written by the last slice
            out += [dataclasses.replace(c, after=(out[-1].name,))
                    for c in _robustness_chunks(which)]
        return out
    return chunks


def _tiny_train(which: str) -> None:
    with scratch_state():
        training.train_slice(which, TINY_STEPS, progress=False,
                             train_images=data.load_mnist("train", limit=100))


def _robustness_chunks(which: str) -> list[Chunk]:
    """The robustness runs of an adversarially trained checkpoint, one chunk each. Units are
    expressed in training steps of equal CPU cost so the item's ETA stays one rate."""
    r = training.RECIPES[which]
    name = r["checkpoint"]
    # gradient evaluations of one training step: its batch, attacked and then trained on
    per_step = r["batch_size"] * (r["adversary"]["steps"] + 1)
    out = []
    for attack, k in training.ROBUST_RUNS:
        # PGD-40 on 10,000 images ~ 1,000 PGD-7 training steps of 50, 195 PGD-40 ones
        units = round(10_000 * (40 if attack == "pgd40" else 100) / per_step)

        def done(attack=attack, k=k):
            try:
                training.robustness_run(name, attack, k, mode="cache-only")
            except (CacheMiss, checkpoints.CheckpointNotFoundError):
                return False
            return True

        def run(progress, attack=attack, k=k, units=units):
            training.robustness_run(name, attack, k)
            training.record_robustness(name)
            progress(units)
        label = "PGD-40 × 10,000" if attack == "pgd40" else f"PGD-100 CW, start {k + 1} × 10,000"
        out.append(Chunk(label, done, run, units=units))
    return out


def _snapshot_pytorch_chunks(device: str) -> list[Chunk]:
    name = "mnist_natural_pytorch_init"

    def done():
        try:
            return training.has_snapshot_checkpoint(name)
        except checkpoints.CheckpointNotFoundError:
            return True  # nothing to measure

    def run(progress):
        training.snapshot_checkpoint(name)
        progress(3 * training.SNAPSHOT_N)
    return [Chunk("PyTorch-initialised model", done, run, units=3 * training.SNAPSHOT_N)]


def _threshold_chunks(device: str) -> list[Chunk]:
    cfg = make_config("paper")
    return [Chunk("60,000 training images", lambda: _has(threshold_config(cfg)),
                  lambda progress: (threshold_chunk(cfg, "auto"), progress(1)), units=1)]


def _sweep_chunks(model: str):
    def chunks(device: str) -> list[Chunk]:
        cfg = make_config("paper", models=model)
        test = LazyTest(cfg)
        lazy = LazyModel(CHECKPOINTS[model])
        out = []
        # Table II's ε first (all images), then the rest of the grid: a campaign that stops
        # early has the published columns complete.
        for e, n in sweep_plan(cfg):

            def done(e=e, n=n):
                sha = model_sha(model)
                return sha is not None and any(
                    SweepPoint(cfg, model, sha, e, k).done() for k in {n, cfg.n_images})

            def run(progress, e=e, n=n):
                attack_chunk(SweepPoint(cfg, model, model_sha(model), e, n), test, lazy, "auto",
                             True, progress=progress, any_device=True)
            out.append(Chunk(f"ε {e:.2f} × {n:,}", done, run, units=n))

        def clean_done():
            sha = model_sha(model)
            return sha is not None and _has(clean_config(cfg, model, sha))

        def clean_run(progress):
            clean_chunk(cfg, model, model_sha(model), test, lazy, "auto", True)
            progress(1)
        clean = [Chunk("clean test images", clean_done, clean_run, units=1)]
        if device == "cuda":   # one stream of large batches instead of a chunk per ε
            return clean + [_stream_chunk(cfg, model, out)]
        return clean + out
    return chunks


def _stream_chunk(cfg: Paper1Config, model: str, per_eps: list[Chunk]) -> Chunk:
    """Every ε of the sweep as one chunk for a GPU worker (:mod:`.stream`): done when every
    per-ε chunk is; runs the missing ε in one stream, grouped by their image count."""
    todo = {e: (c, n) for (e, n), c in zip(sweep_plan(cfg), per_eps)}

    def run(progress):
        from . import stream
        # set by `campaign run --stream-batch/--stream-precision`
        batch = os.environ.get("STEGO_STREAM_BATCH")
        kind = os.environ.get("STEGO_STREAM_PRECISION", "fp32")
        by_n: dict[int, list[float]] = {}
        for e, (c, n) in todo.items():
            if not c.done():
                by_n.setdefault(n, []).append(e)
        for n, eps in by_n.items():
            stream.sweep(cfg, model, eps, n=n, options=stream.StreamOptions(
                batch_size=int(batch) if batch else None, precision_kind=kind))
            progress(n * len(eps))
    def tiny():   # the stream on this machine: two ε × 3 images in batches of 4, nothing stored
        from . import stream
        stream.sweep(cfg.replace(steps=TINY_STEPS), model, sorted(cfg.eps)[:2], n=3,
                     options=stream.StreamOptions(device=str(checkpoints.device()),
                                                  batch_size=4),
                     progress=False, store=False)
    return Chunk(f"all {len(todo)} ε in one stream", lambda: all(c.done() for c in per_eps),
                 run, units=sum(c.units for c in per_eps), tiny=tiny)


def items() -> list[Item]:
    return [
        Item("paper1-threshold", "results/paper1: detector threshold over 60,000 training images",
             _threshold_chunks, unit="chunk", rate={"cpu": 1 / 30}),
        Item("paper1-train-natural",
             "checkpoints/mnist_natural.pt (mnist_challenge init and schedule, 100,000 steps) "
             "and snapshots at 5k/10k/20k/50k/100k steps",
             _train_chunks(lambda device: "natural"), needs=("paper1-threshold",), unit="step",
             rate={"cpu": CPU_RATE["natural"]}),
        Item("paper1-snapshot-pytorch-init",
             "results/paper1_snapshots: attackability of the PyTorch-initialised natural model",
             _snapshot_pytorch_chunks, needs=("paper1-threshold",), unit="image",
             rate={"cpu": CPU_RATE["sweep"]}),
        Item("paper1-sweep-natural", "results/paper1: PGD-40 sweep of the natural model",
             _sweep_chunks("natural"), needs=("paper1-train-natural", "paper1-threshold"),
             unit="image", rate={"cpu": CPU_RATE["sweep"]}),
        Item("paper1-train-adversarial",
             "checkpoints/mnist_adversarial.pt (the secret model; PGD-7 recipe on a CPU, "
             "mnist_challenge's PGD-40 recipe on a GPU)",
             _train_chunks(_adv_recipe), unit="step",
             rate={"cpu": CPU_RATE["adversarial"]}),
        Item("paper1-sweep-adversarial", "results/paper1: PGD-40 sweep of the secret model",
             _sweep_chunks("adversarial"),
             needs=("paper1-train-adversarial", "paper1-threshold"), unit="image",
             rate={"cpu": CPU_RATE["sweep"]}),
        Item("paper1-train-madry",
             "checkpoints/mnist_adversarial_madry.pt (the secret model with mnist_challenge's "
             "own recipe, PGD-40 of step 0.01, for the first 15,000 of its 100,000 steps; "
             "resumable across machines from checkpoints/resume/) and its diagnostics every "
             "5,000 steps",
             _train_chunks(lambda device: "madry"), needs=("paper1-threshold",), unit="step",
             rate={"cpu": CPU_RATE["madry"]}),
        Item("paper1-sweep-madry", "results/paper1: PGD-40 sweep of the Madry-recipe model",
             _sweep_chunks("madry"), needs=("paper1-train-madry", "paper1-threshold"),
             unit="image", rate={"cpu": CPU_RATE["sweep"]}),
    ]
