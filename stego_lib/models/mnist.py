"""The MNIST CNN of MadryLab/mnist_challenge (``model.py``).

Example::

    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> MadryCNN()(torch.rand(2, 1, 28, 28)).shape
    torch.Size([2, 10])
"""
from __future__ import annotations

import torch
from torch import nn

from .._checks import check_choice, check_images

INITS = ("mnist_challenge", "pytorch")


class MadryCNN(nn.Module):
    """conv 5x5x32 (SAME) + ReLU -> maxpool 2 -> conv 5x5x64 (SAME) + ReLU -> maxpool 2
    -> FC 3136->1024 + ReLU -> FC 1024->10.

    Input ``(N, 1, 28, 28)`` in [0, 1], no normalisation (as in the reference);
    output logits ``(N, 10)``.

    ``init="mnist_challenge"`` (default) draws every weight as the reference does (the
    TensorFlow tutorial's ``tf.truncated_normal(stddev=0.1)``: normal, std 0.1, redrawn beyond
    two standard deviations) and sets every bias to 0.1; ``init="pytorch"`` keeps PyTorch's
    default (Kaiming-uniform) layers. The choice matters for Paper I: a network trained from
    PyTorch's initialisation is far harder to attack with PGD at small ε (see the Paper I
    page). Seed with ``torch.manual_seed`` before building.
    """

    def __init__(self, num_classes: int = 10, init: str = "mnist_challenge"):
        super().__init__()
        check_choice(init, INITS, name="init")
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(7 * 7 * 64, 1024), nn.ReLU(), nn.Linear(1024, num_classes),
        )
        if init == "mnist_challenge":
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.trunc_normal_(m.weight, std=0.1, a=-0.2, b=0.2)
                    nn.init.constant_(m.bias, 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
            check_images(x, channels=1, size=(28, 28))
        return self.classifier(self.features(x))
