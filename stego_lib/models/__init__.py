"""Model architectures by name: ``build("mnist_cnn")``, ``build("resnet32")``.

Example::

    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> build("resnet20")(torch.rand(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    >>> sorted(ARCHITECTURES)
    ['mnist_cnn', 'resnet20', 'resnet32', 'resnet32_gray']
"""
from __future__ import annotations

from torch import nn

from .._checks import check_choice
from .mnist import MadryCNN
from .resnet import Grayscale, ResNetCIFAR

__all__ = ["ARCHITECTURES", "Grayscale", "MadryCNN", "ResNetCIFAR", "build"]

ARCHITECTURES = {
    "mnist_cnn": lambda **kw: MadryCNN(**kw),
    "resnet32": lambda **kw: ResNetCIFAR(depth=32, **kw),
    "resnet20": lambda **kw: ResNetCIFAR(depth=20, **kw),
    "resnet32_gray": lambda **kw: Grayscale(ResNetCIFAR(depth=32, **kw)),
}


def build(name: str, **kwargs) -> nn.Module:
    """Build an untrained model by architecture name (see ``ARCHITECTURES``)."""
    check_choice(name, tuple(ARCHITECTURES), name="architecture")
    return ARCHITECTURES[name](**kwargs)
