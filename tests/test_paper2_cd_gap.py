"""The C+D gap experiment: its variants of our C+D against the reference's own parts."""
import importlib.util

import pytest
import torch

from stego_lib.attacks import Delta, attack, functional_attack
from stego_lib.attacks.reference_variants import ReferenceDelta, ReferenceLatticeReColorAdv
from stego_lib.experiments.paper2 import c_gap, cd_gap

needs_reference = pytest.mark.skipif(importlib.util.find_spec("recoloradv") is None,
                                     reason="needs recoloradv")


def _reference_perturbation(name, x):
    pytest.importorskip("six")
    from stego_lib.experiments.paper2 import authors
    authors.shim()
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 10))
    params = authors.reference_attack(name, model, 1)
    return params.adv_attack_obj.threat_model(x)


@needs_reference
def test_reference_lattice_is_the_references_colour_function_at_the_identity():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 8, 8, generator=gen)
    x[0, :, 0, 0] = torch.tensor([0.98, 0.27, 0.02])   # a saturated red: u* beyond the box
    ref = _reference_perturbation("C", x)(x).detach()
    t = ReferenceLatticeReColorAdv()
    ours = t.apply(x, t.project(t.init(x)))
    # equal up to the white point (ours from the matrix, the reference's rounded to 4 digits)
    assert (ours - ref).abs().max() < 5e-3 and (ours - ref).abs().mean() < 5e-4
    # ... and neither is the identity: the red moves by more than the bound allows
    assert (ref - x).abs().max() > 0.05 and (ours - x).abs().max() > 0.05
    plain = functional_attack("C")
    assert (plain.apply(x, plain.project(plain.init(x))) - x).abs().max() < 1e-3   # float32


def test_reference_delta_moves_delta_into_range_and_keeps_the_gradient():
    x = torch.tensor([[[[0.99, 0.5]]]]).expand(1, 3, 1, 2).clone()
    t = ReferenceDelta()
    (d,) = t.init(x)
    d.fill_(0.03).requires_grad_(True)
    out = t.apply(x, (d,))
    assert torch.allclose(out, Delta().apply(x, (d.detach(),)))   # the same image ...
    assert abs(float(d.detach()[0, 0, 0, 0]) - 0.01) < 1e-6                # ... δ itself moved
    out.sum().backward()
    assert bool((d.grad == 1).all())     # every pixel passes its gradient, the clipped one too
    (d2,) = Delta().init(x)
    d2.fill_(0.03).requires_grad_(True)
    Delta().apply(x, (d2,)).sum().backward()
    assert float(d2.grad[0, 0, 0, 0]) == 0.0    # ours: the clamped pixel passes none


def test_variants_are_cd_and_ours_is_not_among_them():
    for v in cd_gap.VARIANTS:
        assert cd_gap.threat(v).name == "C+D"
    assert repr(functional_attack("C+D")) not in {repr(cd_gap.threat(v)) for v in cd_gap.VARIANTS}
    x, y = torch.rand(2, 3, 8, 8), torch.tensor([1, 2])
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 10))
    for v in cd_gap.VARIANTS:
        adv = attack(model, x, y, cd_gap.threat(v), steps=2)
        assert adv.shape == x.shape and 0 <= float(adv.min()) and float(adv.max()) <= 1


def test_cd_gap_keys_and_chunks(tmp_path, monkeypatch):
    from stego_lib.models.reference import entry
    monkeypatch.setenv("STEGO_RESULTS", str(tmp_path))
    sha, cfg = c_gap.released_sha(cd_gap.ROW)
    assert sha == entry(cd_gap.ROW)["sha256"]
    keys = [cd_gap.chunk_config(v, sha, cfg) for v in cd_gap.VARIANTS]
    assert len({str(sorted(k.items())) for k in keys}) == len(keys)    # one entry per variant
    assert all(k["attack"] == "C+D" and k["n_images"] == 282 for k in keys)
    chunks = cd_gap.items()[0].chunks("cpu")
    assert [c.name for c in chunks] == [cd_gap.TWIN, *cd_gap.VARIANTS]
    assert not any(c.done() for c in chunks) and cd_gap.result() == {} and cd_gap.twin() is None
    twin = cd_gap._twin_config(sha, cfg)
    assert twin["package"] == "recoloradv==0.0.1" and twin not in keys
