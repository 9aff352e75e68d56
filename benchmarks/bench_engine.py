"""The campaign's Dask engine against the pool it replaced, on the same chunks.

The pool ran one item per worker at a time (an item was locked while a worker computed it),
so a Table 1 row's nine cells ran one after another; the Dask engine runs every chunk whose
needs are met on any free worker. Both get the same number of one-thread worker processes
and the same chunks, which store their results as the campaign's do:

* ``pgd40``: two sweep items of ``--chunks`` PGD-40 chunks each (MadryCNN, ``--images``
  sample images per chunk), as Paper I's sweeps of two models;
* ``table1``: one Table 1 row, its nine cells (ReColorAdv's threat models on ResNet-32,
  ``--images`` images, 10 iterations).

The pool is re-created here from its schedule (items dealt to workers, chunks in order).
Prints throughput ratios Dask / pool (above 1: Dask is faster); run it on a quiet machine.
Asserts nothing about time.

    python benchmarks/bench_engine.py [--workers 2] [--chunks 4] [--images 100] [--rounds 2]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from stego_lib import data, models
from stego_lib.attacks import PGD, attack, functional_attack
from stego_lib.cache import ResultsCache, cached
from stego_lib.tasks import Chunk, Item

HERE = Path(__file__).resolve().parent
N_CHUNKS = int(os.environ.get("BENCH_CHUNKS", "4"))
N_IMAGES = int(os.environ.get("BENCH_IMAGES", "100"))
TABLE1 = ("None", "C-RGB", "C", "D", "S", "C+S", "C+D", "S+D", "C+S+D")


def _pgd(key):
    model = models.build("mnist_cnn").eval()
    split = data.load_sample("mnist", limit=N_IMAGES)
    gen = torch.Generator().manual_seed(key)
    x = PGD(eps=0.3, steps=40, alpha=0.01)(model, split.images, split.labels, generator=gen)
    return {"pred": model(x).argmax(1).numpy()}, {}


def _cell(name):
    torch.manual_seed(0)
    model = models.build("resnet32").eval()
    split = data.load_sample("cifar10", limit=N_IMAGES)
    x = split.images
    if name != "None":
        x = attack(model, x, split.labels, functional_attack(name), steps=10)
    with torch.no_grad():
        return {"pred": model(x).argmax(1).numpy()}, {}


def _chunk(item, name, compute, units):
    cfg = {"item": item, "chunk": name, "images": N_IMAGES}
    return Chunk(name, lambda: ResultsCache().has("bench", cfg, "1"),
                 lambda progress: cached("bench", cfg, "1", compute, needs_gpu=False,
                                         command="-"), units=units)


def items():
    return [Item(f"bench-pgd40-{m}", "-", lambda device, m=m: [
                 _chunk(f"pgd40-{m}", f"chunk {k}", lambda k=k: _pgd(k), N_IMAGES)
                 for k in range(N_CHUNKS)], unit="image") for m in ("a", "b")] + [
            Item("bench-table1", "-", lambda device: [
                _chunk("table1", a, lambda a=a: _cell(a), N_IMAGES) for a in TABLE1],
                unit="image")]


WORKLOADS = {"pgd40": ["bench-pgd40-a", "bench-pgd40-b"], "table1": ["bench-table1"]}


def _pool(names, workers, env):
    """The old pool's schedule: items dealt to the workers, each item's chunks in order."""
    share = [names[k::workers] for k in range(workers)]
    ps = [subprocess.Popen([sys.executable, __file__, "--serial", ",".join(s)], env=env)
          for s in share if s]
    for p in ps:
        assert p.wait() == 0


def _dask(names, workers, env):
    out = subprocess.run([sys.executable, __file__, "--dask", ",".join(names), "--workers",
                          str(workers)], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def _timed(engine, names, workers, env) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(env, STEGO_RESULTS=tmp, STEGO_STATE=tmp)
        t0 = time.perf_counter()
        engine(names, workers, env)
        return time.perf_counter() - t0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--chunks", type=int, default=4)
    p.add_argument("--images", type=int, default=100)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--serial", help=argparse.SUPPRESS)
    p.add_argument("--dask", help=argparse.SUPPRESS)
    a = p.parse_args()
    import bench_engine  # this file by its importable name, for the Dask workers

    if a.serial:
        reg = {i.name: i for i in items()}
        for name in a.serial.split(","):
            for chunk in reg[name].chunks("cpu"):
                chunk.run(lambda n: None)
        return
    if a.dask:
        from stego_lib import campaign
        campaign.run(a.dask, progress=False, log=lambda m: None, extra=(bench_engine,),
                     engine=campaign.Engine(workers=a.workers))
        return
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="",
               BENCH_CHUNKS=str(a.chunks), BENCH_IMAGES=str(a.images),
               PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    total = {}
    for workload, names in WORKLOADS.items():
        times = {"pool": [], "dask": []}
        for _ in range(a.rounds):  # alternate, so that a neighbour's load hits both alike
            times["pool"].append(_timed(_pool, names, a.workers, env))
            times["dask"].append(_timed(_dask, names, a.workers, env))
        pool, dask = np.mean(times["pool"]), np.mean(times["dask"])
        total[workload] = (pool, dask)
        print(f"{workload:>7}: pool {pool:6.1f} s, dask {dask:6.1f} s, "
              f"throughput dask / pool {pool / dask:.2f}x")
    pool, dask = (sum(v[k] for v in total.values()) for k in (0, 1))
    print(f"overall: throughput dask / pool {pool / dask:.2f}x ({a.workers} workers, "
          f"torch {torch.__version__})")


if __name__ == "__main__":
    main()
