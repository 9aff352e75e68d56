import numpy as np
import pytest
import torch

from stego_lib import data


def test_sample_mnist_is_real_mnist():
    s = data.load_sample("mnist")
    assert s.pixels.shape == (1000, 1, 28, 28) and s.pixels.dtype == torch.uint8
    assert s.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # MNIST test order
    assert s.provenance.exact and s.provenance.count == 1000
    assert 0.0 <= float(s.images.min()) and float(s.images.max()) <= 1.0


def test_sample_cifar_is_real_cifar():
    s = data.load_sample("cifar10", limit=10)
    assert s.pixels.shape == (10, 3, 32, 32)
    assert s.labels.tolist() == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]  # CIFAR-10 test order
    assert "exact" in s.provenance.describe()


def test_invalid_root_names_paths_and_remedy(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(data.DataNotFoundError) as err:
        data.load_mnist("test", root=missing, download=False)
    msg = str(err.value)
    assert str(missing / "MNIST" / "raw" / "t10k-images-idx3-ubyte") in msg
    assert "STEGO_DATA" in msg and "download=True" in msg
    with pytest.raises(data.DataNotFoundError) as err:
        data.load_cifar10("train", root=missing, download=False)
    for part in ("cifar-10-batches-py", "cifar10-jpeg-train.npz", "cifar10-jpeg"):
        assert part in str(err.value)


def test_env_var_sets_root(tmp_path, monkeypatch):
    monkeypatch.setenv("STEGO_DATA", str(tmp_path))
    assert data.data_root() == tmp_path
    with pytest.raises(data.DataNotFoundError, match=str(tmp_path)):
        data.load_mnist()


def test_bad_arguments():
    with pytest.raises(ValueError, match="expected one of 'train', 'test'"):
        data.load_mnist("validation")
    with pytest.raises(ValueError, match="expected one of 'mnist', 'cifar10'"):
        data.load_sample("svhn")
    with pytest.raises(ValueError, match="limit"):
        data.load_sample("mnist", limit=0)
    with pytest.raises(ValueError, match="only the test split"):
        data.load("mnist", "train", source="sample")


def test_packed_npz_layout(tmp_path):
    # A two-image packed file made from real sample pixels, encoded here as JPEG.
    from torchvision.io import encode_jpeg

    s = data.load_sample("cifar10", limit=2)
    blobs = [encode_jpeg(p, quality=95).numpy() for p in s.pixels]
    offsets = np.cumsum([0] + [len(b) for b in blobs]).astype(np.int64)
    folder = tmp_path / "cifar10-jpeg-packed"
    folder.mkdir()
    np.savez(folder / "cifar10-jpeg-test.npz", jpeg=np.concatenate(blobs), offsets=offsets,
             labels=s.labels.numpy().astype(np.uint8), classes=np.array(data.CIFAR10_CLASSES))
    got = data.load_cifar10("test", root=tmp_path)
    assert not got.provenance.exact and got.provenance.source == "packed JPEG npz"
    assert got.labels.tolist() == s.labels.tolist()
    err = (got.pixels.float() - s.pixels.float()).abs().mean()
    assert err < 6  # JPEG at quality 95 stays close to the originals


def test_imagefolder_layout(tmp_path):
    from torchvision.io import write_jpeg

    s = data.load_sample("cifar10", limit=3)
    for i, (p, y) in enumerate(zip(s.pixels, s.labels)):
        folder = tmp_path / "cifar10-jpeg" / "test" / data.CIFAR10_CLASSES[int(y)]
        folder.mkdir(parents=True, exist_ok=True)
        write_jpeg(p, str(folder / f"{i:05d}.jpg"), quality=95)
    got = data.load_cifar10("test", root=tmp_path)
    assert got.provenance.source == "JPEG ImageFolder"
    assert got.labels.tolist() == s.labels.tolist()  # original order restored from file names


def test_full_mnist_from_root(data_root):
    test = data.load_mnist("test", root=data_root)
    assert len(test) == 10000 and test.provenance.exact
    sample = data.load_sample("mnist")
    assert torch.equal(test.pixels[:1000], sample.pixels)
