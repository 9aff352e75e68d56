"""The committed measurement of how far ReColorAdv moves pixels (benchmarks/recolor_gamut.py)
agrees with the bounds the tests prove, and renders as the book's table."""
import json

import pytest

from stego_lib.cache import results_dir
from stego_lib.plotting.recolor_gamut import change_table

PATH = results_dir() / "benchmarks" / "recolor_gamut.json"


@pytest.mark.skipif(not PATH.exists(), reason="results/benchmarks/recolor_gamut.json not committed")
def test_committed_record_is_consistent():
    rec = json.loads(PATH.read_text())
    shrink = rec["runs"]["ours_shrink"]
    assert shrink["percent_pixels_outside_eps_box"] == 0
    assert shrink["luv_change_max"]["L"] <= rec["eps_luv"][0] + 1e-3
    assert shrink["rgb_change_over_255"]["max"] <= rec["worst_case"]["ours_shrink"]["max_over_255"]
    assert rec["worst_case"]["ours_shrink"]["max_over_255"] < 127  # the bound the tests use
    table = change_table(rec)
    assert len(table.rows) == len(rec["runs"]) and table.rows[0][0].endswith("(default)")
