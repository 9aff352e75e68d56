"""Adversarial attacks. Images are ``(N, C, H, W)`` floats in [0, 1]; attacks never load data."""
from .pgd import PGD
