"""How far ReColorAdv moves a pixel, with and without keeping its colour function in the gamut.

Run:  python benchmarks/recolor_gamut.py [--n 48] [--iterations 100] [--json results/benchmarks/recolor_gamut.json]
Needs the ``bench`` extra for the reference row (``pip install recoloradv==0.0.1 six``).

The paper's colour function maps colours to colours (``f: C -> C``). On the same exact-pixel
CIFAR-10 test images, the same model and the reference's hyperparameters (Adam lr 1e-3, CW f6,
λ = 0.05, last iterate), it runs the attack C four ways:

* ``shrink`` - ours, the default: an out-of-gamut new colour is pulled back along the segment
  from the pixel's own colour, so every pixel stays within the ε box in CIELUV;
* ``chroma`` - ours, chroma reduced at fixed L* and hue (valid colours, but unbounded near the
  top of the L* range);
* ``clamp``  - ours as it was: out-of-gamut colours converted as they are, RGB image clamped;
* ``reference`` - recoloradv 0.0.1, whose lattice goes through an RGB gamut clip.

For each it records the distribution over all pixels of the per-pixel change of the largest
RGB channel (in 1/255: median, 90th, 99th, 99.9th percentile, max), the largest per-pixel
change of L*, u* and v*, the share of pixels outside the ε box in CIELUV, and the attack's
success rate. It also searches every 8-bit colour on the surface of the RGB cube (where the
extreme cases live) against the 27 corners, edge midpoints and centre of the ε box, for the
largest change each of our modes allows in principle. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_recoloradv import predict, prepare, reference_attack  # noqa: E402

from stego_lib.attacks import ReColorAdv, attack  # noqa: E402
from stego_lib.color import luv_gamut_map, luv_shrink_to_gamut, luv_to_rgb, rgb_to_luv  # noqa: E402

PERCENTILES = (50, 90, 99, 99.9)
EPS_LUV = (6.0, 12.0, 12.0)  # the default eps = 0.06 in L*, u*, v* units


def change_stats(x: torch.Tensor, adv: torch.Tensor) -> dict:
    """Distribution of per-pixel changes between ``x`` and ``adv`` ``(N, 3, H, W)``."""
    rgb = (255 * (adv - x).abs().amax(1)).flatten().double().numpy()
    luv = (rgb_to_luv(adv.double()) - rgb_to_luv(x.double())).abs()  # (N, 3, H, W)
    eps = torch.tensor(EPS_LUV, dtype=torch.float64).view(1, 3, 1, 1)
    outside = (luv > eps + 1e-3).any(1)
    return {
        "rgb_change_over_255": {f"p{p:g}": float(np.percentile(rgb, p)) for p in PERCENTILES}
        | {"max": float(rgb.max()), "mean": float(rgb.mean())},
        "luv_change_max": dict(zip(("L", "u", "v"), luv.amax((0, 2, 3)).tolist())),
        "percent_pixels_outside_eps_box": 100 * float(outside.double().mean()),
        "pixels": int(rgb.size),
    }


def worst_case(mode: str) -> dict:
    """Largest per-pixel RGB change (1/255) over every 8-bit colour on the RGB cube's surface
    and each displacement in {−ε, 0, ε}³ of CIELUV units, for one of our gamut modes."""
    v = torch.arange(256, dtype=torch.float64) / 255
    a, b = (t.flatten() for t in torch.meshgrid(v, v, indexing="ij"))
    eps = torch.tensor(EPS_LUV, dtype=torch.float64)
    best = (-1.0, None, None)
    for ch, level in itertools.product(range(3), (0.0, 1.0)):
        cols = [a, b]
        cols.insert(ch, torch.full_like(a, level))
        x = torch.stack(cols).view(1, 3, 1, -1)
        luv = rgb_to_luv(x)
        for corner in itertools.product((-1.0, 0.0, 1.0), repeat=3):
            d = torch.tensor(corner, dtype=torch.float64) * eps
            target = luv + d.view(1, 3, 1, 1)
            if mode == "shrink":
                y = luv_shrink_to_gamut(luv, target)
            elif mode == "chroma":
                y = luv_gamut_map(target)
            else:
                y = target
            change = (luv_to_rgb(y).clamp(0, 1) - x).abs().amax(1).flatten()
            i = int(change.argmax())
            if float(change[i]) > best[0]:
                best = (float(change[i]), (255 * x[0, :, 0, i]).round().tolist(), d.tolist())
    return {"max_over_255": 255 * best[0], "colour_255": best[1], "displacement_luv": best[2]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=48, help="images from the exact-pixel CIFAR-10 sample")
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--no-reference", action="store_true", help="skip recoloradv")
    ap.add_argument("--untrained", action="store_true", help="smoke-test with an untrained model")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: leave as is)")
    ap.add_argument("--json", default=None,
                    help="also write the numbers here (the book reads results/benchmarks/recolor_gamut.json)")
    args = ap.parse_args()
    model, model_desc, x, y, clean, data = prepare(args)
    print(f"model: {model_desc}\nimages: {len(x)} from {data.provenance.source}; "
          f"clean accuracy {100 * clean.float().mean():.1f} %; {args.iterations} iterations")

    runs = {f"ours_{g}": (lambda g=g: attack(model, x, y, ReColorAdv(gamut=g),
                                             steps=args.iterations))
            for g in ("shrink", "chroma", "clamp")}
    if not args.no_reference:
        runs["reference"] = lambda: reference_attack("C", model, args.iterations).attack(x, y)[0].detach()
    record: dict = {"benchmark": "benchmarks/recolor_gamut.py", "model": model_desc,
                    "images": len(x), "data": data.provenance.to_dict(),
                    "clean_accuracy": float(clean.float().mean()), "iterations": args.iterations,
                    "eps_luv": list(EPS_LUV), "torch": torch.__version__, "device": "cpu",
                    "threads": torch.get_num_threads(),
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "runs": {}}
    for name, run in runs.items():
        t0 = time.perf_counter()
        adv = run()
        seconds = time.perf_counter() - t0
        model.eval()
        ok = predict(model, adv) == y
        stats = change_stats(x, adv)
        stats["success_percent"] = 100 * float((~ok & clean).sum()) / max(int(clean.sum()), 1)
        stats["seconds"] = seconds
        record["runs"][name] = stats
        r = stats["rgb_change_over_255"]
        print(f"{name:13s} change /255: median {r['p50']:5.1f}  p90 {r['p90']:5.1f}  "
              f"p99 {r['p99']:5.1f}  p99.9 {r['p99.9']:5.1f}  max {r['max']:5.1f} | "
              f"max |dL*| {stats['luv_change_max']['L']:5.1f} |du*| {stats['luv_change_max']['u']:5.1f} "
              f"|dv*| {stats['luv_change_max']['v']:5.1f} | outside box "
              f"{stats['percent_pixels_outside_eps_box']:.3f} % | success "
              f"{stats['success_percent']:.1f} % | {seconds:.0f} s", flush=True)
    record["worst_case"] = {}
    for mode in ("shrink", "chroma", "clamp"):
        record["worst_case"][f"ours_{mode}"] = w = worst_case(mode)
        print(f"worst case over the cube's surface, ours_{mode}: {w['max_over_255']:.1f}/255 "
              f"at colour {w['colour_255']} moved by {w['displacement_luv']} (L*, u*, v*)")
    if args.json:
        from stego_lib._io import atomic_write_json

        atomic_write_json(args.json, record)


if __name__ == "__main__":
    main()
