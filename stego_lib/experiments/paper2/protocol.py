"""Table 1 on the released models under the paper's 2019 protocol (CW margin κ = 0).

Every cell of :mod:`.table1` and every run of the authors' package in :mod:`.authors` was
computed under the ``recoloradv`` 0.0.1 package's protocol (κ = ∞). This module's campaign
items compute the same cells with κ = 0, the default of the mister_ed loss the paper was built
on, and nothing else changed (:data:`stego_lib.attacks.PROTOCOLS`): ours on all 72 attacked
cells of the nine released models, and the authors' package on the first 282 images of the
same 72 cells; and the C-RGB bound sweep on the released undefended and C-trained models, to
see whether one bound fits both cells under this protocol; and the B&W row behind a BT.601
luma instead of the fitted front end, under both protocols. The first 282 images of every cell
come first, so the pilot pairs with the authors' runs image by image before the remaining 564
are computed.

Each cache entry keeps, per image, the prediction on the attacked image as returned (float)
and rounded to 8-bit pixels, so both ways of scoring come from one run.

Example::

    >>> [i.name for i in items()]
    ['paper2-protocol-pilot', 'paper2-protocol-authors', 'paper2-protocol-crgb', 'paper2-protocol-bw', 'paper2-protocol-rest']
    >>> chunks = items()[0].chunks("cpu")
    >>> len(chunks), chunks[0].name
    (72, 'S on released/natural × images 0-282')
"""
from __future__ import annotations

from ...models.reference import PREFIX
from ...tasks import Chunk, Item
from . import authors, rgb_bound
from .config import RELEASED_IMAGES, RELEASED_ROWS, image_ranges, make_config
from .table1 import cell_chunk, has_cell, lazy_images, lazy_model, row_sha

__all__ = ["COLUMN_ORDER", "PROTOCOL", "items", "released_config"]

PROTOCOL = "paper-2019"
# Where the paper sits far above both implementations first (the columns with S), then D
# (the control: no regulariser, so κ should not matter), then the colour columns (dearer).
COLUMN_ORDER = ("S", "S+D", "D", "C+S", "C", "C+D", "C+S+D", "C-RGB")
# Images per second on one one-thread worker, averaged over the eight columns, from the
# runtimes recorded with the package-2020 entries: ours 60,912 images in 12.2 h, the authors'
# 20,304 in 13.3 h. κ does not change the work per step.
OURS_RATE = 1.4
AUTHORS_RATE = 0.42


def released_config(row: str, *, batch_size: int = 100) -> dict:
    """The Table 1 config of one released row under the 2019 protocol (846 images)."""
    return make_config("paper", models="released", rows=[row], batch_size=batch_size,
                       protocol=PROTOCOL)


def _ours(ranges: list[tuple[int, int]]):
    def chunks(device: str) -> list[Chunk]:
        batch = 500 if device == "cuda" else 100
        out = []
        for s, e in ranges:
            for a in COLUMN_ORDER:
                for row in RELEASED_ROWS:
                    cfg = released_config(row, batch_size=batch)
                    out.append(_cell(cfg, row, a, s, e))
        return out
    return chunks


def _cell(cfg: dict, row: str, a: str, s: int, e: int) -> Chunk:
    model, images = lazy_model(cfg["checkpoints"][row]), lazy_images(cfg)

    def done():
        sha = row_sha(cfg, row)
        return sha is not None and has_cell(cfg, row, sha, a, s, e)

    def run(progress):
        cell_chunk(cfg, row, row_sha(cfg, row), a, s, e, model=model, images=images,
                   mode="auto", needs_gpu=False, store=True, progress=progress)
    return Chunk(f"{a} on {PREFIX}{row} × images {s}-{e}", done, run, units=e - s)


BW_FRONT_END = "bt601"   # the usual luma (PIL's convert("L")): the alternative to the fitted one


def bw_config(protocol: str, *, batch_size: int = 100) -> dict:
    """The B&W row behind a BT.601 luma front end under ``protocol``, the first 282 images."""
    return make_config("paper", models="released", rows=["gray"], batch_size=batch_size,
                       checkpoints={"gray": f"released/gray@{BW_FRONT_END}"}, n_images=282,
                       chunk_images=282, protocol=protocol)


def _bw(device: str) -> list[Chunk]:
    out = [_cell(bw_config("package-2020"), "gray", "None", 0, 282)]
    for protocol in ("package-2020", PROTOCOL):
        cfg = bw_config(protocol)
        out += [_cell(cfg, "gray", a, 0, 282) for a in COLUMN_ORDER]
    for c, protocol in zip(out[1:], ["package-2020"] * 8 + [PROTOCOL] * 8):
        c.name = f"{c.name} ({BW_FRONT_END}, {protocol})"
    out[0].name += f" ({BW_FRONT_END})"
    return out


def _authors(device: str) -> list[Chunk]:
    out = []
    for a in COLUMN_ORDER:
        for row in RELEASED_ROWS:
            def run(progress, row=row, a=a):
                authors.run_chunk(row, a, protocol=PROTOCOL, progress=progress)
            out.append(Chunk(f"authors' {a} on {PREFIX}{row}",
                             lambda row=row, a=a: authors.has(row, a, protocol=PROTOCOL), run,
                             units=authors.IMAGES[1] - authors.IMAGES[0]))
    return out


def items() -> list[Item]:
    ranges = image_ranges(make_config("paper", models="released"))
    what = f"results/paper2_table1: the released models under the {PROTOCOL} protocol (κ = 0)"
    return [Item("paper2-protocol-pilot", f"{what}, images 0-{ranges[0][1] - 1}",
                 _ours(ranges[:1]), unit="image", rate={"cpu": OURS_RATE}),
            Item("paper2-protocol-authors",
                 f"results/{authors.EXPERIMENT}: the authors' package under the {PROTOCOL} "
                 f"protocol, images {authors.IMAGES[0]}-{authors.IMAGES[1] - 1}",
                 _authors, unit="image", rate={"cpu": AUTHORS_RATE}),
            Item("paper2-protocol-crgb",
                 f"results/{rgb_bound.EXPERIMENT}: C-RGB's bound sweep on the released "
                 f"undefended and C-trained models under the {PROTOCOL} protocol, 282 images",
                 lambda device: rgb_bound._chunks(device, "released", PROTOCOL), unit="image",
                 rate={"cpu": rgb_bound.CPU_RATE}),
            Item("paper2-protocol-bw",
                 f"results/paper2_table1: the B&W row behind a BT.601 luma under both "
                 f"protocols, images 0-281", _bw, unit="image", rate={"cpu": OURS_RATE}),
            Item("paper2-protocol-rest", f"{what}, images {ranges[1][0]}-"
                                         f"{RELEASED_IMAGES['n_images'] - 1}",
                 _ours(ranges[1:]), unit="image", rate={"cpu": OURS_RATE})]
