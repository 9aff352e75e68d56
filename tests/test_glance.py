"""The results-at-a-glance rows: verdicts follow the two-standard-error rule, and every row
read from the committed results names its page and says why it differs."""
from stego_lib.experiments import glance


def test_a_rate_within_two_se_matches_and_one_beyond_differs_with_its_cause():
    near = glance._rate_row("II", "x", 45.8, 47.0, 846, "because", "p")
    far = glance._rate_row("II", "x", 45.8, 60.0, 846, "because", "p")
    assert near["verdict"] == "matches" and near["cause"] == ""
    assert far["verdict"] == "differs" and far["cause"] == "because"
    assert glance._rate_row("II", "x", 3.0, None, 0, "c", "p")["verdict"] == "pending"
    # at 0 % the standard error at the paper's value still counts: one image is not a gap
    assert glance._rate_row("II", "x", 0.2, 0.0, 846, "c", "p")["verdict"] == "matches"


def test_an_eps_matches_only_at_the_same_grid_point():
    assert glance._eps_row("w", 0.17, 0.17, 10_000, "c")["verdict"] == "matches"
    assert glance._eps_row("w", 0.17, 0.18, 10_000, "c")["verdict"] == "differs"
    assert glance._eps_row("w", 0.47, None, 10_000, "c")["ours"] == "not reached"


def test_committed_rows_are_complete():
    rows = glance.rows()
    assert rows, "the committed results give at least the paper's headline rows"
    for r in rows:
        assert r["page"] in glance.PAGES.values() and r["paper"] in ("I", "II")
        assert r["verdict"] in ("matches", "differs", "pending", "–")
        if r["verdict"] == "differs":
            assert r["cause"], r["what"]
