"""Every GPU-scale recipe executes: no GPU is needed to notice that one has rotted.

The items whose chunk list on ``cuda`` differs from the one on ``cpu`` (a GPU's training
recipes, Table 1 on a GPU's 1,000 JPEG images at batch 500, Paper I's sweeps as one stream)
run one chunk each through
``Chunk.tiny``: that recipe on this machine, on a few images for a couple of steps, storing
nothing."""
from __future__ import annotations

import pytest

from stego_lib import checkpoints
from stego_lib.campaign import registry


def _signature(chunks):
    return [(c.name, c.units) for c in chunks]


def test_every_gpu_recipe_runs_at_a_tiny_scale_here(data_root, tmp_path, monkeypatch, one_thread):
    monkeypatch.setenv("STEGO_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("STEGO_STATE", str(tmp_path / "state"))
    manifest = (checkpoints.checkpoints_dir() / checkpoints.MANIFEST).read_bytes()
    reg = registry()
    gpu = {name: item.chunks("cuda") for name, item in reg.items()
           if _signature(item.chunks("cuda")) != _signature(item.chunks("cpu"))}
    # Paper I's secret model (PGD-40 recipe) and its three sweeps as one stream each, the
    # eleven Table 1 models and their rows
    assert len(gpu) == 26 and "paper1-train-adversarial" in gpu, sorted(gpu)
    assert {"paper1-sweep-natural", "paper1-sweep-adversarial", "paper1-sweep-madry"} <= set(gpu)
    for k, (name, chunks) in enumerate(gpu.items()):
        tiny = [c for c in chunks if c.tiny is not None]
        assert tiny, f"{name}: no chunk of its GPU recipe can run at a tiny scale"
        chunk = tiny[k % len(tiny)]  # the rows' different columns between them
        try:
            chunk.tiny()
        except Exception as err:
            pytest.fail(f"{name}: {chunk.name}: the GPU recipe fails at a tiny scale: {err!r}")
    # Nothing was stored: no result, no checkpoint, no state file a real run would resume.
    assert not (tmp_path / "results").exists() and not (tmp_path / "state").exists()
    assert (checkpoints.checkpoints_dir() / checkpoints.MANIFEST).read_bytes() == manifest
