import json

import numpy as np
import pytest
import torch

from stego_lib import cache, provenance
from stego_lib.cache import CacheCorruptError, CacheMiss, GPURequiredError, ResultsCache, cached


def _compute():
    return {"x": np.arange(5)}, {"note": "test"}


def test_roundtrip_and_key_stability(tmp_path):
    rc = ResultsCache(tmp_path)
    cfg = {"b": 1, "a": [1, 2]}
    assert cache.config_key(cfg, "1") == cache.config_key({"a": [1, 2], "b": 1}, "1")
    assert cache.config_key(cfg, "1") != cache.config_key(cfg, "2")
    e = cached("exp", cfg, "1", _compute, needs_gpu=False, command="", cache=rc)
    assert e.meta["note"] == "test" and "runtime_s" in e.meta
    calls = []
    again = cached("exp", cfg, "1", lambda: calls.append(1) or _compute(), needs_gpu=False,
                   command="", cache=rc)
    assert calls == [] and np.array_equal(again.arrays["x"], np.arange(5))


def test_cache_only_miss(tmp_path):
    with pytest.raises(CacheMiss, match="no cached result"):
        cached("exp", {"a": 1}, "1", _compute, needs_gpu=False, command="", mode="cache-only",
               cache=ResultsCache(tmp_path))


def test_gpu_scale_miss_fails_fast(tmp_path, monkeypatch):
    monkeypatch.setattr(cache.torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv("STEGO_ALLOW_CPU", raising=False)
    ran = []
    with pytest.raises(GPURequiredError, match="python -m run-me"):
        cached("exp", {"a": 1}, "1", lambda: ran.append(1), needs_gpu=True,
               command="python -m run-me", cache=ResultsCache(tmp_path))
    assert ran == []


def test_corrupt_entry_is_reported(tmp_path):
    rc = ResultsCache(tmp_path)
    cached("exp", {"a": 1}, "1", _compute, needs_gpu=False, command="", cache=rc)
    npz, meta = rc.paths("exp", cache.config_key({"a": 1}, "1"))
    npz.write_bytes(b"not a zip file")
    with pytest.raises(CacheCorruptError, match=npz.name):
        rc.get("exp", {"a": 1}, "1")
    meta.unlink()
    with pytest.raises(CacheCorruptError, match="incomplete"):
        rc.get("exp", {"a": 1}, "1")


def test_no_temporary_files_left(tmp_path):
    rc = ResultsCache(tmp_path)
    cached("exp", {"a": 1}, "1", _compute, needs_gpu=False, command="", cache=rc)
    assert sorted(p.suffix for p in (tmp_path / "exp").iterdir()) == [".json", ".npz"]


def test_bad_mode(tmp_path):
    with pytest.raises(ValueError, match="'auto', 'cache-only', 'recompute'"):
        cached("exp", {}, "1", _compute, needs_gpu=False, command="", mode="maybe",
               cache=ResultsCache(tmp_path))


def test_has_needs_both_files(tmp_path):
    rc = ResultsCache(tmp_path)
    assert not rc.has("exp", {"a": 1}, "1")
    cached("exp", {"a": 1}, "1", _compute, needs_gpu=False, command="", cache=rc)
    assert rc.has("exp", {"a": 1}, "1") and not rc.has("exp", {"a": 1}, "2")
    rc.paths("exp", cache.config_key({"a": 1}, "1"))[1].unlink()
    assert not rc.has("exp", {"a": 1}, "1")


def test_entries_record_the_machine(tmp_path, monkeypatch):
    """Every new entry names the kernel path, CPU and library versions that computed it."""
    rc = ResultsCache(tmp_path)
    meta = cached("exp", {"a": 1}, "1", _compute, needs_gpu=False, command="", cache=rc).meta
    assert meta["numpy"] == np.__version__ and meta["torch"] == torch.__version__
    assert meta["cpu_capability"] == str(torch.backends.cpu.get_cpu_capability())
    assert meta["cpu_model"] and meta["cpu_model"] != "unknown"
    stored = json.loads(rc.paths("exp", cache.config_key({"a": 1}, "1"))[1].read_text())
    assert {k: stored[k] for k in provenance.FIELDS} == provenance.machine()
    # An entry written before these fields existed reads as unknown, not as this machine.
    assert provenance.of({"torch": "2.11.0", "device": "cpu"})["cpu_model"] == "unknown"
