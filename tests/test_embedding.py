"""LSB replacement and matching against their definitions, and WS on real covers."""
import numpy as np
import pytest
import torch

pytest.importorskip("conseal")

from stego_lib.data import load_sample
from stego_lib.detectors import ws_estimate
from stego_lib.embedding import lsb_embed


def _covers():
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (20, 3, 32, 32), generator=g, dtype=torch.uint8)


@pytest.mark.parametrize("mode", ["replacement", "matching"])
@pytest.mark.parametrize("rate", [0.05, 0.4, 1.0])
def test_change_rate_is_half_the_embedding_rate(mode, rate):
    cov = _covers()
    st = lsb_embed(cov, rate, mode=mode, seed=1)
    changed = (st != cov).float().mean().item()
    n = cov.numel()
    sd = np.sqrt(rate / 2 * (1 - rate / 2) / n)
    assert abs(changed - rate / 2) < 5 * sd + 1e-3
    assert (st.int() - cov.int()).abs().max() <= 1


def test_replacement_flips_parity_within_pairs():
    cov = _covers()
    st = lsb_embed(cov, 0.6, mode="replacement", seed=2)
    d = st.int() - cov.int()
    ch = d != 0
    even = cov % 2 == 0
    assert bool((d[ch & even] == 1).all()) and bool((d[ch & ~even] == -1).all())
    assert bool(((st[ch] % 2) != (cov[ch] % 2)).all())
    assert torch.equal(st // 2, cov // 2)          # the pairs {2k, 2k+1} never change


def test_matching_goes_both_ways_and_never_wraps():
    cov = _covers()
    cov[:, :, 0, :] = 0
    cov[:, :, 1, :] = 255
    st = lsb_embed(cov, 1.0, mode="matching", seed=3)
    d = st.int() - cov.int()
    mid = (cov > 0) & (cov < 255) & (d != 0)
    up, down = (d[mid] == 1).float().mean().item(), (d[mid] == -1).float().mean().item()
    assert abs(up - 0.5) < 0.02 and up + down == pytest.approx(1.0)
    assert bool((d[cov == 0] >= 0).all()) and bool((d[cov == 255] <= 0).all())
    assert bool(((st[d != 0] % 2) != (cov[d != 0] % 2)).all())


def test_seeded_and_independent_of_the_batch():
    cov = _covers()
    a = lsb_embed(cov, 0.3, seed=5)
    assert torch.equal(a, lsb_embed(cov, 0.3, seed=5))
    assert not torch.equal(a, lsb_embed(cov, 0.3, seed=6))
    assert torch.equal(a[:4], lsb_embed(cov[:4], 0.3, seed=5))
    assert torch.equal(lsb_embed(cov, 0.0), cov)


def test_bad_input():
    with pytest.raises(TypeError, match="got torch.float32"):
        lsb_embed(torch.zeros(1, 1, 4, 4), 0.5)
    with pytest.raises(ValueError, match="got 1.5"):
        lsb_embed(torch.zeros(1, 1, 4, 4, dtype=torch.uint8), 1.5)
    with pytest.raises(ValueError, match="unknown LSB mode"):
        lsb_embed(torch.zeros(1, 1, 4, 4, dtype=torch.uint8), 0.5, mode="f5")


def test_ws_tracks_replacement_not_matching_on_cifar_covers():
    cov = load_sample("cifar10", limit=60).pixels
    for rate in (0.2, 0.6):
        rep = ws_estimate(lsb_embed(cov, rate, mode="replacement", seed=0)).median().item()
        mat = ws_estimate(lsb_embed(cov, rate, mode="matching", seed=0)).median().item()
        assert abs(rep - rate / 2) < 0.03
        assert mat < 0.03
