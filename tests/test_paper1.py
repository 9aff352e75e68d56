"""Paper I experiment layer: configuration, summaries over rows of unequal size, training
recipes and the MadryCNN initialisation."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from stego_lib import data, models
from stego_lib.experiments import paper1
from stego_lib.attacks.training import RampedPGD
from stego_lib.experiments.paper1 import training
from stego_lib.experiments.paper1.compute import ModelResult, Paper1Result


def test_paper_profile_uses_all_images_at_every_eps():
    cfg = paper1.make_config("paper")
    assert cfg.n_images == 10_000 and cfg.n_images_grid == 10_000
    assert paper1.images_for(cfg, 0.10) == 10_000       # a Table II ε
    assert paper1.images_for(cfg, 0.11) == 10_000       # off the table
    partial = paper1.make_config("paper", n_images_grid=2000)
    assert paper1.images_for(partial, 0.10) == 10_000 and paper1.images_for(partial, 0.11) == 2_000
    assert len(cfg.eps) == 50
    quick = paper1.make_config("quick")
    assert quick.n_images_grid == quick.n_images == 1000
    assert paper1.make_config("paper", n_images=500).n_images_grid == 500


@pytest.mark.parametrize("bad", [{"n_images_grid": 0}, {"models": "natural,nope"},
                                 {"eps": [0.0]}, {"nonsense": 1}])
def test_bad_config_raises_value_error(bad):
    with pytest.raises(ValueError):
        paper1.make_config("quick", **bad)


def test_config_is_frozen_and_checked_once():
    import dataclasses

    cfg = paper1.Paper1Config("quick", eps=[0.3, 0.15, 0.3], models="natural")
    assert cfg.eps == (0.15, 0.3) and cfg.models == ("natural",) and cfg.steps == 40
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.eps = (0.1,)
    with pytest.raises(ValueError, match="alpha"):
        paper1.Paper1Config("quick", alpha=-1)
    with pytest.raises(ValueError, match="profile"):
        paper1.Paper1Config("huge")
    with pytest.raises(ValueError, match="unknown parameter"):
        paper1.make_config("quick", epsilon=0.1)


def test_config_carries_the_readers_choices_to_a_smaller_profile():
    cfg = paper1.Paper1Config("paper", eps=[0.1], steps=7)
    smoke = cfg.at("smoke")
    # the reader's ε and steps stay; the rest is the smoke profile's
    assert (smoke.profile, smoke.eps, smoke.steps) == ("smoke", (0.1,), 7)
    assert smoke.models == paper1.Paper1Config("smoke").models and smoke.n_images == 100
    assert cfg.replace(steps=3).steps == 3 and cfg.replace(steps=3).eps == (0.1,)
    assert cfg.at("paper") == cfg


def _result(n_rows=(4, 2)):
    """Two ε rows over 4 images; the second row holds only the first 2 (padded)."""
    labels = np.array([0, 1, 2, 3])
    pred = np.array([[0, 0, 0, 0], [1, 1, -1, -1]], dtype=np.int8)
    success = pred != labels
    success[1, 2:] = False
    scores = np.array([[0.1, 0.9, 0.9, 0.2], [0.9, 0.1, np.nan, np.nan]], dtype=np.float32)
    mr = ModelResult("natural", {}, np.array([0.1, 0.2]), np.array(n_rows), pred, success,
                     {d: scores for d in paper1.DETECTORS}, np.array([0, 1, 2, 3], dtype=np.int8),
                     {d: np.array([0.1, 0.1, 0.6, 0.1], dtype=np.float32) for d in paper1.DETECTORS})
    return Paper1Result({}, labels, "test", {d: 0.5 for d in paper1.DETECTORS}, "train",
                        models={"natural": mr})


def test_curves_count_only_the_images_each_row_holds():
    c = paper1.curves(_result())["natural"]
    # row 0: correct [T, F, F, F], flagged [F, T, T, F] -> tpr 2/4, combined 3/4
    # row 1 (2 images): correct [F, T], flagged [T, F] -> tpr 1/2, combined 2/2
    np.testing.assert_allclose(c["accuracy"], [0.25, 0.5])
    np.testing.assert_allclose(c["tpr"], [0.5, 0.5])
    np.testing.assert_allclose(c["combined"], [0.75, 1.0])
    assert c["fpr"] == 0.25 and list(c["n"]) == [4, 2]


def test_curves_at_another_threshold_recount_the_flags():
    # threshold 0.95: nothing flagged; row 0 combined = accuracy 1/4, row 1 = 1/2
    c = paper1.curves(_result(), threshold=0.95)["natural"]
    np.testing.assert_allclose(c["tpr"], [0.0, 0.0])
    np.testing.assert_allclose(c["combined"], [0.25, 0.5])
    assert c["fpr"] == 0.0
    for bad in (float("nan"), "0.5", True):
        with pytest.raises(ValueError, match="threshold"):
            paper1.curves(_result(), threshold=bad)


def test_table2_always_shows_both_paper_rows_and_marks_missing_models():
    rows = dict(paper1.table2(_result())["rows"])
    assert any(k.startswith("adversarial (paper") for k in rows)
    assert rows["adversarial (ours: not computed yet)"] == [None] * len(paper1.table2(_result())["eps"])
    heads = paper1.headlines(_result())
    assert heads["adversarial"] == {"computed": False, "paper": heads["adversarial"]["paper"]}
    assert heads["adversarial"]["paper"]["zero_accuracy_eps"] == 0.47


def test_roc_and_auc_use_only_the_held_images():
    r = paper1.roc(_result(), "natural", 0.2)
    assert r["n"] == 2
    # negatives 0.1, 0.1, 0.6, 0.1; positives 0.9, 0.1 -> P(pos > neg) + ties / 2
    expected = (4 + 0 + 0.5 * 3) / 8
    assert r["auc"] == pytest.approx(expected)
    sklearn = pytest.importorskip("sklearn.metrics")
    y = np.r_[np.zeros(4), np.ones(2)]
    assert sklearn.roc_auc_score(y, [0.1, 0.1, 0.6, 0.1, 0.9, 0.1]) == pytest.approx(expected)


def test_madry_cnn_reference_initialisation():
    torch.manual_seed(0)
    m = models.build("mnist_cnn")
    w = m.classifier[1].weight.detach()
    assert float(w.abs().max()) <= 0.2 + 1e-6             # truncated at 2 std
    assert 0.085 < float(w.std()) < 0.09                   # std of N(0, 0.1) cut at ±2σ: 0.088
    assert torch.all(m.classifier[1].bias == 0.1)
    torch.manual_seed(0)
    p = models.build("mnist_cnn", init="pytorch")
    assert float(p.classifier[1].weight.detach().std()) < 0.02
    with pytest.raises(ValueError, match="init"):
        models.build("mnist_cnn", init="xavier")


def test_ramped_pgd_grows_eps_linearly_then_holds():
    atk = RampedPGD(10, eps=0.3, steps=1, alpha=0.1, random_start=False)
    model = models.build("mnist_cnn").eval()
    x, y = torch.full((2, 1, 28, 28), 0.5), torch.tensor([0, 1])
    for step, eps in ((0, 0.03), (4, 0.15), (50, 0.3)):
        atk.set_step(step)
        change = float((atk(model, x, y) - x).abs().max())
        assert change == pytest.approx(min(eps, 0.1 * eps / 0.3), abs=1e-6)


def test_training_slices_end_at_every_snapshot_and_the_last_step():
    ends = training.slices("natural")
    assert set(training.SNAPSHOT_STEPS) <= set(ends) and ends[-1] == 100_000
    assert all(b > a for a, b in zip(ends, ends[1:]))
    assert training.slices("adversarial")[-1] == training.RECIPES["adversarial"]["steps"]
    with pytest.raises(ValueError, match="recipe"):
        training.train_slice("nope", 10)


def test_the_madry_run_stops_at_its_budget_and_its_checkpoint_says_so(
        tmp_path, monkeypatch, one_thread):
    ends = training.slices("madry")
    assert ends[-1] == training.STEP_BUDGET["madry"] < training.RECIPES["madry"]["steps"]
    assert {s for s in training.MADRY_SNAPSHOT_STEPS if s <= ends[-1]} <= set(ends)
    monkeypatch.setenv("STEGO_CHECKPOINTS", str(tmp_path / "ckpt"))
    monkeypatch.setenv("STEGO_STATE", str(tmp_path / "state"))
    monkeypatch.setitem(training.STEP_BUDGET, "madry", 2)
    monkeypatch.setitem(training.RECIPES, "madry",
                        dict(training.RECIPES["madry"], adversary=dict(training.PGD40, steps=1)))
    train = data.load_mnist("train", limit=100)
    assert training.train_slice("madry", 1, progress=False, train_images=train) is None
    assert training.resume_path("madry").exists()           # the committed copy, for a new machine
    rec = training.train_slice("madry", 2, progress=False, train_images=train)
    assert rec["config"]["steps_done"] == 2 and rec["config"]["recipe"]["steps"] == 100_000
    assert any("2 of the recipe's 100,000 steps" in d for d in rec["config"]["deviations"])
    assert training.is_trained("madry") and not training.resume_path("madry").exists()


def test_campaign_computes_a_gpu_scale_sweep_chunk_on_a_cpu(tmp_path, monkeypatch):
    """The page refuses to start paper-scale work on a CPU; the campaign does it on purpose."""
    import json
    import shutil

    from stego_lib.cache import GPURequiredError
    from stego_lib.experiments.paper1 import compute, items

    repo = __import__("pathlib").Path(__file__).resolve().parents[1]
    ck = tmp_path / "checkpoints"
    ck.mkdir()
    manifest = json.loads((repo / "checkpoints" / "manifest.json").read_text())
    rec = dict(manifest["checkpoints"]["mnist_natural_pytorch_init"], file="mnist_natural.pt")
    shutil.copy(repo / "checkpoints" / "mnist_natural_pytorch_init.pt", ck / "mnist_natural.pt")
    (ck / "manifest.json").write_text(json.dumps({"format": 1,
                                                  "checkpoints": {"mnist_natural": rec}}))
    monkeypatch.setenv("STEGO_CHECKPOINTS", str(ck))
    monkeypatch.setenv("STEGO_RESULTS", str(tmp_path / "results"))
    monkeypatch.delenv("STEGO_ALLOW_CPU", raising=False)
    monkeypatch.setattr(compute, "needs_gpu", lambda n, steps: True)
    monkeypatch.setattr(compute.torch.cuda, "is_available", lambda: False)
    small = paper1.make_config("smoke", models="natural", eps=[0.1], n_images=20, steps=2,
                               threshold_n=200)
    monkeypatch.setattr(items, "make_config", lambda profile, **kw: small.replace(**kw))
    with pytest.raises(GPURequiredError, match="stego_lib.campaign"):
        paper1.run(small)
    chunk = next(c for c in items._sweep_chunks("natural")("cpu") if c.name.startswith("ε"))
    assert not chunk.done()
    done = []
    chunk.run(done.append)
    assert chunk.done() and sum(done) == 20


def test_robustness_metrics_need_every_restart_and_count_an_image_robust_only_if_all_fail(
        tmp_path, monkeypatch):
    """The secret model's robustness runs are separate campaign chunks; the manifest gets the
    CW figure only when all 5 restarts are committed, as the AND over restarts."""
    import json
    import shutil

    from stego_lib import checkpoints
    from stego_lib.cache import ResultsCache
    from stego_lib.experiments.paper1 import items
    from stego_lib.experiments.paper1.config import EXPERIMENT

    repo = __import__("pathlib").Path(__file__).resolve().parents[1]
    ck = tmp_path / "checkpoints"
    ck.mkdir()
    manifest = json.loads((repo / "checkpoints" / "manifest.json").read_text())
    rec = dict(manifest["checkpoints"]["mnist_natural_pytorch_init"], file="adv.pt", metrics={})
    shutil.copy(repo / "checkpoints" / "mnist_natural_pytorch_init.pt", ck / "adv.pt")
    (ck / "manifest.json").write_text(json.dumps({"format": 1,
                                                  "checkpoints": {"mnist_adversarial": rec}}))
    monkeypatch.setenv("STEGO_CHECKPOINTS", str(ck))
    monkeypatch.setenv("STEGO_RESULTS", str(tmp_path / "results"))

    chunks = items._robustness_chunks("adversarial")
    assert [c.name for c in chunks][:2] == ["PGD-40 × 10,000", "PGD-100 CW, start 1 × 10,000"]
    # in training steps of the recipe: 1,000 PGD-7 ones cost what PGD-40 on 10,000 images does
    assert [c.units for c in chunks] == [1_000] + [2_500] * 5
    assert [c.units for c in items._robustness_chunks("madry")] == [195] + [488] * 5
    assert len(chunks) == 6 and not any(c.done() for c in chunks)

    rng = np.random.default_rng(0)
    runs = {run: rng.random(10_000) < 0.95 for run in training.ROBUST_RUNS}
    cache = ResultsCache()
    for (attack, k), correct in list(runs.items())[:5]:
        cache.put(EXPERIMENT + "_robustness", training.robustness_config(
            "mnist_adversarial", attack, k), "1", {"correct": correct}, {})
    assert [c.done() for c in chunks] == [True] * 5 + [False]
    m = training.record_robustness("mnist_adversarial")["metrics"]
    assert m["pgd40_eps0.3_accuracy_test10k"] == pytest.approx(runs["pgd40", 0].mean())
    assert "pgd100_cw_5restarts_eps0.3_accuracy_test10k" not in m

    attack, k = training.ROBUST_RUNS[-1]
    cache.put(EXPERIMENT + "_robustness", training.robustness_config(
        "mnist_adversarial", attack, k), "1", {"correct": runs[attack, k]}, {})
    m = training.record_robustness("mnist_adversarial")["metrics"]
    every = np.logical_and.reduce([v for (a, _), v in runs.items() if a == "pgd100_cw"])
    assert m["pgd100_cw_5restarts_eps0.3_accuracy_test10k"] == pytest.approx(every.mean())
    assert every.mean() < min(v.mean() for v in runs.values())
    assert checkpoints.entry("mnist_adversarial")["metrics"] == m
