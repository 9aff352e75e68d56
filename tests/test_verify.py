"""`stego_lib.verify`: the comparison under tolerances, the seeded plan, the report and the
command line, on synthetic results that agree, disagree beyond tolerance, or are missing."""
import json

import numpy as np
import pytest

from stego_lib.cache import ResultsCache
from stego_lib.verify import TOLERANCES, Reexec, Spec, compare, plan, verify
from stego_lib.verify import registry
from stego_lib.verify.__main__ import main

SPEC = Spec(preds=("pred",), scores=("score",), flags={"score": 0.5},
            value=lambda a: 100 * float(np.mean(a["score"] > 0.5)))


def _arrays(n=100, seed=0):
    rng = np.random.default_rng(seed)
    return {"pred": rng.integers(0, 10, n).astype(np.int8), "score": rng.random(n)}


def test_identical_arrays_pass_every_kind():
    a = _arrays()
    for kind in TOLERANCES:
        r = compare(SPEC, a, a, kind)
        assert r.ok and r.pred_agree == 1.0 and r.flag_agree == 1.0 and r.score_diff == 0


def test_disagreement_beyond_tolerance_fails_and_within_passes():
    stored = _arrays()
    fresh = {k: v.copy() for k, v in stored.items()}
    fresh["pred"][:2] = (fresh["pred"][:2] + 1) % 10      # 2 of 100: pgd allows 2 + 1
    assert compare(SPEC, fresh, stored, "pgd").ok
    assert not compare(SPEC, fresh, stored, "exact").ok
    fresh["pred"][:10] = (stored["pred"][:10] + 1) % 10   # 10 of 100: beyond every kind
    r = compare(SPEC, fresh, stored, "functional")
    assert not r.ok and "pred: 10 of 100 images disagree" in r.failures[0]


def test_score_and_value_tolerances():
    stored = _arrays()
    shifted = {"pred": stored["pred"], "score": stored["score"] + 0.2}
    r = compare(SPEC, shifted, stored, "pgd")
    assert not r.ok and any("largest difference 0.2" in f for f in r.failures)
    assert any(f.startswith("score flags") for f in r.failures)
    assert any(f.startswith("value") for f in r.failures)


def test_missing_or_short_arrays_fail():
    stored = _arrays()
    assert not compare(SPEC, {"pred": stored["pred"]}, stored, "exact").ok
    short = {k: v[:50] for k, v in stored.items()}
    r = compare(SPEC, short, stored, "exact")
    assert not r.ok and "50 images re-executed, 100 stored" in r.failures[0]
    with pytest.raises(ValueError, match="kind"):
        compare(SPEC, stored, stored, "close enough")


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A results folder of two toy experiments whose adapter re-executes by reading
    ``truth`` (so a test can make a re-execution disagree)."""
    cache = ResultsCache(tmp_path)
    truth = {}
    for exp in ("toy_a", "toy_b"):
        for i in range(3):
            arrays = _arrays(40, seed=i)
            entry = cache.put(exp, {"kind": "toy", "i": i}, "1", arrays)
            truth[(exp, entry.meta["key"])] = arrays

    def rerun(entry, start, stop):
        a = truth[(entry.meta["experiment"], entry.meta["key"])]
        return {k: v[start:stop] for k, v in a.items()}

    monkeypatch.setattr(registry, "ADAPTERS", {})
    for exp in ("toy_a", "toy_b"):
        registry.register(Reexec(exp, lambda e: "exact", lambda e: 40, lambda e: SPEC, rerun,
                                 step=10, size=20, rate=1e6))
    return tmp_path, truth


def test_the_plan_reaches_every_experiment_first_and_depends_on_the_seed(toy):
    root, _ = toy
    jobs = plan(1, root=root)
    assert len(jobs) == 6 and {j.experiment for j in jobs[:2]} == {"toy_a", "toy_b"}
    assert all(j.stop - j.start == 20 and j.start % 10 == 0 for j in jobs)
    assert plan(1, root=root) == jobs
    assert any(plan(s, root=root) != jobs for s in range(2, 6))


def test_verify_reports_agreement_and_names_a_disagreeing_result(toy):
    root, truth = toy
    report = verify(0, 1, root=root, progress=False)
    assert report["ok"] and report["reached"] == ["toy_a", "toy_b"]
    assert len(report["results"]) == 6
    bad = next(iter(truth))
    truth[bad]["pred"][:] = (truth[bad]["pred"] + 1) % 10
    report = verify(0, 1, root=root, progress=False)
    failed = [(r["experiment"], r["key"]) for r in report["results"] if not r["ok"]]
    assert failed == [bad]


def test_a_result_whose_arrays_are_missing_fails(toy):
    root, truth = toy
    exp, key = next(iter(truth))
    (root / exp / f"{key}.npz").unlink()
    report = verify(0, 1, root=root, progress=False, only=f"{exp}/{key}")
    assert not report["ok"] and "incomplete" in report["results"][0]["failures"][0]


def test_cli_exit_codes_and_report(toy, capsys, monkeypatch):
    root, truth = toy
    monkeypatch.setenv("STEGO_RESULTS", str(root))
    out = root / "report.json"
    assert main(["--minutes", "1", "--no-progress", "--report", str(out)]) == 0
    assert json.loads(out.read_text())["ok"] is True
    exp, key = next(iter(truth))
    truth[(exp, key)]["score"][:] += 1.0
    assert main(["--chunk", f"{exp}/{key}", "--no-progress", "--report", str(out)]) == 1
    assert f"outside tolerance: {exp}/{key}" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--minutes", "0"], "must be > 0"),
    (["--minutes", "soon"], "must be a number of minutes"),
    (["--seed", "x1"], "integer or a hex commit"),
    (["--chunk", "toy_a/0000000000000000"], "no committed result"),
])
def test_cli_bad_options_give_one_line_errors(toy, capsys, monkeypatch, argv, message):
    monkeypatch.setenv("STEGO_RESULTS", str(toy[0]))
    with pytest.raises(SystemExit) as exc:
        main(argv + ["--no-progress"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1]


def test_flags_flipping_at_the_threshold_are_reported_not_counted():
    n = 100
    stored = {"pred": np.zeros(n, np.int8), "score": np.full(n, 0.2)}
    stored["score"][:10] = 0.5005                      # 20 scores within 0.01 of the threshold
    stored["score"][10:20] = 0.4995
    fresh = {"pred": stored["pred"], "score": stored["score"].copy()}
    fresh["score"][:20] = 1.0 - stored["score"][:20]   # all 20 flags flip both ways: noise
    r = compare(SPEC, fresh, stored, "pgd")
    assert r.ok and r.flag_agree == 0.8 and r.reported["borderline_flag_flips"] == 20
    assert not compare(SPEC, fresh, stored, "exact").ok   # nothing is borderline for exact
    fresh["score"][20:30] = 0.9                        # 10 flips far from the threshold
    assert not compare(SPEC, fresh, stored, "pgd").ok


def test_attacked_labels_are_compared_by_whether_they_fool_the_classifier():
    n = 100
    labels = np.zeros(n, np.int8)
    spec = Spec(outcomes=("adv",), labels="labels")
    stored = {"adv": np.ones(n, np.int8), "labels": labels}
    fresh = {"adv": stored["adv"].copy(), "labels": labels}
    fresh["adv"][:10] = 2                        # another wrong class: reported, not counted
    r = compare(spec, fresh, stored, "pgd")
    assert r.ok and r.pred_agree == 1.0 and r.reported["other_wrong_class"] == 10
    fresh["adv"][:10] = 0                        # the true class: 10 images no longer fooled
    r = compare(spec, fresh, stored, "pgd")
    assert not r.ok and "adv: 10 of 100 images fooled the classifier on one side only" \
        in r.failures[0]
    assert not compare(spec, {"adv": stored["adv"]}, stored, "pgd").ok   # labels missing
    with pytest.raises(ValueError, match="name the labels"):
        Spec(outcomes=("adv",))
    fresh["adv"][:10] = 2
    r = compare(spec, fresh, stored, "exact")        # no optimisation: the class must agree
    assert not r.ok and "10 of 100 images end in another wrong class" in r.failures
