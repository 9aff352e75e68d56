"""Paper I diagnostics (start noise vs gradient) and the Madry-recipe run's committed state."""
import numpy as np
import pytest
import torch

from stego_lib.attacks import PGD
from stego_lib.cache import Entry
from stego_lib.experiments.paper1 import diagnostics, training
from stego_lib.models import build


def _model():
    torch.manual_seed(0)
    return build("mnist_cnn").eval()


def test_observed_pgd_returns_exactly_what_pgd_returns(one_thread):
    model = _model()
    g = torch.Generator().manual_seed(1)
    x, y = torch.rand(6, 1, 28, 28, generator=g), torch.arange(6)
    for atk in (PGD(eps=0.1, steps=5, alpha=0.02), PGD(eps=0.3, steps=3, random_start=False)):
        start = atk.init(x, generator=torch.Generator().manual_seed(2))
        got, stats = diagnostics.observed_pgd(atk, model, x, y, start)
        assert torch.equal(got, atk.run(model, x, y, start))
        assert stats["zero_grad"].shape == (6,) and stats["sign_consistency"].shape == (6,)
        assert ((stats["sign_consistency"] >= 0) & (stats["sign_consistency"] <= 1)).all()


def test_zero_steps_leave_the_start_projected_and_no_gradient_statistics():
    model = _model()
    x = torch.zeros(2, 1, 28, 28)
    atk = PGD(eps=0.2, steps=0)
    start = atk.init(x, generator=torch.Generator().manual_seed(0))
    got, stats = diagnostics.observed_pgd(atk, model, x, torch.tensor([0, 1]), start)
    assert torch.equal(got, start.clamp(0, 0.2)) and torch.isnan(stats["zero_grad"]).all()


def test_a_model_with_no_input_gradient_has_only_zero_gradients():
    class Const(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.b = torch.nn.Parameter(torch.zeros(10))

        def forward(self, x):
            return self.b.expand(x.shape[0], 10) + 0 * x.flatten(1).sum(1, keepdim=True)

    x = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    atk = PGD(eps=0.1, steps=4)
    start = atk.init(x, generator=torch.Generator().manual_seed(1))
    got, stats = diagnostics.observed_pgd(atk, Const(), x, torch.tensor([0, 1, 2]), start)
    assert torch.allclose(stats["zero_grad"], torch.ones(3))
    assert torch.equal(got, atk.project(start, x))   # nothing moves the start


def test_roughness_ignores_smooth_perturbations_and_sees_noise():
    ramp = torch.linspace(0, 0.1, 10).view(1, 1, 1, 10).expand(1, 1, 10, 10)
    assert diagnostics.delta_roughness(ramp).abs().max() < 1e-4          # linear: predicted
    noise = (torch.rand(1, 1, 50, 50, generator=torch.Generator().manual_seed(0)) * 2 - 1) * 0.1
    # i.i.d. U(-e, e): the residual has std 1.5 e / sqrt(3); its mean |.| is about 0.8 of that
    expected = 0.8 * 1.5 * 0.1 * 255 / 3 ** 0.5
    assert float(diagnostics.delta_roughness(noise)) == pytest.approx(expected, rel=0.08)


def test_flat_mask_marks_constant_neighbourhoods_only():
    x = torch.zeros(1, 1, 6, 6)
    x[0, 0, 2, 2] = 1.0
    m = diagnostics.flat_mask(x)[0, 0]       # interior 4x4, pixel (r, c) is image (r+1, c+1)
    assert not m[0:3, 0:3].any()              # every neighbourhood of (2, 2)
    assert m[3, 3] and m[0, 3] and m[3, 0]
    rough = diagnostics.delta_roughness(torch.ones(1, 1, 6, 6), diagnostics.flat_mask(x))
    assert float(rough) == 0.0


def test_summary_counts_tpr_as_misclassified_and_flagged():
    labels = np.array([0, 1, 2, 3], np.int8)
    arrays = {"labels": labels}
    for tag in ("pgd", "nostart", "noise"):
        arrays[f"pred_{tag}"] = np.array([0, 0, 0, 3], np.int8)     # images 1 and 2 fooled
        arrays[f"score_{tag}"] = np.array([5.0, 5.0, 0.0, 0.0], np.float32)
    for k in ("at_bound", "unchanged", "roughness", "roughness_flat", "unchanged_flat",
              "roughness_noise_flat", "zero_grad", "sign_consistency", "zero_grad_nostart",
              "sign_consistency_nostart"):
        arrays[k] = np.array([0.1, 0.2, 0.3, 0.4], np.float32)
    s = diagnostics.summary(Entry(arrays, {"threshold": 1.0}))
    assert s["accuracy_pgd"] == 0.5 and s["flagged_pgd"] == 0.5 and s["tpr_pgd"] == 0.25
    assert s["roughness"] == pytest.approx(0.25)


def test_madry_recipe_is_mnist_challenges_and_resumes_from_its_committed_state(
        tmp_path, monkeypatch):
    r = training.RECIPES["madry"]
    assert (r["lr"], r["batch_size"], r["steps"], r["schedule"]) == (1e-4, 50, 100_000, None)
    assert r["adversary"] == dict(eps=0.3, steps=40, alpha=0.01, random_start=True,
                                  clip_start=False, loss="ce")
    monkeypatch.setenv("STEGO_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("STEGO_CHECKPOINTS", str(tmp_path / "ckpt"))
    model = _model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    model(torch.rand(2, 1, 28, 28)).sum().backward()
    opt.step()
    from stego_lib.training import TrainState
    training.state_path("madry").parent.mkdir(parents=True)
    state = TrainState(training.state_path("madry"))
    state.step = 7
    state.save(model, opt, None)
    training.export_state("madry")
    saved = torch.load(training.resume_path("madry"), weights_only=True)
    moments = next(iter(saved["opt"]["state"].values()))
    assert moments["exp_avg"].dtype == torch.bfloat16
    assert saved["model"]["classifier.1.weight"].dtype == torch.float32   # weights kept exactly
    training.state_path("madry").unlink()                         # a new machine
    assert training.steps_done("madry") == 7
    assert training.import_state("madry") and training.steps_done("madry") == 7
    local = torch.load(training.state_path("madry"), weights_only=True)
    assert next(iter(local["opt"]["state"].values()))["exp_avg"].dtype == torch.float32
    assert not training.import_state("madry")                     # local is as far along


def _row(model, eps, pgd, nostart, acc_nostart=0.9, zero=0.0):
    return {"model": model, "eps": eps, "n": 1000, "flagged_noise": 1.0, "flagged_pgd": pgd,
            "flagged_nostart": nostart, "accuracy_nostart": acc_nostart,
            "tpr_nostart": 0.0, "zero_grad": zero}


def test_diagnosis_names_the_start_noise_only_when_removing_it_matters():
    from stego_lib.experiments.paper1 import prose

    start = [_row("natural", 0.1, 0.7, 0.65), _row("adversarial", 0.1, 0.99, 0.0, zero=0.66),
             _row("natural", 0.3, 1.0, 1.0), _row("adversarial", 0.3, 1.0, 0.0, zero=0.56)]
    text = prose.diagnosis(start)
    assert "it is the random start the detector sees" in text
    assert "fools the secret model on 10.0% of the images at ε = 0.30" in text
    same = [_row("natural", 0.1, 0.7, 0.65), _row("adversarial", 0.1, 0.99, 0.98),
            _row("natural", 0.3, 1.0, 1.0), _row("adversarial", 0.3, 1.0, 1.0)]
    assert "not what separates them" in prose.diagnosis(same)
    assert prose.diagnosis([]) == "The diagnostics for both models are not committed yet."


def test_separation_is_half_for_identical_statistics():
    from stego_lib.experiments.paper1 import prose

    a = {k: np.arange(10.0) for k in prose.STATISTICS}
    assert all(v == 0.5 for v in prose.separation(a, a).values())


def test_madry_sweep_reads_where_the_recipe_moves_perfect_separation():
    from stego_lib.experiments.paper1 import prose

    grid = np.array([0.1, 0.3, 0.35])

    def c(tpr, n=10000):
        return {"eps": grid, "tpr": np.array(tpr), "n": np.array([n] * 3)}

    def h(sep, used=3):
        return {"computed": True, "perfect_separation_eps": sep, "eps_used": used,
                "eps_total": 3, "paper": {"perfect_separation_eps": 0.31}}
    paper = {0.1: 0.0, 0.3: 0.047, 0.35: 0.32}
    curves = {"adversarial": c([0.6, 0.7, 0.8]), "madry": c([0.0, 0.2, 0.4])}
    text = prose.madry_sweep({"adversarial": h(0.1), "madry": h(0.205)}, curves, paper)
    assert "from ε = 0.205, against 0.1 for our secret model" in text
    # madry 0.0/0.2/0.4 against the paper's 0.0/0.047/0.32 and ours 0.6/0.7/0.8
    assert ("Its TPR lies above the paper's at 2 of the 3 ε of Table II and above our secret "
            "model's at 0 of 3.") in text
    assert text.endswith("from 0.1 to 0.205, 50% of the way to the paper's 0.31.")
    same = prose.madry_sweep({"adversarial": h(0.1), "madry": h(0.1)}, curves, paper)
    assert same.endswith("does not move the perfect-separation ε.")
    never = prose.madry_sweep({"adversarial": h(0.1), "madry": h(None)}, curves, paper)
    assert "beyond the grid's end" in never
    partial = prose.madry_sweep({"adversarial": h(0.1), "madry": h(None, used=2)}, curves, paper)
    assert partial.endswith("cannot be read yet.")
    assert "with 2 of its 3 ε computed so far" in partial
    # a complete sweep carries no "so far" (it used to say "3 of its 3 ε so far")
    assert "so far" not in text and "of its" not in text
    # a rate on fewer images is not read out under the full-N label
    few = prose.madry_sweep({"adversarial": h(0.1), "madry": h(0.205)},
                            {**curves, "madry": c([0.0, 0.2, 0.4], n=2000)}, paper)
    assert "Its TPR" not in few
    assert prose.madry_sweep({"adversarial": h(0.1)}, curves, paper).endswith(
        "until then the snapshots above are its result.")


def test_madry_sweep_reads_the_last_image_through_and_the_flagged_share_of_successes():
    from stego_lib.experiments.paper1 import prose

    grid = np.array([0.1, 0.2, 0.3])

    def c(combined, acc, tpr, n=10000):
        return {"eps": grid, "n": np.array([n] * 3), "combined": np.array(combined),
                "accuracy": np.array(acc), "tpr": np.array(tpr)}
    heads = {m: {"computed": True, "perfect_separation_eps": 0.3, "eps_used": 3,
                 "eps_total": 3, "paper": {"perfect_separation_eps": 0.31}}
             for m in ("adversarial", "madry")}
    curves = {"adversarial": c([1.0, 0.9999, 1.0], [0.98, 0.97, 0.95], [0.02, 0.03, 0.05]),
              "madry": c([0.9375, 0.9998, 0.9999], [0.893, 0.8, 0.54], [0.0446, 0.2, 0.46])}
    text = prose.madry_sweep(heads, curves, {0.1: 0.0, 0.3: 0.047})
    assert ("on our secret model, 0 images slip through at ε = 0.10; of the 3 ε from 0.10 on, "
            "1 let any through, none more than 1 from ε = 0.20 on, the last at ε = 0.2") in text
    assert "the Madry-recipe model, 625 images slip through at ε = 0.10" in text
    assert "the last at ε = 0.3" in text
    # 0.0446 / 0.107 of the successful attacks flagged; the paper's from Table II and 0.932
    assert "at ε = 0.10, 42% for the Madry-recipe model (10.7%)" in text
    assert "about 69% for the paper's (6.8%" in text
    # points on fewer images are left out of both readings
    few = {m: c(*(v[k] for k in ("combined", "accuracy", "tpr")), n=2000)
           for m, v in curves.items()}
    assert "slips through" not in prose.madry_sweep(heads, few, {0.1: 0.0})
    assert "detector flags" not in prose.madry_sweep(heads, few, {0.1: 0.0})


def test_let_through_counts_images_that_are_misclassified_and_not_flagged():
    from stego_lib.experiments.paper1 import prose

    c = {"eps": np.array([0.05, 0.1, 0.2, 0.3]), "n": np.array([100] * 4),
         "combined": np.array([0.5, 1.0, 1.0, 1.0])}
    assert prose.let_through(c, 100) == {"first": 0, "tail_most": 0, "eps_with": 0,
                                         "eps_total": 3, "last": None}


def test_device_check_compares_image_by_image():
    from stego_lib.experiments.paper1 import device_check, prose

    a = {"pred_cpu": np.array([1, 2, 3, 4]), "pred_ref": np.array([1, 0, 3, 4]),
         "labels": np.array([1, 1, 3, 0]), "flag_cpu": np.array([True, True, False, False]),
         "flag_ref": np.array([True, True, True, False]),
         "first": np.array([True, True, True, False]),
         "through_ref": np.array([False, False, False, True]),
         "through_cpu": np.array([False, False, False, True])}
    s = device_check.compare(a)
    assert (s["n_first"], s["pred_agree"], s["flag_agree"]) == (3, 2, 2)
    assert s["tpr_diff"] == 0          # one misclassified-and-flagged image on each side
    assert (s["through_ref"], s["through_both"], s["through_cpu_only"]) == (1, 1, 0)
    row = {"model": "natural", "eps": 0.2, "device": "cpu", **s}
    assert prose.device_text({"natural": {"cpu": 50}}, [row]).endswith(
        "No GPU-computed point has been recomputed on a CPU yet.")
    text = prose.device_text({"natural": {"cpu": 28, "GPU X": 22}},
                             [dict(row, device="GPU X")])
    assert "on 2 kinds of hardware" in text and "22 ε on a GPU (GPU X)" in text
    assert "same prediction for 2 of 3" in text and "1 slips through on the CPU as well" in text


def test_device_check_of_a_cpu_point_repeats_bit_for_bit_and_agrees_with_the_stored_run(
        data_root, one_thread, monkeypatch):
    """The check recomputes each image inside its own sweep batch from the same start: two
    recomputations in this run agree bit for bit, and with the stored run (made on another
    CPU, perhaps with another torch) within the tolerance of a sign-step attack. A committed
    CPU point where no image slips through, so one batch of 100 is recomputed."""
    from stego_lib.experiments.paper1 import device_check
    from stego_lib.verify import Spec, compare

    monkeypatch.setattr(device_check, "N_FIRST", 100)
    arrays, meta = device_check._compute("adversarial", 0.45)
    again, _ = device_check._compute("adversarial", 0.45)
    assert arrays["index"].tolist() == list(range(100))
    assert meta["reference_device"] == "cpu"
    assert all(np.array_equal(arrays[k], again[k]) for k in arrays)
    fresh = {"pred": arrays["pred_cpu"], "score": arrays["score_cpu"]}
    stored = {"pred": arrays["pred_ref"], "score": arrays["score_ref"]}
    spec = Spec(preds=("pred",), scores=("score",), flags={"score": meta["threshold"]},
                value=lambda a: 100 * float(np.mean(a["score"] > meta["threshold"])))
    result = compare(spec, fresh, stored, "pgd")
    assert result.ok, result.failures


def _sentence_with(text, number):
    """The sentence of ``text`` that holds ``number`` (it must hold it exactly once)."""
    hits = [s for s in text.split(". ") if number in s]
    assert len(hits) == 1, (number, text)
    return hits[0]


def test_every_madry_flag_rate_names_its_image_set():
    """The Madry-recipe model's share flagged at ε 0.10 is read on three sets: the stored
    model's diagnostics and the training snapshots on the first 1,000 test images, the full
    sweep on all 10,000. Each sentence says which, so the three numbers can be told apart."""
    from stego_lib.experiments.paper1 import prose

    rows = [_row("natural", 0.1, 0.73, 0.68), _row("adversarial", 0.1, 0.99, 0.0, zero=0.66),
            dict(_row("madry", 0.1, 0.326, 0.146), device="cpu")]
    snap = {"step": 15000, "clean": 0.95,
            "by_eps": {0.1: {"flagged_pgd": 0.343, "flagged_nostart": 0.129, "n": 1000,
                             "device": "cuda:0", "accuracy_pgd": 0.87, "tpr_pgd": 0.05,
                             "zero_grad": 0.0}}}
    diag = prose.madry_diagnosis(rows, snapshot=snap)
    assert "the first 1,000 test images" in _sentence_with(diag, "32.6%")
    assert "the same 1,000 images" in _sentence_with(diag, "34.3%")
    trend = prose.madry_trend([snap], {0.1: 0.0})
    assert trend.startswith("The Madry-recipe model, snapshot by snapshot, on the first 1,000 "
                            "test images")
    grid = np.array([0.1, 0.3])
    c = {"eps": grid, "n": np.array([10_000] * 2), "flagged": np.array([0.389, 1.0]),
         "accuracy": np.array([0.89, 0.54]), "tpr": np.array([0.04, 0.46])}
    curves = {"adversarial": dict(c, flagged=np.array([0.996, 1.0])), "madry": c}
    verdict = prose.recipe_verdict(curves, 10_000, [snap], {0.1: rows[1]}, 0.54)
    assert "all 10,000 test images" in _sentence_with(verdict, "38.9%")


def test_the_committed_madry_flag_rates_name_their_image_sets():
    """The same, on the committed results read through the page's own loaders."""
    from stego_lib import checkpoints
    from stego_lib.experiments import paper1
    from stego_lib.experiments.paper1 import prose

    rows = diagnostics.rows()
    snaps = training.madry_snapshots()
    shown = paper1.page_result("paper")
    if shown.profile != "paper" or "madry" not in shown.result.models or not snaps:
        pytest.skip("the Madry-recipe model's paper-scale results are not committed")
    res = shown.result
    curves = paper1.curves(res, "abs")
    mad = next(r for r in rows if (r["model"], r["eps"]) == ("madry", 0.10))
    ours = {r["eps"]: r for r in rows if r["model"] == "adversarial"}
    diag = prose.madry_diagnosis(rows, snapshot=snaps[-1],
                                 stored_dtype=checkpoints.entry("mnist_adversarial_madry")["dtype"])
    assert prose.image_set(mad["n"]) in _sentence_with(diag, f"{mad['flagged_pgd']:.1%}")
    live = snaps[-1]["by_eps"][0.10]
    assert f"the same {live['n']:,} images" in _sentence_with(diag, f"{live['flagged_pgd']:.1%}")
    trend = prose.madry_trend(snaps, {0.1: 0.0, 0.3: 0.047}, ours)
    assert (prose.image_set(live["n"]) + " (the clean accuracy on all 10,000)"
            in trend.split(". ")[0])
    i = int(np.argmin(np.abs(curves["madry"]["eps"] - 0.10)))
    swept = f"{curves['madry']['flagged'][i]:.1%}"
    verdict = prose.recipe_verdict(curves, len(res.labels), snaps, ours, None)
    assert f"all {len(res.labels):,} test images" in _sentence_with(verdict, swept)
