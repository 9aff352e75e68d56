import pytest

from stego_lib import checkpoints
from stego_lib.experiments import paper2_figures


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="unknown attack 'X'"):
        paper2_figures.make_config("smoke", attacks=["C", "X"])
    with pytest.raises(ValueError, match="unknown model 'nope'; available checkpoints"):
        paper2_figures.make_config("smoke", model="nope")
    with pytest.raises(ValueError, match="unknown parameter"):
        paper2_figures.make_config("smoke", eps=0.1)
    with pytest.raises(ValueError, match="row must be one of the released models"):
        paper2_figures.make_config("smoke", model="released/nope")
    # a released model is named, not looked up: its config needs no file
    assert paper2_figures.make_config("paper", model="released/d").model == "released/d"


@pytest.mark.skipif("cifar_resnet32_natural" not in checkpoints.available(),
                    reason="needs the committed CIFAR-10 checkpoint")
def test_smoke_run_keeps_attacks_in_bounds():
    cfg = paper2_figures.make_config("smoke", attacks=["D", "C"], n_images=2, iterations=3)
    res = paper2_figures.run(cfg, progress=False)
    assert set(res) == {"D", "C"}
    assert (res["D"]["arrays"]["linf"] <= 8 / 255 + 1e-6).all()
    assert res["C"]["arrays"]["lattice"].shape == (2, 3, 16, 32, 32)
    with pytest.raises(ValueError, match="n_images must be in"):
        paper2_figures.make_config("smoke", n_images=5000)


@pytest.mark.skipif("cifar_resnet32_natural" not in checkpoints.available(),
                    reason="needs the committed undefended CIFAR-10 checkpoint")
def test_campaign_item_one_chunk_per_attack(tmp_path, monkeypatch):
    from stego_lib.cache import ResultsCache, config_key
    from stego_lib.campaign import core
    from stego_lib.experiments import paper2_figures_items as figure_items

    monkeypatch.setenv("STEGO_RESULTS", str(tmp_path))
    item, released = figure_items.items()
    assert item.name == "paper2-figures" and item.needs == ("paper2-train-natural",)
    assert released.name == "paper2-figures-released" and released.needs == ()
    assert {"paper2-figures", "paper2-figures-released"} <= set(core.registry())
    for it, model, done in ((item, "cifar_resnet32_natural", "D"),
                            (released, figure_items.RELEASED_MODEL, "C")):
        chunks = it.chunks("cpu")
        assert [c.name for c in chunks] == list(paper2_figures.ATTACKS)
        assert not any(c.done() for c in chunks)
        cfg = figure_items.config(model)
        assert cfg.model == model and cfg.n_images == 846
        for path in ResultsCache().paths(paper2_figures.EXPERIMENT, config_key(
                paper2_figures.chunk_config(cfg, done), paper2_figures.VERSION)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x")
        assert [c.done() for c in chunks] == [a == done for a in paper2_figures.ATTACKS]


def test_colour_field_picks_the_levels_that_move_and_keeps_gamut_colours():
    import numpy as np

    lattices = np.zeros((2, 3, 6, 8, 8), np.float32)
    lattices[1, 1, 4] = 0.03                      # image 1 moves every u* at level 4
    assert paper2_figures.most_moved(lattices) == 1
    levels = paper2_figures.colour_field(lattices[1])
    assert 4 in [round(lv["L"] / 20) for lv in levels]   # L* of level 4 of 6 is 80
    moved = max(levels, key=lambda lv: abs(lv["du"]).max(initial=0))
    np.testing.assert_allclose(moved["du"], 6.0, rtol=1e-6)   # 0.03 scaled units = 6 u*
    for lv in levels:
        assert lv["rgb"].shape == (len(lv["u"]), 3)
        assert ((lv["rgb"] >= 0) & (lv["rgb"] <= 1)).all()


def test_beside_table1_rejects_a_cell_of_other_images():
    import numpy as np

    a = {"labels": np.zeros(3), "adv_pred": np.zeros(3), "linf": np.zeros(3), "l2": np.zeros(3)}
    with pytest.raises(ValueError, match="Table 1's D cell has 2 images, this run 3"):
        paper2_figures.beside_table1({"D": {"arrays": a}}, {"D": np.ones(2, bool)}, {})
    row, = paper2_figures.beside_table1({"D": {"arrays": a}}, None, {})
    assert row["table1"] is None and row["agree"] is None and row["pct"] == 100.0
