"""Figure and table for the data-overview page.

Example::

    >>> import numpy as np
    >>> err = {"arrays": {"psnr": np.array([41.0, 43.0]), "linf": np.array([9.0, 12.0])}}
    >>> jpeg_table({("cifar10-jpeg-error", "test"): err}).rows
    [['test', 2, '42.00', '41.00', '10', '12']]
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..data import plain_source
from ._figure import finish
from .table import Table


def summary_table(results: dict) -> Table:
    rows = []
    for (name, split), val in results.items():
        prov = val["provenance"]
        if prov is None:
            continue
        a = val["arrays"]
        counts = a["class_counts"]
        rows.append([prov["dataset"], split, int(a["count"]), "exact" if prov["exact"] else "JPEG",
                     plain_source(prov["source"]), f"{float(a['mean_pixel']):.4f}",
                     f"{counts.min()}-{counts.max()}"])
    return Table(["data set", "split", "images", "pixels", "read from", "mean pixel",
                  "images per class (min-max)"], rows)


def jpeg_table(results: dict) -> Table:
    rows = []
    for (name, split), val in results.items():
        if name != "cifar10-jpeg-error":
            continue
        psnr, linf = val["arrays"]["psnr"], val["arrays"]["linf"]
        rows.append([split, len(psnr), f"{np.median(psnr):.2f}", f"{psnr.min():.2f}",
                     f"{np.median(linf):.0f}", f"{linf.max():.0f}"])
    return Table(["split", "images with exact pixels", "median PSNR (dB)", "min PSNR (dB)",
                  "median L-inf error (/255)", "max L-inf error (/255)"], rows)


def examples_figure(results: dict):
    """One row of example images per (data set, split)."""
    keys = [k for k, v in results.items() if v["provenance"] is not None]
    fig, axes = plt.subplots(len(keys), 8, figsize=(8, 1.15 * len(keys)), squeeze=False)
    for row, key in zip(axes, keys):
        ex = results[key]["arrays"]["examples"]
        for ax, img in zip(row, ex):
            img = img.transpose(1, 2, 0)
            ax.imshow(img.squeeze(-1) if img.shape[-1] == 1 else img, cmap="gray", vmin=0, vmax=255)
            ax.set_xticks([]), ax.set_yticks([])
        row[0].set_ylabel(f"{key[0]}\n{key[1]}", rotation=0, ha="right", va="center", fontsize=8)
    fig.tight_layout()
    return finish(fig)
