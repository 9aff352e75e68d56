"""One model's whole Paper I sweep (50 ε × 10,000 images) as one stream, written to a scratch
results folder and compared point by point with the committed sweep, which it never
overwrites. Prints, per ε, the agreement of predictions and flags and Table II's value both
ways; writes a JSON summary. Made for a GPU (where it takes seconds to minutes); on a CPU pass
``--eps`` and ``--n`` to keep it small.

    python benchmarks/gpu_sweep_check.py --model natural --scratch /tmp/sweep \\
        --json results/benchmarks/gpu_sweep_check.json [--precision tf32]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from stego_lib.cache import ResultsCache
from stego_lib.experiments.paper1 import make_config, stream
from stego_lib.experiments.paper1.compute import attack_config, model_sha
from stego_lib.experiments.paper1.config import EXPERIMENT, VERSION
from stego_lib.verify import Spec, compare
from stego_lib.verify.paper1 import paper1_threshold


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="natural", choices=("natural", "adversarial", "madry"))
    p.add_argument("--scratch", type=Path, required=True, help="results folder for the stream")
    p.add_argument("--eps", default=None, help="comma-separated ε (default: all 50)")
    p.add_argument("--n", type=int, default=None, help="images per ε (default 10,000)")
    p.add_argument("--precision", default="fp32", choices=stream.PRECISIONS)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--json", type=Path, default=None)
    a = p.parse_args(argv)
    cfg = make_config("paper")
    eps = [float(e) for e in a.eps.split(",")] if a.eps else list(cfg.eps)
    n = a.n or cfg.n_images
    scratch, committed = ResultsCache(a.scratch), ResultsCache()
    if scratch.root.resolve() == committed.root.resolve():
        p.error("--scratch must not be the committed results folder")
    t0 = time.perf_counter()
    got = stream.sweep(cfg, a.model, eps, n=n, cache=scratch,
                       options=stream.StreamOptions(batch_size=a.batch_size,
                                                    precision_kind=a.precision))
    seconds = time.perf_counter() - t0
    thr = paper1_threshold()
    spec = Spec(preds=("pred",), scores=("score_abs",), flags={"score_abs": thr},
                value=lambda arr: 100 * float(np.mean(np.asarray(arr["score_abs"]) > thr)))
    rows, sha = [], model_sha(a.model)
    for e in eps:
        ref = committed.get(EXPERIMENT, attack_config(cfg, a.model, sha, e, cfg.n_images),
                            VERSION)
        if ref is None:
            rows.append({"eps": e, "committed": False})
            continue
        stored = {k: ref.arrays[k][:n] for k in ("pred", "score_abs")}
        c = compare(spec, {k: got[e][k] for k in stored}, stored, "pgd")
        rows.append({"eps": e, "committed": True, "device": ref.meta.get("device"),
                     "pred_agree": c.pred_agree, "flag_agree": c.flag_agree,
                     "table2_stream": c.value_fresh, "table2_committed": c.value_stored,
                     "ok": c.ok, "failures": c.failures})
    print(f"{a.model}: {len(eps)} ε × {n:,} images in {seconds:.1f} s "
          f"({len(eps) * n / seconds:,.0f} images/s, {a.precision})")
    print(f"{'ε':>5} {'pred agree':>11} {'flag agree':>11} {'Table II here / committed':>27}")
    for r in rows:
        if not r["committed"]:
            print(f"{r['eps']:>5.2f} {'not committed':>11}")
            continue
        print(f"{r['eps']:>5.2f} {r['pred_agree']:>11.4f} {r['flag_agree']:>11.4f} "
              f"{r['table2_stream']:>12.2f} / {r['table2_committed']:<12.2f}"
              + ("" if r["ok"] else "  OUTSIDE: " + "; ".join(r["failures"])))
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps({"model": a.model, "n": n, "precision": a.precision,
                                      "seconds": seconds, "rows": rows}, indent=2) + "\n")
    return 0 if all(r.get("ok", True) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
