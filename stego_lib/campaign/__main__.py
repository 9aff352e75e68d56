"""Command line of the campaign runner (see :mod:`stego_lib.campaign`)."""
from __future__ import annotations

import argparse
import os
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m stego_lib.campaign",
                                description="The resumable queue of paper-scale computations.")
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("status", "run"):
        s = sub.add_parser(name)
        s.add_argument("--items", default=None,
                       help="comma-separated items or groups (default: all)")
        s.add_argument("--device", choices=("cpu", "cuda"), default=None,
                       help="default: cuda when available, else cpu")
        if name == "run":
            s.add_argument("--max-minutes", type=float, default=None,
                           help="start no new chunk after this many minutes")
            s.add_argument("--no-progress", action="store_true")
            s.add_argument("--workers", type=int, default=1,
                           help="parallel runs sharing the queue, one item each at a time "
                                "(default 1)")
            s.add_argument("--threads", type=int, default=None,
                           help="threads per worker when --workers > 1 (default: cores / workers)")
    a = p.parse_args(argv)
    if a.command == "run" and a.workers != 1:
        if a.workers < 1:
            p.error(f"--workers must be at least 1, got {a.workers}")
        return _spawn(a, p)
    if a.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before anything touches CUDA
    import torch

    from .core import UnknownItemError
    from .runner import format_status, run, status

    device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: no CUDA device is available")
    try:
        if a.command == "status":
            print(format_status(status(a.items, device), device))
            return 0
        out = run(a.items, max_minutes=a.max_minutes, device=device,
                  progress=not a.no_progress)
    except UnknownItemError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{out['chunks']} chunk(s) computed" + (f"; stopped: {out['stopped']}"
                                                   if out["stopped"] else ""))
    return 0


def _spawn(a, p) -> int:
    """Run ``a.workers`` single-worker runs side by side and wait for them. Small models use
    two cores poorly (PGD on the MNIST CNN runs about as fast on one thread as on two), so
    two one-thread workers on two items nearly double the throughput."""
    import signal
    import subprocess

    if a.threads is not None and a.threads < 1:
        p.error(f"--threads must be at least 1, got {a.threads}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = a.threads or max(1, (cores or 1) // a.workers)
    cmd = [sys.executable, "-m", "stego_lib.campaign", "run", "--no-progress"]
    for flag, value in (("--items", a.items), ("--device", a.device),
                        ("--max-minutes", a.max_minutes)):
        if value is not None:
            cmd += [flag, str(value)]
    procs = []
    for k in range(1, a.workers + 1):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
                   STEGO_CAMPAIGN_WORKER=str(k))
        procs.append(subprocess.Popen(cmd, env=env))

    def forward(signum, frame):  # each worker then stops after its current chunk
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signum)
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, forward)
    codes = [proc.wait() for proc in procs]
    print(f"{a.workers} workers finished with exit codes {codes}")
    return next((c for c in codes if c), 0)


if __name__ == "__main__":
    sys.exit(main())
