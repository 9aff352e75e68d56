"""The two evaluation protocols of Paper II's attacks (CW margin κ = ∞ or 0): the margin, the
attack loop, the cache keys of our cells and of the authors' runs, and the campaign items."""
import importlib.util
import json
import math

import pytest
import torch

from stego_lib import checkpoints
from stego_lib.attacks import PROTOCOLS, attack, cw_margin, functional_attack, protocol_kappa
from stego_lib.cache import ResultsCache
from stego_lib.campaign.core import registry
from stego_lib.experiments import paper2
from stego_lib.experiments.paper2 import authors, protocol, table1
from stego_lib.experiments.paper2.config import EXPERIMENT, VERSION
from stego_lib.models.reference import RELEASED

has_reference = pytest.mark.skipif(importlib.util.find_spec("recoloradv") is None,
                                   reason="the recoloradv reference package is not installed")


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 10))


def test_the_protocols_are_kappa_infinity_and_zero():
    assert PROTOCOLS == {"package-2020": math.inf, "paper-2019": 0.0}
    with pytest.raises(ValueError, match="protocol"):
        protocol_kappa("paper-2018")


def test_with_kappa_zero_a_misclassified_image_gets_no_margin_gradient():
    logits = torch.tensor([[3.0, 1.0, 0.0], [0.0, 2.0, 1.0]], requires_grad=True)
    labels = torch.tensor([0, 0])      # the first image is classified correctly, the second not
    grad, = torch.autograd.grad(cw_margin(logits, labels, 0.0).sum(), logits)
    assert grad[1].abs().sum() == 0 and grad[0].abs().sum() > 0
    grad_inf, = torch.autograd.grad(cw_margin(logits, labels).sum(), logits)
    assert grad_inf[1].abs().sum() > 0   # κ = ∞ keeps pushing the misclassified image
    assert cw_margin(logits, labels, 0.5).tolist() == [2.0, -0.5]


def test_kappa_infinity_is_the_default_bit_for_bit(one_thread):
    model, threat = _model(), functional_attack("C+D")
    x, y = torch.rand(6, 3, 8, 8, generator=torch.Generator().manual_seed(1)), torch.arange(6)
    a = attack(model, x, y, threat, steps=8)
    b = attack(model, x, y, functional_attack("C+D"), steps=8, kappa=float("inf"))
    assert torch.equal(a, b)
    c = attack(model, x, y, functional_attack("C+D"), steps=8, kappa=0.0)
    assert not torch.equal(a, c)


def test_the_last_iterate_is_returned_under_kappa_zero(one_thread):
    model, threat = _model(), functional_attack("C")
    x, y = torch.rand(6, 3, 8, 8, generator=torch.Generator().manual_seed(2)), torch.arange(6)
    seen, project = [], threat.project

    def record(params):
        project(params)
        seen.append([p.detach().clone() for p in threat.tensors(params)])
    threat.project = record
    adv, params = attack(model, x, y, threat, steps=12, lr=0.05, kappa=0.0, return_params=True)
    assert len(seen) == 13   # the projected start and one per step: every step runs
    assert all(torch.equal(p, q) for p, q in zip(threat.tensors(params), seen[-1]))
    assert not all(torch.equal(p, q) for p, q in zip(seen[-2], seen[-1]))


@pytest.mark.parametrize("kappa", [-1.0, "0", None, True])
def test_bad_kappa(kappa):
    with pytest.raises(ValueError, match="kappa"):
        attack(_model(), torch.rand(1, 3, 8, 8), torch.tensor([0]), functional_attack("D"),
               steps=1, kappa=kappa)


def test_paper_2019_changes_the_cell_key_and_package_2020_does_not():
    base = paper2.make_config("paper", models="released")
    named = paper2.make_config("paper", models="released", protocol="package-2020")
    new = protocol.released_config("s")
    sha = RELEASED["s"][1]
    old_key = table1.cell_config(base, "s", sha, "S", 0, 282)
    assert table1.cell_config(named, "s", sha, "S", 0, 282) == old_key
    assert "protocol" not in old_key
    assert table1.cell_config(new, "s", sha, "S", 0, 282) == {**old_key, "protocol": "paper-2019"}
    # the clean column does not depend on the attack's loss: one key for both protocols
    assert (table1.cell_config(new, "s", sha, "None", 0, 282)
            == table1.cell_config(base, "s", sha, "None", 0, 282))
    # the committed package-2020 cells are still found under their keys
    assert ResultsCache().has(EXPERIMENT, old_key, VERSION)
    with pytest.raises(ValueError, match="protocol"):
        paper2.make_config("paper", protocol="2019")


def test_paper_2019_changes_the_authors_key_and_package_2020_does_not():
    old = authors.chunk_config("s", "S", 0, 282)
    assert authors.chunk_config("s", "S", 0, 282, "package-2020") == old
    assert authors.chunk_config("s", "S", 0, 282, "paper-2019") == {**old, "protocol": "paper-2019"}
    assert authors.has("s", "S")                       # committed under its unchanged key


@has_reference
def test_the_authors_package_runs_with_kappa_zero():
    model = _model()
    params = authors.reference_attack("S", model, iterations=2, protocol="paper-2019")
    assert authors.reference_cw_loss(params).kappa == 0.0
    default = authors.reference_attack("S", model, iterations=2)
    assert authors.reference_cw_loss(default).kappa == math.inf
    rgb = authors.reference_attack("C-RGB", model, iterations=2, protocol="paper-2019")
    assert authors.reference_cw_loss(rgb).kappa == 0.0


@pytest.mark.skipif("cifar_resnet32_brief" not in checkpoints.available(),
                    reason="needs the committed brief CIFAR-10 ResNet-32")
def test_a_paper_2019_cell_stores_float_and_8_bit_predictions(one_thread):
    cfg = paper2.make_config("smoke", protocol="paper-2019", iterations=3, n_images=3)
    sha = table1.row_sha(cfg, "natural")
    entry = table1.cell_chunk(table1.Cell(cfg, "natural", sha, "S", 0, 3),
                              model=table1.lazy_model(cfg.checkpoints["natural"], "cpu"),
                              images=table1.lazy_images(cfg), store=False)
    assert entry.meta["protocol"] == "paper-2019"
    assert entry.arrays["pred"].shape == entry.arrays["pred_uint8"].shape == (3,)


def test_campaign_items_put_the_first_282_images_of_every_cell_first():
    reg = registry()
    pilot = [c.name for c in reg["paper2-protocol-pilot"].chunks("cpu")]
    rest = [c.name for c in reg["paper2-protocol-rest"].chunks("cpu")]
    mine = [c.name for c in reg["paper2-protocol-authors"].chunks("cpu")]
    assert len(pilot) == len(mine) == 72 and len(rest) == 144
    assert all(n.endswith("× images 0-282") for n in pilot)
    assert rest[0].endswith("× images 282-564") and rest[-1].endswith("× images 564-846")
    assert {n.split(" on ")[0] for n in pilot} == set(paper2.ATTACKS) - {"None"}
    assert pilot == [c.name for c in reg["paper2-protocol-pilot"].chunks("cuda")]


def test_the_crgb_sweep_under_paper_2019_keeps_the_committed_keys():
    from stego_lib.experiments.paper2 import rgb_bound
    sha = RELEASED["c"][1]
    old = rgb_bound.chunk_config("c", 0.06, sha, None, "released")
    assert "protocol" not in old
    assert rgb_bound.chunk_config("c", 0.06, sha, None, "released", "paper-2019") == \
        {**old, "protocol": "paper-2019"}
    assert ResultsCache().has(rgb_bound.EXPERIMENT, old, rgb_bound.VERSION)
    chunks = registry()["paper2-protocol-crgb"].chunks("cpu")
    assert len(chunks) == len(rgb_bound.ROWS) * len(rgb_bound.GRID["released"])


def test_the_bw_row_behind_a_bt601_luma_has_keys_of_its_own():
    from stego_lib import checkpoints as ck
    assert ck.entry("released/gray@bt601")["arch_kwargs"] == {"gray": "bt601"}
    assert ck.sha("released/gray@bt601") == ck.sha("released/gray")
    with pytest.raises(ValueError, match="only the B&W model"):
        ck.entry("released/c@bt601")
    cfg = protocol.bw_config("package-2020")
    sha = RELEASED["gray"][1]
    key = table1.cell_config(cfg, "gray", sha, "None", 0, 282)
    fitted = table1.cell_config(paper2.make_config("paper", models="released"), "gray", sha,
                                "None", 0, 282)
    assert key["front_end"] == {"gray": "bt601"} and key != fitted
    chunks = registry()["paper2-protocol-bw"].chunks("cpu")
    assert len(chunks) == 17 and chunks[0].name == "None on released/gray × images 0-282 (bt601)"


@pytest.mark.skipif(checkpoints.sha("released/s") is None,
                    reason="the released models are not under the data root")
def test_the_iteration_trace_reads_what_shorter_runs_give(one_thread):
    from stego_lib.experiments.paper2 import iterations

    arrays, meta = iterations._compute("s", "S", 0, 2, None)
    assert meta["protocol"] == "paper-2019" and set(arrays) == {
        "labels", *(f"{k}_{t}" for t in iterations.STEPS for k in ("pred", "pred_uint8"))}
    cfg = iterations._cfg("s")
    model = table1.lazy_model(cfg.checkpoints["s"]).get()
    split = table1.lazy_images(cfg).get()
    x, y = split.images[:2], split.labels[:2]
    for t in (20, 100):
        adv = attack(model, x, y, functional_attack("S"), steps=t, lr=cfg.lr,
                     reg_weight=cfg.reg_weight, kappa=0.0)
        with torch.no_grad():
            assert arrays[f"pred_{t}"].tolist() == model(adv).argmax(1).tolist(), t


def test_the_iteration_trace_has_its_own_keys_and_chunks():
    from stego_lib.experiments.paper2 import iterations

    keys = {json.dumps(iterations.chunk_config(r, "0" * 64, a, s, e), sort_keys=True)
            for r in ("s", "d") for a in iterations.ATTACKS for s, e in iterations.HALVES}
    assert len(keys) == 2 * len(iterations.ATTACKS) * len(iterations.HALVES)
    names = [c.name for c in registry()["paper2-iterations"].chunks("cpu")]
    assert len(names) == len(set(names)) == 9 * len(iterations.ATTACKS) * len(iterations.HALVES)
