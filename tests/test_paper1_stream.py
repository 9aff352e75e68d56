"""Paper I's sweep as one stream (the GPU path): per-image ε in PGD, the stream's results equal
the per-ε chunks' on the CPU, its keys, and its options' errors."""
import numpy as np
import pytest
import torch

from stego_lib.attacks import PGD
from stego_lib.cache import ResultsCache
from stego_lib.checkpoints import LazyModel
from stego_lib.experiments.paper1 import make_config, stream
from stego_lib.experiments.paper1.compute import (LazyTest, SweepPoint, attack_chunk,
                                                  attack_config, model_sha)
from stego_lib.experiments.paper1.config import CHECKPOINTS, EXPERIMENT, VERSION
from stego_lib.models import build


def test_per_image_eps_equals_one_batch_per_eps(one_thread):
    torch.manual_seed(0)
    model = build("mnist_cnn").eval()
    x, y = torch.rand(6, 1, 28, 28), torch.randint(0, 10, (6,))
    single = []
    for e in (0.1, 0.3):
        atk = PGD(eps=e, steps=4)
        start = atk.init(x, generator=torch.Generator().manual_seed(1))
        single.append((start, atk.run(model, x, y, start)))
    mixed = PGD(eps=0.5, steps=4).run(
        model, torch.cat([x, x]), torch.cat([y, y]), torch.cat([single[0][0], single[1][0]]),
        eps=torch.tensor([0.1] * 6 + [0.3] * 6))
    assert torch.equal(mixed[:6], single[0][1]) and torch.equal(mixed[6:], single[1][1])
    start = PGD(eps=0.5).init(x, generator=torch.Generator().manual_seed(1),
                              eps=torch.full((6,), 0.1))
    assert torch.equal(start, single[0][0])
    assert ((mixed[6:] - x).abs() <= 0.3 + 1e-6).all() and ((mixed[:6] - x).abs() <= 0.1 + 1e-6).all()


@pytest.mark.parametrize("eps, error, match", [
    ([0.1] * 3, TypeError, "torch.Tensor"),
    (torch.tensor([1, 2, 3]), TypeError, "floating-point"),
    (torch.tensor([0.1, 0.2]), ValueError, r"shape \(3,\)"),
    (torch.tensor([0.1, 0.0, 0.2]), ValueError, r"\(0, 1\]"),
    (torch.tensor([0.1, float("nan"), 0.2]), ValueError, r"\(0, 1\]"),
    (torch.tensor([0.1, 1.5, 0.2]), ValueError, r"\(0, 1\]"),
])
def test_per_image_eps_is_validated(eps, error, match):
    x = torch.rand(3, 1, 28, 28)
    with pytest.raises(error, match=match):
        PGD(eps=0.3, steps=1).run(build("mnist_cnn"), x, torch.zeros(3, dtype=torch.long), x,
                                  eps=eps)


def test_the_stream_writes_what_the_chunks_write(one_thread, tmp_path):
    """Two ε in batches of 64 (so one batch holds both): every array equals the per-ε chunk's,
    under the chunk's own key."""
    cfg = make_config("smoke")
    model, eps = cfg.models[0], cfg.eps[:2]
    cache = ResultsCache(tmp_path)
    got = stream.sweep(cfg, model, eps, n=100, progress=False, cache=cache,
                       options=stream.StreamOptions(device="cpu", batch_size=64))
    for e in eps:
        ref = attack_chunk(SweepPoint(cfg, model, model_sha(model), e, 100), LazyTest(cfg),
                           LazyModel(CHECKPOINTS[model]), "recompute", False).arrays
        stored = cache.get(EXPERIMENT, attack_config(cfg, model, model_sha(model), e, 100),
                           VERSION)
        assert stored is not None and stored.meta["stream"]["batch_size"] == 64
        for k in ref:
            assert np.array_equal(ref[k], got[e][k]) and np.array_equal(ref[k], stored.arrays[k])


def test_a_reduced_precision_never_fills_an_fp32_key(one_thread, tmp_path):
    cfg = make_config("smoke")
    model, sha = cfg.models[0], model_sha(cfg.models[0])
    fp32 = stream.stream_config(cfg, model, sha, 0.1, 100, "fp32")
    assert fp32 == attack_config(cfg, model, sha, 0.1, 100)
    assert stream.stream_config(cfg, model, sha, 0.1, 100, "bf16") == {**fp32, "precision": "bf16"}
    cache = ResultsCache(tmp_path)
    stream.sweep(cfg, model, [0.1], n=8, progress=False, cache=cache,
                 options=stream.StreamOptions(device="cpu", batch_size=8, precision_kind="bf16"))
    assert not cache.has(EXPERIMENT, fp32, VERSION)
    assert cache.has(EXPERIMENT, {**fp32, "n_images": 8, "precision": "bf16"}, VERSION)


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": 0}, "batch_size must be an int >= 1"),
    ({"batch_size": 2.5}, "batch_size must be an int >= 1"),
    ({"precision_kind": "fp16"}, "precision must be one of fp32, tf32, bf16"),
])
def test_bad_stream_options(kwargs, match):
    cfg = make_config("smoke")
    with pytest.raises(ValueError, match=match):
        stream.sweep(cfg, cfg.models[0], [0.1], n=2, progress=False, store=False,
                     options=stream.StreamOptions(device="cpu", **kwargs))
    with pytest.raises(ValueError, match="eps_list"):
        stream.sweep(cfg, cfg.models[0], [], n=2, progress=False, store=False,
                     options=stream.StreamOptions(device="cpu"))


def test_a_gpu_worker_runs_the_sweep_as_one_stream():
    from stego_lib.campaign import registry
    item = registry()["paper1-sweep-natural"]
    gpu, cpu = item.chunks("cuda"), item.chunks("cpu")
    assert [c.name for c in gpu] == ["clean test images", "all 50 ε in one stream"]
    assert gpu[1].units == sum(c.units for c in cpu[1:]) and gpu[1].tiny is not None
    assert gpu[1].done() == all(c.done() for c in cpu[1:])


def test_the_campaign_refuses_a_bad_stream_batch(capsys):
    from stego_lib.campaign.__main__ import main
    with pytest.raises(SystemExit) as exc:
        main(["run", "--items", "paper1-sweep-natural", "--stream-batch", "0"])
    assert exc.value.code == 2 and "--stream-batch must be >= 1" in capsys.readouterr().err
