"""Measure the reference ReColorAdv's colour-space defects and our fix.

Run:  python benchmarks/reference_defects.py   (needs ``pip install recoloradv==0.0.1 six``)

Prints
1. the fraction of the 256³ sRGB colours whose CIELUV coordinates fall outside
   the reference's scaled box (L/100, (u+100)/200, (v+100)/200) ∈ [0, 1]³;
2. the fraction of CIFAR-10 pixels (the package's exact-pixel test sample)
   that the reference's ReColorAdv changes at zero perturbation (identity
   lattice, then its gamut clip and ε projection), at several thresholds;
3. the same for our ReColorAdv, and the largest error of our identity
   lattice over all 256³ sRGB colours, in units of 1/255.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_recoloradv import reference_threat  # noqa: E402  (also installs the runtime shim)

from stego_lib.attacks import ReColorAdv  # noqa: E402
from stego_lib.color import luv_to_scaled, rgb_to_luv  # noqa: E402
from stego_lib.data import load_sample  # noqa: E402


def all_srgb_colours(chunk: int) -> "iter[torch.Tensor]":
    """All 256³ 8-bit sRGB colours as (1, 3, 256, chunk·256) images, red-major."""
    v = torch.arange(256, dtype=torch.float32) / 255
    for r0 in range(0, 256, chunk):
        r, g, b = torch.meshgrid(v[r0:r0 + chunk], v, v, indexing="ij")
        yield torch.stack([r, g, b]).reshape(1, 3, -1, 256)


def main() -> None:
    import argparse
    import time

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", default=None,
                    help="also write the numbers here (the book reads results/benchmarks/reference_defects.json)")
    args = ap.parse_args()
    record: dict = {"benchmark": "benchmarks/reference_defects.py", "torch": torch.__version__,
                 "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    torch.set_grad_enabled(False)
    # 1. gamut vs the scaled box (ours and the reference's conversion agree here)
    outside = total = 0
    lo = torch.full((3,), float("inf"))
    hi = -lo
    for x in all_srgb_colours(16):
        s = luv_to_scaled(rgb_to_luv(x.double()))[0].reshape(3, -1)
        lo, hi = torch.minimum(lo, s.min(1).values.float()), torch.maximum(hi, s.max(1).values.float())
        outside += int(((s < 0) | (s > 1)).any(0).sum())
        total += s.shape[1]
    print(f"1. sRGB colours outside the reference's scaled LUV box: {outside}/{total} "
          f"= {100 * outside / total:.2f} %")
    print(f"   scaled-box extent of the sRGB gamut: min {lo.tolist()}, max {hi.tolist()}")
    record["gamut_outside_box_percent"] = 100 * outside / total
    record["gamut_extent_scaled"] = {"min": lo.tolist(), "max": hi.tolist()}

    # 2. zero perturbation on real pixels
    x = load_sample("cifar10").images
    ref = reference_threat("recoloradv")(x)  # SequentialPerturbation, identity params
    ref_out = ref(x)
    ours = ReColorAdv()
    from recoloradv import color_spaces
    cs = color_spaces.CIELUVColorSpace()
    ref_roundtrip = cs.to_rgb(cs.from_rgb(x))  # conversion alone, no lattice
    our_out = ours.apply(x, ours.init(x))
    npix = x.shape[0] * x.shape[2] * x.shape[3]
    print(f"2. zero perturbation on {x.shape[0]} CIFAR-10 test images ({npix} pixels):")
    for name, out in (("reference", ref_out), ("ref. conv.", ref_roundtrip), ("ours", our_out)):
        err = (out - x).abs().amax(1)  # per pixel, worst channel
        parts = [f"> {t}: {100 * float((err > thr).float().mean()):.2f} %"
                 for t, thr in (("0", 0.0), ("1e-5", 1e-5), ("1e-4", 1e-4), ("1e-3", 1e-3), ("0.5/255", 0.5 / 255),
                                ("1/255", 1 / 255), ("4/255", 4 / 255))]
        print(f"   {name:10s} pixels changed " + ", ".join(parts)
              + f"; max {255 * float(err.max()):.2f}/255")
        record[f"cifar_zero_perturbation_{name.replace('. ', '_').strip()}"] = {
            "pixels": npix, "images": int(x.shape[0]),
            "percent_over_1_255": 100 * float((err > 1 / 255).float().mean()),
            "percent_over_1e-4": 100 * float((err > 1e-4).float().mean()),
            "max_over_255": 255 * float(err.max())}
    # 8-bit view: what survives rounding to the stored 8-bit image
    for name, out in (("reference", ref_out), ("ours", our_out)):
        changed = ((out * 255).round() != (x * 255).round()).any(1)
        print(f"   {name:9s} pixels whose 8-bit value changes: {100 * float(changed.float().mean()):.2f} %")

    # 2b. the same over every 8-bit sRGB colour (uniform over the cube)
    counts = {0.0: 0, 1e-4: 0, 1 / 255: 0}
    for xc in all_srgb_colours(8):
        err = (reference_threat("recoloradv")(xc)(xc) - xc).abs().amax(1)
        for thr in counts:
            counts[thr] += int((err > thr).sum())
    record["srgb_zero_perturbation_reference_percent"] = {
        f"{thr:.4g}": 100 * c / 256 ** 3 for thr, c in counts.items()}
    print("   over all 256³ sRGB colours, the reference's zero perturbation changes "
          + ", ".join(f"> {thr:.4g}: {100 * c / 256 ** 3:.2f} %" for thr, c in counts.items()))

    # 3. our identity lattice over every sRGB colour
    worst = 0.0
    for xc in all_srgb_colours(8):
        worst = max(worst, float((ours.apply(xc, ours.init(xc)) - xc).abs().max()))
    print(f"3. our identity lattice, max error over all 256³ sRGB colours: {255 * worst:.4f}/255 (float32)")
    record["ours_identity_max_error_over_255"] = 255 * worst
    if args.json:
        from stego_lib._io import atomic_write_json

        atomic_write_json(args.json, record)


if __name__ == "__main__":
    main()
