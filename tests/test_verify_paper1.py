"""`stego_lib.verify.paper1`: a committed Paper I sweep point re-executes on a few images
within its tolerance, from the seed its cache key records."""
import dataclasses

import pytest

from stego_lib.cache import ResultsCache
from stego_lib.verify import adapter, compare
from stego_lib.verify.registry import cut
from stego_lib.verify.run import _load

SWEEP_POINT = "7db7f994437cd10f"   # PGD-40 on the natural model at ε 0.10, 10,000 images


def test_a_sweep_point_reexecutes_from_its_keys_seed(data_root, one_thread):
    cache = ResultsCache()
    if not cache.paths("paper1", SWEEP_POINT)[0].exists():
        pytest.skip("the sweep point is not committed")
    entry = _load(cache, "paper1", SWEEP_POINT)
    assert entry.meta["config"]["kind"] == "attack"
    r = adapter(entry)
    spec = r.spec(entry)
    fresh = r.rerun(entry, 0, 3)
    names = [k for k in (*spec.preds, *spec.outcomes, *spec.scores, *spec.reported)
             if k in entry.arrays]
    c = compare(spec, fresh, cut(r, entry.arrays, names, 0, 3), r.kind(entry))
    assert c.ok and c.n == 3, c.failures
    # the seed enters: another seed draws other starts, and the scores move
    other = dataclasses.replace(entry, meta={**entry.meta, "config": {
        **entry.meta["config"], "seed": entry.meta["config"]["seed"] + 1}})
    moved = r.rerun(other, 0, 3)
    assert any((moved[k] != fresh[k]).any() for k in fresh if k.startswith("score"))
