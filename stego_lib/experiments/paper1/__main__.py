"""``python -m stego_lib.experiments.paper1 --profile quick``: fill the cache of one profile.

Paper-scale results (and the two models) are computed by the campaign runner instead:
``python -m stego_lib.campaign run --items paper1``.
"""
from __future__ import annotations

import argparse

from .compute import run
from .config import make_config
from .summaries import headlines


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m stego_lib.experiments.paper1",
                                description="Paper I: fill the results cache of one profile.")
    p.add_argument("--profile", default="quick", choices=("smoke", "quick", "paper"))
    p.add_argument("--models", default=None, help="comma-separated: natural,adversarial")
    p.add_argument("--eps", default=None, help="comma-separated ε values (default: the profile's)")
    p.add_argument("--attack-batch", type=int, default=None, help="PGD batch size")
    a = p.parse_args(argv)
    overrides = {"models": a.models, "batch_size": a.attack_batch}
    if a.eps:
        overrides["eps"] = [float(e) for e in a.eps.split(",")]
    res = run(make_config(a.profile, **overrides))
    for m, h in headlines(res).items():
        print(m, {k: v for k, v in h.items() if k != "paper"})


if __name__ == "__main__":
    main()
