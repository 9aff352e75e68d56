"""Paper II Table 1 configuration: the 11 defences (rows), the 9 attacks (columns), profiles.

Rows are keyed by a short slug that also names the campaign items (``paper2-train-<slug>``,
``paper2-table1-<slug>``); ``LABELS`` gives the paper's row names, which key
:data:`stego_lib.papers.PAPER2_TABLE1`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..._checks import check_choice, check_int
from ...attacks.loop import DEFAULT_PROTOCOL, PROTOCOLS
from ...models.reference import PREFIX as RELEASED_PREFIX, RELEASED
from ...papers import PAPER2_TABLE1_ATTACKS
from .. import ProfileConfig

EXPERIMENT = "paper2_table1"
VERSION = "1"  # bump when a cell's stored arrays change meaning
CAMPAIGN_COMMAND = "python -m stego_lib.campaign run --items paper2"

# Row slug -> (the paper's row label, checkpoint name). Adversarially trained rows are named by
# the threat model they were trained against.
THREATS = ("C", "D", "S", "C+S", "C+D", "S+D", "C+S+D")
ROWS = {
    "natural": ("Undefended", "cifar_resnet32_natural"),
    **{t.lower(): (t, "cifar_resnet32_adv_" + t.lower().replace("+", "")) for t in THREATS},
    "trades": ("TRADES", "cifar_resnet32_trades"),
    "gray": ("Undefended (B&W)", "cifar_resnet32_gray"),
    "gray-c": ("C (B&W)", "cifar_resnet32_gray_adv_c"),
}
LABELS = {slug: label for slug, (label, _) in ROWS.items()}
CHECKPOINTS = {slug: name for slug, (_, name) in ROWS.items()}
ATTACKS = PAPER2_TABLE1_ATTACKS   # "None" (clean) and the 8 attacks, the paper's column order

# Image sets. "sample": the exact-pixel CIFAR-10 test images 0-845 shipped with the package;
# "jpeg": the test set of the JPEG copy (original order), for more than 846 images.
DATA = ("sample", "jpeg")
# What the campaign computes per device: a CPU attacks the first 200 exact-pixel test images
# (indices 0-199), a GPU the first 1,000 test images of the JPEG copy.
PAPER_IMAGES = {"cpu": {"data": "sample", "n_images": 200},
                "cuda": {"data": "jpeg", "n_images": 1000}}
# Whose models: "trained" here (the checkpoint store), or "released" by the authors (the nine
# files under the data root; :mod:`stego_lib.models.reference`). The released models are
# attacked on all 846 exact-pixel test images, in cache entries of 282 images (each about
# 3-6 CPU minutes for one attack).
MODELS = ("trained", "released")
RELEASED_ROWS = tuple(r for r in ROWS if r in RELEASED)
RELEASED_IMAGES = {"data": "sample", "n_images": 846, "chunk_images": 282}

_DEFAULTS = {
    # smoke: seconds on a CPU; the committed brief ResNet-32 as the undefended row, 4 images.
    "smoke": dict(rows=["natural"], checkpoints={"natural": "cifar_resnet32_brief"},
                  n_images=4, iterations=5, data="sample", chunk_images=4),
    # quick: minutes on a CPU; every committed model, 20 exact-pixel images, 100 iterations.
    "quick": dict(rows=list(ROWS), checkpoints={}, n_images=20, iterations=100, data="sample",
                  chunk_images=20),
    # paper: the campaign's scale (see PAPER_IMAGES); a GPU's 1,000 images are shown instead
    # of a CPU's 200 wherever they are committed for every row.
    "paper": dict(rows=list(ROWS), checkpoints={}, iterations=100, chunk_images=1000,
                  **PAPER_IMAGES["cpu"]),
}
_COMMON = dict(
    models="trained",  # whose models (see MODELS)
    attacks=list(ATTACKS),
    lr=1e-3,          # Adam step of every evaluation attack (the reference's)
    reg_weight=0.05,  # weight of the smoothness regulariser (the reference's)
    # the CW margin's κ: "package-2020" (κ = ∞, the released package) or "paper-2019" (κ = 0,
    # mister_ed's default); see stego_lib.attacks.loop. Keyed only when not the default.
    protocol=DEFAULT_PROTOCOL,
    # how the test images are read: "plain" (as stored) or "flip-crop:<seed>" (mister_ed's
    # evaluation loader's random flip and crop, stego_lib.augment). Keyed only when not plain.
    loader="plain",
    seed=0,           # the attacks start at the identity and are deterministic; recorded anyway
    batch_size=100,   # images per attack batch; not part of any cache key
)


@dataclass(frozen=True)
class Table1Config(ProfileConfig):
    """Everything a Table 1 run depends on, validated once when it is made; a field left as
    None takes the profile's value (``_DEFAULTS``, then ``_COMMON``).

    Fields: models ('trained' | 'released': the checkpoints trained here or the authors'
    released files; with 'released' the rows default to the nine released ones and, at profile
    paper, the images to all 846 exact-pixel test images), rows (row slugs, see ``ROWS``),
    checkpoints (slug -> checkpoint name, replacing the default for those rows; after checking,
    every row's), attacks (column names, put in the paper's order), n_images (the first N test
    images of ``data``), data ('sample' | 'jpeg'), iterations (Adam steps of every attack), lr,
    reg_weight, protocol ('package-2020' | 'paper-2019': the CW margin's κ, ∞ or 0), loader
    ('plain' | 'flip-crop:<seed>': the test images as stored, or flipped and cropped as the
    2019 code's evaluation loader does), chunk_images (images per cache entry; a cell of N
    images is ceil(N / chunk_images) entries), seed, batch_size.

    Example:
        >>> cfg = Table1Config("smoke")
        >>> cfg.rows, cfg.n_images, cfg.attacks[:3], cfg.checkpoints["natural"]
        (('natural',), 4, ('None', 'C-RGB', 'C'), 'cifar_resnet32_brief')
        >>> released = Table1Config("paper", models="released", rows="c,d")
        >>> released.n_images, released.chunk_images, released.checkpoints["d"]
        (846, 282, 'released/d')
    """

    models: str | None = None
    rows: tuple[str, ...] | str | None = None
    checkpoints: dict | None = None
    attacks: tuple[str, ...] | None = None
    n_images: int | None = None
    data: str | None = None
    iterations: int | None = None
    lr: float | None = None
    reg_weight: float | None = None
    protocol: str | None = None
    loader: str | None = None
    chunk_images: int | None = None
    seed: int | None = None
    batch_size: int | None = None

    def profile_values(self) -> dict:
        values = {**_DEFAULTS[self.profile], **_COMMON}
        if self.models == "released":
            values["rows"] = RELEASED_ROWS
            if self.profile == "paper":
                values.update(RELEASED_IMAGES)
        return values

    def check(self) -> None:
        check_choice(self.models, MODELS, name="models")
        rows = self.rows
        if isinstance(rows, str):
            rows = [r.strip() for r in rows.split(",") if r.strip()]
        for r in rows:
            check_choice(r, tuple(ROWS), name="row")
        if not rows:
            raise ValueError("rows must name at least one defence, got none")
        self.set("rows", tuple(rows))
        for a in self.attacks:
            check_choice(a, ATTACKS, name="attack")
        self.set("attacks", tuple(a for a in ATTACKS if a in self.attacks))  # the paper's order
        for key, minimum in (("n_images", 1), ("iterations", 0), ("chunk_images", 1),
                             ("seed", 0), ("batch_size", 1)):
            check_int(getattr(self, key), name=key, minimum=minimum)
        check_choice(self.data, DATA, name="data")
        check_choice(self.protocol, tuple(PROTOCOLS), name="protocol")
        loader_seed(self.loader)
        if self.data == "sample" and self.n_images > 846:
            raise ValueError(f"the exact-pixel sample holds 846 test images, got "
                             f"n_images={self.n_images}")
        for key in ("lr", "reg_weight"):
            v = getattr(self, key)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not v >= 0:
                raise ValueError(f"{key} must be a number >= 0, got {v!r}")
        self._check_checkpoints()

    def _check_checkpoints(self) -> None:
        unknown = sorted(set(self.checkpoints) - set(ROWS))
        if unknown:
            raise ValueError(f"checkpoints: unknown row(s) {unknown}; expected some of {list(ROWS)}")
        if self.models == "released":
            missing = [r for r in self.rows if r not in RELEASED]
            if missing:
                raise ValueError(f"the authors released no model for row(s) {missing}; released "
                                 f"rows: {list(RELEASED_ROWS)}")
            # a profile's own checkpoint choices (smoke's brief model) are for trained rows only
            self.set("checkpoints", {**{r: RELEASED_PREFIX + r for r in RELEASED_ROWS},
                                     **(self.chosen.get("checkpoints") or {})})
        else:
            self.set("checkpoints", {**CHECKPOINTS, **self.checkpoints})


def make_config(profile: str, **overrides) -> Table1Config:
    """The :class:`Table1Config` of ``profile`` with ``overrides`` (None keeps the default).

    Raises:
        ValueError: an unknown profile, parameter, row or attack, or a bad number.

    Example:
        >>> cfg = make_config("smoke")
        >>> cfg.rows, cfg.n_images, cfg.attacks[:3]
        (('natural',), 4, ('None', 'C-RGB', 'C'))
    """
    return Table1Config.of(profile, **overrides)


def loader_seed(loader) -> int | None:
    """The seed of a ``flip-crop:<seed>`` loader; None for ``plain``.

    Raises:
        ValueError: any other value.

    Example:
        >>> loader_seed("plain"), loader_seed("flip-crop:2")
        (None, 2)
    """
    if loader == "plain":
        return None
    m = re.fullmatch(r"flip-crop:(\d+)", loader) if isinstance(loader, str) else None
    if m is None:
        raise ValueError(f"loader must be 'plain' or 'flip-crop:<seed>' (a seed >= 0), "
                         f"got {loader!r}")
    return int(m.group(1))


def image_ranges(cfg: Table1Config) -> list[tuple[int, int]]:
    """The ``[start, stop)`` image ranges of the cache entries that make up one cell."""
    n, k = cfg.n_images, cfg.chunk_images
    return [(a, min(a + k, n)) for a in range(0, n, k)]
