"""MNIST and CIFAR-10 with provenance.

Every loader returns a :class:`Split`: uint8 pixels, int64 labels and a
:class:`Provenance` that says where the pixels came from (exact originals, or
CIFAR-10 re-encoded as JPEG). Nothing here ever invents data: when no copy is
found, :class:`DataNotFoundError` names every path searched.

The data root is, in order: the ``root`` argument, the ``STEGO_DATA``
environment variable, ``./data``. Layouts recognised under it:

- MNIST: torchvision's ``MNIST/raw/*-ubyte`` (exact).
- CIFAR-10, first match wins:
  1. torchvision's ``cifar-10-batches-py/`` (exact);
  2. ``cifar10-jpeg-packed/cifar10-jpeg-{train,test}.npz`` (JPEG bytes, original order);
  3. ``cifar10-jpeg/{train,test}/<class>/<index>.jpg`` (ImageFolder, JPEG).
- ``cifar10-exact-subset.npz``: the exact-pixel subset (846 test, 4,660 train images),
  loaded with ``load_cifar10(..., exact_subset=True)``.

Downloads happen only when asked for (``download=True`` or ``STEGO_DOWNLOAD=1``),
through torchvision.

Example::

    >>> split = load_sample("cifar10", limit=2)
    >>> split.pixels.shape, split.pixels.dtype, split.labels.tolist()
    (torch.Size([2, 3, 32, 32]), torch.uint8, [3, 8])
    >>> split.provenance.exact, split.provenance.source
    (True, 'package sample: CIFAR-10 test images 0-845, exact pixels')
"""
from __future__ import annotations

import os
import warnings
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from ._checks import check_choice

__all__ = [
    "CIFAR10_CLASSES", "DataNotFoundError", "Provenance", "Split",
    "data_root", "load", "load_cifar10", "load_mnist", "load_sample", "plain_source",
]

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
DATASETS = ("mnist", "cifar10")
SPLITS = ("train", "test")


# The layout names the loaders record, in results as well, and the words the book uses for
# them; the recorded names stay as they are, so that stored results keep matching.
PLAIN_SOURCES = {
    "exact-pixel subset npz": "the subset with known original pixels",
    "package sample: CIFAR-10 test images 0-845, exact pixels":
        "sample of CIFAR-10 test images 0-845, with their original pixels, that ships with "
        "stego_lib",
    "package sample: first 1,000 MNIST test images":
        "sample of the first 1,000 MNIST test images that ships with stego_lib",
    "packed JPEG npz": "JPEG copy, one packed file per split",
    "JPEG ImageFolder": "JPEG copy, one file per image",
}


def plain_source(text: str) -> str:
    """``text`` (a provenance source or description, stored or fresh) with every layout name
    of :data:`PLAIN_SOURCES` in the book's words.

    Example:
        >>> plain_source("CIFAR-10 test, 846 images, exact pixels (exact-pixel subset npz)")
        'CIFAR-10 test, 846 images, exact pixels (the subset with known original pixels)'
    """
    for name, words in PLAIN_SOURCES.items():
        text = text.replace(name, words)
    return text


class DataNotFoundError(FileNotFoundError):
    """No copy of the requested data set was found (and no download was asked for)."""


@dataclass(frozen=True)
class Provenance:
    """Where a split's pixels came from."""

    dataset: str   # "mnist" | "cifar10"
    split: str     # "train" | "test"
    count: int     # images in this Split (after any limit)
    source: str    # layout it was read from, e.g. "torchvision MNIST/raw"
    exact: bool    # True: original pixels; False: JPEG re-encoded
    location: str  # file or folder it was read from (relative to the data root when possible)

    def describe(self) -> str:
        kind = "exact pixels" if self.exact else "JPEG re-encoded pixels"
        return (f"{self.dataset.upper() if self.dataset == 'mnist' else 'CIFAR-10'} {self.split}, "
                f"{self.count:,} images, {kind} ({self.source})")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Split:
    """A loaded data split: ``pixels`` uint8 ``(N, C, H, W)``, ``labels`` int64 ``(N,)``."""

    pixels: torch.Tensor
    labels: torch.Tensor
    provenance: Provenance

    @property
    def images(self) -> torch.Tensor:
        """Float32 images in [0, 1], shape ``(N, C, H, W)``."""
        return self.pixels.float().div_(255.0)

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The data root: ``root``, else ``$STEGO_DATA``, else ``./data``."""
    if root is None:
        root = os.environ.get("STEGO_DATA") or "data"
    return Path(root).expanduser()


def _want_download(download: bool | None) -> bool:
    if download is None:
        return os.environ.get("STEGO_DOWNLOAD", "0") == "1"
    return bool(download)


def _limit(n: int, limit: int | None) -> int:
    if limit is None:
        return n
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        raise ValueError(f"limit must be a positive int or None, got {limit!r}")
    return min(n, limit)


def _not_found(dataset: str, split: str, searched: list[Path]) -> DataNotFoundError:
    paths = "; ".join(str(p) for p in searched)
    return DataNotFoundError(
        f"{dataset} {split} split not found. Searched: {paths}. "
        f"Point STEGO_DATA (or the root argument) at a folder holding the data, "
        f"or pass download=True (or set STEGO_DOWNLOAD=1) on a machine with internet access. "
        f"For offline smoke runs use stego_lib.data.load_sample('{dataset}').")


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return path.name


def load_mnist(split: str = "test", *, root=None, limit: int | None = None,
               download: bool | None = None) -> Split:
    """Load MNIST through ``torchvision.datasets.MNIST``.

    Args:
        split: ``"train"`` (60,000 images) or ``"test"`` (10,000).
        root: data root (see module docstring).
        limit: keep only the first ``limit`` images.
        download: let torchvision download when no local copy exists.

    Returns:
        A :class:`Split` with pixels ``(N, 1, 28, 28)``.

    Raises:
        DataNotFoundError: no local copy and no download asked for (or it failed).
    """
    check_choice(split, SPLITS, name="split")
    base = data_root(root)
    raw = base / "MNIST" / "raw"
    stem = "train" if split == "train" else "t10k"
    needed = [raw / f"{stem}-images-idx3-ubyte", raw / f"{stem}-labels-idx1-ubyte"]
    have = all(p.exists() for p in needed)
    if not have and not _want_download(download):
        raise _not_found("mnist", split, needed)
    from torchvision.datasets import MNIST  # import late: torchvision is heavy

    try:
        ds = MNIST(root=str(base), train=(split == "train"), download=not have)
    except (RuntimeError, OSError) as err:
        raise _not_found("mnist", split, needed) from err
    n = _limit(len(ds.targets), limit)
    pixels = ds.data[:n].unsqueeze(1).contiguous()
    labels = ds.targets[:n].to(torch.int64)
    prov = Provenance("mnist", split, n, "torchvision MNIST/raw", True, _rel(raw, base))
    return Split(pixels, labels, prov)


def _decode_jpegs(blobs: list[np.ndarray]) -> torch.Tensor:
    from torchvision.io import ImageReadMode, decode_jpeg

    tensors = [torch.from_numpy(np.ascontiguousarray(b)) for b in blobs]
    with warnings.catch_warnings():
        # torchvision 0.29 deprecates its JPEG codec in favour of torchcodec; it still
        # decodes, and it is the one available on every torchvision >= 0.26.
        warnings.simplefilter("ignore", DeprecationWarning)
        images = decode_jpeg(tensors, mode=ImageReadMode.RGB)  # list of (3, 32, 32) uint8
    return torch.stack(images)


def _cifar_torchvision(base: Path, split: str, n_limit, download: bool) -> Split | None:
    folder = base / "cifar-10-batches-py"
    if not folder.is_dir() and not download:
        return None
    from torchvision.datasets import CIFAR10

    ds = CIFAR10(root=str(base), train=(split == "train"), download=download and not folder.is_dir())
    n = _limit(len(ds.targets), n_limit)
    pixels = torch.from_numpy(ds.data[:n]).permute(0, 3, 1, 2).contiguous()
    labels = torch.tensor(ds.targets[:n], dtype=torch.int64)
    return Split(pixels, labels, Provenance("cifar10", split, n, "torchvision cifar-10-batches-py",
                                            True, _rel(folder, base)))


def _cifar_packed(path: Path, base: Path, split: str, n_limit) -> Split:
    with np.load(path, allow_pickle=False) as z:
        offsets = z["offsets"].astype(np.int64)
        labels_all = z["labels"].astype(np.int64)
        classes = tuple(str(c) for c in z["classes"])
        if classes != CIFAR10_CLASSES:
            raise ValueError(f"{path}: unexpected class list {classes}")
        n = _limit(len(labels_all), n_limit)
        jpeg = z["jpeg"][: offsets[n]]
    blobs = [jpeg[offsets[i]:offsets[i + 1]] for i in range(n)]
    pixels = _decode_jpegs(blobs)
    return Split(pixels, torch.from_numpy(labels_all[:n].copy()),
                 Provenance("cifar10", split, n, "packed JPEG npz", False, _rel(path, base)))


def _cifar_imagefolder(folder: Path, base: Path, split: str, n_limit) -> Split:
    entries = []
    for label, name in enumerate(CIFAR10_CLASSES):
        for f in (folder / name).glob("*.jpg"):
            entries.append((int(f.stem), label, f))
    if not entries:
        raise DataNotFoundError(f"{folder} holds no <class>/<index>.jpg files")
    entries.sort()  # original data-set order, as the file names give it
    n = _limit(len(entries), n_limit)
    blobs = [np.fromfile(f, dtype=np.uint8) for _, _, f in entries[:n]]
    labels = torch.tensor([lab for _, lab, _ in entries[:n]], dtype=torch.int64)
    return Split(_decode_jpegs(blobs), labels,
                 Provenance("cifar10", split, n, "JPEG ImageFolder", False, _rel(folder, base)))


def _cifar_exact_subset(path: Path, base: Path, split: str, n_limit) -> Split:
    with np.load(path, allow_pickle=False) as z:
        images = z[f"{split}_images"]
        labels = z[f"{split}_labels"].astype(np.int64)
    n = _limit(len(labels), n_limit)
    pixels = torch.from_numpy(images[:n].copy()).permute(0, 3, 1, 2).contiguous()
    return Split(pixels, torch.from_numpy(labels[:n].copy()),
                 Provenance("cifar10", split, n, "exact-pixel subset npz", True, _rel(path, base)))


def load_cifar10(split: str = "test", *, root=None, limit: int | None = None,
                 exact_subset: bool = False, download: bool | None = None) -> Split:
    """Load CIFAR-10 from the first layout found under the data root.

    Args:
        split: ``"train"`` or ``"test"``.
        root: data root (see module docstring).
        limit: keep only the first ``limit`` images (original order).
        exact_subset: read ``cifar10-exact-subset.npz`` (original pixels, a subset) instead.
        download: let torchvision download the original batches when nothing is found.

    Returns:
        A :class:`Split` with pixels ``(N, 3, 32, 32)``; its provenance says whether the
        pixels are exact or JPEG re-encoded.

    Raises:
        DataNotFoundError: no layout found and no download asked for (or it failed).
    """
    check_choice(split, SPLITS, name="split")
    base = data_root(root)
    if exact_subset:
        path = base / "cifar10-exact-subset.npz"
        if not path.exists():
            raise _not_found("cifar10", split, [path])
        return _cifar_exact_subset(path, base, split, limit)
    packed = base / "cifar10-jpeg-packed" / f"cifar10-jpeg-{split}.npz"
    folder = base / "cifar10-jpeg" / split
    searched = [base / "cifar-10-batches-py", packed, folder]
    found = _cifar_torchvision(base, split, limit, download=False)
    if found is not None:
        return found
    if packed.exists():
        return _cifar_packed(packed, base, split, limit)
    if folder.is_dir():
        return _cifar_imagefolder(folder, base, split, limit)
    if _want_download(download):
        try:
            return _cifar_torchvision(base, split, limit, download=True)
        except (RuntimeError, OSError) as err:
            raise _not_found("cifar10", split, searched) from err
    raise _not_found("cifar10", split, searched)


_SAMPLES = {
    "mnist": ("mnist-test-1000.npz", "package sample: first 1,000 MNIST test images"),
    "cifar10": ("cifar10-test-exact-846.npz",
                "package sample: CIFAR-10 test images 0-845, exact pixels"),
}


def load_sample(dataset: str, *, limit: int | None = None) -> Split:
    """Load the small real-data sample shipped inside the package (no data root needed).

    ``"mnist"``: the first 1,000 MNIST test images. ``"cifar10"``: CIFAR-10 test images
    0-845 with their original pixels.
    """
    check_choice(dataset, DATASETS, name="dataset")
    fname, source = _SAMPLES[dataset]
    with resources.as_file(resources.files("stego_lib") / "sample" / fname) as path:
        with np.load(path, allow_pickle=False) as z:
            images, labels = z["images"], z["labels"].astype(np.int64)
    n = _limit(len(labels), limit)
    pixels = torch.from_numpy(images[:n].copy())
    pixels = pixels.unsqueeze(1) if pixels.ndim == 3 else pixels.permute(0, 3, 1, 2)
    prov = Provenance(dataset, "test", n, source, True, f"stego_lib/sample/{fname}")
    return Split(pixels.contiguous(), torch.from_numpy(labels[:n].copy()), prov)


def load(dataset: str, split: str = "test", *, source: str = "root", root=None,
         limit: int | None = None, **kwargs) -> Split:
    """Load ``dataset`` from the data root (``source="root"``) or the package sample
    (``source="sample"``, test split only)."""
    check_choice(dataset, DATASETS, name="dataset")
    check_choice(source, ("root", "sample"), name="source")
    if source == "sample":
        if split != "test":
            raise ValueError(f"the package sample holds only the test split, got split={split!r}")
        return load_sample(dataset, limit=limit)
    loader = load_mnist if dataset == "mnist" else load_cifar10
    return loader(split, root=root, limit=limit, **kwargs)
