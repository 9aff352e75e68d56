"""The iteration trace's sentence, on synthetic cells: counts read from the cells, and a
partial trace says that it is partial."""
from stego_lib.experiments.paper2 import iterations
from stego_lib.experiments.paper2.config import RELEASED_ROWS


def _cells(pcts: dict) -> list[dict]:
    return [{"row": row, "label": row, "attack": attack, "n": 282,
             **{t: {"float": pcts[t]} for t in iterations.STEPS}}
            for attack in iterations.ATTACKS for row in RELEASED_ROWS]


def test_a_complete_trace_counts_the_cells_near_the_paper_at_each_reading():
    # the paper at 10 %: 20 steps lands on it, 100 steps 6 points off, 300 steps on it again
    text = iterations.text(_cells({20: 10.0, 100: 4.0, 300: 10.6}), lambda r, a: 10.0)
    assert text.startswith("All 18 cells of the S and C+S columns are traced")
    assert "Within two standard errors of the paper: 18 cells at 20 steps, 0 at 100 and 18 at " \
        "300." in text
    assert "18 cells are within them at another step count but not at 100" in text
    assert "not computed yet" not in text


def test_a_partial_trace_says_what_is_missing():
    text = iterations.text(_cells({20: 10.0, 100: 10.0, 300: 10.0})[:4], lambda r, a: 10.0)
    assert text.startswith("4 of the 18 cells of the S and C+S columns are traced so far")
    assert text.endswith("The other 14 cells are not computed yet, so this says nothing yet "
                         "about the two columns as a whole.")
    assert "not computed yet" in iterations.text([], lambda r, a: 10.0)


def test_a_cell_that_only_another_step_count_brings_near_the_paper_is_named_as_a_lead():
    cells = _cells({20: 40.0, 100: 16.0, 300: 9.6})
    text = iterations.text(cells[:1], lambda r, a: 10.9)
    assert ("One cell is within them at another step count but not at 100, the count used "
            "everywhere else on this page: natural × S (the table gives each reading). The "
            "protocol and the step count changed together here, so this is a lead, not a "
            "verdict.") in text
    assert "another step count" not in iterations.text(_cells({20: 10.0, 100: 10.0, 300: 10.0}),
                                                       lambda r, a: 10.0)
