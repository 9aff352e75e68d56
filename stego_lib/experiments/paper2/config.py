"""Paper II Table 1 configuration: the 11 defences (rows), the 9 attacks (columns), profiles.

Rows are keyed by a short slug that also names the campaign items (``paper2-train-<slug>``,
``paper2-table1-<slug>``); ``LABELS`` gives the paper's row names, which key
:data:`stego_lib.papers.PAPER2_TABLE1`.
"""
from __future__ import annotations

import re

from ..._checks import check_choice, check_int
from ...attacks.loop import DEFAULT_PROTOCOL, PROTOCOLS
from ...models.reference import PREFIX as RELEASED_PREFIX, RELEASED
from ...papers import PAPER2_TABLE1_ATTACKS
from .. import merged_config

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
PARAMS = set(_DEFAULTS["paper"]) | set(_COMMON)


def make_config(profile: str, **overrides) -> dict:
    """The config of ``profile`` with ``overrides`` (None keeps the default).

    Keys: models ('trained' | 'released': the checkpoints trained here or the authors' released
    files; with 'released' the rows default to the nine released ones and the images to all
    846 exact-pixel test images), rows (row slugs, see ``ROWS``), checkpoints (slug ->
    checkpoint name, replacing the default for those rows), attacks (column names), n_images (the first N test images
    of ``data``), data ('sample' | 'jpeg'), iterations (Adam steps of every attack), lr,
    reg_weight, protocol ('package-2020' | 'paper-2019': the CW margin's κ, ∞ or 0), loader
    ('plain' | 'flip-crop:<seed>': the test images as stored, or flipped and cropped as the
    2019 code's evaluation loader does),
    chunk_images (images per cache entry; a cell of N images is
    ceil(N / chunk_images) entries), seed, batch_size, profile.

    Raises:
        ValueError: an unknown profile, parameter, row or attack, or a bad number.

    Example:
        >>> cfg = make_config("smoke")
        >>> cfg["rows"], cfg["n_images"], cfg["attacks"][:3]
        (['natural'], 4, ['None', 'C-RGB', 'C'])
    """
    # None keeps the default: dropped first, so it cannot mask the released models' defaults
    overrides = {k: v for k, v in overrides.items() if v is not None}
    check_choice(overrides.get("models") or "trained", MODELS, name="models")
    if overrides.get("models") == "released":
        given = set(overrides)
        if profile == "paper":
            overrides = {**{k: v for k, v in RELEASED_IMAGES.items() if k not in given},
                         **overrides}
        if "rows" not in given:
            overrides = {**overrides, "rows": list(RELEASED_ROWS)}
    cfg = merged_config(profile, overrides, PARAMS, _DEFAULTS[profile], _COMMON)
    rows = cfg["rows"]
    if isinstance(rows, str):
        rows = [r.strip() for r in rows.split(",") if r.strip()]
    for r in rows:
        check_choice(r, tuple(ROWS), name="row")
    if not rows:
        raise ValueError("rows must name at least one defence, got none")
    cfg["rows"] = list(rows)
    for a in cfg["attacks"]:
        check_choice(a, ATTACKS, name="attack")
    cfg["attacks"] = [a for a in ATTACKS if a in cfg["attacks"]]  # the paper's column order
    for key, minimum in (("n_images", 1), ("iterations", 0), ("chunk_images", 1),
                         ("seed", 0), ("batch_size", 1)):
        check_int(cfg[key], name=key, minimum=minimum)
    check_choice(cfg["data"], DATA, name="data")
    check_choice(cfg["protocol"], tuple(PROTOCOLS), name="protocol")
    loader_seed(cfg["loader"])
    if cfg["data"] == "sample" and cfg["n_images"] > 846:
        raise ValueError(f"the exact-pixel sample holds 846 test images, got "
                         f"n_images={cfg['n_images']}")
    for key in ("lr", "reg_weight"):
        v = cfg[key]
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not v >= 0:
            raise ValueError(f"{key} must be a number >= 0, got {v!r}")
    unknown = sorted(set(cfg["checkpoints"]) - set(ROWS))
    if unknown:
        raise ValueError(f"checkpoints: unknown row(s) {unknown}; expected some of {list(ROWS)}")
    if cfg["models"] == "released":
        missing = [r for r in cfg["rows"] if r not in RELEASED]
        if missing:
            raise ValueError(f"the authors released no model for row(s) {missing}; released "
                             f"rows: {list(RELEASED_ROWS)}")
        # a profile's own checkpoint choices (smoke's brief model) are for trained rows only
        cfg["checkpoints"] = {**{r: RELEASED_PREFIX + r for r in RELEASED_ROWS},
                              **(overrides.get("checkpoints") or {})}
    else:
        cfg["checkpoints"] = {**CHECKPOINTS, **cfg["checkpoints"]}
    return cfg


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


def image_ranges(cfg: dict) -> list[tuple[int, int]]:
    """The ``[start, stop)`` image ranges of the cache entries that make up one cell."""
    n, k = cfg["n_images"], cfg["chunk_images"]
    return [(a, min(a + k, n)) for a in range(0, n, k)]
