"""Command line of the campaign runner (see :mod:`stego_lib.campaign`)."""
from __future__ import annotations

import argparse
import os
import sys


def _parser() -> argparse.ArgumentParser:
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
            g = s.add_argument_group("engine (Dask; default: local worker processes)")
            g.add_argument("--workers", type=int, default=None,
                           help="one-thread worker processes (default: one per core, or one "
                                "per GPU with --device cuda); with --slurm, per CPU job")
            g.add_argument("--threads", type=int, default=None,
                           help="torch threads per local worker (default: cores / workers)")
            g.add_argument("--scheduler-address", default=None,
                           help="join the running Dask scheduler at this address (tcp://...)")
            g.add_argument("--scheduler-file", default=None,
                           help="join the running Dask scheduler described by this file")
            g.add_argument("--slurm", action="store_true",
                           help="run the workers as Slurm jobs (needs stego_lib[slurm])")
            g.add_argument("--jobs", type=int, default=1, help="Slurm jobs (default 1)")
            g.add_argument("--gpus-per-job", type=int, default=0,
                           help="GPUs per Slurm job, one worker each (default 0: CPU jobs)")
            g.add_argument("--walltime", default="04:00:00", help="Slurm job time limit")
            g.add_argument("--partition", default=None, help="Slurm partition")
            g = s.add_argument_group("the Paper I sweep on GPU workers (one stream per model)")
            g.add_argument("--stream-batch", type=int, default=None,
                           help="images per batch (default: from the GPU's free memory)")
            g.add_argument("--stream-precision", choices=("fp32", "tf32", "bf16"),
                           default=None, help="default fp32; tf32 and bf16 results get keys "
                                              "of their own")
    return p


def main(argv=None, extra=()) -> int:
    """``extra``: more modules with campaign items (the tests' toy campaign)."""
    p = _parser()
    a = p.parse_args(argv)
    if a.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before anything touches CUDA
    import torch

    from .cluster import Engine
    from .core import UnknownItemError
    from .runner import run
    from .status import format_status, status

    engine = None
    if a.command == "run":
        # The workers read them when a stream chunk runs (local workers inherit this
        # environment; workers started elsewhere need the same variables).
        if a.stream_batch is not None:
            if a.stream_batch < 1:
                p.error(f"--stream-batch must be >= 1, got {a.stream_batch}")
            os.environ["STEGO_STREAM_BATCH"] = str(a.stream_batch)
        if a.stream_precision is not None:
            os.environ["STEGO_STREAM_PRECISION"] = a.stream_precision
        try:
            engine = Engine(workers=a.workers, threads=a.threads,
                            scheduler_address=a.scheduler_address,
                            scheduler_file=a.scheduler_file, slurm=a.slurm, jobs=a.jobs,
                            gpus_per_job=a.gpus_per_job, walltime=a.walltime,
                            partition=a.partition)
        except ValueError as err:
            p.error(str(err))
    # On a cluster the GPUs are the workers'; on this machine they must be here.
    remote = engine is not None and (engine.slurm or engine.scheduler_address or
                                     engine.scheduler_file)
    device = a.device or ("cuda" if torch.cuda.is_available() or
                          (remote and engine.gpus_per_job) else "cpu")
    if device == "cuda" and not torch.cuda.is_available() and not remote:
        p.error("--device cuda: no CUDA device is available")
    try:
        if a.command == "status":
            print(format_status(status(a.items, device, extra), device))
            return 0
        out = run(a.items, max_minutes=a.max_minutes, device=device,
                  progress=not a.no_progress, engine=engine, extra=extra)
    except (UnknownItemError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{out['chunks']} chunk(s) computed" + (f"; stopped: {out['stopped']}"
                                                   if out["stopped"] else ""))
    for item, chunk, err in out["failed"]:
        print(f"failed: {item}: {chunk}: {err}", file=sys.stderr)
    return 1 if out["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
