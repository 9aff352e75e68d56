"""ImageNet examples (experiments.imagenet): the whole code path on a small randomly
initialised torchvision model whose weights sit in a temporary torch hub cache, and a few
generated images in a temporary folder. No pretrained weights are needed or downloaded."""
import numpy as np
import pytest
import torch

from stego_lib import hub
from stego_lib.experiments import imagenet

pytestmark = pytest.mark.usefixtures("one_thread")

MODEL = "squeezenet1_1"  # the smallest torchvision ImageNet classifier (5 MB of weights)


@pytest.fixture
def image_folder(tmp_path):
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    g = np.random.default_rng(0)
    for i, (w, h) in enumerate([(300, 240), (240, 320), (256, 256)]):
        arr = (g.random((h, w, 3)) * 255).astype(np.uint8)
        arr[: h // 2] //= 3  # a dark half, so colours differ across the image
        Image.fromarray(arr).save(folder / f"img{i}.{'png' if i % 2 else 'jpg'}")
    (folder / "notes.txt").write_text("not an image")
    return folder


@pytest.fixture
def hub_with_random_model(tmp_path, monkeypatch):
    """A torch hub cache holding a randomly initialised model under torchvision's file name."""
    import torchvision

    torch.manual_seed(0)
    weights = torchvision.models.get_model_weights(MODEL).DEFAULT
    home = tmp_path / "torch_home"
    (home / "hub" / "checkpoints").mkdir(parents=True)
    torch.save(torchvision.models.get_model(MODEL, weights=None).state_dict(),
               home / "hub" / "checkpoints" / weights.url.rsplit("/", 1)[-1])
    monkeypatch.setenv("TORCH_HOME", str(home))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    return home / "hub"


def test_images_are_found_and_prepared(image_folder):
    paths = imagenet.find_images(image_folder)
    assert [p.name for p in paths] == ["img0.jpg", "img1.png", "img2.jpg"]
    x = imagenet.load_images(paths, resize=80, crop=64)
    assert x.shape == (3, 3, 64, 64) and x.dtype == torch.float32
    assert 0 <= float(x.min()) and float(x.max()) <= 1
    with pytest.raises(ValueError, match="crop must be <= resize"):
        imagenet.load_images(paths, resize=32, crop=64)
    assert imagenet.find_images(image_folder / "missing") == []


def test_availability_says_what_is_missing(tmp_path, image_folder, hub_with_random_model):
    empty_hub = tmp_path / "empty"
    reason = imagenet.availability("resnet50", image_folder, hub_dir=empty_hub)
    assert reason.startswith("The classifier cannot be loaded") and "resnet50" in reason
    assert "unknown torchvision model 'nope'" in imagenet.availability("nope", image_folder)
    reason = imagenet.availability(MODEL, tmp_path / "no_images")
    assert reason.startswith("No images to attack")
    assert imagenet.availability(MODEL, image_folder) is None


def test_classifier_loads_from_hub_cache_only(hub_with_random_model, tmp_path):
    model, cats, (resize, crop) = imagenet.classifier(MODEL)
    assert len(cats) == 1000 and (resize, crop) == (256, 224)
    assert model(torch.rand(1, 3, 64, 64)).shape == (1, 1000)
    with pytest.raises(hub.WeightsMissingError, match="no file"):
        imagenet.classifier("resnet18", hub_dir=tmp_path / "empty")


def test_run_examples_with_random_model():
    import torchvision

    torch.manual_seed(0)
    model = imagenet.Normalized(torchvision.models.resnet18(weights=None, num_classes=10))
    x = torch.rand(2, 3, 48, 48)
    res = imagenet.run_examples(model, x, attacks=("C", "C+S+D"), iterations=2)
    assert res["images"].shape == (2, 3, 48, 48) and res["clean_pred"].shape == (2,)
    for name in ("C", "C+S+D"):
        r = res["attacks"][name]
        assert r["adv"].shape == (2, 3, 48, 48) and r["adv_pred"].shape == (2,)
        assert 0 <= r["adv"].min() and r["adv"].max() <= 1 and (r["linf"] > 0).all()
    assert model.training  # restored
    with pytest.raises(ValueError, match="unknown functional attack 'X'"):
        imagenet.run_examples(model, x, attacks=("X",))


def test_whole_path_and_figure(image_folder, hub_with_random_model):
    cfg = imagenet.make_config("smoke", model=MODEL, image_dir=image_folder, iterations=1,
                               attacks=["C"])
    res = imagenet.run(cfg)
    assert res["names"] == ["img0.jpg", "img1.png"]
    assert res["images"].shape == (2, 3, 224, 224)
    assert len(res["categories"]["clean"]) == 2 and len(res["categories"]["C"]) == 2
    from stego_lib.plotting import imagenet as plots

    fig = plots.example_rows(res)
    assert len(fig.axes) == 2 * 3
    assert len(plots.message("nothing here").axes) == 1


def test_config_checks():
    with pytest.raises(ValueError, match="unknown parameter"):
        imagenet.make_config("smoke", colour=1)
    with pytest.raises(ValueError, match="n_images must be an int >= 1"):
        imagenet.make_config("smoke", n_images=0)
    assert imagenet.make_config("paper").model == "resnet50"
