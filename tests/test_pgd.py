"""PGD (mnist_challenge pgd_attack.py): bounds, determinism, validation, effect."""
import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch import nn

from stego_lib.attacks import PGD


def tiny_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(1 * 8 * 8, 16), nn.ReLU(), nn.Linear(16, 10))


MODEL = tiny_model()


@settings(max_examples=25, deadline=None)
@given(eps=st.floats(0.001, 0.6), steps=st.integers(0, 5), alpha=st.floats(0.001, 0.5),
       clip_start=st.booleans(), seed=st.integers(0, 2**16), n=st.integers(1, 4),
       loss=st.sampled_from(["ce", "cw"]))
def test_output_in_eps_ball_and_unit_box(eps, steps, alpha, clip_start, seed, n, loss):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 8, 8, generator=g)
    x[:, :, :2] = 0.0  # saturated pixels, where the unclipped start leaves [0, 1]
    x[:, :, -2:] = 1.0
    y = torch.randint(0, 10, (n,), generator=g)
    atk = PGD(eps=eps, steps=steps, alpha=alpha, clip_start=clip_start, loss=loss)
    x_adv = atk(MODEL, x, y, generator=g)
    assert x_adv.shape == x.shape
    assert (x_adv - x).abs().max() <= eps + 1e-6
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0


def test_same_generator_seed_same_output_and_different_seed_differs():
    x = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    y = torch.tensor([1, 2, 3])
    atk = PGD(eps=0.1, steps=3)
    a = atk(MODEL, x, y, generator=torch.Generator().manual_seed(5))
    b = atk(MODEL, x, y, generator=torch.Generator().manual_seed(5))
    c = atk(MODEL, x, y, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_on_grad_sees_every_step_and_changes_nothing():
    x = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    y = torch.tensor([1, 2, 3])
    atk = PGD(eps=0.1, steps=4)
    start = atk.init(x, generator=torch.Generator().manual_seed(5))
    seen = []
    watched = atk.run(MODEL, x, y, start, on_grad=lambda g: seen.append(g.clone()))
    assert torch.equal(watched, atk.run(MODEL, x, y, start))
    assert len(seen) == 4 and all(g.shape == x.shape for g in seen)
    # the first gradient is the loss's gradient at the start itself
    xs = start.clone().requires_grad_(True)
    nn.functional.cross_entropy(MODEL(xs), y, reduction="sum").backward()
    assert torch.allclose(seen[0], xs.grad)


def test_reference_start_is_not_clipped_but_clip_start_clips():
    x = torch.zeros(2, 1, 8, 8)
    g = torch.Generator().manual_seed(0)
    start = PGD(eps=0.3).init(x, generator=g)
    assert start.min() < 0  # mnist_challenge: x + U(-eps, eps) as is
    assert PGD(eps=0.3, clip_start=True).init(x, generator=g).min() >= 0


def test_one_step_matches_hand_computed_sign_step():
    x = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    y = torch.tensor([0, 7])
    xr = x.clone().requires_grad_(True)
    nn.functional.cross_entropy(MODEL(xr), y, reduction="sum").backward()
    expected = torch.min(torch.max(x + 0.05 * xr.grad.sign(), x - 0.1), x + 0.1).clamp(0, 1)
    got = PGD(eps=0.1, steps=1, alpha=0.05, random_start=False)(MODEL, x, y)
    assert torch.allclose(got, expected)


def test_without_random_start_equals_torchattacks_on_the_mnist_cnn():
    # torchattacks averages the loss over the batch and projects as x + clamp(x_adv - x):
    # the same signs and the same points up to float rounding.
    import torchattacks
    from stego_lib.data import load_sample
    from stego_lib.models import build

    torch.manual_seed(0)
    model = build("mnist_cnn")
    split = load_sample("mnist", limit=16)
    x, y = split.images, split.labels
    ours = PGD(eps=0.3, steps=10, alpha=0.01, random_start=False)(model, x, y)
    ref = torchattacks.PGD(model, eps=0.3, alpha=0.01, steps=10, random_start=False)(x, y)
    assert (ours - x).abs().max() > 0.05          # the attack moved the images
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-6)


def test_attack_raises_loss_and_restores_mode():
    model = tiny_model(3)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(4)  # confident logits, so a correct prediction is a real margin
    x = torch.rand(64, 1, 8, 8, generator=torch.Generator().manual_seed(3))
    y = model(x).argmax(1)  # labels the model gets right
    model.train()
    x_adv = PGD(eps=0.3, steps=10, alpha=0.05)(model, x, y, generator=torch.Generator().manual_seed(0))
    assert model.training
    ce = nn.functional.cross_entropy
    assert ce(model(x_adv), y) > ce(model(x), y) + 0.5
    assert (model(x_adv).argmax(1) == y).float().mean() < 0.5


def test_repr_shows_hyperparameters():
    r = repr(PGD(eps=0.3, steps=40, alpha=0.01))
    assert "eps=0.3" in r and "steps=40" in r and "alpha=0.01" in r and "clip_start=False" in r


@pytest.mark.parametrize("kwargs", [dict(eps=0), dict(eps=-0.1), dict(eps=0.1, steps=-1),
                                    dict(eps=0.1, steps=1.5), dict(eps=0.1, alpha=0),
                                    dict(eps=0.1, loss="mse"), dict(eps=float("nan"))])
def test_bad_hyperparameters_raise(kwargs):
    with pytest.raises(ValueError):
        PGD(**kwargs)


@pytest.mark.parametrize("x, err, text", [
    (torch.rand(2, 1, 8, 8) * 2, ValueError, "[0, 1]"),
    (torch.full((2, 1, 8, 8), float("nan")), ValueError, "finite"),
    (torch.rand(1, 8, 8), ValueError, "(N, C, H, W)"),
    (torch.randint(0, 255, (2, 1, 8, 8)), TypeError, "floating-point"),
])
def test_bad_images_raise_saying_what_was_expected(x, err, text):
    with pytest.raises(err, match=None) as info:
        PGD(eps=0.1, steps=1)(MODEL, x, torch.zeros(x.shape[0] if x.ndim == 4 else 1, dtype=torch.int64))
    assert text in str(info.value)


def test_wrong_channels_for_mnist_model_raise():
    from stego_lib.models import build
    with pytest.raises(ValueError, match="channel"):
        build("mnist_cnn")(torch.rand(2, 3, 28, 28))
