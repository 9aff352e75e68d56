"""`stego_lib.verify.paper2_more`: every committed entry of Paper II's side studies has an
adapter; each adapter re-executes a tiny slice of one committed entry and agrees with it under
its tolerance kind (not bit for bit: another CPU rounds differently); a re-execution that
disagrees, and a checkpoint that is not the key's, fail."""
import importlib.util
import json

import numpy as np
import pytest

from stego_lib.cache import Entry, ResultsCache, results_dir
from stego_lib.models.reference import RELEASED, reference_dir
from stego_lib.verify import compare
from stego_lib.verify.paper2_more import MORE
from stego_lib.verify.registry import adapter, cut
from stego_lib.verify.run import Job, _load, _run_one

has_reference = pytest.mark.skipif(importlib.util.find_spec("recoloradv") is None,
                                   reason="the recoloradv reference package is not installed")


@pytest.fixture
def released(data_root):
    """The data root, when it holds the authors' released models."""
    if not all((reference_dir() / f).is_file() for f, _ in RELEASED.values()):
        pytest.skip("the released models are not under the data root")
    return data_root


def _rerun(experiment: str, key: str, start: int, stop: int) -> dict:
    row = _run_one(ResultsCache(), Job(experiment, key, start, stop, False, 0.0))
    assert row["n"] == stop - start
    return row


def _passes(row: dict, kind: str) -> None:
    assert row["kind"] == kind
    assert row["ok"], row["failures"]


def test_every_committed_entry_of_the_side_studies_has_an_adapter():
    for exp in MORE:
        metas = sorted((results_dir() / exp).glob("*.json"))
        assert metas, exp
        for meta in metas:
            entry = Entry({}, json.loads(meta.read_text()))
            r = adapter(entry)
            assert r is not None, meta
            assert r.size >= r.step and r.n_images(entry) > 0


# --- our attack on the released models (the data root holds them) ----------------------------

def test_c_gap_across_a_batch_boundary(released, one_thread):
    _passes(_rerun("paper2_c_gap", "09b61a64d81a348c", 99, 101), "functional")


def test_cd_gap_variant_with_the_reference_colour_function(released, one_thread):
    _passes(_rerun("paper2_cd_gap", "8b07559bc604d43e", 0, 2), "functional")


@has_reference
def test_cd_gap_authors_twin_with_our_white_point(released, one_thread):
    # the reference package spends about 10 s per image on one thread
    _passes(_rerun("paper2_cd_gap", "0eb6c83a9f6abb5a", 280, 282), "functional")


def test_s_gap_zero_padding(released, one_thread):
    _passes(_rerun("paper2_s_gap", "d76992a94839a505", 280, 282), "functional")


def test_bw_conversion_images_on_their_own_axis(released, one_thread):
    row = _rerun("paper2_bw_conversion", "dc6ac9c9b757d298", 300, 303)
    _passes(row, "exact")
    assert row["value_fresh"] == row["value_stored"]


# --- our attack on the models trained here (committed checkpoints) ----------------------------

def test_crgb_bound_on_the_trained_c_model(one_thread):
    _passes(_rerun("paper2_crgb_bound", "4faf4b215951e4a1", 198, 200), "functional")


def test_figures_c_across_a_batch_boundary(one_thread):
    row = _rerun("paper2_figures", "5aa16dc5fee6fb03", 127, 129)
    _passes(row, "functional")
    assert row["reported"].keys() == {"l2", "other_wrong_class"}


def test_perceptual_point(one_thread):
    row = _rerun("perceptual", "0229f3b30b7f3a81", 30, 32)
    _passes(row, "functional")
    assert row["reported"].keys() == {"ciede2000", "other_wrong_class"}


def test_figures_hold_linf_only_without_a_flow():
    cache = ResultsCache()
    with_s = _load(cache, "paper2_figures", "0ffe4e1734c2014d")     # C+S+D
    without = _load(cache, "paper2_figures", "6e2918449b84a024")    # D
    assert "linf" in adapter(with_s).spec(with_s).reported
    assert "linf" in adapter(without).spec(without).scores


# --- disagreements fail ----------------------------------------------------------------------

def test_a_disagreeing_re_execution_fails(one_thread):
    entry = _load(ResultsCache(), "perceptual", "0229f3b30b7f3a81")
    r = adapter(entry)
    spec, kind = r.spec(entry), r.kind(entry)
    fresh = r.rerun(entry, 28, 32)
    names = (*spec.preds, *spec.outcomes, *spec.scores, *spec.reported)
    stored = cut(r, entry.arrays, names, 28, 32)
    assert compare(spec, fresh, stored, kind).ok
    y = fresh["labels"]
    fooled_the_other_way = np.where(stored["adv_pred"] == y, (y + 1) % 10, y)
    wrong = {**fresh, "adv_pred": fooled_the_other_way, "linf": fresh["linf"] + 0.2}
    c = compare(spec, wrong, stored, kind)
    assert not c.ok
    assert any(f.startswith("adv_pred: 4 of 4 images fooled") for f in c.failures)
    assert any(f.startswith("linf: largest difference") for f in c.failures)
    assert any(f.startswith("value") for f in c.failures)


def test_bw_conversion_disagreement_on_one_input_fails():
    entry = _load(ResultsCache(), "paper2_bw_conversion", "dc6ac9c9b757d298")
    r = adapter(entry)
    spec = r.spec(entry)
    stored = cut(r, entry.arrays, ("correct", "nll"), 0, 4)   # image axis first: (4, 93)
    assert stored["correct"].shape == (4, 93)
    assert compare(spec, stored, stored, "exact").ok
    flipped = stored["correct"].copy()
    flipped[2, 50] = ~flipped[2, 50]                           # one input of one image
    c = compare(spec, {**stored, "correct": flipped}, stored, "exact")
    assert not c.ok and c.failures[0].startswith("correct: 1 of 4 images disagree")


def test_a_checkpoint_that_is_not_the_keys_is_refused():
    entry = _load(ResultsCache(), "perceptual", "0229f3b30b7f3a81")
    meta = {**entry.meta, "config": {**entry.meta["config"], "checkpoint": "0" * 64}}
    with pytest.raises(LookupError, match="not the one the result was computed with"):
        adapter(entry).rerun(Entry(entry.arrays, meta), 0, 2)




def test_crgb_bound_under_the_2019_protocol_reexecutes_with_its_kappa(released, monkeypatch):
    import stego_lib.verify.paper2_more as more

    metas = [json.loads(p.read_text())
             for p in sorted((results_dir() / "paper2_crgb_bound").glob("*.json"))]
    keys = {m["config"].get("protocol", "package-2020"): m["key"] for m in metas}
    if "paper-2019" not in keys:
        pytest.skip("no C-RGB bound entry under the 2019 protocol is committed")
    seen = []

    def record(model, x, y, threat, **kw):
        seen.append(kw["kappa"])
        return x
    monkeypatch.setattr(more, "attack", record)
    for protocol in ("package-2020", "paper-2019"):
        entry = _load(ResultsCache(), "paper2_crgb_bound", keys[protocol])
        adapter(entry).rerun(entry, 0, 1)
    assert seen == [float("inf"), 0.0]
