"""What a Paper II training step and a Table 1 attack cost, relative to a natural training step.

Times, interleaved round by round in one process (so a neighbour's load on a shared machine
hits every entry alike), with the settings the campaign uses (channels-last weights on a CPU):

* a natural training step (batch 128, cross-entropy) and the grayscale model's;
* an adversarial training step per threat model: the 5-step training attack (Adam step 0.02)
  on 128 images, then one step on ``cat(clean, adversarial)``;
* a TRADES step (5 KL steps of 0.014, then the TRADES loss on both batches);
* each evaluation attack, per image at 100 iterations (timed on 64 images at 10 iterations).

Prints seconds and the ratio to the natural step; the campaign's CPU priors
(``stego_lib.experiments.paper2.items``) are these ratios times a measured natural step.
Asserts nothing about time.

    python benchmarks/bench_paper2_steps.py [--rounds 3] [--threads 1]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from stego_lib import checkpoints, data, models
from stego_lib.attacks import attack, functional_attack
from stego_lib.attacks.training import FunctionalAdversary, TradesPGD
from stego_lib.experiments.paper2.objectives import concat_objective, trades_objective
from stego_lib.experiments.paper2.table1 import cpu_layout

TRAIN = ("natural", "gray", "C", "D", "S", "C+S+D", "TRADES")
EVAL = ("C-RGB", "C", "D", "S", "C+D", "C+S+D")


def model(gray=False):
    try:
        m = checkpoints.load("cifar_resnet32_brief")
    except checkpoints.CheckpointNotFoundError:
        torch.manual_seed(0)
        m = models.build("resnet32")
    if gray:
        g = models.build("resnet32_gray")
        g.model.load_state_dict(m.state_dict())
        m = g
    return cpu_layout(m)


def train_step(kind, x, y):
    m = model(gray=kind == "gray")
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    adv, objective = None, None
    if kind == "TRADES":
        adv, objective = TradesPGD(steps=5, step_size=0.014), trades_objective(6.0)
    elif kind not in ("natural", "gray"):
        adv, objective = FunctionalAdversary(kind, iterations=5, lr=0.02), concat_objective

    def run():
        x_adv = None
        if adv is not None:
            m.eval()
            x_adv = adv(m, x, y)
        m.train()
        loss = (F.cross_entropy(m(x), y) if objective is None
                else objective(m, x, y, x_adv)[0])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return run


def eval_attack(name, x, y):
    m, threat = model().eval(), functional_attack(name)
    return lambda: attack(m, x[:64], y[:64], threat, steps=10)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=None)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    s = data.load_sample("cifar10", limit=128)
    x, y = s.images, s.labels
    fns = {f"train {k}": train_step(k, x, y) for k in TRAIN}
    fns.update({f"attack {k}": eval_attack(k, x, y) for k in EVAL})
    times = {k: [] for k in fns}
    for f in fns.values():   # warm-up
        f()
    for _ in range(a.rounds):
        for k, f in fns.items():
            t = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t)
    base = statistics.median(times["train natural"])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), channels-last on the "
          f"CPU, {a.rounds} interleaved rounds; natural step (batch 128): {base:.3f} s")
    for k, v in times.items():
        med = statistics.median(v)
        if k.startswith("attack"):
            per_image = med / 64 * 10   # 64 images, 10 of the 100 iterations
            print(f"{k:16s} {per_image:7.3f} s per image at 100 iterations = "
                  f"{per_image / base:5.2f} natural steps")
        else:
            print(f"{k:16s} {med:7.3f} s per step = {med / base:5.2f} natural steps")


if __name__ == "__main__":
    main()
