"""The smoothness penalty of ReColorAdv and StAdv: our hand-written gradient against the same
formula left to autograd, in one run. Prints the best of several timings and the ratio
autograd / ours; asserts nothing about time.

Two levels: the penalty alone (forward + backward on a batch-sized lattice or flow field), and
whole attack iterations (ReColorAdv C and C-RGB, 100 CIFAR-10 images, the committed undefended
ResNet-32 when present, else an untrained one), where the penalty is one part of the cost.

    python benchmarks/bench_smoothness.py [--n 100] [--iterations 10] [--threads 2]
"""
import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stego_lib import checkpoints  # noqa: E402
from stego_lib.attacks import attack, functional_attack, threat as threat_mod  # noqa: E402
from stego_lib.data import load_sample  # noqa: E402
from stego_lib.models import build  # noqa: E402

_ours = threat_mod.pair_smoothness


def autograd_smoothness(field, dims, channel_dim):
    """The same penalty written as plain tensor ops, differentiated by autograd."""
    total = field.new_zeros(field.shape[0])
    for d in dims:
        n = field.shape[d]
        if n < 2:
            continue
        diff = field.narrow(d, 1, n - 1) - field.narrow(d, 0, n - 1)
        total = total + 2 * (diff.pow(2).sum(channel_dim) + 1e-10).sqrt().flatten(1).sum(1)
    return total


def best_of(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100, help="batch size (images)")
    ap.add_argument("--iterations", type=int, default=10, help="attack iterations per timing")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")

    print("\npenalty alone, forward + backward (best of 5)")
    for what, shape, dims, cd in (("C lattice", (args.n, 3, 16, 32, 32), (2, 3, 4), 1),
                                  ("C-RGB lattice", (args.n, 3, 32, 32, 32), (2, 3, 4), 1),
                                  ("S flow", (args.n, 32, 32, 2), (1, 2), 3)):
        field = (0.01 * torch.randn(shape)).requires_grad_()
        times = {}
        for name, fn in (("autograd", autograd_smoothness), ("ours", _ours)):
            times[name] = best_of(lambda: torch.autograd.grad(fn(field, dims, cd).sum(), field), 5)
        print(f"  {what:14s} {str(shape):22s} autograd {1e3 * times['autograd']:7.1f} ms  "
              f"ours {1e3 * times['ours']:7.1f} ms  ratio {times['autograd'] / times['ours']:.2f}x")

    if "cifar_resnet32_natural" in checkpoints.available():
        model, desc = checkpoints.load("cifar_resnet32_natural").eval(), "cifar_resnet32_natural"
    else:
        torch.manual_seed(0)
        model, desc = build("resnet32").eval(), "UNTRAINED resnet32"
    data = load_sample("cifar10", limit=args.n)
    x, y = data.images, data.labels
    print(f"\nwhole attack, {args.iterations} iterations on {len(x)} images, model {desc} "
          f"(best of 3)")
    for name in ("C", "C-RGB"):
        times = {}
        for impl, fn in (("autograd", autograd_smoothness), ("ours", _ours)):
            for mod in ("stego_lib.attacks.recolor", "stego_lib.attacks.stadv"):
                sys.modules[mod].pair_smoothness = fn   # the name the threat models call
            th = functional_attack(name)
            times[impl] = best_of(lambda: attack(model, x, y, th, steps=args.iterations), 3)
        print(f"  {name:6s} autograd {times['autograd'] / args.iterations:6.3f} s/it  "
              f"ours {times['ours'] / args.iterations:6.3f} s/it  "
              f"ratio {times['autograd'] / times['ours']:.2f}x")


if __name__ == "__main__":
    main()
