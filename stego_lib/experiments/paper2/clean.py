"""Clean accuracy of the Table 1 models, and what the JPEG copy of CIFAR-10 costs.

The models are trained on JPEG re-encoded images, and the full test set exists only as JPEG.
846 test images also exist with their original pixels, so the cost of JPEG is measurable on
the same images: classify both versions of each.

Example::

    >>> rows = model_rows()
    >>> sorted(rows[0]) if rows else []
    ['checkpoint', 'exact_846', 'jpeg_10000', 'label', 'paper', 'row']
"""
from __future__ import annotations

import torch

from ... import checkpoints, data
from ...papers import paper2_accuracy
from .config import CHECKPOINTS, LABELS

__all__ = ["jpeg_cost", "model_rows"]


def model_rows() -> list[dict]:
    """One dict per committed Table 1 model: ``row``, ``label``, ``checkpoint``, the clean
    accuracies (%) measured when it was saved (``jpeg_10000``, ``exact_846``) and the paper's
    clean accuracy (``paper``)."""
    out = []
    for row, name in CHECKPOINTS.items():
        try:
            m = checkpoints.entry(name)["metrics"]
        except checkpoints.CheckpointNotFoundError:
            continue
        out.append({"row": row, "label": LABELS[row], "checkpoint": name,
                    "jpeg_10000": 100 * m["clean_accuracy_test_jpeg_10000"],
                    "exact_846": 100 * m["clean_accuracy_test_exact_846"],
                    "paper": paper2_accuracy(LABELS[row], "None")})
    return out


def jpeg_cost(checkpoint: str, n: int = 846, batch_size: int = 256) -> dict:
    """Accuracy (%) of ``checkpoint`` on the first ``n`` test images with their exact pixels
    and as JPEG, and how many images only one of the two versions classifies correctly.

    Raises:
        ValueError: ``n`` outside [1, 846].
        stego_lib.data.DataNotFoundError: the JPEG test set is not under the data root.
    """
    if not isinstance(n, int) or not 1 <= n <= 846:
        raise ValueError(f"n must be an int in [1, 846] (the exact-pixel test images), got {n!r}")
    exact = data.load_sample("cifar10", limit=n)
    jpeg = data.load_cifar10("test", limit=n)
    if not torch.equal(exact.labels, jpeg.labels):
        raise ValueError("the exact-pixel sample and the JPEG test set disagree on labels")
    model = checkpoints.load(checkpoint, device="cpu")

    def correct(split):
        with torch.no_grad():
            pred = torch.cat([model(split.images[i:i + batch_size]).argmax(1)
                              for i in range(0, n, batch_size)])
        return pred == split.labels
    ok_exact, ok_jpeg = correct(exact), correct(jpeg)
    return {"n": n, "exact": 100 * ok_exact.float().mean().item(),
            "jpeg": 100 * ok_jpeg.float().mean().item(),
            "only_exact": int((ok_exact & ~ok_jpeg).sum()),
            "only_jpeg": int((ok_jpeg & ~ok_exact).sum()),
            "mean_abs_pixel_diff": 255 * (exact.images - jpeg.images).abs().mean().item()}
