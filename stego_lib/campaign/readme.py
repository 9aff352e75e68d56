"""The README's two generated blocks: what the campaign still has to compute, and which torch
builds, devices and CPU kernel paths computed the committed results. A test compares them with
a fresh generation, so they cannot go stale; ``python -m stego_lib.campaign.readme README.md``
rewrites them.

Example::

    >>> text = "a\\n<!-- status:start -->\\nold\\n<!-- status:end -->\\nb\\n"
    >>> replace_block(text, "status", "new")
    'a\\n<!-- status:start -->\\nnew\\n<!-- status:end -->\\nb\\n'
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from .. import provenance
from ..cache import results_dir
from ..checkpoints import checkpoints_dir
from .status import status

__all__ = ["blocks", "replace_block", "status_block", "provenance_block", "update"]


def status_block(rows: list[dict] | None = None) -> str:
    """One sentence on what is left, then one line per pending item (chunks done / total).
    Read from the files on disk, so any clone of the same commit writes the same block."""
    rows = status(device="cpu") if rows is None else rows
    pending = [r for r in rows if r["done"] != r["total"]]
    done = len(rows) - len(pending)
    if not pending:
        return f"All {len(rows)} items of the campaign are computed and committed."
    lines = [f"{done} of the campaign's {len(rows)} items are computed and committed; "
             f"{len(pending)} are still being computed:", ""]
    lines += [f"- {r['produces']} ({r['done']} of {r['total']} chunks)" for r in pending]
    return "\n".join(lines)


def provenance_block() -> str:
    return provenance.markdown(provenance.committed(results_dir(),
                                                    checkpoints_dir() / "manifest.json"))


def blocks() -> dict[str, str]:
    return {"status": status_block(), "provenance": provenance_block()}


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with the lines between ``<!-- name:start -->`` and ``<!-- name:end -->``
    replaced by ``body``."""
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"no <!-- {name}:start --> ... <!-- {name}:end --> block in the text")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


def update(path: str | Path) -> bool:
    """Rewrite the generated blocks of ``path``; True when anything changed."""
    path = Path(path)
    old = path.read_text()
    new = old
    for name, body in blocks().items():
        new = replace_block(new, name, body)
    if new != old:
        path.write_text(new)
    return new != old


if __name__ == "__main__":
    changed = update(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    print("README updated" if changed else "README already current")
