"""`stego_lib.verify.beyond`: every committed entry of the detection study has an adapter, each
adapter re-executes a few images of a committed entry within its tolerance kind (never bit
identity: another CPU or torch build moves PGD's grey levels), a checkpoint other than the
key's is refused, and a re-execution that disagrees with the stored arrays fails."""
import json

import numpy as np
import pytest

from stego_lib import checkpoints, data
from stego_lib.cache import Entry, ResultsCache, results_dir
from stego_lib.verify import adapter, compare
from stego_lib.verify.registry import cut
from stego_lib.verify.run import _load

EXPERIMENTS = ("beyond", "beyond_adaptive", "beyond_lsb")

# (experiment, key, start, stop): one committed entry per adapter, a few images each.
MNIST_CELL = ("beyond", "14edcbf169d2624c", 0, 5)          # PGD-40, adversarial model, ε 0.2
CASES = {
    "mnist cell": MNIST_CELL,
    "clean": ("beyond", "15ecb9ef2facc6cd", 0, 50),          # MNIST clean scores
    "clean-pred": ("beyond", "67e4676381c7a942", 0, 50),     # MNIST, adversarial model
    "adaptive": ("beyond_adaptive", "36d1c6509867206d", 0, 4),   # natural model, ε 0.3
    "lsb": ("beyond_lsb", "a913fc9d79d4afed", 10, 15),      # MNIST covers, images 10-14
}
CIFAR_CASES = {
    "cifar10 PGD cell": ("beyond", "6c0451cbbcdf9f2c", 0, 3),
    "cifar10 functional cell": ("beyond", "c149627501535dc4", 0, 2),   # ReColorAdv (C)
}


def _reexecute(experiment, key, start, stop):
    """(comparison, fresh, stored, adapter's spec and kind) of images [start, stop)."""
    entry = _load(ResultsCache(), experiment, key)
    r = adapter(entry)
    spec, kind = r.spec(entry), r.kind(entry)
    fresh = {k: np.moveaxis(np.asarray(v), r.image_axis(k), 0)
             for k, v in r.rerun(entry, start, stop).items()}
    names = [*spec.preds, *spec.outcomes, *spec.scores, *spec.reported]
    stored = cut(r, entry.arrays, names, start, stop)
    return compare(spec, fresh, stored, kind), fresh, stored, spec, kind


@pytest.fixture(scope="module")
def reexecuted():
    """Re-executions memoised across the tests of this module (the MNIST cell is used twice)."""
    memo = {}

    def get(case):
        if case not in memo:
            memo[case] = _reexecute(*case)
        return memo[case]
    return get


@pytest.fixture
def cifar_root(data_root):
    if not (data_root / "cifar10-exact-subset.npz").exists():
        pytest.skip("the data root holds no cifar10-exact-subset.npz")
    return data_root


def _metas(experiment):
    for path in sorted((results_dir() / experiment).glob("*.json")):
        yield json.loads(path.read_text())


def test_every_committed_entry_has_an_adapter_of_its_length():
    cache, seen = ResultsCache(), set()
    for exp in EXPERIMENTS:
        for meta in _metas(exp):
            r = adapter(Entry({}, meta))
            assert r is not None, f"{exp}/{meta['key']} ({meta['config']['kind']})"
            entry = _load(cache, exp, meta["key"])
            spec = r.spec(entry)
            for name in (*spec.preds, *spec.outcomes, *spec.scores, *spec.reported):
                assert entry.arrays[name].shape[r.image_axis(name)] == r.n_images(entry), name
            seen.add((exp, meta["config"]["kind"], r.kind(entry)))
    assert {k for _, k, _ in seen} == {"cell", "clean", "clean-pred", "adaptive", "lsb"}
    assert {t for *_, t in seen} == {"exact", "pgd", "functional"}


def test_a_checkpoint_other_than_the_keys_is_refused():
    entry = _load(ResultsCache(), *MNIST_CELL[:2])
    meta = {**entry.meta, "config": {**entry.meta["config"], "checkpoint": "0" * 64}}
    with pytest.raises(LookupError, match="not the one the result was computed with"):
        adapter(entry).rerun(Entry(entry.arrays, meta), 0, 1)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_few_images_reexecute_within_tolerance(case, data_root, one_thread, reexecuted):
    c, _, _, _, kind = reexecuted(CASES[case])
    assert c.ok, f"{case} ({kind}): {c.failures}"
    assert c.n == CASES[case][3] - CASES[case][2]


@pytest.mark.parametrize("case", sorted(CIFAR_CASES))
def test_a_few_cifar10_images_reexecute_within_tolerance(case, cifar_root, one_thread,
                                                         reexecuted):
    c, _, _, _, kind = reexecuted(CIFAR_CASES[case])
    assert c.ok and c.pred_agree == 1.0, f"{case} ({kind}): {c.failures}"


@pytest.mark.skipif(checkpoints.sha("released/natural") is None,
                    reason="the released models are not under the data root")
def test_the_released_models_cells_reexecute(cifar_root, one_thread):
    # second batch of 500 of the 846 test images: the key's own profile, the released model
    c, *_ = _reexecute("beyond", "7a8119299a1155a1", 600, 602)     # PGD at the papers' bound
    assert c.ok, c.failures


def test_a_disagreeing_reexecution_fails(data_root, one_thread, reexecuted):
    _, fresh, stored, spec, kind = reexecuted(MNIST_CELL)
    assert kind == "pgd"
    y = fresh["labels"]
    fooled_the_other_way = np.where(stored["pred"] == y, (y + 1) % 10, y)
    flipped = {**stored, "pred": fooled_the_other_way, "success": ~stored["success"]}
    r = compare(spec, fresh, flipped, kind)
    assert not r.ok and r.pred_agree == 0.0
    assert any(f.startswith("success: 5 of 5 images disagree") for f in r.failures)
    assert any(f.startswith("pred: 5 of 5 images fooled the classifier on one side only")
               for f in r.failures)
    shifted = {**stored, "score_predictor": stored["score_predictor"] - 0.2}
    r = compare(spec, fresh, shifted, kind)
    assert not r.ok and any("largest difference" in f for f in r.failures)
    # the flags of scores pushed under the threshold, and the detection rate with them
    assert any(f.startswith("score_predictor flags") for f in r.failures)
    assert any(f.startswith("value") for f in r.failures)
