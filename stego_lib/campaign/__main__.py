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
    a = p.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
