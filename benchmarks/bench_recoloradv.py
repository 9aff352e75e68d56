"""Cross-check and speed benchmark: stego_lib's functional attacks vs the
reference ReColorAdv code (cassidylaidlaw/ReColorAdv, PyPI ``recoloradv==0.0.1``).

Run:  python benchmarks/bench_recoloradv.py [--n 256] [--attacks C C+D] [--iterations 100]
Needs the ``bench`` extra: ``pip install recoloradv==0.0.1 six`` (``six`` is an
undeclared dependency of the reference).

Same model, same images, same hyperparameters (the reference's defaults from
``recoloradv.utils.get_attack_from_name``: Adam lr 1e-3, 100 iterations, CW f6
with κ = ∞, λ = 0.05, last iterate). Prints, per attack, the attack success
rate (the fraction of correctly classified images that end up misclassified)
and accuracy under attack for both implementations, their wall-clock times in
this process and the speed ratio. Nothing is asserted: timings depend on the
machine.

The reference runs unmodified on torch 2.x; the only runtime shims (nothing
is patched on disk) are a stand-in ``six`` module if ``six`` is missing and
silencing its deprecation warnings. It also builds its identity lattice with a
Python triple loop, cached per batch size; that one-off cost is measured
separately ("reference warm-up") and kept out of the timed runs.

Model: ``--model NAME``; by default the trained ResNet-32 checkpoint ``cifar_resnet32_brief`` if present
(``stego_lib.checkpoints``), else any checkpoint with architecture
``resnet32``; else, with ``--train-fallback``, a ResNet-32 trained here for a
few epochs on part of the CIFAR-10 training split (cached in the temp dir);
otherwise the script stops and says so. The first line of output names it.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stego_lib import checkpoints  # noqa: E402
from stego_lib.attacks import StAdv, attack, functional_attack  # noqa: E402
from stego_lib.data import load_sample  # noqa: E402

# The reference's attacks, as the campaign runs them on the released models (one definition).
from stego_lib.experiments.paper2.authors import (  # noqa: E402
    REFERENCE_NAMES, reference_attack)


def reference_threat(name: str):
    """The reference's (sequential) threat model for ``name``; ``threat(x)`` gives a perturbation."""
    model = torch.nn.Identity()
    return reference_attack(name, model).adv_attack_obj.threat_model


def load_model(untrained: bool = False, train_fallback: bool = False,
               name: str | None = None) -> tuple[torch.nn.Module, str]:
    if name is not None:   # asked for by name: that checkpoint or a clear error
        if name not in checkpoints.available():
            sys.exit(f"no checkpoint {name!r}; available: {checkpoints.available()}")
        e = checkpoints.entry(name)
        return checkpoints.load(name).eval(), f"{name} ({e.get('arch')}; metrics {e.get('metrics')})"
    if untrained:
        from stego_lib.models import build
        torch.manual_seed(0)
        return build("resnet32").eval(), "UNTRAINED resnet32 (seed 0) - smoke run only, rates meaningless"
    names = checkpoints.available()
    if train_fallback and not any(checkpoints.entry(n).get("arch") == "resnet32" for n in names):
        return train_fallback_model()
    pick = "cifar_resnet32_brief" if "cifar_resnet32_brief" in names else next(
        (n for n in names if checkpoints.entry(n).get("arch") == "resnet32"), None)
    if pick is None:
        sys.exit("no trained ResNet-32 checkpoint found (stego_lib.checkpoints.available() = "
                 f"{names}); train one first, e.g. the cifar_resnet32_brief checkpoint")
    model = checkpoints.load(pick).eval()
    e = checkpoints.entry(pick)
    return model, f"{pick} ({e.get('arch')}; metrics {e.get('metrics')})"


def train_fallback_model(n_train: int = 12800, epochs: int = 4) -> tuple[torch.nn.Module, str]:
    """A quickly trained ResNet-32 (SGD, cosine lr from 0.1, batch 64, flips), cached."""
    import tempfile
    from stego_lib.data import load_cifar10
    from stego_lib.models import build
    cache = Path(tempfile.gettempdir()) / f"bench_recoloradv_resnet32_{n_train}_{epochs}.pt"
    torch.manual_seed(0)
    model = build("resnet32")
    data = load_cifar10("train", limit=n_train)
    desc = (f"FALLBACK resnet32 trained here: {epochs} epochs on the first {n_train} training images "
            f"({data.provenance.source}); SGD momentum 0.9, lr 0.1 cosine, batch 64, random flips")
    if cache.exists():
        model.load_state_dict(torch.load(cache, weights_only=True))
        return model.eval(), desc + f" [cached {cache}]"
    x, y = data.images, data.labels
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    steps = epochs * (len(x) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=steps, pct_start=0.15)
    g = torch.Generator().manual_seed(0)
    model.train()
    for ep in range(epochs):
        perm = torch.randperm(len(x), generator=g)
        for i in range(len(x) // 64):
            idx = perm[i * 64:(i + 1) * 64]
            xb = x[idx]
            flip = torch.rand(len(idx), generator=g) < 0.5
            xb = torch.where(flip.view(-1, 1, 1, 1), xb.flip(3), xb)
            loss = torch.nn.functional.cross_entropy(model(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print(f"  fallback training epoch {ep + 1}/{epochs}: last loss {loss.item():.3f}", flush=True)
    torch.save(model.state_dict(), cache)
    return model.eval(), desc


def predict(model, x, batch=256):
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])


def prepare(args, **load_kwargs):
    """Thread count and seed from ``args``, then the model and the first ``args.n`` exact-pixel
    CIFAR-10 test images: ``(model, description, x, y, clean correct mask, data)``."""
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model, model_desc = load_model(args.untrained, **load_kwargs)
    data = load_sample("cifar10", limit=args.n)
    x, y = data.images, data.labels
    return model, model_desc, x, y, predict(model, x) == y, data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=256, help="images from the exact-pixel CIFAR-10 sample")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--attacks", nargs="+", default=["C", "C+D"], choices=list(REFERENCE_NAMES))
    ap.add_argument("--train-fallback", action="store_true",
                    help="train a quick ResNet-32 when no checkpoint exists")
    ap.add_argument("--model", default=None,
                    help="checkpoint to attack (default: cifar_resnet32_brief, else any ResNet-32)")
    ap.add_argument("--untrained", action="store_true", help="smoke-test the script with an untrained model")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: leave as is)")
    ap.add_argument("--rgb-eps", type=float, default=0.06,
                    help="bound of C-RGB per RGB channel, for both implementations (default 0.06)")
    ap.add_argument("--json", default=None,
                    help="also write the results here (the book reads results/benchmarks/recoloradv.json)")
    args = ap.parse_args()
    model, model_desc, x, y, clean, data = prepare(args, train_fallback=args.train_fallback,
                                                   name=args.model)
    print(f"model: {model_desc}")
    print(f"images: {len(x)} from {data.provenance.source}; clean accuracy {100 * clean.float().mean():.1f} %")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU; "
          f"{args.iterations} iterations, batch {args.batch}")

    batches = [(x[i:i + args.batch], y[i:i + args.batch]) for i in range(0, len(x), args.batch)]
    # reference warm-up: its identity lattice is built by a Python loop, cached per batch size
    t0 = time.perf_counter()
    for bs in sorted({len(b) for b, _ in batches}):
        reference_threat("C")(x[:bs])
    print(f"reference warm-up (identity lattice construction, once per batch size): "
          f"{time.perf_counter() - t0:.1f} s")

    rows, extra = [], {}
    for name in args.attacks:
        threat = (functional_attack(name, recolor={"eps": args.rgb_eps}) if name == "C-RGB"
                  else functional_attack(name))
        ref = reference_attack(name, model, args.iterations, args.rgb_eps)
        out_ours, out_ref = [], []
        t_ours = t_ref = 0.0
        for xb, yb in batches:  # interleave so load changes hit both alike
            t0 = time.perf_counter()
            out_ours.append(attack(model, xb, yb, threat, steps=args.iterations))
            t_ours += time.perf_counter() - t0
            t0 = time.perf_counter()
            out_ref.append(ref.attack(xb, yb)[0].detach())
            t_ref += time.perf_counter() - t0
        model.eval()
        adv_ours, adv_ref = torch.cat(out_ours), torch.cat(out_ref)
        ok_ours, ok_ref = predict(model, adv_ours) == y, predict(model, adv_ref) == y
        sr_ours = 100 * float((~ok_ours & clean).sum()) / max(int(clean.sum()), 1)
        sr_ref = 100 * float((~ok_ref & clean).sum()) / max(int(clean.sum()), 1)
        rows.append((name, sr_ours, sr_ref, 100 * ok_ours.float().mean().item(),
                     100 * ok_ref.float().mean().item(), t_ours, t_ref))
        print(f"{name:6s} success ours {sr_ours:5.1f} %  reference {sr_ref:5.1f} %  | "
              f"accuracy ours {rows[-1][3]:5.1f} %  reference {rows[-1][4]:5.1f} %  | "
              f"time ours {t_ours:7.1f} s  reference {t_ref:7.1f} s  ratio {t_ref / t_ours:4.1f}x",
              flush=True)

    if "S" in args.attacks:
        # The reference's StAdv samples outside the image as black (zero padding); ours
        # replicates the border. Rerun ours with zero padding to show that this is the gap.
        adv = torch.cat([attack(model, xb, yb, StAdv(padding="zeros"), steps=args.iterations)
                         for xb, yb in batches])
        ok = predict(model, adv) == y
        sr = 100 * float((~ok & clean).sum()) / max(int(clean.sum()), 1)
        print(f"S (ours, padding='zeros' as the reference) success {sr:5.1f} %")
        extra["stadv_zero_padding_success_ours"] = sr

    print("\nsummary (success rate among correctly classified images; speed = reference time / ours)")
    print("| attack | ours % | reference % | acc. ours % | acc. ref. % | ours s | ref. s | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    for name, so, sr, ao, ar, to, tr in rows:
        print(f"| {name} | {so:.1f} | {sr:.1f} | {ao:.1f} | {ar:.1f} | {to:.1f} | {tr:.1f} | {tr / to:.1f}x |")
    if args.json:
        from stego_lib._io import atomic_write_json

        keys = ("attack", "success_ours", "success_reference", "accuracy_ours",
                "accuracy_reference", "seconds_ours", "seconds_reference")
        atomic_write_json(args.json, {
            "benchmark": "benchmarks/bench_recoloradv.py", "model": model_desc,
            "images": len(x), "data": data.provenance.to_dict(),
            "clean_accuracy": float(clean.float().mean()), "iterations": args.iterations,
            "batch": args.batch, "threads": torch.get_num_threads(), "device": "cpu",
            "rgb_eps": args.rgb_eps,
            "torch": torch.__version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "rows": [dict(zip(keys, r)) for r in rows], **extra})


if __name__ == "__main__":
    main()
