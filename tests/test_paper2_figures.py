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


@pytest.mark.skipif("cifar_resnet32_brief" not in checkpoints.available(),
                    reason="needs the committed CIFAR-10 checkpoint")
def test_smoke_run_keeps_attacks_in_bounds():
    cfg = paper2_figures.make_config("smoke", attacks=["D", "C"], n_images=2, iterations=3)
    res = paper2_figures.run(cfg, progress=False)
    assert set(res) == {"D", "C"}
    assert (res["D"]["arrays"]["linf"] <= 8 / 255 + 1e-6).all()
    assert res["C"]["arrays"]["lattice"].shape == (2, 3, 16, 32, 32)
    with pytest.raises(ValueError, match="n_images must be in"):
        paper2_figures.make_config("smoke", n_images=5000)
