"""Perceptual metrics (stego_lib.perceptual), the Fig 6 sweep (experiments.perceptual) and
its campaign item."""

import numpy as np
import pytest
import torch

from stego_lib import checkpoints, perceptual
from stego_lib.experiments import perceptual as sweep

pytestmark = pytest.mark.usefixtures("one_thread")


def pair(seed: int = 0, n: int = 3, size: int = 16, noise: float = 0.05):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, size, size, generator=g)
    return x, (x + noise * torch.randn(x.shape, generator=g)).clamp(0, 1)


# ---------------------------------------------------------------- metrics

@pytest.mark.parametrize("fn", [perceptual.dssim, perceptual.ciede2000])
def test_metric_shapes_zero_and_monotone(fn):
    x, y = pair()
    d = fn(x, y)
    assert d.shape == (3,) and d.dtype == np.float64 and (d > 0).all()
    assert np.array_equal(fn(x, x), np.zeros(3))
    _, far = pair(noise=0.2)
    assert (fn(x, far) > d).all()


def test_metrics_against_library_values():
    """SSIM and CIEDE2000 are scikit-image's, one image at a time."""
    from skimage.color import deltaE_ciede2000, rgb2lab
    from skimage.metrics import structural_similarity

    x, y = pair(1, n=2)
    a, b = x[1].permute(1, 2, 0).double().numpy(), y[1].permute(1, 2, 0).double().numpy()
    assert perceptual.dssim(x, y)[1] == pytest.approx(
        1 - structural_similarity(a, b, data_range=1.0, channel_axis=-1))
    assert perceptual.ciede2000(x, y)[1] == pytest.approx(
        deltaE_ciede2000(rgb2lab(a), rgb2lab(b)).mean())
    # pure red against pure blue: the textbook ΔE00 of about 52.9
    red, blue = torch.zeros(1, 3, 1, 1), torch.zeros(1, 3, 1, 1)
    red[0, 0], blue[0, 2] = 1.0, 1.0
    assert perceptual.ciede2000(red, blue)[0] == pytest.approx(52.88, abs=0.05)


def test_metric_exceptions():
    x, y = pair()
    with pytest.raises(ValueError, match=r"same shape, got \(3, 3, 16, 16\) and \(2, 3, 16, 16\)"):
        perceptual.dssim(x, y[:2])
    with pytest.raises(ValueError, match="must have 3 channel"):
        perceptual.ciede2000(x[:, :1], y[:, :1])
    with pytest.raises(ValueError, match="unknown perceptual metric 'psnr'"):
        perceptual.distances(x, y, ["psnr"])


def test_lpips_unavailable_without_weights(tmp_path):
    assert not perceptual.lpips_available(tmp_path)
    assert perceptual.available_metrics(tmp_path) == ("dssim", "ciede2000")
    x, y = pair()
    with pytest.raises(FileNotFoundError, match="not in the local torch hub cache"):
        perceptual.lpips(x, y, hub_dir=tmp_path)


def test_lpips_plumbing_with_mock_backbone_weights(tmp_path):
    """MOCK: a randomly initialised AlexNet trunk saved under the file name torchvision uses.
    Checks only the plumbing (the weights are found in the hub cache without any download,
    loaded into LPIPS's trunk, and distances come out per pair); the values mean nothing."""
    pytest.importorskip("lpips")
    import torchvision

    torch.manual_seed(0)
    trunk = torchvision.models.alexnet().features
    (tmp_path / "checkpoints").mkdir()
    torch.save({f"features.{k}": v for k, v in trunk.state_dict().items()},
               tmp_path / "checkpoints" / "alexnet-owt-7be5be79.pth")
    assert perceptual.lpips_available(tmp_path)
    assert perceptual.available_metrics(tmp_path) == ("lpips", "dssim", "ciede2000")
    x, y = pair(size=32)
    d = perceptual.lpips(x, y, hub_dir=tmp_path)
    assert d.shape == (3,) and np.isfinite(d).all() and (d > 0).all()
    assert np.allclose(perceptual.lpips(x, x, hub_dir=tmp_path), 0)
    # the trunk really holds the mock weights
    model = perceptual._lpips_model(str(tmp_path), "cpu")
    torch.testing.assert_close(model.net.slice1[0].weight, trunk[0].weight)
    assert set(perceptual.distances(x, y, hub_dir=tmp_path)) == {"lpips", "dssim", "ciede2000"}


# ---------------------------------------------------------------- sweep

def test_config_checks():
    cfg = sweep.make_config("smoke", metrics=["dssim"])
    assert len(sweep.make_config("paper").scales) >= 5
    assert sweep.make_config("paper").model == "cifar_resnet32_natural"
    assert cfg.metrics == ("dssim",)
    with pytest.raises(ValueError, match="unknown attack 'S'"):
        sweep.make_config("smoke", attacks=["C", "S"])
    with pytest.raises(ValueError, match="scales must be"):
        sweep.make_config("smoke", scales=[0])
    with pytest.raises(ValueError, match="unknown parameter"):
        sweep.make_config("smoke", eps=0.1)


def test_threat_bounds_scale():
    c = sweep.threat_for("C", 2.0)
    assert c.eps == (0.12, 0.12, 0.12)
    cd = sweep.threat_for("C+D", 0.5)
    assert cd.threats[0].eps == (0.03,) * 3 and cd.threats[1].eps == pytest.approx(4 / 255)


def test_missing_model_is_reported(monkeypatch):
    cfg = sweep.make_config("smoke", metrics=["dssim"])
    cfg = cfg.replace(model="cifar_resnet32_not_trained")
    with pytest.raises(sweep.ModelMissingError, match="not committed yet"):
        sweep.run(cfg)


@pytest.mark.skipif("cifar_resnet32_brief" not in checkpoints.available(),
                    reason="needs the committed CIFAR-10 checkpoint")
def test_smoke_sweep_and_summary():
    cfg = sweep.make_config("smoke", n_images=2, iterations=3, scales=[0.5, 1.0, 2.0],
                            metrics=["dssim", "ciede2000"])
    res = sweep.run(cfg)
    assert set(res["chunks"]) == {(a, s) for a in ("C", "D", "C+D") for s in (0.5, 1.0, 2.0)}
    summary = sweep.summarize(res)
    assert summary["metrics"] == ["dssim", "ciede2000"]
    d = summary["attacks"]["D"]
    assert d["default_index"] == 1 and d["bound"][2] == "ε<sub>D</sub> = 16/255"
    # larger bounds (with lr scaled alike) move the images further
    assert (np.diff(d["ciede2000"]) > 0).all()
    for name in ("C", "D", "C+D"):
        assert ((0 <= summary["attacks"][name]["error_rate"])
                & (summary["attacks"][name]["error_rate"] <= 1)).all()
    # D stays inside its bound at every scale
    for s in (0.5, 1.0, 2.0):
        assert (res["chunks"][("D", s)]["arrays"]["linf"] <= s * 8 / 255 + 1e-6).all()
    from stego_lib.plotting import perceptual as plots
    fig = plots.distance_vs_error(summary)
    assert [ax.get_xlabel() for ax in fig.axes] == ["perceptual distance: 1 − SSIM",
                                                     "perceptual distance: mean CIEDE2000 ΔE00"]
    assert len(plots.sweep_table(summary).rows) == 9


# ---------------------------------------------------------------- campaign item

def test_campaign_item():
    from stego_lib.campaign import core
    from stego_lib.experiments import perceptual_items

    item, released = perceptual_items.items()
    assert item.name == "paper2-perceptual" and item.needs == ("paper2-train-natural",)
    # the same sweep on the authors' released D-trained model, which needs no training here
    assert released.name == "paper2-perceptual-released" and released.needs == ()
    assert [c.name for c in released.chunks("cpu")] == [c.name for c in item.chunks("cpu")]
    cfg = sweep.make_config("paper")
    chunks = item.chunks("cpu")
    assert len(chunks) == len(cfg.attacks) * len(cfg.scales) >= 15
    assert all(c.units == cfg.n_images for c in chunks)
    # registered, with the item it needs
    reg = core.registry()
    assert "paper2-perceptual" in reg
    assert set(core.select("paper2-perceptual", reg)) == {"paper2-perceptual",
                                                          "paper2-train-natural"}


def test_distance_at_error_interpolates_and_refuses_to_extrapolate():
    row = {"error_rate": np.array([0.5, 0.7, 0.9]), "ssim": np.array([0.1, 0.2, 0.4])}
    assert sweep.distance_at_error(row, "ssim", 0.6) == pytest.approx(0.15)
    assert sweep.distance_at_error(row, "ssim", 0.9) == pytest.approx(0.4)
    assert sweep.distance_at_error(row, "ssim", 0.3) == pytest.approx(0.1)   # upper bound
    assert sweep.distance_at_error(row, "ssim", 0.95) is None
    with pytest.raises(ValueError, match="target"):
        sweep.distance_at_error(row, "ssim", 90)
