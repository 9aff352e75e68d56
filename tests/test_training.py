"""The generic training loop: learns, validates, resumes, restores mode."""
import pytest
import torch
from torch import nn

from stego_lib import training
from stego_lib.attacks import PGD


def toy_data(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.rand(n, 1, 4, 4, generator=g) * 0.5
    x[y == 1, :, :2] += 0.5           # class 1: bright top half
    return (x * 255).round().to(torch.uint8), y


def toy_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2))


def test_learns_a_separable_problem_from_uint8_and_restores_eval_mode():
    x, y = toy_data()
    model = toy_model().eval()
    before = training.evaluate(model, x, y)
    hist = training.train(model, x, y, epochs=5, batch_size=32, lr=1e-2, seed=0, progress=False,
                          log_every=8)
    assert not model.training
    assert hist["finished"] and hist["steps"] == 5 * 8 and hist["epochs_done"] == 5
    assert training.evaluate(model, x, y) > max(before, 0.95)
    assert hist["loss"][-1] < hist["loss"][0]


def test_same_seed_same_weights_and_sgd_multistep_runs():
    x, y = toy_data()
    ws = []
    for _ in range(2):
        m = toy_model()
        training.train(m, x, y, epochs=2, batch_size=64, lr=0.1, optimizer="sgd",
                       schedule="multistep", milestones=(1,), seed=3, progress=False)
        ws.append(torch.cat([p.flatten() for p in m.parameters()]))
    assert torch.equal(ws[0], ws[1])


def test_max_steps_and_resume_equal_an_uninterrupted_run(tmp_path):
    x, y = toy_data()
    full = toy_model()
    training.train(full, x, y, epochs=2, batch_size=32, lr=1e-2, seed=1, progress=False)
    part = toy_model()
    state = tmp_path / "s.pt"
    h1 = training.train(part, x, y, epochs=2, batch_size=32, lr=1e-2, seed=1, progress=False,
                        stop_at=5, state_path=state)
    assert h1["steps"] == 5 and not h1["finished"]
    part2 = toy_model(99)  # fresh weights: everything must come from the state file
    h2 = training.train(part2, x, y, epochs=2, batch_size=32, lr=1e-2, seed=1, progress=False,
                        state_path=state)
    assert h2["finished"] and h2["steps"] == 16
    for a, b in zip(full.parameters(), part2.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_adversary_trains_on_adversarial_batch_only():
    x, y = toy_data(64)
    seen = []

    def adversary(model, xb, yb):
        assert not model.training          # attacked in eval mode
        assert xb.dtype == torch.float32 and 0 <= float(xb.min()) and float(xb.max()) <= 1
        seen.append(xb.shape[0])
        return torch.zeros_like(xb)        # all-black: the model can only learn the prior

    m = toy_model()
    w0, b0 = m[1].weight.detach().clone(), m[1].bias.detach().clone()
    training.train(m, x, y, epochs=1, batch_size=16, lr=1e-2, adversary=adversary, seed=0,
                   progress=False)
    assert seen == [16, 16, 16, 16]
    # Trained on black images only: the first layer's weights get zero gradient (its input is
    # all zeros) and stay exactly as they were, while its bias moves. Training on the clean
    # batch would move the weights too.
    assert torch.equal(m[1].weight, w0)
    assert not torch.equal(m[1].bias, b0)


def test_adversarial_training_uses_the_attack_and_evaluate_counts_correctly():
    x, y = toy_data(256)
    m = toy_model()
    training.train(m, x, y, epochs=5, batch_size=32, lr=1e-2, seed=0, progress=False)
    calls = []

    def adversary(model, xb, yb):
        calls.append(xb.shape[0])
        return PGD(eps=0.05, steps=2, alpha=0.03)(model, xb, yb)

    training.train(m, x, y, epochs=1, batch_size=64, lr=1e-3, adversary=adversary, seed=0,
                   progress=False)
    assert calls == [64, 64, 64, 64]
    # evaluate under an attack equals the accuracy on the attacked images, counted by hand
    pgd = PGD(eps=0.3, steps=10, alpha=0.05)
    torch.manual_seed(0)
    acc = training.evaluate(m, x, y, attack=lambda a, b, c: pgd(a, b, c))
    torch.manual_seed(0)
    x_adv = pgd(m.eval(), x.float() / 255, y)
    by_hand = float((m(x_adv).argmax(1) == y).float().mean())
    assert acc == pytest.approx(by_hand)
    # and the attack does something: the model is accurate on clean images, not under attack
    assert training.evaluate(m, x, y) > 0.9 > acc


def test_cifar_augment_shapes_and_content():
    x = torch.rand(5, 3, 32, 32)
    out = training.cifar_augment(x, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    # every output is a shifted (possibly flipped) copy: its nonzero values come from x
    assert torch.isin(out[0][out[0] != 0], x[0]).all()
    same = training.cifar_augment(x, padding=0, generator=torch.Generator().manual_seed(0))
    flipped_or_not = [(torch.equal(same[i], x[i]) or torch.equal(same[i], x[i].flip(-1)))
                      for i in range(5)]
    assert all(flipped_or_not)


@pytest.mark.parametrize("kwargs, text", [
    (dict(epochs=0), "epochs"), (dict(batch_size=0), "batch_size"), (dict(lr=-1), "lr"),
    (dict(optimizer="rmsprop"), "optimizer"), (dict(schedule="linear"), "schedule"),
    (dict(schedule="multistep"), "milestones"), (dict(weight_decay=-1), "weight_decay"),
    (dict(adversary=3), "adversary"), (dict(max_steps=0), "max_steps"),
])
def test_bad_hyperparameters_raise_value_error(kwargs, text):
    x, y = toy_data(8)
    args = dict(epochs=1, batch_size=4, lr=1e-3, progress=False)
    args.update(kwargs)
    with pytest.raises(ValueError, match=text):
        training.train(toy_model(), x, y, **args)


def test_bad_data_raises():
    x, y = toy_data(8)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        training.train(toy_model(), x.float(), y, epochs=1, batch_size=4, lr=1e-3, progress=False)
    with pytest.raises(ValueError, match="int64"):
        training.train(toy_model(), x, y.int(), epochs=1, batch_size=4, lr=1e-3, progress=False)


def test_config_object_equals_keywords_and_not_both():
    x, y = toy_data(64)
    cfg = training.TrainConfig(epochs=1, batch_size=16, lr=1e-2, seed=4, progress=False)
    a, b = toy_model(), toy_model()
    training.train(a, x, y, cfg)
    training.train(b, x, y, epochs=1, batch_size=16, lr=1e-2, seed=4, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    with pytest.raises(TypeError, match="got both"):
        training.train(toy_model(), x, y, cfg, lr=1e-3)


def test_adversary_noise_comes_from_the_seed_and_the_global_state_is_left_alone():
    x, y = toy_data(64)
    draws = []

    def adversary(model, xb, yb):
        draws.append(torch.rand(3))              # the global generator, as PGD without one
        return xb

    results = []
    for global_seed in (0, 1):
        draws.clear()
        model = toy_model()
        torch.manual_seed(global_seed)
        before = torch.get_rng_state()
        training.train(model, x, y, epochs=1, batch_size=32, lr=1e-2, seed=5,
                       adversary=adversary, progress=False)
        assert torch.equal(torch.get_rng_state(), before)
        results.append(torch.stack(draws))
    assert torch.equal(results[0], results[1])
    assert torch.equal(results[0], torch.rand(2, 3, generator=torch.Generator().manual_seed(5)))
