"""CPU settings for PGD-40 on the Madry MNIST CNN: batch size, channels_last, torch.compile
and thread count, each against batch 1000, contiguous, eager, all threads, in the same run. Prints images/s, the ratio to the default, and the largest difference of the
adversarial images from the default's (same seed), so only settings that keep the stored
numbers float32-exact (or equal within seed noise) are kept. Writes
results/benchmarks/cpu_mnist.json. Asserts nothing about time.

    python benchmarks/bench_cpu_mnist.py [--n 1000] [--repeat 3]
"""
import argparse
import platform
import time
from pathlib import Path

import torch

from stego_lib import checkpoints
from stego_lib._io import atomic_write_json
from stego_lib.attacks import PGD
from stego_lib.data import load_sample


def run(model, x, y, batch, repeat):
    atk = PGD(eps=0.3, steps=40, alpha=0.01)
    start = atk.init(x, generator=torch.Generator().manual_seed(0))
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = torch.cat([atk.run(model, x[i:i + batch], y[i:i + batch], start[i:i + batch])
                         for i in range(0, len(x), batch)])
        best = min(best, time.perf_counter() - t)
    return len(x) / best, out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--model", default="mnist_natural_pytorch_init")
    a = p.parse_args()
    threads = torch.get_num_threads()
    model = checkpoints.load(a.model)
    s = load_sample("mnist", limit=a.n)
    x, y = s.images, s.labels
    base_rate, base = run(model, x, y, 1000, a.repeat)
    rows = [("default: batch 1000, eager, contiguous", base_rate, 0.0)]

    def add(name, rate, out):
        rows.append((name, rate, float((out - base).abs().max())))

    for b in (50, 100, 250, 500):
        add(f"batch {b}", *run(model, x, y, b, a.repeat))
    cl = checkpoints.load(a.model).to(memory_format=torch.channels_last)
    add("channels_last", *run(cl, x.contiguous(memory_format=torch.channels_last), y, 1000,
                              a.repeat))
    if threads > 1:
        torch.set_num_threads(1)
        add("1 thread", *run(model, x, y, 1000, a.repeat))
        add("1 thread, batch 100", *run(model, x, y, 100, a.repeat))
        torch.set_num_threads(threads)
    try:
        compiled = torch.compile(checkpoints.load(a.model))
        run(compiled, x[:1000], y[:1000], 1000, 1)  # compile outside the timing
        add("torch.compile (inductor)", *run(compiled, x, y, 1000, a.repeat))
    except Exception as err:  # noqa: BLE001 - report why compile is not an option here
        rows.append((f"torch.compile failed: {type(err).__name__}", float("nan"), float("nan")))
    print(f"PGD-40, eps 0.3, {a.n} MNIST images, {a.model}, {threads} threads, "
          f"torch {torch.__version__}, {platform.processor() or platform.machine()}")
    for name, rate, diff in rows:
        print(f"{name:<40} {rate:8.1f} images/s  x{rate / base_rate:5.2f}  max |Δx| {diff:.2e}")
    out = {"threads": threads, "n": a.n, "torch": torch.__version__,
           "rows": [{"setting": n, "images_per_s": r, "ratio": r / base_rate, "max_abs_diff": d}
                    for n, r, d in rows]}
    atomic_write_json(Path(__file__).resolve().parents[1] / "results" / "benchmarks" /
                      "cpu_mnist.json", out)


if __name__ == "__main__":
    main()
