"""Train a CIFAR-10 classifier and store it in the checkpoint store.

Usage::

    python -m stego_lib.experiments.cifar_train --name cifar_resnet32_brief --epochs 3

The recipe follows akamaster's ResNet-32 training (SGD, momentum 0.9, weight decay 5e-4
(1e-4 in akamaster; 5e-4 suits short schedules), batch 128, random crop + flip) with a
cosine schedule over however many epochs are asked for. A brief CPU run gives a weak but
real model for quick runs of the qualitative figures. The Table 1 models are trained by
:mod:`.paper2.training` with the recipes of :mod:`.paper2.recipes`, which hold a CPU and a GPU
variant of each; the code runs on either device (:func:`~stego_lib.checkpoints.device`
picks the GPU when there is one), and this book's paper-scale Table 1 models were trained on
CPUs.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch

from .. import checkpoints, data, models, training


def parse_args(argv=None) -> argparse.Namespace:
    """The command line (see the module docstring).

    Example::

        >>> args = parse_args(["--name", "cifar_resnet32_brief", "--epochs", "1"])
        >>> args.arch, args.epochs, args.lr, args.max_minutes
        ('resnet32', 1, 0.05, None)
    """
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--name", required=True, help="checkpoint name")
    p.add_argument("--arch", default="resnet32", choices=sorted(models.ARCHITECTURES))
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop after this long and resume on the next call")
    p.add_argument("--state-dir", default="_build/train_state")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    device = str(checkpoints.device())
    train_split = data.load_cifar10("train")
    test_split = data.load_cifar10("test")
    torch.manual_seed(args.seed)
    model = models.build(args.arch)
    state = Path(args.state_dir) / f"{args.name}.state.pt"
    state.parent.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(args.seed + 1)
    config = training.TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, optimizer="sgd",
        momentum=0.9, weight_decay=args.weight_decay, schedule="cosine", seed=args.seed,
        max_seconds=None if args.max_minutes is None else 60 * args.max_minutes)
    hist = training.train(model, train_split.pixels, train_split.labels, config, device=device,
                          augment=lambda x: training.cifar_augment(x, generator=gen),
                          state_path=state)
    if not hist["finished"]:
        print(f"stopped after {hist['steps']} steps; run the same command again to resume")
        return hist
    config = {"recipe": "sgd momentum 0.9, cosine, crop+flip", "epochs": args.epochs,
              "batch_size": args.batch_size, "lr": args.lr, "weight_decay": args.weight_decay,
              "seed": args.seed, "device": device, "steps": hist["steps"]}
    rec = checkpoints.save(model, args.name, arch=args.arch, config=config,
                           data={"train": train_split.provenance.to_dict(),
                                 "test": test_split.provenance.to_dict()}, metrics={})
    # Metrics are measured on the weights as stored (float16), reloaded.
    reloaded = checkpoints.load(args.name, device=device)
    acc = training.evaluate(reloaded, test_split.pixels, test_split.labels, device=device)
    exact = data.load_cifar10("test", exact_subset=True)
    acc_exact = training.evaluate(reloaded, exact.pixels, exact.labels, device=device)
    rec = checkpoints.update_metrics(args.name, {
        "clean_accuracy_test_jpeg_10000": round(acc, 4),
        "clean_accuracy_test_exact_846": round(acc_exact, 4),
        "final_train_loss": round(hist["loss"][-1], 4) if hist["loss"] else None})
    os.remove(state)
    print(rec)
    return hist


if __name__ == "__main__":
    main()
