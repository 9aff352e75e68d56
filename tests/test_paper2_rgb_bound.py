"""The C-RGB bound sweep: one cache entry per (model, bound), read back by ``result``, and a
campaign item that waits for its two models."""
import numpy as np
import pytest

from stego_lib import checkpoints
from stego_lib.campaign.core import registry
from stego_lib.experiments import paper2
from stego_lib.experiments.paper2 import rgb_bound

BRIEF = "cifar_resnet32_brief"
needs_brief = pytest.mark.skipif(BRIEF not in checkpoints.available(),
                                 reason="needs the committed brief CIFAR-10 ResNet-32")


@needs_brief
def test_one_entry_per_model_and_bound(tmp_path, monkeypatch, one_thread):
    monkeypatch.setenv("STEGO_RESULTS", str(tmp_path))
    tiny = paper2.make_config("quick", rows=["natural"], n_images=3, iterations=2)
    monkeypatch.setattr(rgb_bound, "_cfg", lambda models="trained": tiny)
    monkeypatch.setattr(rgb_bound, "CHECKPOINTS", {"natural": BRIEF, "c": "no_such_model"})
    assert rgb_bound.result() == []
    e = rgb_bound.run_chunk("natural", 0.12)
    assert "eps=(0.12, 0.12, 0.12)" in e.meta["attack"] and e.arrays["correct"].shape == (3,)
    got = rgb_bound.result()
    assert [(g["row"], g["eps"], g["n"], g["paper"]) for g in got] == [("natural", 0.12, 3, 5.9)]
    assert got[0]["accuracy"] == pytest.approx(100 * np.mean(e.arrays["correct"]))
    # Each image's largest per-pixel change never exceeds the bound (float32 rounding aside).
    change = e.arrays["max_change"]
    assert change.shape == (3,) and change.dtype == np.float32 and change.max() <= 0.12 + 1e-6
    assert got[0]["max_change"] == pytest.approx(float(change.max()))
    with pytest.raises(checkpoints.CheckpointNotFoundError, match="no_such_model"):
        rgb_bound.run_chunk("c", 0.06)


def test_the_item_needs_both_models_and_covers_every_bound():
    item = registry()["paper2-crgb-bound"]
    assert item.needs == ("paper2-train-natural", "paper2-train-c")
    names = [c.name for c in item.chunks("cpu")]
    assert len(names) == len(rgb_bound.ROWS) * len(rgb_bound.BOUNDS) and names[0] == "natural eps 0.06"
    assert rgb_bound.BOUNDS[0] == 0.06   # Table 1's own bound is in the sweep


def _entry(row, eps, acc, paper):
    return {"row": row, "eps": eps, "accuracy": acc, "paper": paper, "n": 200}


def test_a_bound_matches_only_when_every_model_is_within_two_se():
    # 200 images, paper 43.5 %: SE = 3.5 points, so 2 SE = 7.0.
    entries = [_entry("natural", 0.09, 5.0, 5.9), _entry("c", 0.09, 51.0, 43.5),
               _entry("natural", 0.12, 5.0, 5.9), _entry("c", 0.12, 50.0, 43.5),
               _entry("natural", 0.18, 3.0, 5.9)]
    assert rgb_bound.matching_bounds(entries) == [0.12]   # 0.18 lacks the C-trained model
    assert rgb_bound.matching_bounds(entries, rows=("natural",)) == [0.09, 0.12, 0.18]
    assert rgb_bound.matching_bounds([]) == []
    # 2 SE at 5.9 % on 200 images is 3.3 points: 1.0 % is too far.
    assert rgb_bound.matching_bounds([_entry("natural", 0.18, 1.0, 5.9)], rows=("natural",)) == []
