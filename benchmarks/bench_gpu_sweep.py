"""PGD-40 on the Madry CNN at large batches: Paper I's sweep as one stream against today's
per-ε chunks and torchattacks' PGD, on the same device in the same process. Prints images/s,
the ratios against torchattacks, and the share of the device's FLOP bound reached; asserts
nothing about time.

Each method attacks one batch of B test images (the 10,000 tiled where B is larger), timed
after a warm-up batch:

- ``stream``: one batch of the stream (:mod:`stego_lib.experiments.paper1.stream`), a per-image
  ε spread over the sweep's grid, the three detectors scored on the device;
- ``stream PGD``: the same batch, PGD alone (no detectors), for the comparison with
  torchattacks, which has none;
- ``chunks``: today's CPU path, ε by ε in batches of ``--chunk-batch``, detectors included;
- ``torchattacks``: ``torchattacks.PGD`` at batch B (its loss is averaged, its start clipped;
  the same forward and backward passes).

A forward and backward pass of the CNN costs about 84 MFLOP per image, so PGD-40 with its final
forward is about 40 × 84 + 28 = 3,388 MFLOP per image; ``--peak-tflops`` (default: the H100
SXM's dense rate for the precision, none on a CPU) turns images/s into a share of the bound.

    python benchmarks/bench_gpu_sweep.py                      # the device's default sizes
    python benchmarks/bench_gpu_sweep.py --batches 256 --json results/benchmarks/gpu_sweep_cpu.json
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from stego_lib import checkpoints, data
from stego_lib.attacks import PGD
from stego_lib.experiments.paper1 import make_config, stream
from stego_lib.experiments.paper1.compute import all_scores

MFLOP_PER_IMAGE = 40 * 84 + 28
PEAK_TFLOPS = {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4}   # H100 SXM, dense


def _sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def _time(fn, dev, repeat):
    fn()   # warm-up: kernels chosen, memory allocated
    _sync(dev)
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        _sync(dev)
        best = min(best, time.perf_counter() - t)
    return best


def measure(batch: int, *, device: str, steps: int, chunk_batch: int, kind: str,
            repeat: int, with_torchattacks: bool = True) -> dict:
    dev = torch.device(device)
    cfg = make_config("paper")
    net = checkpoints.load("mnist_madry", device=dev) if "mnist_madry" in \
        checkpoints.available() else checkpoints.load("mnist_natural", device=dev)
    if dev.type == "cuda":
        net = net.to(memory_format=torch.channels_last)
    test = data.load_sample("mnist")
    reps = -(-batch // len(test))
    x = test.images.repeat(reps, 1, 1, 1)[:batch].to(dev)
    y = test.labels.repeat(reps)[:batch].to(dev)
    grid = torch.tensor(cfg.eps, device=dev)
    eps = grid[torch.arange(batch, device=dev) % len(grid)]
    atk = PGD(eps=1.0, steps=steps, alpha=cfg.alpha)
    start = atk.init(x, generator=torch.Generator().manual_seed(0), eps=eps)
    out = {"batch": batch, "precision": kind}

    def ours(detect):
        with stream.precision(kind, device):
            adv = atk.run(net, x, y, start, eps=eps).float()
            with torch.no_grad():
                net(adv).argmax(1)
            if detect:
                all_scores(adv, cfg.quantize)

    # Today's chunks: the same images spread over as many ε as batches of chunk_batch allow,
    # each ε attacked on its own, chunk_batch images at a time.
    n_eps = max(1, min(len(cfg.eps), batch // chunk_batch))
    per = batch // n_eps

    def chunks():
        for k, e in enumerate(cfg.eps[:n_eps]):
            a = PGD(eps=e, steps=steps, alpha=cfg.alpha)
            for i in range(k * per, (k + 1) * per, chunk_batch):
                end = min(i + chunk_batch, (k + 1) * per)
                xb, yb = x[i:end], y[i:end]
                adv = a.run(net, xb, yb, a.init(xb, generator=torch.Generator().manual_seed(0)))
                with torch.no_grad():
                    net(adv).argmax(1)
                all_scores(adv, cfg.quantize)

    out["stream"] = batch / _time(lambda: ours(True), dev, repeat)
    out["stream PGD"] = batch / _time(lambda: ours(False), dev, repeat)
    out["chunks"] = n_eps * per / _time(chunks, dev, repeat)
    if with_torchattacks:
        import torchattacks
        ta = torchattacks.PGD(net, eps=0.3, alpha=cfg.alpha, steps=steps, random_start=True)
        with stream.precision(kind, device):
            out["torchattacks"] = batch / _time(lambda: ta(x, y), dev, repeat)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gpu = torch.cuda.is_available()
    p.add_argument("--device", default="cuda" if gpu else "cpu")
    p.add_argument("--batches", default="1024,4096,16384,65536" if gpu else "256",
                   help="comma-separated batch sizes")
    p.add_argument("--precisions", default="fp32,tf32" if gpu else "fp32")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--chunk-batch", type=int, default=500 if gpu else 100)
    p.add_argument("--repeat", type=int, default=3 if gpu else 1)
    p.add_argument("--peak-tflops", type=float, default=None,
                   help="the device's bound (default: an H100 SXM's dense rate on a GPU)")
    p.add_argument("--no-torchattacks", action="store_true")
    p.add_argument("--json", type=Path, default=None)
    a = p.parse_args(argv)
    try:
        batches = [int(b) for b in a.batches.split(",")]
    except ValueError:
        p.error(f"--batches must be integers separated by commas, got {a.batches!r}")
    if any(b < 1 for b in batches):
        p.error("--batches must be >= 1")
    rows = []
    for kind in a.precisions.split(","):
        for b in batches:
            r = measure(b, device=a.device, steps=a.steps, chunk_batch=a.chunk_batch, kind=kind,
                        repeat=a.repeat, with_torchattacks=not a.no_torchattacks)
            peak = a.peak_tflops or (PEAK_TFLOPS.get(kind) if a.device.startswith("cuda") else None)
            r["bound_share"] = (None if not peak else
                                r["stream PGD"] * MFLOP_PER_IMAGE * 1e6 / (peak * 1e12))
            rows.append(r)
    name = torch.cuda.get_device_name(0) if a.device.startswith("cuda") else "CPU"
    print(f"PGD-{a.steps} on the Madry CNN, {name}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU thread(s)")
    head = (f"{'precision':<9} {'batch':>7} {'stream':>10} {'stream PGD':>11} {'chunks':>9} "
            f"{'torchattacks':>13} {'PGD / ta':>9} {'stream / chunks':>16} {'bound':>7}")
    print(head + "\n" + "-" * len(head))
    for r in rows:
        ta = r.get("torchattacks")
        print(f"{r['precision']:<9} {r['batch']:>7,} {r['stream']:>10,.0f} {r['stream PGD']:>11,.0f} "
              f"{r['chunks']:>9,.0f} {'–' if ta is None else format(ta, ',.0f'):>13} "
              f"{'–' if ta is None else format(r['stream PGD'] / ta, '.2f'):>9} "
              f"{r['stream'] / r['chunks']:>16.2f} "
              f"{'–' if r['bound_share'] is None else format(r['bound_share'], '.1%'):>7}")
    print("images/s; bound: the share of the FLOP bound the stream's PGD reaches")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps({"device": name, "torch": torch.__version__,
                                      "steps": a.steps, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
