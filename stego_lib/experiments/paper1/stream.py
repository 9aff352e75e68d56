"""Paper I's sweep as one stream of large batches: many (ε, image) pairs per batch, for a GPU.

The campaign's CPU chunks attack one ε at a time in batches of 100, which suits a 2-core CPU
and wastes a GPU (process start-up, small batches, detectors on the CPU). The stream runs the
pairs of every ε still missing, ε-major, in batches of thousands: PGD takes a per-image ε, each
image starts from exactly the random start its own ε's chunk would draw (one generator per ε,
seeded as the chunk seeds it, over all the images at once), and the detectors score on the
device. When every image of an ε is done its result is written under the same cache key a
chunk would write, so the pages and ``campaign status`` read it as they read a chunk's.

Precision is an option a GPU user expects: ``"fp32"`` (default), ``"tf32"`` (TensorFloat-32
matrix products) or ``"bf16"`` (autocast). A reduced precision enters the cache key, so its
result never fills an fp32 entry.

Example::

    >>> pick_batch_size("cpu", 10_000)
    500
    >>> pick_batch_size("cpu", 10_000, 64)
    64
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import numpy as np
import torch

from ... import checkpoints
from ...attacks import PGD
from ...cache import ResultsCache
from .compute import (LazyTest, SweepPoint, all_scores, attack_config, model_sha,
                      start_seed)
from .config import CHECKPOINTS, EXPERIMENT, VERSION, Paper1Config

__all__ = ["PRECISIONS", "pick_batch_size", "precision", "stream_config", "sweep"]

PRECISIONS = ("fp32", "tf32", "bf16")
CPU_BATCH = 500
MAX_BATCH = 65_536
# Bytes of device memory per image in flight: the MNIST CNN's activations and their gradients
# (about 0.9 MB at float32, measured with torch.cuda.max_memory_allocated), with headroom.
BYTES_PER_IMAGE = 1_500_000


def pick_batch_size(device: str, pairs: int, batch_size: int | None = None) -> int:
    """``batch_size`` when given (checked), else on a GPU as many images as half its free
    memory holds (at most 65,536), on a CPU 500; never more than ``pairs``."""
    if batch_size is not None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
        return batch_size
    if str(device).startswith("cuda"):
        free, _ = torch.cuda.mem_get_info(torch.device(device))
        size = max(1, min(MAX_BATCH, free // 2 // BYTES_PER_IMAGE))
    else:
        size = CPU_BATCH
    return int(min(size, max(pairs, 1)))


@contextlib.contextmanager
def precision(kind: str, device: str):
    """Run the block at ``kind`` precision on ``device``."""
    if kind not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {kind!r}")
    old = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = kind == "tf32"
    try:
        if kind == "bf16":
            with torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16):
                yield
        else:
            yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old


def stream_config(cfg: Paper1Config, model: str, sha: str, eps: float, n: int, kind: str) -> dict:
    """The cache key of one ε of the stream: a chunk's key, plus the precision when it is not
    fp32 (so an fp32 stream and a chunk fill the same entry)."""
    key = attack_config(cfg, model, sha, eps, n)
    if kind != "fp32":
        key["precision"] = kind
    return key


def _segments(start: int, stop: int, n: int):
    """The pairs ``[start, stop)`` of the ε-major stream as ``(ε index, first image, last
    image + 1)`` runs, one per ε they touch."""
    out, p = [], start
    while p < stop:
        k, i = divmod(p, n)
        j = min(n, i + (stop - p))
        out.append((k, i, j))
        p += j - i
    return out


@dataclass(frozen=True)
class StreamOptions:
    """How a stream runs: the device (default: the GPU when there is one), images per batch
    (default: from the device's free memory), the precision (fp32, tf32 or bf16; tf32 and bf16
    results get keys of their own) and the memory layout (default: channels-last on a GPU)."""

    device: str | None = None
    batch_size: int | None = None
    precision_kind: str = "fp32"
    channels_last: bool | None = None


def sweep(cfg: Paper1Config, model: str, eps_list, *, n: int | None = None,
          options: StreamOptions = StreamOptions(), progress: bool = True, cache=None,
          store: bool = True) -> dict:
    """Attack the first ``n`` test images (default: the config's) at every ε of ``eps_list``
    in one stream and write each ε's result under its chunk's key. Returns ``{ε: arrays}``.

    Raises:
        ValueError: an empty or out-of-range ε list, a bad batch size or precision.
    """
    eps_list = [float(e) for e in eps_list]
    if not eps_list or not all(0 < e <= 1 for e in eps_list):
        raise ValueError(f"eps_list must hold ε in (0, 1], got {eps_list!r}")
    device = options.device or str(checkpoints.device())
    batch_size, precision_kind = options.batch_size, options.precision_kind
    channels_last = options.channels_last
    n = n or cfg.n_images
    sha = model_sha(model)
    net = checkpoints.load(CHECKPOINTS[model], device=device)
    if channels_last if channels_last is not None else device.startswith("cuda"):
        net = net.to(memory_format=torch.channels_last)
    test = LazyTest(cfg).get(n)
    images, labels = test.images.to(device), test.labels.to(device)
    atk = _attack(cfg, max(eps_list))
    total = len(eps_list) * n
    size = pick_batch_size(device, total, batch_size)
    starts: dict[int, torch.Tensor] = {}
    out = {k: {"pred": np.empty(n, np.int8), "abs": np.empty(n, np.float32),
               "signed": np.empty(n, np.float32), "ws": np.empty(n, np.float32), "left": n}
           for k in range(len(eps_list))}
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=total, desc=f"PGD sweep {model}", unit="img", unit_scale=True)
    t0, results = time.perf_counter(), {}
    with precision(precision_kind, device):
        for b in range(0, total, size):
            segs = _segments(b, min(b + size, total), n)
            for k, _, _ in segs:
                if k not in starts:   # the random start the ε's own chunk draws, all images at once
                    gen = torch.Generator().manual_seed(start_seed(cfg.seed, model, eps_list[k]))
                    starts[k] = _attack(cfg, eps_list[k]).init(test.images, generator=gen)
            start = torch.cat([starts[k][i:j] for k, i, j in segs]).to(device)
            eps = torch.cat([torch.full((j - i,), eps_list[k]) for k, i, j in segs]).to(device)
            x = torch.cat([images[i:j] for _, i, j in segs])
            y = torch.cat([labels[i:j] for _, i, j in segs])
            adv = atk.run(net, x, y, start, eps=eps).float()
            with torch.no_grad():
                pred = net(adv).argmax(1).cpu().numpy().astype(np.int8)
            scores = all_scores(adv, cfg.quantize)
            at = 0
            for k, i, j in segs:
                o = out[k]
                o["pred"][i:j] = pred[at:at + j - i]
                for name in ("abs", "signed", "ws"):
                    o[name][i:j] = scores[name][at:at + j - i]
                at += j - i
                o["left"] -= j - i
                if o["left"] == 0:
                    results[eps_list[k]] = _finish(SweepPoint(cfg, model, sha, eps_list[k], n),
                                                   o, test, (precision_kind, size), cache, store)
                    starts.pop(k, None)
            if bar is not None:
                bar.update(len(x))
    if bar is not None:
        bar.close()
    for r in results.values():
        r["stream_seconds"] = time.perf_counter() - t0
    return results


def _attack(cfg: Paper1Config, eps: float) -> PGD:
    return PGD(eps=eps, steps=cfg.steps, alpha=cfg.alpha, clip_start=cfg.clip_start,
               loss=cfg.loss)


def _finish(point: SweepPoint, o, test, run: tuple, cache, store) -> dict:
    # run: (precision, batch size) of the stream, recorded with the entry
    (cfg, model, sha, eps, n), (kind, size) = (point.cfg, point.model, point.sha, point.eps,
                                               point.n), run
    arrays = {"pred": o["pred"], "success": o["pred"] != test.labels.numpy()[:n],
              **{f"score_{k}": o[k] for k in ("abs", "signed", "ws")}}
    meta = {"attack": repr(_attack(cfg, eps)), "data": test.provenance.to_dict(),
            "stream": {"batch_size": size, "precision": kind}}
    if store:
        (cache or ResultsCache()).put(EXPERIMENT, stream_config(cfg, model, sha, eps, n, kind),
                                      VERSION, arrays, meta)
    return dict(arrays)
