"""Paper II Table 1: config checks, the summary math, one cache entry per cell (and per slice
of a cell's images), the fallback when nothing is computed, and the campaign items."""
import math

import numpy as np
import pytest

from stego_lib import checkpoints, papers
from stego_lib.cache import GPURequiredError, ResultsCache
from stego_lib.campaign.core import registry
from stego_lib.experiments import best_available, paper2
from stego_lib.experiments.paper2 import items as p2items
from stego_lib.experiments.paper2 import table1
from stego_lib.experiments.paper2.summaries import binomial_se, cells, grids, headlines

BRIEF = "cifar_resnet32_brief"
needs_brief = pytest.mark.skipif(BRIEF not in checkpoints.available(),
                                 reason="needs the committed brief CIFAR-10 ResNet-32")


def test_rows_and_columns_are_the_papers():
    assert set(paper2.LABELS.values()) == set(papers.PAPER2_TABLE1)
    assert list(paper2.ATTACKS) == ["None", "C-RGB", "C", "D", "S", "C+S", "C+D", "S+D", "C+S+D"]
    assert len(paper2.ROWS) == 11
    assert papers.PAPER2_TABLE1["Undefended"][2] == 3.0          # undefended under C
    assert papers.PAPER2_TABLE1["C+S+D"][-1] == 3.6
    assert papers.PAPER2_TABLE1["TRADES"][-1] == 5.7


def test_config_validates_and_keeps_the_paper_column_order():
    cfg = paper2.make_config("paper")
    assert cfg.n_images == 200 and cfg.data == "sample" and cfg.iterations == 100
    assert paper2.make_config("smoke", attacks=["D", "None"]).attacks == ("None", "D")
    with pytest.raises(ValueError, match="row"):
        paper2.make_config("smoke", rows=["natural", "wrn"])
    with pytest.raises(ValueError, match="attack"):
        paper2.make_config("smoke", attacks=["C", "X"])
    with pytest.raises(ValueError, match="846 test images, got n_images=900"):
        paper2.make_config("smoke", n_images=900)
    with pytest.raises(ValueError, match="unknown parameter"):
        paper2.make_config("smoke", eps=0.1)
    assert paper2.image_ranges(paper2.make_config("smoke", n_images=5, chunk_images=2)) == [
        (0, 2), (2, 4), (4, 5)]


def test_binomial_standard_error():
    assert binomial_se(0.5, 100) == pytest.approx(0.05)
    assert binomial_se(0.03, 200) == pytest.approx(math.sqrt(0.03 * 0.97 / 200))
    assert binomial_se(0.0, 10) == 0.0
    with pytest.raises(ValueError, match="n must be an int >= 1, got 0"):
        binomial_se(0.5, 0)
    with pytest.raises(ValueError, match="p must lie in"):
        binomial_se(1.5, 10)


def _result(correct: dict, n: int) -> paper2.Table1Result:
    cfg = paper2.make_config("smoke", rows=list(correct), attacks=["None", "C", "C+S+D"],
                             n_images=n)
    res = paper2.Table1Result(cfg, np.zeros(n, np.int64), "test")
    res.correct = {r: {a: np.asarray(v) for a, v in row.items()} for r, row in correct.items()}
    res.correct_uint8 = res.correct
    return res


def test_cells_headlines_and_grids_from_known_counts():
    n = 200
    hits = lambda k: np.arange(n) < k                       # k of n correct
    res = _result({"natural": {"None": hits(180), "C": hits(6), "C+S+D": hits(0)}}, n)
    got = {(c["row"], c["attack"]): c for c in cells(res)}
    c = got[("natural", "C")]
    assert c["ours"] == pytest.approx(3.0) and c["paper"] == 3.0 and c["diff"] == pytest.approx(0)
    assert c["se"] == pytest.approx(100 * math.sqrt(0.03 * 0.97 / n)) and c["n"] == n
    assert got[("natural", "None")]["diff"] == pytest.approx(90.0 - 92.2)
    h = {x["key"]: x for x in headlines(res)}
    assert h["undefended_c"]["ours"] == pytest.approx(3.0)
    assert h["trades_csd"]["ours"] is None and h["trades_csd"]["paper"] == 5.7   # pending
    assert h["bw_gain_undefended"]["paper"] == 1.1   # 4.1 (B&W) - 3.0 under C
    g = grids(res)
    assert g["ours"].shape == (1, 3) and g["paper"][0, 2] == 0.0
    assert not np.isnan(g["ours"]).any()
    paper_only = grids(None)
    assert paper_only["paper"].shape == (11, 9) and "ours" not in paper_only
    assert len(cells(None)) == 99 and all(c["ours"] is None for c in cells(None))


@needs_brief
def test_one_cache_entry_per_cell_slice_and_reuse(tmp_path, monkeypatch, one_thread):
    monkeypatch.setenv("STEGO_RESULTS", str(tmp_path))
    cfg = paper2.make_config("quick", rows=["natural"], checkpoints={"natural": BRIEF},
                             attacks=["None", "D"], n_images=4, chunk_images=2, iterations=2)
    res = paper2.run(cfg)
    files = sorted((tmp_path / paper2.EXPERIMENT).glob("*.npz"))
    assert len(files) == 2 * 2                                  # 2 cells x 2 image slices
    assert res.n_images == 4 and not res.pending
    sha = checkpoints.entry(BRIEF)["sha256"]
    assert table1.has_cell(cfg, "natural", sha, "D", 2, 4)
    entry = ResultsCache().get(paper2.EXPERIMENT,
                               table1.cell_config(cfg, "natural", sha, "D", 0, 2), paper2.VERSION)
    adv = entry.arrays["adv_uint8"]                            # kept for the undefended model
    assert adv.dtype == np.uint8 and adv.shape == (2, 3, 32, 32)
    from stego_lib import data
    x = data.load_sample("cifar10", limit=2).pixels.numpy().astype(int)
    assert np.abs(adv.astype(int) - x).max() <= 8                # D's bound, 8/255, in pixels
    # a second run reads every cell from the cache, computing nothing
    monkeypatch.setattr(table1, "_compute", lambda *a, **k: pytest.fail("recomputed a cell"))
    again = paper2.run(cfg, mode="cache-only")
    assert np.array_equal(again.correct["natural"]["D"], res.correct["natural"]["D"])
    assert np.array_equal(paper2.adversarial_images(cfg, "D")[:2], adv)


@pytest.fixture
def only_brief(tmp_path, monkeypatch):
    """A checkpoint store holding the brief model and none of Table 1's, an empty cache."""
    import json
    import shutil

    src = checkpoints.checkpoints_dir()
    dst = tmp_path / "ckpt"
    dst.mkdir()
    shutil.copy(src / f"{BRIEF}.pt", dst)
    (dst / "manifest.json").write_text(json.dumps(
        {"format": 1, "checkpoints": {BRIEF: checkpoints.entry(BRIEF)}}))
    monkeypatch.setenv("STEGO_CHECKPOINTS", str(dst))
    monkeypatch.setenv("STEGO_RESULTS", str(tmp_path / "results"))
    monkeypatch.delenv("STEGO_ALLOW_CPU", raising=False)
    return tmp_path


@needs_brief
def test_nothing_computed_raises_and_the_page_falls_back(only_brief, one_thread):
    with pytest.raises(GPURequiredError, match="no cell of Table 1"):
        paper2.run(paper2.make_config("paper"))
    shown = best_available(paper2.make_config, paper2.run, "paper", attacks=["None"])
    assert shown.profile == "smoke" and "profile 'paper'" in shown.note


@needs_brief
def test_rows_without_a_model_are_pending(only_brief, one_thread):
    cfg = paper2.make_config("smoke", rows=["natural", "trades"], attacks=["None"], n_images=2)
    res = paper2.run(cfg)
    assert set(res.correct) == {"natural"} and res.n_images == 2
    assert ("trades", "None", "model not trained yet") in res.pending
    assert not list(only_brief.glob("results/**/*.npz"))        # smoke stores nothing


def test_campaign_items_needs_and_cpu_budgets():
    reg = registry()
    names = [n for n in reg if n.startswith(("paper2-train-", "paper2-table1-"))]
    assert len(names) == 22
    assert reg["paper2-train-natural"].needs == ()
    assert reg["paper2-train-c+s+d"].needs == ("paper2-train-natural",)
    assert reg["paper2-train-gray-c"].needs == ("paper2-train-gray",)
    assert reg["paper2-table1-trades"].needs == ("paper2-train-trades",)
    for n in names:
        item = reg[n]
        chunks = item.chunks("cpu")
        hours = sum(c.units for c in chunks) / item.rate["cpu"] / 3600
        assert hours <= 2.6, (n, hours)                       # a whole item within ~2.5 CPU h
        assert max(c.units for c in chunks) / item.rate["cpu"] <= 11 * 60   # chunks <= ~10 min
    assert len(reg["paper2-table1-c"].chunks("cpu")) == 9            # one chunk per cell
    assert p2items.CPU_STEP_SECONDS["natural"] < p2items.CPU_STEP_SECONDS["c+s+d"]


@pytest.mark.skipif("cifar_resnet32_natural" not in checkpoints.available(),
                    reason="needs the committed undefended CIFAR-10 checkpoint")
def test_clean_accuracies_and_the_cost_of_jpeg(one_thread):
    from stego_lib.data import DataNotFoundError

    (nat,) = [m for m in paper2.model_rows() if m["row"] == "natural"]
    assert nat["label"] == "Undefended" and nat["paper"] == 92.2
    assert 0 < nat["jpeg_10000"] <= 100 and 0 < nat["exact_846"] <= 100
    for bad in (0, 847, 2.5):
        with pytest.raises(ValueError, match="n must be an int in"):
            paper2.jpeg_cost("cifar_resnet32_natural", n=bad)
    try:
        jc = paper2.jpeg_cost("cifar_resnet32_natural", n=40)
    except DataNotFoundError:
        pytest.skip("the JPEG test set is not under the data root")
    assert jc["n"] == 40 and jc["mean_abs_pixel_diff"] > 0
    # the two accuracies differ by exactly the images only one version gets right
    assert jc["exact"] - jc["jpeg"] == pytest.approx(
        100 * (jc["only_exact"] - jc["only_jpeg"]) / 40, abs=1e-4)


def test_differences_beyond_two_standard_errors():
    n = 200
    hits = lambda k: np.arange(n) < k
    res = _result({"natural": {"None": hits(180), "C": hits(20), "C+S+D": hits(1)}}, n)
    (row,) = paper2.differences(res)
    assert row["label"] == "Undefended" and row["computed"] == 3
    # None: 90.0 vs 92.2 is 1.1 SE; C+S+D: one image (0.5 %) against 0.0 is 1 SE at ours.
    (c,) = row["cells"]
    assert c["attack"] == "C" and c["diff"] == pytest.approx(7.0)
    assert c["z"] == pytest.approx(7.0 / (100 * math.sqrt(0.1 * 0.9 / n)))
    assert paper2.differences(None) == []


def test_reference_runs_read_the_stored_comparisons(tmp_path):
    import json

    from stego_lib.experiments.paper2.reference import reference_runs

    def run(name, model, rows):
        (tmp_path / name).write_text(json.dumps(
            {"model": model, "images": 200, "iterations": 100, "rows": rows}))
    c = {"attack": "C", "accuracy_reference": 3.5, "accuracy_ours": 6.5}
    run("recoloradv_gray.json", "cifar_resnet32_gray (resnet32_gray; ...)", [c])
    run("recoloradv_natural.json", "cifar_resnet32_natural (resnet32; ...)",
        [{**c, "attack": "C+D"}, c])
    run("recoloradv.json", "cifar_resnet32_brief (resnet32; ...)", [c])   # not a Table 1 model
    got = reference_runs("C", tmp_path)
    assert [g["row"] for g in got] == ["natural", "gray"]            # Table 1's order
    assert got[0] == {"row": "natural", "label": "Undefended", "images": 200, "iterations": 100,
                      "reference": 3.5, "ours": 6.5}
    assert reference_runs("S", tmp_path) == []
    (tmp_path / "recoloradv_bad.json").write_text("{")
    with pytest.raises(ValueError, match="recoloradv_bad.json is not valid JSON"):
        reference_runs("C", tmp_path)
