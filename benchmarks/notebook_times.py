"""Wall time of one papermill run of every book notebook at profiles smoke and paper (paper
reads the committed results cache; it computes nothing heavy). Writes
results/benchmarks/notebook_times.json, which the book's "Reproducing" chapter shows.

    python benchmarks/notebook_times.py [--profiles smoke,paper]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from stego_lib import provenance
from stego_lib._io import atomic_write_json

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent



def main():
    p = argparse.ArgumentParser()
    p.add_argument("--profiles", default="smoke,paper")
    a = p.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for nb in sorted((REPO / "notebooks").glob("*.md")):
            ipynb = Path(tmp) / f"{nb.stem}.ipynb"
            subprocess.run([BIN / "jupytext", "--quiet", "--to", "ipynb", "-o", ipynb, nb],
                           check=True)
            row = {"notebook": nb.stem}
            for profile in a.profiles.split(","):
                t = time.perf_counter()
                subprocess.run([BIN / "papermill", "--log-level", "ERROR", ipynb,
                                Path(tmp) / "out.ipynb", "-p", "profile", profile],
                               check=True, cwd=REPO, capture_output=True)
                row[profile] = round(time.perf_counter() - t, 1)
            rows.append(row)
            print(row, flush=True)
    out = {"rows": rows, "cpu": provenance.machine()["cpu_model"], "cores": os.cpu_count(),
           "threads": torch.get_num_threads(), "torch": torch.__version__,
           "load_average_after": os.getloadavg()[0],
           "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    atomic_write_json(REPO / "results" / "benchmarks" / "notebook_times.json", out)


if __name__ == "__main__":
    main()
