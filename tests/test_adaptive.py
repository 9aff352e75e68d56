"""The adaptive attack: in the ε-ball and [0, 1], on 8-bit levels, and it lowers the
detector score where plain PGD is flagged."""
import pytest
import torch
from hypothesis import given, settings, strategies as st

from stego_lib import checkpoints
from stego_lib.attacks import PGD
from stego_lib.attacks.adaptive import AdaptivePGD, quantize_in_ball
from stego_lib.data import load_sample
from stego_lib.detectors import score


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.001, 0.5))
def test_quantize_in_ball_property(seed, eps):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.randint(0, 256, (2, 1, 6, 6), generator=g).float() / 255
    x = (x0 + (torch.rand(x0.shape, generator=g) * 2 - 1) * 2 * eps).clamp(-0.1, 1.1)
    q = quantize_in_ball(x, x0, eps)
    assert (q - x0).abs().max() <= eps + 1e-6
    assert q.min() >= 0 and q.max() <= 1
    assert torch.allclose(q * 255, (q * 255).round(), atol=1e-4)


@pytest.fixture(scope="module")
def setting():
    torch.manual_seed(0)
    model = checkpoints.load("mnist_natural_pytorch_init")
    split = load_sample("mnist", limit=400)
    threshold = float(score(split.pixels[200:]).max())   # zero false positives on these
    return model, split.images[:6], split.labels[:6], threshold


def test_adaptive_lowers_the_score_where_pgd_is_flagged(setting, one_thread):
    model, x, y, thr = setting
    eps = 0.3
    plain = quantize_in_ball(PGD(eps=eps, steps=10, alpha=0.05)(
        model, x, y, generator=torch.Generator().manual_seed(0)), x, eps)
    s_plain = score(plain)
    assert bool((s_plain > thr).all())                    # PGD's examples are all flagged
    atk = AdaptivePGD(eps=eps, score=score, threshold=thr, steps=15, alpha=0.02,
                      c_grid=(1e3, 1e5))
    adv = atk(model, x, y, generator=torch.Generator().manual_seed(0))
    s_adv = score(adv)
    assert float(s_adv.mean()) < float(s_plain.mean())
    assert (adv - x).abs().max() <= eps + 1e-6
    assert adv.min() >= 0 and adv.max() <= 1
    assert torch.allclose(adv * 255, (adv * 255).round(), atol=1e-4)
    # what the attack reports as won is misclassified and not flagged on the returned image
    won = atk.found
    with torch.no_grad():
        wrong = model(adv).argmax(1) != y
    assert bool((wrong[won] & (s_adv[won] <= thr)).all())


def test_same_seed_same_images(setting, one_thread):
    model, x, y, thr = setting
    atk = AdaptivePGD(eps=0.1, score=score, threshold=thr, steps=3, c_grid=(1e3,))
    a = atk(model, x[:2], y[:2], generator=torch.Generator().manual_seed(1))
    b = atk(model, x[:2], y[:2], generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


def test_restores_train_mode_and_validates():
    from stego_lib.models import build
    model = build("mnist_cnn").train()
    atk = AdaptivePGD(eps=0.1, score=score, threshold=0.01, steps=1, c_grid=(1.0,))
    atk(model, torch.rand(1, 1, 28, 28), torch.tensor([3]))
    assert model.training
    with pytest.raises(ValueError, match="got 0"):
        AdaptivePGD(eps=0.1, score=score, threshold=0.01, steps=0)
    with pytest.raises(ValueError, match="got none"):
        AdaptivePGD(eps=0.1, score=score, threshold=0.01, c_grid=())
    with pytest.raises(TypeError, match="got int"):
        AdaptivePGD(eps=0.1, score=1, threshold=0.01)
    assert "AdaptivePGD(eps=0.1" in repr(atk)
