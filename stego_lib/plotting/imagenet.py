"""The paper's Fig 2 layout for ImageNet examples, drawn from ``experiments.imagenet.run``.

Example::

    >>> import numpy as np
    >>> x = np.full((1, 3, 8, 8), 0.5)
    >>> result = {"images": x, "attacks": {"C": {"adv": x + 0.01}},
    ...           "categories": {"clean": ["tabby cat"], "C": ["tiger cat"]}}
    >>> len(example_rows(result).axes)
    3
    >>> len(message("no images in the folder").axes)
    1
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._figure import finish


def _img(a: np.ndarray) -> np.ndarray:
    return np.clip(a.transpose(1, 2, 0), 0, 1)


def example_rows(result: dict, *, attacks=None, gain: float = 5.0):
    """One row per image: the original, then per attack the adversarial image and the
    difference magnified ``gain`` times around mid-grey; titles give the predicted classes."""
    attacks = list(result["attacks"] if attacks is None else attacks)
    n = len(result["images"])
    cols = 1 + 2 * len(attacks)
    fig, axes = plt.subplots(n, cols, figsize=(2.0 * cols, 2.2 * n), squeeze=False)
    cats = result["categories"]
    for i in range(n):
        x = result["images"][i]
        axes[i][0].imshow(_img(x))
        axes[i][0].set_title(f"original\n{cats['clean'][i][:22]}", fontsize=7)
        for k, name in enumerate(attacks):
            adv = result["attacks"][name]["adv"][i]
            axes[i][1 + 2 * k].imshow(_img(adv))
            axes[i][1 + 2 * k].set_title(f"{name}\n{cats[name][i][:22]}", fontsize=7)
            axes[i][2 + 2 * k].imshow(np.clip(0.5 + gain * (adv - x).transpose(1, 2, 0), 0, 1))
            axes[i][2 + 2 * k].set_title(f"{name}: difference x{gain:g}", fontsize=7)
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    fig.tight_layout()
    return finish(fig)


def message(text: str):
    """A small figure that only says ``text`` (for a page whose inputs are missing)."""
    fig, ax = plt.subplots(figsize=(6, 0.8))
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=8, wrap=True)
    return finish(fig)
