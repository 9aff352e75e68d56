"""Table 1 on the released models under the 2019 protocol (CW margin κ = 0, the default of the
framework the paper was built with).

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

import numpy as np

from ...models.reference import PREFIX
from ...papers import PAPER2_TABLE1_ATTACKS, paper2_accuracy
from ...tasks import Chunk, Item
from . import authors, rgb_bound
from .config import LABELS, RELEASED_IMAGES, RELEASED_ROWS, image_ranges, make_config
from .summaries import near_paper
from .table1 import (Cell, cell_chunk, has_cell, lazy_images, lazy_model, row_sha,
                     stored_correct)

__all__ = ["COLUMN_ORDER", "PROTOCOL", "bw_rows", "bw_table", "bw_text", "items",
           "released_config"]

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
    model, images = lazy_model(cfg.checkpoints[row]), lazy_images(cfg)

    def done():
        sha = row_sha(cfg, row)
        return sha is not None and has_cell(cfg, row, sha, a, s, e)

    def run(progress):
        cell_chunk(Cell(cfg, row, row_sha(cfg, row), a, s, e), model=model, images=images,
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


# front end -> how the page names it
FRONT_ENDS = {"fitted": "the fitted front end (0.74 × channel mean)",
              BW_FRONT_END: "a BT.601 luma front end"}


def bw_rows() -> list[dict]:
    """Per column of the B&W row: the paper's cell and ours on the first 282 test images
    behind each front end (``fitted``, ``bt601``) under each protocol, as ``{(front end,
    protocol): {"pct", "near"}}`` (None where not committed; the clean column under
    ``package-2020`` only, as both protocols share it)."""
    stop = RELEASED_IMAGES["chunk_images"]
    out = []
    for a in PAPER2_TABLE1_ATTACKS:
        paper = paper2_accuracy(LABELS["gray"], a)
        row = {"attack": a, "paper": paper}
        for protocol in ("package-2020", PROTOCOL):
            key = "package-2020" if a == "None" else protocol
            for front, cfg in (("fitted", make_config("paper", models="released",
                                                       rows=["gray"], protocol=key)),
                               (BW_FRONT_END, bw_config(key))):
                got = stored_correct(cfg, "gray", a, 0, stop)
                row[(front, protocol)] = None if got is None else {
                    "pct": 100 * float(np.mean(got)), "n": int(got.size),
                    "near": near_paper(100 * float(np.mean(got)), paper, int(got.size))}
        out.append(row)
    return out


def bw_table(rows: list[dict]):
    """The B&W row (rows of :func:`bw_rows`) behind each front end under each protocol (%);
    a star marks a cell within two standard errors of the paper's."""
    from ...plotting import Table
    from ...plotting.table import attack_names

    def cell(c):
        return "–" if c is None else f"{c['pct']:.1f}" + (" *" if c["near"] else "")
    return Table(["attack", "paper", "fitted, κ = ∞", "fitted, κ = 0", "BT.601, κ = ∞",
                  "BT.601, κ = 0"],
                 [[attack_names([r["attack"]])[0], f"{r['paper']:.1f}",
                   *(cell(r[(f, p)]) for f in FRONT_ENDS for p in ("package-2020", PROTOCOL))]
                  for r in rows])


def bw_text(rows: list[dict]) -> str:
    """Which front end of the released B&W model fits the paper's row better, per protocol,
    counting the non-trivial attacked cells (paper value not 0.0) within two standard errors
    of the paper.

    Example:
        >>> near = lambda ok: {"pct": 1.0, "n": 282, "near": ok}
        >>> rows = [{"attack": "C", "paper": 4.1, ("fitted", "package-2020"): near(False),
        ...          ("bt601", "package-2020"): near(True), ("fitted", "paper-2019"): near(True),
        ...          ("bt601", "paper-2019"): None}]
        >>> print(bw_text(rows))  # doctest: +NORMALIZE_WHITESPACE
        Of the 1 non-trivial cells of the row (those not 0.0 in the paper), under the
        released package's protocol (κ = ∞) 0 lie within two standard errors of the paper behind the fitted front
        end (0.74 × channel mean) and 1 behind a BT.601 luma front end; under the 2019 protocol
        (κ = 0) 1 behind the fitted front end (0.74 × channel mean), while a BT.601 luma front
        end is not computed yet.
    """
    names = {"package-2020": "the released package's protocol (κ = ∞)", PROTOCOL: "the 2019 protocol (κ = 0)"}
    hard = [r for r in rows if r["attack"] != "None" and r["paper"] != 0.0]
    parts = []
    for protocol, name in names.items():
        said = []
        for front, label in FRONT_ENDS.items():
            got = [r[(front, protocol)] for r in hard if r[(front, protocol)] is not None]
            if not got:
                said.append((label, None))
                continue
            k = sum(g["near"] for g in got)
            said.append((label, f"{k}" + ("" if len(got) == len(hard) else
                                          f" of the {len(got)} computed so far")))
        done = [f"{k} behind {label}" for label, k in said if k is not None]
        todo = [label for label, k in said if k is None]
        if not done:
            parts.append(f"under {name} neither front end is computed yet")
            continue
        text = f"under {name} " + " and ".join(done)
        if todo:
            text += f", while {' and '.join(todo)} is not computed yet"
        parts.append(text)
    parts[0] = parts[0].replace(" behind", " lie within two standard errors of the paper behind", 1)
    return (f"Of the {len(hard)} non-trivial cells of the row (those not 0.0 in the paper), "
            + "; ".join(parts) + ".")


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
