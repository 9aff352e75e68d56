"""Table 1 on the authors' released models: the config, the cache keys, the campaign items, and
the authors' own attack run through the reference package."""
import importlib.util

import pytest
import torch

from stego_lib import checkpoints
from stego_lib.attacks import functional_attack
from stego_lib.campaign.core import registry
from stego_lib.experiments import paper2
from stego_lib.experiments.paper2 import authors, table1
from stego_lib.models.reference import RELEASED

has_reference = pytest.mark.skipif(importlib.util.find_spec("recoloradv") is None,
                                   reason="the recoloradv reference package is not installed")


def test_released_config_defaults_to_the_nine_models_and_all_846_images():
    cfg = paper2.make_config("paper", models="released")
    assert cfg.rows == ("natural", "c", "d", "s", "c+s", "c+d", "s+d", "c+s+d", "gray")
    assert (cfg.data, cfg.n_images, cfg.chunk_images) == ("sample", 846, 282)
    assert cfg.checkpoints["c+d"] == "released/c+d"
    assert paper2.image_ranges(cfg) == [(0, 282), (282, 564), (564, 846)]
    # the trained models keep their own defaults
    assert paper2.make_config("paper").checkpoints["c+d"] == "cifar_resnet32_adv_cd"
    assert paper2.make_config("paper", models="released", n_images=10).n_images == 10


@pytest.mark.parametrize("bad, message", [
    ({"models": "theirs"}, "models"),
    ({"models": "released", "rows": ["trades"]}, "released no model for row"),
    ({"models": "released", "rows": ["natural", "gray-c"]}, "gray-c"),
])
def test_released_config_rejects_what_was_not_released(bad, message):
    with pytest.raises(ValueError, match=message):
        paper2.make_config("paper", **bad)


def test_cell_keys_name_the_released_file_and_the_measured_bw_input():
    cfg = paper2.make_config("paper", models="released")
    sha = table1.row_sha(cfg, "c")
    assert sha == RELEASED["c"][1]
    key = table1.cell_config(cfg, "c", sha, "C", 0, 282)
    assert key == {"kind": "cell", "row": "c", "checkpoint": sha, "attack": "C", "data": "sample",
                   "start": 0, "stop": 282, "iterations": 100, "lr": 1e-3, "reg_weight": 0.05}
    gray = table1.cell_config(cfg, "gray", RELEASED["gray"][1], "None", 0, 282)
    assert gray["front_end"] == {"gray": "fitted", "scale": 0.74}


def test_every_released_row_is_a_campaign_item_of_27_chunks():
    reg = registry()
    for row in RELEASED:
        item = reg[f"paper2-released-table1-{row}"]
        chunks = item.chunks("cpu")
        assert len(chunks) == 27 and item.needs == ()
        assert chunks[0].name == "None × images 0-282"
    names = [c.name for c in reg["paper2-authors"].chunks("cpu")]
    assert names[:2] == ["S on released/natural", "S on released/c"] and len(names) == 18
    assert names[9] == "C on released/natural"
    rgb = [c.name for c in reg["paper2-authors-crgb"].chunks("cpu")]
    assert rgb == [f"C-RGB on released/{row}" for row in paper2.RELEASED_ROWS]


def test_authors_keys_pin_the_package_and_the_model():
    key = authors.chunk_config("s", "C", 0, 282)
    assert key["checkpoint"] == RELEASED["s"][1] and key["package"] == "recoloradv==0.0.1"
    assert "rgb_eps" not in key   # the keys of the committed runs are unchanged
    rgb = authors.chunk_config("s", "C-RGB", 0, 282)
    assert rgb["rgb_eps"] == authors.RGB_EPS == functional_attack("C-RGB").eps[0]
    with pytest.raises(ValueError, match="C-RGB"):
        authors.reference_attack("X", torch.nn.Identity())


@has_reference
@pytest.mark.skipif("cifar_resnet32_brief" not in checkpoints.available(),
                    reason="needs the committed brief CIFAR-10 ResNet-32")
def test_the_authors_attack_runs_and_is_deterministic(one_thread):
    from stego_lib.data import load_sample

    model = checkpoints.load("cifar_resnet32_brief")
    split = load_sample("cifar10", limit=2)
    params = authors.reference_attack("C", model, iterations=2)
    a = params.attack(split.images, split.labels)[0].detach()
    b = authors.reference_attack("C", model, iterations=2).attack(split.images, split.labels)[0]
    assert a.shape == split.images.shape and torch.equal(a, b.detach())
    assert 0 < float((a - split.images).abs().max()) < 0.2
