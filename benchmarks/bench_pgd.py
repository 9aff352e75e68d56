"""Our PGD against torchattacks' PGD on the same model, batch and device. Prints images/s and
the ratio ours / torchattacks; asserts nothing about time.

torchattacks clips its random start to [0, 1] and averages the loss over the batch, ours
(like mnist_challenge) does neither; the sign step makes the loss scale irrelevant, and both
run the same number of forward/backward passes, so the timing comparison is fair.

    python benchmarks/bench_pgd.py [--n 500] [--steps 40]
"""
import argparse
import time

import torch

from stego_lib import checkpoints, models
from stego_lib.attacks import PGD
from stego_lib.data import load_sample


def timed(fn, repeat):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return best, out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--eps", type=float, default=0.3)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        model = checkpoints.load("mnist_natural", device=dev)
        which = "mnist_natural checkpoint"
    except checkpoints.CheckpointNotFoundError:
        model = models.build("mnist_cnn").to(dev).eval()
        which = "untrained MadryCNN"
    s = load_sample("mnist", limit=a.n)
    x, y = s.images.to(dev), s.labels.to(dev)
    ours = PGD(eps=a.eps, steps=a.steps, alpha=0.01)
    t_ours, x_ours = timed(lambda: ours(model, x, y, generator=torch.Generator().manual_seed(0)),
                           a.repeat)
    import torchattacks

    ta = torchattacks.PGD(model, eps=a.eps, alpha=0.01, steps=a.steps, random_start=True)
    t_ta, x_ta = timed(lambda: ta(x, y), a.repeat)
    with torch.no_grad():
        acc_ours = (model(x_ours).argmax(1) == y).float().mean().item()
        acc_ta = (model(x_ta).argmax(1) == y).float().mean().item()
    print(f"{which} on {dev}, {a.n} images, PGD-{a.steps}, eps {a.eps}, torch {torch.__version__}")
    print(f"ours:         {a.n / t_ours:8,.0f} images/s   accuracy under attack {acc_ours:.3f}")
    print(f"torchattacks: {a.n / t_ta:8,.0f} images/s   accuracy under attack {acc_ta:.3f}")
    print(f"speed ratio ours / torchattacks: {t_ta / t_ours:.2f}")


if __name__ == "__main__":
    main()
