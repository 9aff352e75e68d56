import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(min(2, os.cpu_count() or 1))


def shared_data_root() -> Path | None:
    """The data root given by STEGO_DATA, when it really holds MNIST."""
    root = os.environ.get("STEGO_DATA")
    if root and (Path(root) / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists():
        return Path(root)
    return None


@pytest.fixture
def data_root():
    root = shared_data_root()
    if root is None:
        pytest.skip("STEGO_DATA does not point at a data root holding MNIST")
    return root


@pytest.fixture(scope="module")
def one_thread():
    """Tiny tensors: one thread avoids oversubscription on small shared CPUs."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
