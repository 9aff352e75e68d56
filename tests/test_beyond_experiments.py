"""The beyond experiments end to end at a tiny scale, their configs and campaign items."""
import numpy as np
import pytest

from stego_lib.experiments.beyond import adaptive, detection, lsb, make_config

TINY = dict(mnist_eps=[0.3], cifar_attacks=[], mnist_n=dict(test=12, train=12, cal=30),
            lsb_n=dict(mnist=20, cifar10=10), lsb_rates=[0.2, 1.0], learners=5, d_sub=40,
            adaptive_steps=3)


@pytest.fixture
def tmp_state(tmp_path, monkeypatch):
    monkeypatch.setenv("STEGO_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("STEGO_RESULTS", str(tmp_path / "results"))
    return tmp_path


def test_config_checks():
    cfg = make_config("paper")
    assert len(detection.cells(cfg)) == 2 * 6 + 9 * 4
    with pytest.raises(ValueError, match="unknown parameter"):
        make_config("smoke", epsilon=0.1)
    with pytest.raises(ValueError, match="unknown CIFAR-10 attack"):
        make_config("smoke", cifar_attacks=["X"])
    with pytest.raises(ValueError, match="unknown MNIST model"):
        make_config("smoke", mnist_models="robust")
    with pytest.raises(ValueError, match="LSB rates"):
        make_config("smoke", lsb_rates=[0.0])


def test_detection_and_adaptive_smoke(tmp_state, one_thread):
    cfg = make_config("smoke", **TINY)
    res = detection.run(cfg)
    rows = detection.matrix(res)
    assert [r["detector"] for r in rows] == ["predictor", "ws", "spam_fld"]
    for r in rows:
        assert r["n_pos"] == r["n_neg"] == 12 and 0 <= r["auc"] <= 1
        assert r["tpr"]["n"] == 12 and r["tpr_successful"]["n"] == r["attack_success"]["k"]
    assert res.cells[0].arrays["linf"].max() <= round(0.3 * 255)   # 8-bit, inside the ball
    assert not (tmp_state / "results").exists()                       # smoke never stores
    res2 = adaptive.run(cfg)
    cur = adaptive.curves(res2)["natural"]
    for kind in ("plain", "adaptive"):
        comb, succ = cur[kind]["combined"][0], cur[kind]["success"][0]
        assert comb["k"] + succ["k"] == comb["n"] == 12
    # the plain attack is the detection cell's attack on the same images
    np.testing.assert_array_equal(res2.models["natural"][0.3]["plain_pred"],
                                  res.cells[0].arrays["pred"])


def test_lsb_smoke(tmp_state):
    res = lsb.run(make_config("smoke", **TINY))
    s = lsb.summary(res)
    rep = s["cifar10"]["replacement"]
    assert rep["change_rate"][0] == 0 and abs(rep["change_rate"][-1] - 0.5) < 0.05
    assert rep["ws_q"][1, -1] > rep["ws_q"][1, 0]
    assert len(rep["predictor_flagged"]) == 3


def test_items_register_with_their_needs():
    from stego_lib.campaign.core import registry
    reg = registry()
    names = [n for n in reg if n.startswith("beyond-")]
    assert "beyond-detect-cifar10" in names and "beyond-adaptive-adversarial" in names
    assert "paper1-train-adversarial" in reg["beyond-detect-mnist-adversarial"].needs
    for n in names:
        assert reg[n].rate.get("cpu")
    chunks = reg["beyond-detect-cifar10"].chunks("cpu")
    assert len(chunks) == 36 and all(c.units == 400 for c in chunks)


def test_page_shows_the_committed_part_at_full_scale_before_the_smaller_profile(monkeypatch):
    from stego_lib.cache import GPURequiredError
    from stego_lib.experiments.beyond import detection

    calls, committed = [], []

    def fake_run(cfg, mode="auto"):
        calls.append((cfg.profile, tuple(cfg.cifar_attacks), mode))
        if cfg.profile == "smoke":
            return "smoke result"
        if list(cfg.cifar_attacks) != committed or not mnist_half[0]:
            raise GPURequiredError("not committed")
        return f"paper part {committed}"
    monkeypatch.setattr(detection, "run", fake_run)
    monkeypatch.setattr(detection, "committed_cifar_attacks", lambda cfg: list(committed))
    mnist_half = [True]
    shown = detection.page_result("paper")
    assert (shown.result, shown.profile) == ("paper part []", "paper")
    assert "MNIST cells only" in shown.note and "campaign" in shown.note
    assert ("paper", (), "cache-only") in calls
    committed[:] = ["PGD", "D"]   # two CIFAR-10 attacks done at every bound
    shown = detection.page_result("paper")
    assert (shown.result, shown.profile) == ("paper part ['PGD', 'D']", "paper")
    assert "CIFAR-10 cells of PGD, D" in shown.note
    mnist_half[0] = False   # nothing at paper scale: the smaller profile, as before
    shown = detection.page_result("paper")
    assert (shown.result, shown.profile) == ("smoke result", "smoke")


def test_committed_cifar_attacks_needs_every_bound(tmp_state, monkeypatch):
    from stego_lib.cache import ResultsCache, config_key
    from stego_lib.experiments.beyond import config as bcfg

    cfg = make_config("paper")
    monkeypatch.setattr(detection, "model_sha", lambda *a: "f" * 64)
    cache = ResultsCache()

    def touch(a, b):
        key = config_key(detection.cell_config(cfg, "cifar10", "natural", "f" * 64, a, b),
                         bcfg.VERSION)
        for path in cache.paths(bcfg.EXPERIMENT, key):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x")
    assert detection.committed_cifar_attacks(cfg) == []
    for b in cfg.cifar_scales:
        touch("PGD", b)
    for b in cfg.cifar_scales[:-1]:   # C lacks its largest bound
        touch("C", b)
    assert detection.committed_cifar_attacks(cfg) == ["PGD"]

    def missing(*a):
        raise bcfg.ModelMissingError("no model")
    monkeypatch.setattr(detection, "model_sha", missing)
    assert detection.committed_cifar_attacks(cfg) == []


def test_compare_auc_and_the_operating_table():
    from stego_lib.experiments.beyond.stats import rate
    from stego_lib.plotting import beyond as plots

    a, b = {"auc": 0.90, "auc_se": 0.01}, {"auc": 0.95, "auc_se": 0.01}
    assert detection.compare_auc(a, b) == "lower than"   # 0.05 > 2 x 0.0141
    assert detection.compare_auc(b, a) == "higher than"
    assert detection.compare_auc(a, {"auc": 0.92, "auc_se": 0.01}) == "indistinguishable from"

    def row(ds, attack, bound, det, auc, k):
        return {"dataset": ds, "model": "natural", "attack": attack, "bound": bound,
                "detector": det, "auc": auc, "auc_se": 0.01, "tpr": rate([1] * k + [0] * (10 - k)),
                "tpr_at_5pct_fpr": auc / 2, "attack_success": rate([1] * 9 + [0])}
    rows = [row("cifar10", a, s, d, 0.5 + 0.1 * i, i)
            for a in ("C", "D") for s in (0.5, 1.0)
            for i, d in enumerate(("predictor", "ws", "spam_fld"))]
    rows.append(row("mnist", "PGD", 1.0, "predictor", 1.0, 10))
    at = detection.at_bound(rows, "cifar10", 1.0)
    assert list(at) == ["C", "D"] and set(at["C"]) == {"predictor", "ws", "spam_fld"}
    assert all(r["bound"] == 1.0 and r["dataset"] == "cifar10" for per in at.values()
               for r in per.values())
    table = plots.operating_table([r for per in at.values() for r in per.values()])
    assert len(table.header) == 9
    assert table.rows[0] == ["C", "0.900", "0.500", "0/10", "0.250", "0.700", "2/10", "0.350",
                             "0.600"]
