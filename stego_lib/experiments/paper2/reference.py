"""The authors' ReColorAdv against ours on our Table 1 models: the stored runs of
``benchmarks/bench_recoloradv.py --model NAME --json results/benchmarks/recoloradv_<row>.json``.

Each run attacks the same images of one model with the reference package (``recoloradv``
0.0.1) and with ``stego_lib``, so a gap between our Table 1 cell and the paper's can be split
into what the attack does and what the model does.

Example::

    >>> import json
    >>> import tempfile
    >>> from pathlib import Path
    >>> root = Path(tempfile.mkdtemp())
    >>> run = {"model": "cifar_resnet32_natural (resnet32)", "images": 100, "iterations": 100,
    ...        "rows": [{"attack": "C", "accuracy_reference": 3.0, "accuracy_ours": 5.0}]}
    >>> _ = (root / "recoloradv_natural.json").write_text(json.dumps(run))
    >>> [(r["row"], r["reference"], r["ours"]) for r in reference_runs("C", root=root)]
    [('natural', 3.0, 5.0)]
"""
from __future__ import annotations

import json
from pathlib import Path

from ...cache import results_dir
from .config import CHECKPOINTS, LABELS

__all__ = ["reference_runs"]


def reference_runs(attack: str = "C", root: Path | None = None) -> list[dict]:
    """The stored comparisons for ``attack``, in Table 1's row order: ``row``, ``label``,
    ``images``, ``reference`` and ``ours`` (accuracy under attack, %), ``iterations``.

    Files whose model is not a Table 1 checkpoint, or that lack ``attack``, are skipped; a file
    that is not valid JSON raises ``ValueError`` naming it."""
    folder = Path(root) if root is not None else results_dir() / "benchmarks"
    by_name = {name: row for row, name in CHECKPOINTS.items()}
    found = {}
    for path in sorted(folder.glob("recoloradv_*.json")):
        try:
            run = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"{path.name} is not valid JSON: {e}") from None
        # "model" reads "<checkpoint name> (<arch>; <metrics>)".
        row = by_name.get(str(run.get("model", "")).split(" ", 1)[0])
        hit = next((r for r in run.get("rows", []) if r.get("attack") == attack), None)
        if row is None or hit is None:
            continue
        found[row] = {"row": row, "label": LABELS[row], "images": int(run["images"]),
                      "iterations": int(run["iterations"]),
                      "reference": float(hit["accuracy_reference"]),
                      "ours": float(hit["accuracy_ours"])}
    return [found[r] for r in CHECKPOINTS if r in found]
