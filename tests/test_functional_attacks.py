"""Functional threat models (Laidlaw & Feizi 2019): ReColorAdv, StAdv, delta,
their combinations and the shared attack loop."""
import importlib.util

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from stego_lib.attacks import (FUNCTIONAL_ATTACKS, Combined, Delta, ReColorAdv, StAdv, ThreatModel,
                               attack, cw_margin, functional_attack)
from stego_lib.color import luv_to_scaled, rgb_to_luv

pytestmark = pytest.mark.usefixtures("one_thread")


SMALL = {"recolor": {"resolution": (4, 6, 6)}}  # small lattices keep the tests fast
HSET = settings(max_examples=8, deadline=None)


def tiny_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, stride=2),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))


def images(seed: int, n: int = 3, size: int = 8) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, size, size, generator=g)


def labels(n: int = 3) -> torch.Tensor:
    return torch.arange(n) % 10


def leaves(threat, params):
    return threat.tensors(params)


def components(threat):
    return threat.threats if isinstance(threat, Combined) else (threat,)


def component_params(threat, params):
    return params if isinstance(threat, Combined) else (params,)


def assert_inside(threat, params, tol=1e-6):
    for t, p in zip(components(threat), component_params(threat, params)):
        (q,) = p
        if isinstance(t, ReColorAdv):
            eps = torch.tensor(t.eps).view(1, 3, 1, 1, 1)
            assert (q.abs() <= eps + tol).all()
        elif isinstance(t, StAdv):
            assert q.abs().max() <= t.eps + tol
        else:
            assert q.abs().max() <= t.eps + tol


# ---------------------------------------------------------------- properties

@HSET
@given(seed=st.integers(0, 2**31 - 1), name=st.sampled_from(FUNCTIONAL_ATTACKS))
def test_output_inside_threat_model_and_unit_range(seed, name):
    threat = functional_attack(name, **SMALL)
    x = images(seed)
    # a large lr drives the parameters onto the bounds within a few steps
    adv, params = attack(tiny_model(), x, labels(), threat, steps=3, lr=0.2, return_params=True)
    assert adv.shape == x.shape and adv.min() >= 0 and adv.max() <= 1
    assert_inside(threat, params)
    if name == "D":
        assert (adv - x).abs().max() <= 8 / 255 + 1e-6
    if name in ("C", "C-RGB"):
        # within the bound in the attack's colour space, where no clamp to [0, 1] acted
        t = threat
        before, after = t.to_space(x), t.to_space(adv)
        unclamped = ((adv > 1e-4) & (adv < 1 - 1e-4)).all(1, keepdim=True)
        eps = torch.tensor(t.eps).view(1, 3, 1, 1)
        assert (((after - before).abs() <= eps + 1e-3) | ~unclamped).all()


@HSET
@given(seed=st.integers(0, 2**31 - 1), space=st.sampled_from(["luv", "rgb"]))
def test_recolor_is_a_function_of_colour(seed, space):
    """Pixels of the same colour get the same new colour, wherever they are."""
    threat = ReColorAdv(space=space, resolution=(4, 6, 6), random_start=True)
    x = images(seed, n=2)
    x[:, :, 0, 0] = x[:, :, 5, 7]
    params = threat.init(x, torch.Generator().manual_seed(seed))
    adv = threat.apply(x, params)
    torch.testing.assert_close(adv[:, :, 0, 0], adv[:, :, 5, 7])
    assert (adv - x).abs().max() > 1e-3  # and the random lattice did change something


@HSET
@given(seed=st.integers(0, 2**31 - 1),
       space_gamut=st.sampled_from([("luv", "shrink"), ("luv", "chroma"), ("luv", "clamp"),
                                    ("rgb", "clamp")]))
def test_identity_colour_map_gives_identity_image(seed, space_gamut):
    space, gamut = space_gamut
    threat = ReColorAdv(space=space, gamut=gamut)
    x = images(seed, n=2, size=6).double()
    x[0, :, 0, :] = torch.tensor([[1.0, 0, 0], [0, 0, 1.0], [0, 0, 0], [1.0, 1, 1], [0, 1, 0], [1, 0, 1]]).T
    torch.testing.assert_close(threat.apply(x, threat.init(x)), x, atol=1e-9, rtol=0)


def test_identity_lattice_whole_gamut_within_one_level():
    """Every sRGB colour (on a 64³ grid spanning the cube, float32) within 1/255."""
    v = torch.linspace(0, 1, 64)
    r, g, b = torch.meshgrid(v, v, v, indexing="ij")
    x = torch.stack([r, g, b]).reshape(1, 3, 64, 64 * 64)
    threat = ReColorAdv()
    assert (threat.apply(x, threat.init(x)) - x).abs().max() < 1 / 255


# The paper's f maps colours to colours with |f(c) − c| <= eps per CIELUV channel. A lattice
# pushed to its bound in every channel, applied to colours from all over the sRGB cube (black,
# white, the primaries and their mixes), is the hardest case for both properties.
def extreme_lattices(resolution=(4, 6, 6)) -> torch.Tensor:
    """(8, 3, *resolution): the 8 sign patterns of ±eps in (L, u, v), at every lattice point."""
    signs = torch.tensor([[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)],
                         dtype=torch.float64)
    return (0.06 * signs).view(8, 3, 1, 1, 1).expand(8, 3, *resolution).clone()


def cube_colours(n: int = 9) -> torch.Tensor:
    """(8, 3, n, n*n): every image holds the same n³ grid over the sRGB cube."""
    v = torch.linspace(0, 1, n, dtype=torch.float64)
    r, g, b = torch.meshgrid(v, v, v, indexing="ij")
    return torch.stack([r, g, b]).reshape(1, 3, n, n * n).expand(8, -1, -1, -1).clone()


def test_new_colours_stay_in_the_eps_box_in_cieluv():
    """gamut='shrink': every pixel moves at most (6, 12, 12) in (L*, u*, v*), the bound
    eps = 0.06 of the scaled units, and its new colour is a valid sRGB colour."""
    x, delta = cube_colours(), extreme_lattices()
    threat = ReColorAdv(resolution=(4, 6, 6))
    adv = threat.apply(x, (delta,))
    moved = (rgb_to_luv(adv) - rgb_to_luv(x)).abs().amax((0, 2, 3))
    assert (moved <= torch.tensor([6.0, 12.0, 12.0], dtype=torch.float64) + 1e-3).all()
    assert moved.min() > 5.9  # the lattices do use the whole bound somewhere
    # with the earlier RGB clamp the same lattices move colours far outside the box
    old = ReColorAdv(resolution=(4, 6, 6), gamut="clamp").apply(x, (delta,))
    assert (rgb_to_luv(old) - rgb_to_luv(x)).abs().amax() > 30


@HSET
@given(seed=st.integers(0, 2**31 - 1), dark=st.floats(0.01, 1.0))
def test_random_colour_functions_stay_in_the_eps_box(seed, dark):
    """Any lattice inside the bound, on any image (scaled towards black by ``dark``)."""
    threat = ReColorAdv(resolution=(4, 6, 6), random_start=True)
    x = images(seed, n=2).double() * dark
    (delta,) = threat.init(x, torch.Generator().manual_seed(seed))
    delta = delta.sign() * 0.06  # every lattice value on the bound, random signs
    adv = threat.apply(x, (delta,))
    moved = (rgb_to_luv(adv) - rgb_to_luv(x)).abs().amax((0, 2, 3))
    assert (moved <= torch.tensor([6.0, 12.0, 12.0], dtype=torch.float64) + 1e-3).all()
    assert (adv - x).abs().max() <= 127 / 255


def test_per_pixel_rgb_change_is_bounded():
    """The largest per-pixel change of an RGB channel that the eps box allows, with the
    displacement shrunk into the gamut, is 126.2/255: the search of every 8-bit colour on the
    cube's surface against the corners of the box in benchmarks/recolor_gamut.py (cyan
    (0, 241, 252) moved by (+6, +12, +12) gets R = 126). The earlier RGB clamp reached 255."""
    x, delta = cube_colours(), extreme_lattices()
    change = {g: (ReColorAdv(resolution=(4, 6, 6), gamut=g).apply(x, (delta,)) - x).abs().amax()
              for g in ("shrink", "clamp")}
    assert change["shrink"] <= 127 / 255
    assert change["clamp"] > 200 / 255


def test_attack_respects_the_bounds_on_trained_like_inputs():
    """A real attack run (large lr drives the lattice onto its bounds) on images with dark and
    saturated pixels: per-pixel change within the CIELUV box and the RGB bound above."""
    x = images(7, n=4)
    x[:, :, :4] *= 0.05  # near-black rows
    x[:, 0, 4:] = 1.0    # saturated reds
    threat = ReColorAdv(resolution=(4, 6, 6))
    adv = attack(tiny_model(), x, labels(4), threat, steps=5, lr=0.5)
    dluv = (rgb_to_luv(adv.double()) - rgb_to_luv(x.double())).abs().amax((0, 2, 3))
    assert (dluv <= torch.tensor([6.0, 12.0, 12.0], dtype=torch.float64) + 1e-2).all()
    assert (adv - x).abs().max() <= 127 / 255


def test_lattice_values_at_lattice_points():
    """At a lattice point the interpolated displacement is that point's own value."""
    threat = ReColorAdv(space="rgb", resolution=(3, 4, 5))
    delta = torch.randn(1, 3, 3, 4, 5, dtype=torch.float64)
    i, j, k = 1, 2, 3
    coords = torch.tensor([i / 2, j / 3, k / 4], dtype=torch.float64).view(1, 3, 1, 1)
    out = threat.displacement(coords, delta)
    torch.testing.assert_close(out.flatten(), delta[0, :, i, j, k])


@HSET
@given(seed=st.integers(0, 2**31 - 1), name=st.sampled_from(FUNCTIONAL_ATTACKS))
def test_same_seed_same_result(seed, name):
    kw = {"recolor": {"resolution": (4, 6, 6), "random_start": True},
          "stadv": {"random_start": True}, "delta": {"random_start": True}}
    threat = functional_attack(name, **kw)
    x, m = images(seed), tiny_model()
    def run(s):
        return attack(m, x, labels(), threat, steps=2, generator=torch.Generator().manual_seed(s))

    a, b = run(seed), run(seed)
    assert torch.equal(a, b)
    c = run(seed + 1)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("name", FUNCTIONAL_ATTACKS)
def test_gradients_flow_through_every_parameterisation(name):
    threat = functional_attack(name, **SMALL)
    x = images(1).double()
    params = threat.init(x)
    ts = leaves(threat, params)
    for t in ts:
        t.requires_grad_(True)
    m = tiny_model().double()
    loss = cw_margin(m(threat.apply(x, params)), labels()).sum()
    grads = torch.autograd.grad(loss, ts)
    assert len(grads) == len(name.replace("C-RGB", "C").split("+"))
    for g in grads:
        assert torch.isfinite(g).all() and g.abs().sum() > 0


@pytest.mark.parametrize("threat", [ReColorAdv(resolution=(3, 4, 4)), ReColorAdv(space="rgb", resolution=(3, 3, 3)),
                                    StAdv(), Delta()], ids=repr)
def test_gradcheck_apply(threat):
    x = images(2, n=1, size=4).double() * 0.8 + 0.1
    (p,) = threat.init(x)
    p = (p + 1e-3 * torch.randn_like(p)).requires_grad_()
    assert torch.autograd.gradcheck(lambda q: threat.apply(x, (q,)), (p,))


# ---------------------------------------------------------------- loop and interface

def test_attack_lowers_accuracy_of_tiny_model():
    torch.manual_seed(0)
    m = tiny_model(3)
    x = images(5, n=32)
    y = m(x).argmax(1)  # attack the model's own predictions: clean accuracy 100 %
    adv = attack(m, x, y, functional_attack("C+D", **SMALL), steps=20, lr=0.01)
    assert (m(adv).argmax(1) == y).float().mean() < 0.5


def test_margin_is_cw_f6():
    z = torch.tensor([[1.0, 3.0, 2.0], [5.0, 1.0, 0.0]])
    torch.testing.assert_close(cw_margin(z, torch.tensor([1, 1])), torch.tensor([1.0, -4.0]))


def test_mode_restored_and_model_untouched():
    m = tiny_model().train()
    before = [p.clone() for p in m.parameters()]
    attack(m, images(0), labels(), functional_attack("C+S+D", **SMALL), steps=2)
    assert m.training
    assert all(torch.equal(a, b) for a, b in zip(before, m.parameters()))
    assert all(p.grad is None for p in m.parameters())
    m.eval()
    attack(m, images(0), labels(), Delta(), steps=1)
    assert not m.training


def test_zero_iterations_is_identity():
    x = images(0)
    for name in FUNCTIONAL_ATTACKS:
        adv = attack(tiny_model(), x, labels(), functional_attack(name), steps=0)
        assert (adv - x).abs().max() < 1e-5


def test_combination_order_and_interface():
    threat = functional_attack("C+S+D")
    assert isinstance(threat, Combined) and threat.name == "C+S+D"
    assert [type(t) for t in threat.threats] == [ReColorAdv, StAdv, Delta]
    assert isinstance(functional_attack("C-RGB"), ReColorAdv) and functional_attack("C-RGB").space == "rgb"
    for t in [ReColorAdv(), StAdv(), Delta(), threat]:
        assert isinstance(t, ThreatModel)
        for method in ("init", "apply", "project", "regularizer"):
            assert callable(getattr(t, method))
    # applying the combination is applying C, then S, then D
    x = images(4)
    kw = {"resolution": (4, 6, 6), "random_start": True}
    c, s, d = ReColorAdv(**kw), StAdv(random_start=True), Delta(random_start=True)
    g = torch.Generator().manual_seed(0)
    comb = Combined([c, s, d])
    p = comb.init(x, g)
    torch.testing.assert_close(comb.apply(x, p), d.apply(s.apply(c.apply(x, p[0]), p[1]), p[2]))
    torch.testing.assert_close(comb.regularizer(p), c.regularizer(p[0]) + s.regularizer(p[1]))


def test_regularizers():
    d = Delta()
    x = images(0)
    assert torch.equal(d.regularizer(d.init(x)), torch.zeros(3))
    c = ReColorAdv(resolution=(2, 2, 3))
    delta = torch.zeros(1, 3, 2, 2, 3)
    delta[0, 0, 1, 1, 2] = 0.03  # one corner point moved: 3 neighbours, each pair counted twice
    assert float(c.regularizer((delta,))) == pytest.approx(6 * 0.03, abs=1e-3)
    s = StAdv()
    flow = torch.zeros(1, 4, 4, 2)
    flow[0, 1, 1] = torch.tensor([0.03, 0.04])  # interior point: 4 neighbours, twice each
    assert float(s.regularizer((flow,))) == pytest.approx(8 * 0.05, abs=1e-3)


@pytest.mark.skipif(importlib.util.find_spec("recoloradv") is None, reason="needs recoloradv")
def test_smoothness_matches_reference():
    pytest.importorskip("six")
    from recoloradv.norms import smoothness
    delta = torch.randn(2, 3, 4, 5, 6, dtype=torch.float64) * 0.05
    # the reference compares edge points with themselves: sqrt(0 + 1e-10) each
    edge_terms = 6 * 4 * 5 * 6 - 2 * (3 * 5 * 6 + 4 * 4 * 6 + 4 * 5 * 5)
    ref = smoothness(delta.permute(0, 2, 3, 4, 1)) - edge_terms * 1e-5
    torch.testing.assert_close(ReColorAdv().regularizer((delta,)), ref, atol=1e-6, rtol=1e-9)


def _plain_smoothness(field, dims, channel_dim):
    # The formula as plain autograd ops: what the hand-written gradient must match.
    total = field.new_zeros(field.shape[0])
    for d in dims:
        n = field.shape[d]
        diff = field.narrow(d, 1, n - 1) - field.narrow(d, 0, n - 1)
        total = total + 2 * (diff.pow(2).sum(channel_dim) + 1e-10).sqrt().flatten(1).sum(1)
    return total


@pytest.mark.parametrize("shape, dims, channel_dim", [((3, 3, 4, 5, 6), (2, 3, 4), 1),
                                                      ((2, 5, 4, 2), (1, 2), 3),
                                                      ((2, 3, 1, 4, 3), (2, 3, 4), 1)])
def test_smoothness_gradient_is_the_formula_s(shape, dims, channel_dim):
    from stego_lib.attacks.threat import pair_smoothness
    g = torch.Generator().manual_seed(0)
    field = (0.05 * torch.randn(shape, dtype=torch.float64, generator=g)).requires_grad_()
    weights = torch.rand(shape[0], dtype=torch.float64, generator=g)
    torch.autograd.gradcheck(lambda f: pair_smoothness(f, dims, channel_dim), (field,))
    ours = torch.autograd.grad((pair_smoothness(field, dims, channel_dim) * weights).sum(), field)
    # a length-1 axis has no neighbours: the plain formula would index nothing there
    plain_dims = tuple(d for d in dims if shape[d] > 1)
    plain = torch.autograd.grad((_plain_smoothness(field, plain_dims, channel_dim) * weights).sum(),
                                field)
    torch.testing.assert_close(ours[0], plain[0], rtol=1e-12, atol=1e-12)
    with torch.no_grad():   # no graph needed to evaluate it
        assert pair_smoothness(field, dims, channel_dim).shape == (shape[0],)


def test_stadv_grid_stays_in_unit_square():
    s = StAdv(eps=0.5)
    (flow,) = s.project((torch.full((1, 4, 4, 2), 0.5),))
    from stego_lib.attacks.stadv import identity_grid
    grid = identity_grid(1, 4, 4) + flow
    assert grid.max() <= 1 + 1e-6


# ---------------------------------------------------------------- bad input

def test_bad_images_and_labels():
    m, t = tiny_model(), ReColorAdv()
    x, y = images(0), labels()
    with pytest.raises(TypeError, match="got list"):
        attack(m, [[0.0]], y, t)
    with pytest.raises(TypeError, match="got dtype torch.uint8"):
        attack(m, (x * 255).to(torch.uint8), y, t)
    with pytest.raises(ValueError, match=r"got shape \(3, 1, 8, 8\)"):
        attack(m, x[:, :1], y, t)  # ReColorAdv needs colour images
    with pytest.raises(ValueError, match=r"got shape \(3, 8, 8\)"):
        attack(m, x[0], y, Delta())
    with pytest.raises(ValueError, match=r"\[0, 1\], got values in"):
        attack(m, x * 2, y, t)
    with pytest.raises(ValueError, match=r"must have shape \(3,\), got \(2,\)"):
        attack(m, x, y[:2], t)
    with pytest.raises(TypeError, match="got torch.float32"):
        attack(m, x, y.float(), t)
    with pytest.raises(TypeError, match="ThreatModel, got str"):
        attack(m, x, y, "C")
    with pytest.raises(ValueError, match="steps must be an int >= 0, got -1"):
        attack(m, x, y, t, steps=-1)
    with pytest.raises(ValueError, match="lr must be a finite number > 0, got 0"):
        attack(m, x, y, t, lr=0)


@pytest.mark.parametrize("build, match", [
    (lambda: ReColorAdv(space="hsv"), "unknown colour space 'hsv'"),
    (lambda: ReColorAdv(eps=-0.1), "eps must be a finite number > 0, got -0.1"),
    (lambda: ReColorAdv(eps=(0.1, 0.1)), r"three numbers, got \(0.1, 0.1\)"),
    (lambda: ReColorAdv(resolution=(16, 1, 32)), r"three ints >= 2, got \(16, 1, 32\)"),
    (lambda: ReColorAdv(gamut="nearest"), "unknown gamut mode for space 'luv' 'nearest'"),
    (lambda: ReColorAdv(space="rgb", gamut="shrink"), "expected one of 'clamp'"),
    (lambda: StAdv(eps=0), "eps must be a finite number > 0, got 0"),
    (lambda: StAdv(padding="reflect"), "unknown padding 'reflect'"),
    (lambda: Delta(eps=float("inf")), "got inf"),
    (lambda: functional_attack("C+X"), "unknown functional attack 'C\\+X'"),
    (lambda: Combined([]), "got none"),
])
def test_bad_hyperparameters(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_repr_lists_hyperparameters():
    assert repr(ReColorAdv()) == ("ReColorAdv(space='luv', eps=(0.06, 0.06, 0.06), "
                                  "resolution=(16, 32, 32), gamut='shrink', random_start=False)")
    assert "gamut='clamp'" in repr(ReColorAdv(space="rgb"))
    assert repr(StAdv()) == "StAdv(eps=0.05, padding='border', random_start=False)"
    assert repr(Delta()) == "Delta(eps=0.0313725, random_start=False)"
    assert repr(functional_attack("S+D")).startswith("Combined([StAdv(")


def test_luv_bound_is_in_reference_units():
    """eps = 0.06 means 6 L* units and 12 u*/v* units, as in the reference's scaled box."""
    c = ReColorAdv()
    x = torch.full((1, 3, 1, 1), 0.5)
    delta = torch.zeros(1, 3, 16, 32, 32)
    delta[:, 0] = 0.06  # lift L everywhere by the bound
    diff = rgb_to_luv(c.apply(x, (delta,))) - rgb_to_luv(x)
    assert float(diff[0, 0]) == pytest.approx(6.0, abs=1e-3)
    assert luv_to_scaled(diff).shape == diff.shape


def test_a_trace_gives_every_shorter_run_of_the_same_attack():
    from stego_lib.attacks import attack, functional_attack

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 10))
    x, y = torch.rand(4, 3, 8, 8), torch.randint(0, 10, (4,))
    threat = functional_attack("C+D")
    last, kept = attack(model, x, y, threat, steps=6, kappa=0.0, trace=(2, 6))
    assert sorted(kept) == [2, 6] and torch.equal(kept[6], last)
    short = attack(model, x, y, threat, steps=2, kappa=0.0)
    assert torch.equal(kept[2], short)
    assert torch.equal(attack(model, x, y, threat, steps=6, kappa=0.0), last)
    for bad in ((0,), (7,), (True,), (2.0,)):
        with pytest.raises(ValueError, match="trace must hold step counts"):
            attack(model, x, y, threat, steps=6, trace=bad)
    with pytest.raises(ValueError, match="cannot be combined"):
        attack(model, x, y, threat, steps=6, trace=(2,), return_params=True)
