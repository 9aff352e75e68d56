"""ResNet-32 for CIFAR-10 (He et al. 2016, option A shortcuts), after akamaster's
``pytorch_resnet_cifar10`` as used by the ReColorAdv reference code.

As in the reference, the input normaliser sits inside the model, so every attack
works on [0, 1] images. The reference normalises with the ImageNet mean and std.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Normalize(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class _Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.pad = cout - cin if (stride != 1 or cin != cout) else 0

    def shortcut(self, x):
        if not self.pad:
            return x
        # Option A: subsample and zero-pad channels, no parameters.
        x = x[:, :, ::2, ::2]
        return F.pad(x, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetCIFAR(nn.Module):
    """ResNet-(6n+2) for 32x32 inputs in [0, 1]; ``depth=32`` gives ResNet-32 (0.46 M params)."""

    def __init__(self, depth: int = 32, num_classes: int = 10, mean=IMAGENET_MEAN, std=IMAGENET_STD):
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"depth must be 6n+2 (20, 32, 44, 56, 110), got {depth}")
        n = (depth - 2) // 6
        self.normalize = Normalize(mean, std)
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                layers.append(_Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(self.normalize(x))))
        x = self.layers(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


# Luma weights of the grayscale conversions a B&W model may have been trained with.
GRAY_WEIGHTS = {
    "bt601": (0.299, 0.587, 0.114),     # ITU-R BT.601: PIL's convert("L"), torchvision
    "bt709": (0.2126, 0.7152, 0.0722),  # ITU-R BT.709 (HDTV)
    "mean": (1 / 3, 1 / 3, 1 / 3),      # the plain channel mean
}


class Grayscale(nn.Module):
    """Converts RGB input to luma replicated on 3 channels, then runs ``model``: the 'B&W'
    defence of Laidlaw & Feizi's Table 1 (the paper does not name its conversion).

    The default luma is ITU-R BT.601's, ``Y' = 0.299 R' + 0.587 G' + 0.114 B'``, taken on the
    gamma-encoded [0, 1] values as stored (no linearisation), as PIL's ``convert("L")`` and
    torchvision's ``rgb_to_grayscale`` do; ``conversion`` picks another weighting from
    ``GRAY_WEIGHTS``. Input ``(N, 3, H, W)`` in [0, 1]; ``model`` sees ``(N, 3, H, W)`` with
    three equal channels, so a colour network's weights fit unchanged.

    Example:
        >>> gray = Grayscale(nn.Identity())
        >>> red = torch.zeros(1, 3, 1, 1); red[0, 0] = 1.0
        >>> gray(red).flatten().tolist()
        [0.29899999499320984, 0.29899999499320984, 0.29899999499320984]
        >>> round(Grayscale(nn.Identity(), conversion="mean")(red).flatten()[0].item(), 6)
        0.333333
    """

    def __init__(self, model: nn.Module, conversion: str = "bt601"):
        super().__init__()
        if conversion not in GRAY_WEIGHTS:
            raise ValueError(f"conversion must be one of {sorted(GRAY_WEIGHTS)}, "
                             f"got {conversion!r}")
        self.model, self.conversion = model, conversion
        self.register_buffer("weights", torch.tensor(GRAY_WEIGHTS[conversion]).view(1, 3, 1, 1))

    def forward(self, x):
        luma = (x * self.weights).sum(1, keepdim=True)
        return self.model(luma.expand(-1, 3, -1, -1))
