"""The Table 1 page's glued values: every sentence, table and figure the page shows beside its
text, assembled from the results in one place, so the notebook keeps its parameters, a call and
the glue.

:class:`Table1Page` reads the results once (ours, the released models', the authors' runs, the
gap studies) and hands out the values of one part of the page per method, each a
``{glue name: value}`` dict:

- :meth:`~Table1Page.status`: what is shown, the re-run box, the headline cells;
- :meth:`~Table1Page.released`: the fit, the heat map, the authors' runs, the gap studies
  (C, S and C+D), the C-RGB bound sweep and the B&W front ends;
- :meth:`~Table1Page.protocol`: the two protocols side by side, every cell's verdict, the
  iteration trace, the flip-and-crop study, the batch-norm counters.

Example::

    >>> page = Table1Page("smoke", None, None)   # nothing of ours shown: the paper's table
    >>> len(page.cells), page.n_released
    (99, 0)
    >>> {k: v for k, v in page.status().items() if k.endswith("c_trained_s")}
    {'p2t_h_c_trained_s': 'pending', 'p2t_p_c_trained_s': '3.6 %'}
"""
from __future__ import annotations

from functools import cached_property

import torch

from ... import papers
from ...attacks.reference_variants import ReferenceLatticeReColorAdv
from ...models import reference as released_files
from ...notebook import Markdown, rerun_box
from ...plotting import Table
from ...plotting import paper2_released as rplots
from ...plotting.points import with_points
from .. import glance
from . import (authors as paper_authors, bw_conversion, c_gap, cd_gap, flip_crop, iterations,
               protocol as protocol_study, prose, released as rel, rgb_bound, s_gap, verdicts)
from .config import ATTACKS, CAMPAIGN_COMMAND, LABELS, RELEASED_ROWS
from .summaries import cells as table_cells, headlines

__all__ = ["Table1Page"]


def _cells(k: int, n: int) -> str:
    return f"all {n} cells" if k == n else f"{k} of {n} cells"


class Table1Page:
    """The Table 1 page for ``profile``, from the page's shown result (``page_result``: ours on
    the models trained here, or None) and the released models' result ``theirs`` (or None)."""

    def __init__(self, profile: str, shown, theirs):
        self.profile, self.shown, self.theirs = profile, shown, theirs
        # Ours is what the requested profile produced; a fallback to a smaller profile (a
        # briefly trained stand-in model on a handful of images) is not Table 1 and is not
        # shown as ours.
        self.ours = shown.result if shown is not None and shown.profile == profile else None
        self.cells = table_cells(self.ours)   # without ours: the paper's whole table
        self.heads = headlines(self.ours)
        self.three = rel.comparison(theirs, self.ours)
        self.n_released = sum(c["released"] is not None for c in self.three)

    # --- what is shown -----------------------------------------------------------------

    def status(self) -> dict:
        """The re-run box, the status sentence, the fallback note and the headline cells."""
        out = {"p2t_rerun": rerun_box("paper2_table1", profile=self.profile,
                                      results="results/paper2_table1/",
                                      command=CAMPAIGN_COMMAND),
               "p2t_status": self._status_text(),
               "p2t_note": self.shown.note if self.shown is not None else ""}
        for h in self.heads:
            out[f"p2t_h_{h['key']}"] = ("pending" if h["ours"] is None else
                                        f"{h['ours']:.1f} % ± {h['se']:.1f} (N = {h['n']})")
            out[f"p2t_p_{h['key']}"] = f"{h['paper']:.1f} %"
        return out

    def _status_text(self) -> str:
        ours, theirs = self.ours, self.theirs
        if ours is None:
            status = "Models trained here: pending (the models and cells are still being computed)."
        else:
            computed = sum(c["ours"] is not None for c in self.cells)
            scale = ("" if ours.config.profile == "paper" else
                     f" (the smaller profile '{ours.config.profile}')")
            source = ("with their original pixels" if ours.config.data == "sample" else
                      "from the JPEG copy of the test set")
            status = (f"Models trained here{scale}: {_cells(computed, len(self.cells))} on the "
                      f"first {ours.n_images:,} test images, {source}, {ours.config.iterations} "
                      f"attack iterations; the adversarially trained models are one-epoch "
                      f"fine-tunes of the undefended one.")
        try:
            released_files.reference_file("natural")
            files = ""
        except released_files.ReferenceModelMissingError:
            files = (" The released model files are not under this machine's data root, so "
                     "nothing new can be computed on them here; what is shown was stored with "
                     "the book.")
        if theirs is None:
            return ("The authors' released models: " + (
                "no cell is stored yet." if self.profile == "paper"
                else "shown at profile 'paper' only.") + files + " " + status)
        pixels = ("with their original pixels" if theirs.config.data == "sample" else
                  "from the JPEG copy of the test set")
        return (f"The authors' released models: {_cells(self.n_released, 81)} on the same "
                f"{theirs.n_images:,} CIFAR-10 test images, {pixels}, "
                f"{theirs.config.iterations} attack iterations." + files + " " + status)

    # --- the released models: fit, authors' runs, gap studies ---------------------------

    @cached_property
    def auth(self) -> dict:
        """The authors' runs per attack, in Table 1's column order."""
        ran = paper_authors.ATTACKS + paper_authors.COMBINED + paper_authors.RGB
        return {a: rel.authors_runs(self.theirs, a) for a in ATTACKS if a in ran}

    def _authors_run(self, attack: str, row: str) -> dict | None:
        return next((r for r in self.auth[attack] if r["row"] == row), None)

    def _ours_vs_theirs(self, row: str, attack: str, variants: dict) -> list[dict]:
        # per image, on the authors' images: ours, theirs and each variant of ours
        start, stop = paper_authors.IMAGES
        return c_gap.compare(self.theirs.correct[row][attack][start:stop],
                             paper_authors.run_chunk(row, attack, mode="cache-only")
                             .arrays["correct"], variants)

    @cached_property
    def c_gap_rows(self) -> list[dict]:
        """Our C with the reference's choices, on the authors' C-trained model."""
        if self._authors_run("C", c_gap.ROW) is None:
            return []
        return self._ours_vs_theirs(c_gap.ROW, "C", c_gap.result())

    @cached_property
    def s_gap_rows(self) -> dict:
        """Our S with zero padding, per S-gap model that has both runs."""
        zero = s_gap.result()
        return {row: self._ours_vs_theirs(row, "S", {"zero padding": zero[row]})
                for row in s_gap.ROWS if self._authors_run("S", row) is not None and row in zero}

    @cached_property
    def cd_gap_rows(self) -> list[dict]:
        """Our C+D with the reference's choices on the C+S+D-trained model, each with the
        authors' C+D under our white point beside it as a yardstick."""
        if self._authors_run(cd_gap.ATTACK, cd_gap.ROW) is None:
            return []
        variants, twin = cd_gap.result(), cd_gap.twin()
        rows = self._ours_vs_theirs(cd_gap.ROW, cd_gap.ATTACK, variants)
        if twin is not None:   # the authors' attack under a numerical change, as a yardstick
            theirs = paper_authors.run_chunk(cd_gap.ROW, cd_gap.ATTACK,
                                             mode="cache-only").arrays["correct"]
            tw = c_gap.compare(None, theirs, {cd_gap.TWIN: twin})[0]
            for r in rows:
                r["twin"] = {"name": cd_gap.TWIN, "accuracy": tw["accuracy"],
                             "vs_authors": tw["vs_authors"],
                             "vs_variant": c_gap.compare(None, twin, {
                                 r["variant"]: variants[r["variant"]]})[0]["vs_authors"]}
        return rows

    def released(self) -> dict:
        """The released models' part of the page (fit, heat map, authors, gaps, C-RGB, B&W)."""
        three, n = self.three, self.n_released
        out = {"p2t_fit_rel": prose.fit_text(rel.fit(three, "released"), 81,
                                             "the authors' released models"),
               "p2t_fit_ours": prose.fit_text(rel.fit(three, "trained"), len(three),
                                              "the models trained here"),
               "p2t_z": (with_points(rplots.z_heatmap(three), "table1-differences") if n
                         else "(not computed yet)"),
               "p2t_intervals": rplots.intervals_table(three) if n else "(not computed yet)"}
        out.update(self._gap_glues())
        out.update(self._authors_glues())
        out.update(self._crgb_glues())
        out.update(self._bw_glues())
        return out

    def _gap_glues(self) -> dict:
        cd_label = f"{LABELS[cd_gap.ROW]}-trained"
        auth_cd = self._authors_run(cd_gap.ATTACK, cd_gap.ROW)
        auth_c = self._authors_run("C", c_gap.ROW)
        lattice = ReferenceLatticeReColorAdv()
        red = torch.tensor([0.98, 0.27, 0.02]).view(1, 3, 1, 1)
        moved = lattice.apply(red, lattice.project(lattice.init(red))).flatten().tolist()
        s_groups = [(f"{LABELS[row]}-trained", "S", self.s_gap_rows.get(row, []),
                     self._authors_run("S", row)) for row in s_gap.ROWS]
        return {
            "p2t_cd_gap": prose.c_gap_text(self.cd_gap_rows, auth_cd, cd_gap.ATTACK, cd_label),
            "p2t_red": "(" + ", ".join(f"{c:.2f}" for c in moved) + ")",
            "p2t_cd_twin": (prose.twin_text(self.cd_gap_rows) or
                            "The authors' C+D with our white point is not computed yet."),
            "p2t_c_gap": prose.c_gap_text(self.c_gap_rows, auth_c),
            "p2t_s_gap": " ".join(prose.c_gap_text(rows, run, "S", label)
                                  for label, _, rows, run in s_groups),
            "p2t_gaps": prose.gap_table([("C-trained", "C", self.c_gap_rows, auth_c), *s_groups,
                                         (cd_label, cd_gap.ATTACK, self.cd_gap_rows, auth_cd)]),
        }

    def _authors_glues(self) -> dict:
        auth = self.auth
        rows = [r for a in auth for r in auth[a]]
        return {
            "p2t_authors_text": prose.authors_summary(
                [r for a in auth if a not in paper_authors.RGB for r in auth[a]]),
            "p2t_crgb_auth": (prose.authors_text(auth["C-RGB"]) if auth["C-RGB"] else
                              "The authors' ReColorAdv in RGB has not run on their released "
                              "models here yet."),
            "p2t_authors": rplots.authors_table(rows) if rows else "(not computed yet)",
        }

    @staticmethod
    def _crgb_glues() -> dict:
        def trained_label(e):
            return "undefended" if e["row"] == "natural" else f"{e['label']}-trained"
        sweeps = {"package-2020": rgb_bound.result("released"),
                  "paper-2019": rgb_bound.result("released", "paper-2019")}
        return {"p2t_crgb_rel": prose.crgb_text(sweeps, trained_label,
                                                len(rgb_bound.GRID["released"])),
                "p2t_crgb_sweep": (prose.crgb_table(sweeps, trained_label)
                                   if sweeps["package-2020"] else "(not computed yet)")}

    @staticmethod
    def _bw_glues() -> dict:
        measured = bw_conversion.has()
        rows = protocol_study.bw_rows()
        return {
            "p2t_bw": ("The measurement of the released B&W model's input is not committed yet."
                       if not measured else
                       prose.bw_text(bw_conversion.result(),
                                     papers.paper2_accuracy("Undefended (B&W)", "None"))),
            "p2t_bw_conversions": (prose.bw_table(bw_conversion.result()) if measured
                                   else Markdown("*Not computed yet.*")),
            "p2t_bw_front": protocol_study.bw_text(rows),
            "p2t_bw_rows": protocol_study.bw_table(rows),
        }

    # --- the two protocols ------------------------------------------------------------------

    @cached_property
    def verdict_cells(self) -> list[dict]:
        """Every released cell with its verdict (:func:`verdicts.cells`)."""
        return verdicts.cells(verdicts.grids())

    def protocol(self) -> dict:
        """The 2019 protocol beside the released package's: every released cell's verdict, the
        fit of each (protocol, scoring), ours against the authors' per protocol, and the
        studies of the other settings."""
        v_cells = self.verdict_cells
        pilot = verdicts.cells(verdicts.grids(paper_authors.IMAGES[1]))
        pairs = {p: verdicts.paired(verdicts.grids(paper_authors.IMAGES[1]),
                                    verdicts.authors_grids(), (p, "float"))
                 for p in ("package-2020", "paper-2019")}
        gaps = {(cd_gap.ROW, cd_gap.ATTACK): self.cd_gap_rows, (c_gap.ROW, "C"): self.c_gap_rows}
        gaps.update({(row, "S"): rows for row, rows in self.s_gap_rows.items()})
        out = {"p2t_verdict": glance.verdict_text(cells=v_cells)["II"],
               "p2t_protocol_text": verdicts.summary_text(v_cells, pilot),
               "p2t_d_text": verdicts.d_column_text(pilot),
               "p2t_protocol_fit": rplots.fit_table([verdicts.fit(v_cells, ch)
                                                     for ch in verdicts.CHOICES]),
               "p2t_protocol_cells": rplots.verdict_table(v_cells, pairs,
                                                          verdicts.gap_reasons(gaps)),
               "p2t_z_2019": (with_points(rplots.z_heatmap(
                   v_cells, ("paper-2019", "float"), "κ = 0: (ours − paper) / standard error"),
                   "table1-differences-2019")
                   if any(c[("paper-2019", "float")] for c in v_cells if c["attack"] != "None")
                   else "(not computed yet)")}
        out.update(self._iteration_glues())
        out.update(self._flip_crop_glues())
        out.update(self._counter_glues())
        return out

    @staticmethod
    def _iteration_glues() -> dict:
        found = [{**c, "label": LABELS[c["row"]]} for c in iterations.result()]

        def paper(row, attack):
            return papers.paper2_accuracy(LABELS[row], attack)
        return {"p2t_iterations_text": iterations.text(found, paper),
                "p2t_iterations": Table(["model × attack", "paper"]
                                        + [f"ours, {t} steps" for t in iterations.STEPS]
                                        + ["N"], iterations.table_rows(found, paper))}

    @staticmethod
    def _flip_crop_glues() -> dict:
        base = verdicts.grids(flip_crop.IMAGES[1]).get(verdicts.BASELINE, {})
        clean = flip_crop.clean_rows({r: g["None"] for r, g in verdicts.grids(846)
                                      .get(verdicts.BASELINE, {}).items() if "None" in g})
        shifts = flip_crop.shift_rows(base, flip_crop.grid())
        # each cell's verdict from the other settings alone
        before = {(c["row"], c["attack"]): c["verdict"] for c in verdicts.cells(
            {k: v for k, v in verdicts.grids().items() if k != verdicts.FLIP_CROP})}
        return {"p2t_flip_text": flip_crop.text(clean, shifts),
                "p2t_flip_clean": flip_crop.clean_table(clean),
                "p2t_flip_cells": (flip_crop.cells_table(shifts, before) if shifts
                                   else Markdown("*Not computed yet.*"))}

    def _counter_glues(self) -> dict:
        try:
            counters = {row: released_files.batchnorm_counter(row) for row in RELEASED_ROWS}
        except (FileNotFoundError, released_files.ReferenceModelMissingError):
            return {"p2t_counters": "(the released files are not under this machine's data "
                                    "root)"}
        return {"p2t_counters": rplots.counter_table(self.verdict_cells, counters)}
