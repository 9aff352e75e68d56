"""Table 1 cells read through the 2019 evaluation loader's flip and crop: the loader enters a
cell's key only when it transforms the images, every committed key stays as it was, the cell
attacks the transformed images, and the campaign item lists a fixed set of chunks."""
import pytest
import torch

from stego_lib import checkpoints
from stego_lib.augment import flip_crop
from stego_lib.cache import ResultsCache
from stego_lib.campaign.core import registry
from stego_lib.experiments import paper2
from stego_lib.experiments.paper2 import flip_crop as study
from stego_lib.experiments.paper2 import table1
from stego_lib.experiments.paper2.config import EXPERIMENT, LABELS, VERSION, loader_seed
from stego_lib.models.reference import RELEASED
from stego_lib.papers import paper2_accuracy


def test_only_a_transforming_loader_enters_the_key():
    sha = RELEASED["c+d"][1]
    base = paper2.make_config("paper", models="released")
    plain = paper2.make_config("paper", models="released", loader="plain")
    for attack in ("None", "D"):
        old = table1.cell_config(base, "c+d", sha, attack, 0, 282)
        assert "loader" not in old
        assert table1.cell_config(plain, "c+d", sha, attack, 0, 282) == old
        new = table1.cell_config(study.config("c+d", 0, n_images=282), "c+d", sha, attack, 0, 282)
        assert new == {**old, "loader": "flip-crop:0"}
    # the committed baseline cells are still found under their keys
    assert ResultsCache().has(EXPERIMENT, table1.cell_config(base, "c+d", sha, "D", 0, 282),
                              VERSION)


@pytest.mark.parametrize("bad", ["flip", "flip-crop", "flip-crop:-1", "flip-crop:x", 3, None])
def test_bad_loader(bad):
    if bad is None:      # None keeps the default, as for every parameter
        assert paper2.make_config("paper", loader=None).loader == "plain"
        return
    with pytest.raises(ValueError, match="loader"):
        paper2.make_config("paper", loader=bad)
    with pytest.raises(ValueError, match="loader"):
        loader_seed(bad)


@pytest.mark.skipif("cifar_resnet32_brief" not in checkpoints.available(),
                    reason="needs the committed brief CIFAR-10 ResNet-32")
def test_a_flip_crop_cell_scores_the_transformed_images(one_thread):
    cfg = paper2.make_config("smoke", n_images=6, loader="flip-crop:1")
    sha = table1.row_sha(cfg, "natural")
    model = table1.lazy_model(cfg.checkpoints["natural"], "cpu")
    images = table1.lazy_images(cfg)
    entry = table1.cell_chunk(table1.Cell(cfg, "natural", sha, "None", 2, 6), model=model,
                              images=images, store=False)
    assert entry.meta["loader"] == "flip-crop:1"
    split = images.get()
    x = flip_crop(split.images[2:6], range(2, 6), seed=1)
    with torch.no_grad():
        want = model.get()(x).argmax(1).numpy()
    assert entry.arrays["pred"].tolist() == want.tolist()
    plain = table1.cell_chunk(table1.Cell(paper2.make_config("smoke", n_images=6), "natural",
                                          sha, "None", 2, 6),
                              model=model, images=images, store=False)
    assert plain.meta["loader"] == "plain"


def test_the_study_lists_the_clean_column_and_every_cell_the_baseline_misses():
    names = [c.name for c in registry()["paper2-flip-crop"].chunks("cpu")]
    assert names == [c.name for c in registry()["paper2-flip-crop"].chunks("cuda")]
    assert len(names) == len(set(names)) == 9 * len(study.CLEAN_SEEDS) + 44
    assert len(study.OPEN) == 17 and len(set(study.CELLS)) == 44
    # attacked, paper value known, no clean cell among them
    assert all(a != "None" and paper2_accuracy(LABELS[r], a) is not None for r, a in study.CELLS)


@pytest.mark.skipif("cifar_resnet32_brief" not in checkpoints.available(),
                    reason="needs the committed brief CIFAR-10 ResNet-32")
def test_verify_reexecutes_a_flip_crop_cell_through_the_same_transform(one_thread, monkeypatch):
    from stego_lib.verify import paper2 as verify_paper2

    cfg = paper2.make_config("smoke", n_images=8, data="sample", loader="flip-crop:2")
    sha = table1.row_sha(cfg, "natural")
    entry = table1.cell_chunk(table1.Cell(cfg, "natural", sha, "None", 2, 8),
                              model=table1.lazy_model(cfg.checkpoints["natural"], "cpu"),
                              images=table1.lazy_images(cfg), store=False)
    seen = []

    def spy(x, indices, seed):
        seen.append((list(indices), seed))
        return flip_crop(x, indices, seed)
    monkeypatch.setattr(verify_paper2, "flip_crop", spy)
    again = verify_paper2._cell(entry, 0, 6)
    assert seen == [(list(range(2, 8)), 2)]
    assert again["pred"].tolist() == entry.arrays["pred"].tolist()


def test_a_cell_the_transform_brings_to_the_paper_is_reproduced_by_it():
    import numpy as np

    from stego_lib.experiments.paper2 import verdicts
    row, a = "c+d", "D"                       # paper 7.5 %
    measured = {verdicts.BASELINE: {row: {a: np.array([True] * 40 + [False] * 242)}},
                verdicts.FLIP_CROP: {row: {a: np.array([True] * 22 + [False] * 260)}}}
    cell = verdicts.cells(measured, rows=[row], attacks=[a])[0]
    assert cell["verdict"] == "reproduced by the 2019 loader's flip and crop"
    assert verdicts.verdict_sentence(cell).endswith("7.8 % on 282 images")


def test_the_shift_is_paired_on_the_same_images():
    import numpy as np
    plain = {"c+d": {"D": np.array([True, True, False, False] * 70 + [True, False])}}
    flipped = {"c+d": {"D": np.array([True, False, False, False] * 70 + [True, False])}}
    r, = study.shift_rows(plain, flipped)
    assert r["plain"] == 50.0 and abs(r["flipped"] - 100 * 71 / 282) < 1e-9
    assert abs(r["shift"] - 100 * (-70 / 282)) < 1e-9 and r["shift_se"] > 0
    assert r["open"] and r["paper"] == 7.5
    assert study.shift_rows(plain, {}) == []


def test_the_flip_crop_tables_show_each_row_and_cell():
    clean = [{"label": "S", "paper": 82.7, "plain": 84.9, "seeds": [83.1, None, 82.9],
              "mean": 83.0}]
    t = study.clean_table(clean)
    assert t.rows == [["S", "82.7", "84.9", "83.1", "–", "82.9", "83.0"]]
    shift = {"row": "c+d", "label": "C+D", "attack": "D", "paper": 7.5, "plain": 14.2,
             "flipped": 17.7, "shift": 3.5, "shift_se": 2.1, "plain_near": False, "near": False}
    t = study.cells_table([shift], {("c+d", "D"): "open"})
    assert t.rows == [["C+D × D", "7.5", "14.2", "17.7", "+3.5 ± 2.1", "no / no", "open"]]


def test_the_bw_table_puts_each_front_end_and_protocol_in_its_column():
    from stego_lib.experiments.paper2 import protocol
    c = lambda pct, near: {"pct": pct, "n": 282, "near": near}
    rows = [{"attack": "None", "paper": 88.3, ("fitted", "package-2020"): c(91.5, True),
             ("fitted", "paper-2019"): c(91.5, True), ("bt601", "package-2020"): None,
             ("bt601", "paper-2019"): c(90.0, True)}]
    t = protocol.bw_table(rows)
    assert t.header[2:] == ["fitted, κ = ∞", "fitted, κ = 0", "BT.601, κ = ∞", "BT.601, κ = 0"]
    assert t.rows == [["no attack", "88.3", "91.5 *", "91.5 *", "–", "90.0 *"]]


def test_the_text_drops_so_far_once_every_cell_is_computed():
    from stego_lib.experiments.paper2 import flip_crop

    clean = [{"paper": 82.7, "plain": 84.9, "mean": 82.4, "seeds": [82.0, 82.8, 82.4]}]
    shift = {"near": False, "plain_near": False, "open": True, "shift": 0.0, "shift_se": 0.5,
             "paper": 7.5, "plain": 13.8, "flipped": 13.8}
    full = flip_crop.text(clean, [shift] * len(flip_crop.CELLS))
    assert f" Of the {len(flip_crop.CELLS)} attacked cells, 0 come within" in full
    assert "so far" not in full
    assert "computed so far" in flip_crop.text(clean, [shift])
