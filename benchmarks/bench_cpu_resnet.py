"""Which CPU settings make the ResNet-32 training and attack steps of Paper II faster?

Times, in one process and interleaved round by round (so a neighbour's load on a shared
machine hits every variant alike), one training step (forward + backward + SGD update,
train mode) and one attack iteration (forward + backward to the input, eval mode, ReColorAdv's
colour function included) of ResNet-32 on CIFAR-sized input, for:

* ``default``: contiguous (NCHW) tensors, all threads torch was given;
* ``channels_last``: model and input in NHWC memory format;
* ``threads=N``: the other thread count (1 when the default is more, else 2);
* ``compile``: ``torch.compile`` (inductor; needs a C++ compiler, works offline);
* ``batch=B``: other batch sizes, reported per image.

Prints the time per image and its ratio to ``default`` (lower is faster), and each
variant's error against a float64 run of the same weights (largest logit difference; largest
input-gradient difference relative to the largest gradient entry). Every variant stays in
float32: a different summation order changes the last bits, and the errors show it stays as
close to float64 as the default is. The weights are the committed brief CIFAR-10 ResNet-32
when present (a trained model's logits are of a sensible size), else a seeded random init.
Asserts nothing about time.

On a shared CPU pass ``--threads 1`` when another process keeps the cores busy: two OpenMP
threads that must wait for each other at every layer are then far slower than one.

    python benchmarks/bench_cpu_resnet.py [--batch 128] [--rounds 3] [--threads N] [--no-compile]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from stego_lib import models
from stego_lib.attacks import attack, functional_attack


def make_model(seed=0):
    from stego_lib import checkpoints

    try:
        return checkpoints.load("cifar_resnet32_brief")
    except checkpoints.CheckpointNotFoundError:
        torch.manual_seed(seed)
        return models.build("resnet32")


def train_step(model, opt, x, y):
    model.train()
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def attack_step(model, x, y):
    # one ReColorAdv iteration: the colour function, the model, the gradient to the lattice
    attack(model, x, y, functional_attack("C"), steps=1)


def input_grad(model, x, y):
    model.eval()
    x = x.clone().requires_grad_(True)
    logits = model(x)
    (g,) = torch.autograd.grad(F.cross_entropy(logits, y, reduction="sum"), x)
    return logits.detach(), g


class Variant:
    def __init__(self, name, batch, *, channels_last=False, threads=None, compiled=False):
        self.name, self.batch, self.threads = name, batch, threads
        self.model = make_model()
        if channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.fn = torch.compile(self.model) if compiled else self.model
        self.opt = torch.optim.SGD(self.model.parameters(), lr=1e-3, momentum=0.9)
        g = torch.Generator().manual_seed(1)
        self.x = torch.rand(batch, 3, 32, 32, generator=g)
        if channels_last:
            self.x = self.x.contiguous(memory_format=torch.channels_last)
        self.y = torch.randint(0, 10, (batch,), generator=g)
        self.times = {"train": [], "attack": []}

    def run(self, what):
        n0 = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            t = time.perf_counter()
            if what == "train":
                train_step(self.fn, self.opt, self.x, self.y)
            else:
                attack_step(self.fn, self.x, self.y)
            self.times[what].append((time.perf_counter() - t) / self.batch)
        finally:
            torch.set_num_threads(n0)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=None, help="intra-op threads of default")
    p.add_argument("--no-compile", action="store_true")
    p.add_argument("--only", default=None,
                   help="comma-separated variant names to time besides default, e.g. channels_last")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    b = a.batch
    other = 1 if torch.get_num_threads() > 1 else 2
    variants = [Variant("default", b), Variant("channels_last", b, channels_last=True),
                Variant(f"threads={other}", b, threads=other),
                Variant(f"batch={b // 2}", b // 2), Variant(f"batch={2 * b}", 2 * b)]
    if a.only:
        keep = {"default", *a.only.split(",")}
        variants = [v for v in variants if v.name in keep]
    if not a.no_compile and (not a.only or "compile" in a.only):
        try:
            v = Variant("compile", b, compiled=True)
            v.run("train"), v.run("attack")  # compiles; not timed
            v.times = {"train": [], "attack": []}
            variants.append(v)
        except Exception as err:  # no compiler, or inductor unsupported here
            print(f"torch.compile unavailable: {type(err).__name__}: {err}")
    for v in variants:  # warm-up (allocator, oneDNN primitive cache)
        v.run("train"), v.run("attack")
        v.times = {"train": [], "attack": []}
    for _ in range(a.rounds):
        for what in ("train", "attack"):
            for v in variants:
                v.run(what)

    # exactness: fresh, identical weights; logits and input gradient against float64
    x0, y0 = variants[0].x, variants[0].y
    ref_logits, ref_grad = input_grad(make_model().double(), x0.double(), y0)
    print(f"ResNet-32, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{a.rounds} interleaved rounds; time per image (median), ratio to default")
    print(f"{'variant':<15} {'train ms/img':>12} {'ratio':>6} {'attack ms/img':>13} {'ratio':>6}"
          f" {'Δlogit f64':>11} {'Δgrad f64':>10}")
    base = {w: statistics.median(variants[0].times[w]) for w in ("train", "attack")}
    for v in variants:
        med = {w: statistics.median(v.times[w]) for w in ("train", "attack")}
        dl = dg = float("nan")
        if v.batch == b:
            m, x = make_model(), x0
            if v.name == "channels_last":
                m = m.to(memory_format=torch.channels_last)
                x = x.contiguous(memory_format=torch.channels_last)
            fn = torch.compile(m) if v.name == "compile" else m
            n0 = torch.get_num_threads()
            torch.set_num_threads(v.threads or n0)
            lg, gr = input_grad(fn, x, y0)
            torch.set_num_threads(n0)
            dl = float((lg.double() - ref_logits).abs().max())
            dg = float((gr.double() - ref_grad).abs().max() / ref_grad.abs().max())
        print(f"{v.name:<15} {1e3 * med['train']:12.2f} {med['train'] / base['train']:6.2f}"
              f" {1e3 * med['attack']:13.2f} {med['attack'] / base['attack']:6.2f}"
              f" {dl:11.2e} {dg:10.2e}")
    print("(Δ: largest error against float64; Δgrad relative to the largest gradient entry; "
          "nan: other batch size)")


if __name__ == "__main__":
    main()
