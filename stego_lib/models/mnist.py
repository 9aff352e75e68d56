"""The MNIST CNN of MadryLab/mnist_challenge (``model.py``)."""
from __future__ import annotations

import torch
from torch import nn

from .._checks import check_images


class MadryCNN(nn.Module):
    """conv 5x5x32 (SAME) + ReLU -> maxpool 2 -> conv 5x5x64 (SAME) + ReLU -> maxpool 2
    -> FC 3136->1024 + ReLU -> FC 1024->10.

    Input ``(N, 1, 28, 28)`` in [0, 1], no normalisation (as in the reference);
    output logits ``(N, 10)``.
    """

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(7 * 7 * 64, 1024), nn.ReLU(), nn.Linear(1024, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
            check_images(x, channels=1, size=(28, 28))
        return self.classifier(self.features(x))
