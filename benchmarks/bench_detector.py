"""Detector throughput: images/s of the vectorised detector, on the CPU (and GPU when present),
against the pixel loop of the authors' code (alxshine/stego4secureML common.py, rewritten with
numpy/scipy here) on a few images. Prints ratios; asserts nothing about time.

    python benchmarks/bench_detector.py [--n 200000]
"""
import argparse
import time

import numpy as np
import torch

from stego_lib.data import load_sample
from stego_lib.detectors import score, ws_estimate


def reference_loop(img255: np.ndarray) -> float:
    """The authors' algorithm: scipy convolution plus a Python loop for the weights."""
    from scipy.signal import convolve2d

    k = np.array([[-0.25, 0.5, -0.25], [0.5, 0, 0.5], [-0.25, 0.5, -0.25]])
    mk = np.array([[0, 0.25, 0], [0.25, 0, 0.25], [0, 0.25, 0]])
    est = convolve2d(img255, k, mode="valid")
    m = convolve2d(img255, mk, mode="valid")
    w = np.zeros_like(est)
    for x in range(w.shape[0]):
        for y in range(w.shape[1]):
            ox, oy = x + 1, y + 1
            w[x, y] = ((img255[ox - 1, oy] - m[x, y]) ** 2 + (img255[ox + 1, oy] - m[x, y]) ** 2
                       + (img255[ox, oy - 1] - m[x, y]) ** 2 + (img255[ox, oy + 1] - m[x, y]) ** 2) / 3
    w = 1.0 / (w + 5)
    w = w / w.sum()
    return float(np.mean(np.abs((img255[1:-1, 1:-1] - est) * w)))


def rate(fn, n, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return n / best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=200_000, help="images for the vectorised runs")
    p.add_argument("--n-ref", type=int, default=50, help="images for the reference loop")
    a = p.parse_args()
    s = load_sample("mnist")
    reps = -(-a.n // len(s))
    batch = s.images.repeat(reps, 1, 1, 1)[: a.n]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    ref_imgs = (s.images[: a.n_ref, 0].double().numpy() * 255)
    ref = rate(lambda: [reference_loop(im) for im in ref_imgs], a.n_ref, repeat=1)
    ours_ref = score(s.images[: a.n_ref], dtype=torch.float64).numpy()
    err = np.max(np.abs(ours_ref - np.array([reference_loop(im) for im in ref_imgs])))
    print(f"reference loop (authors' algorithm):  {ref:12,.0f} images/s   (max |diff| {err:.2e})")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for dev in devices:
        x = batch.to(dev)
        r = rate(lambda: score(x), a.n)
        print(f"vectorised score, {dev:4s} float32:     {r:12,.0f} images/s   "
              f"(x{r / ref:,.0f} the reference; 1,000,000 images in {1e6 / r:.1f} s)")
        xw = (x[: a.n // 4] * 255).round().to(torch.uint8)
        r = rate(lambda: ws_estimate(xw), xw.shape[0])
        print(f"WS estimate,      {dev:4s} float64:     {r:12,.0f} images/s")


if __name__ == "__main__":
    main()
