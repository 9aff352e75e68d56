"""One campaign worker with every core, or one worker per core?

For each workload of the campaign, measures the total throughput of (a) one process using
all N cores' threads and (b) N one-thread processes running the same workload side by side,
and prints the ratio b / a (above 1: parallel workers are faster). The two set-ups alternate
round by round, so a neighbour's load hits both alike; run it on an otherwise quiet machine.

Workloads (the inner loops of the campaign items):

* ``pgd_mnist``: PGD-40 on the MadryCNN, batch 100 (the Paper I sweep), images/s;
* ``resnet_train``: a ResNet-32 SGD step, batch 128 (the Paper II training), images/s;
* ``recolor_c``: ReColorAdv C on ResNet-32, batch 100, 10 iterations (the Table 1 and
  Part III attacks), image-iterations/s.

Asserts nothing about time.

    python benchmarks/bench_workers.py [--seconds 20] [--rounds 2] [--json results/benchmarks/workers.json]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

WORKLOADS = ("pgd_mnist", "resnet_train", "recolor_c")


def _setup(name):
    import torch
    import torch.nn.functional as F

    from stego_lib import models
    from stego_lib.attacks import PGD, attack, functional_attack

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    if name == "pgd_mnist":
        model = models.build("mnist_cnn").eval()
        x, y = torch.rand(100, 1, 28, 28, generator=g), torch.randint(0, 10, (100,), generator=g)
        pgd = PGD(eps=0.3, steps=40, alpha=0.01)
        return lambda: pgd(model, x, y, generator=g), 100
    model = models.build("resnet32")
    y = torch.randint(0, 10, (128,), generator=g)
    x = torch.rand(128, 3, 32, 32, generator=g)
    if name == "resnet_train":
        opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        model.train()

        def step():
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return step, 128
    model.eval()
    threat = functional_attack("C")
    return lambda: attack(model, x[:100], y[:100], threat, steps=10), 100 * 10


def _worker(name, seconds):
    """Runs in a child process: warm up, then count units for ``seconds``."""
    fn, units = _setup(name)
    fn()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        n += units
    print(json.dumps({"units_per_s": n / (time.perf_counter() - t0)}))


def _run(name, procs, threads, seconds):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               CUDA_VISIBLE_DEVICES="")
    ps = [subprocess.Popen([sys.executable, __file__, "--worker", name, "--seconds", str(seconds)],
                           env=env, stdout=subprocess.PIPE, text=True) for _ in range(procs)]
    outs = [p.communicate()[0] for p in ps]
    if any(p.returncode for p in ps):
        raise SystemExit(f"a {name} worker failed")
    return sum(json.loads(o.strip().splitlines()[-1])["units_per_s"] for o in outs)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--only", default=None, help="comma-separated workloads")
    p.add_argument("--json", default=None)
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        return _worker(a.worker, a.seconds)
    n = a.cores
    rows = []
    print(f"{n} cores; total throughput of 1 process × {n} threads against {n} processes × "
          f"1 thread ({a.rounds} alternating rounds of {a.seconds:g} s; mean)")
    for name in (a.only.split(",") if a.only else WORKLOADS):
        one, many = [], []
        for _ in range(a.rounds):
            one.append(_run(name, 1, n, a.seconds))
            many.append(_run(name, n, 1, a.seconds))
        r = {"workload": name, "one_process": sum(one) / len(one),
             "parallel_processes": sum(many) / len(many)}
        r["ratio"] = r["parallel_processes"] / r["one_process"]
        rows.append(r)
        print(f"{name:<13} {r['one_process']:9.1f} /s  {r['parallel_processes']:9.1f} /s  "
              f"ratio {r['ratio']:.2f}", flush=True)
    if a.json:
        import torch
        Path(a.json).write_text(json.dumps({"cores": n, "seconds": a.seconds, "rounds": a.rounds,
                                            "torch": torch.__version__, "rows": rows},
                                           indent=2) + "\n")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
