"""``python -m stego_lib.verify``: re-execute a sample of the committed results here."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .._io import atomic_write_json
from .run import UnknownResultError, verify


def _minutes(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of minutes, got {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return v


def _seed(text: str) -> int:
    # A commit hash seeds as well as a number: CI passes the commit, so successive runs
    # re-execute different results.
    try:
        return int(text) if text.isdigit() else int(text, 16)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer or a hex commit, got {text!r}") \
            from None


def _fmt(v, spec):
    return "–" if v is None else format(v, spec)


def table(report: dict) -> str:
    """The report as a plain-text table, one line per re-executed result."""
    head = (f"{'experiment':<22} {'key':<16} {'images':>11} {'kind':<10} {'pred':>6} "
            f"{'flag':>6} {'|Δscore|':>9} {'value here / stored':>20}  verdict")
    lines = [head, "-" * len(head)]
    for r in report["results"]:
        value = ("–" if r.get("value_fresh") is None
                 else f"{r['value_fresh']:.4g} / {r['value_stored']:.4g}")
        lines.append(f"{r['experiment']:<22} {r['key']:<16} {r['start']:>5}-{r['stop']:<5} "
                     f"{r.get('kind', '?'):<10} {_fmt(r.get('pred_agree'), '.3f'):>6} "
                     f"{_fmt(r.get('flag_agree'), '.3f'):>6} "
                     f"{_fmt(r.get('score_diff'), '.3g'):>9} {value:>20}  "
                     f"{'ok' if r['ok'] else 'FAILED: ' + '; '.join(r['failures'])}")
    m = report["machine"]
    lines.append(f"{len(report['results'])} results re-executed in {report['seconds']:.0f} s on "
                 f"{m['cpu_model']} ({m['cpu_capability']}), torch {m['torch']}; experiments "
                 f"reached: {len(report['reached'])} of {len(report['experiments'])}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m stego_lib.verify", description=__doc__)
    p.add_argument("--minutes", type=_minutes, default=5.0, help="time budget (default 5)")
    p.add_argument("--seed", type=_seed, default=0,
                   help="picks the results and their slices (an integer or a hex commit)")
    p.add_argument("--chunk", metavar="EXPERIMENT/KEY", help="re-execute this one result")
    p.add_argument("--report", type=Path, default=Path("verify-report.json"),
                   help="where the JSON report goes (default verify-report.json)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    try:
        report = verify(args.seed, args.minutes, only=args.chunk,
                        progress=not args.no_progress)
    except UnknownResultError as err:
        p.exit(2, f"{p.prog}: error: {err}\n")
    print(table(report))
    atomic_write_json(args.report, report)
    print(f"report: {args.report}")
    failed = [f"{r['experiment']}/{r['key']}" for r in report["results"] if not r["ok"]]
    if failed:
        print(f"outside tolerance: {', '.join(failed)}", file=sys.stderr)
    # the closing line counts re-executed results as a test runner counts tests
    print(f"verify: {len(report['results']) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
