"""Paper II training: recipes validate, TRADES and grayscale are what they claim, a training
item cut into slices resumes to the weights of an uninterrupted run."""
import math

import pytest
import torch
from torch import nn

from stego_lib import checkpoints, data, models
from stego_lib.experiments.paper2 import recipes, training
from stego_lib.experiments.paper2.config import ROWS
from stego_lib.attacks.training import FunctionalAdversary, TradesPGD
from stego_lib.experiments.paper2.objectives import concat_objective, trades_loss


def test_every_row_has_a_valid_recipe_on_both_devices():
    for row in ROWS:
        for dev in ("cpu", "cuda"):
            r = recipes.recipe(row, dev)
            assert r["deviations"] and r["reference"]
    assert recipes.recipe("natural", "cuda")["epochs"] == 200            # akamaster's schedule
    assert recipes.recipe("gray-c", "cpu")["init"] == "gray"
    assert recipes.recipe("trades", "cuda")["adversary"]["steps"] == 10  # the authors' PGD-10
    assert recipes.recipe("trades", "cpu")["beta"] == 6.0


@pytest.mark.parametrize("change, message", [
    ({"epochs": 0}, "epochs must be an int >= 1, got 0"),
    ({"lr": -1.0}, "lr must be a number > 0, got -1.0"),
    ({"optimizer": "rmsprop"}, "optimizer"),
    ({"arch": "vgg"}, "architecture"),
    ({"init": "imagenet"}, "init"),
    ({"adversary": None}, "needs an adversary dict, got None"),
    ({"adversary": {"kind": "trades", "eps": 0.03, "step_size": 0.01, "steps": 5,
                    "init_std": 0.0}}, "needs an adversary of kind 'functional'"),
    ({"adversary": {"kind": "functional", "threat": "X", "iterations": 5, "lr": 0.01,
                    "reg_weight": 0.05}}, "adversary threat"),
    ({"adversary": {"kind": "functional", "threat": "C", "iterations": 0, "lr": 0.01,
                    "reg_weight": 0.05}}, "iterations must be an int >= 1, got 0"),
])
def test_recipe_validation_names_what_it_got(change, message):
    r = {**recipes.recipe("c", "cpu"), **change}
    with pytest.raises(ValueError, match=message):
        recipes.validate(r)


def test_recipe_rejects_unknown_row_device_and_missing_keys():
    with pytest.raises(ValueError, match="row"):
        recipes.recipe("nope", "cpu")
    with pytest.raises(ValueError, match="device"):
        recipes.recipe("c", "tpu")
    r = recipes.recipe("natural", "cpu")
    del r["lr"]
    with pytest.raises(ValueError, match="recipe lacks lr"):
        recipes.validate(r)
    with pytest.raises(ValueError, match="got an adversary"):
        recipes.validate({**recipes.recipe("natural", "cpu"),
                          "adversary": recipes.recipe("c", "cpu")["adversary"]})


def test_trades_loss_equals_the_hand_computed_value():
    # p = softmax(0, ln 3) = (1/4, 3/4) on the clean image, q = (1/2, 1/2) on the adversarial
    z_clean = torch.tensor([[0.0, math.log(3.0)], [0.0, 0.0]])
    z_adv = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    y = torch.tensor([1, 0])
    ce = (-math.log(3 / 4) + math.log(2)) / 2
    kl = (0.25 * math.log(0.25 / 0.5) + 0.75 * math.log(0.75 / 0.5) + 0.0) / 2  # per image mean
    got = trades_loss(z_clean, z_adv, y, beta=6.0)
    assert float(got) == pytest.approx(ce + 6.0 * kl, rel=1e-6)
    assert float(trades_loss(z_clean, z_adv, y, beta=0.0)) == pytest.approx(ce, rel=1e-6)
    with pytest.raises(ValueError, match="beta"):
        trades_loss(z_clean, z_adv, y, beta=-1.0)


def test_trades_pgd_stays_in_the_ball_and_raises_the_kl(one_thread):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 10)).eval()
    x = torch.rand(8, 3, 4, 4)
    atk = TradesPGD(eps=8 / 255, step_size=2 / 255, steps=5)
    atk.set_step(3)
    x_adv = atk(model, x, torch.zeros(8, dtype=torch.int64))
    assert float((x_adv - x).abs().max()) <= 8 / 255 + 1e-6
    assert 0 <= float(x_adv.min()) and float(x_adv.max()) <= 1
    with torch.no_grad():
        kl = nn.functional.kl_div(model(x_adv).log_softmax(1), model(x).softmax(1),
                                  reduction="sum")
    assert float(kl) > 1e-4
    atk.set_step(3)
    assert torch.equal(atk(model, x, torch.zeros(8, dtype=torch.int64)), x_adv)  # seeded by step
    with pytest.raises(ValueError, match="steps must be an int >= 1, got 0"):
        TradesPGD(steps=0)


def test_trades_pgd_equals_the_authors_loop_written_out(one_thread):
    # trades.py of yaodongyu/TRADES, step by step: a regression check that running it on the
    # shared L-inf pieces (eval_mode, sign_step) changed no bit of its output.
    torch.manual_seed(1)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 10)).train()
    x, eps, step = torch.rand(6, 3, 4, 4), 8 / 255, 0.007
    atk = TradesPGD(eps=eps, step_size=step, steps=4, seed=5)
    atk.set_step(2)
    got = atk(model, x, torch.zeros(6, dtype=torch.int64))
    assert model.training                      # its mode restored
    gen = torch.Generator().manual_seed(5 * 1_000_003 + 2)
    model.eval()
    with torch.no_grad():
        p_clean = nn.functional.softmax(model(x), 1)
    x_adv = (x + 0.001 * torch.randn(x.shape, generator=gen)).detach()
    for _ in range(4):
        x_adv.requires_grad_(True)
        kl = nn.functional.kl_div(nn.functional.log_softmax(model(x_adv), 1), p_clean,
                                  reduction="sum")
        (grad,) = torch.autograd.grad(kl, x_adv)
        x_adv = x_adv.detach() + step * grad.sign()
        x_adv = torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0, 1)
    assert torch.equal(got, x_adv)


def test_grayscale_uses_itu_r_601_luma():
    gray = models.Grayscale(nn.Identity())
    x = torch.eye(3).view(3, 3, 1, 1)          # pure red, pure green, pure blue pixels
    out = gray(x)
    assert torch.allclose(out[:, 0].flatten(), torch.tensor([0.299, 0.587, 0.114]))
    assert torch.equal(out[:, 0], out[:, 1]) and torch.equal(out[:, 1], out[:, 2])
    assert torch.equal(models.build("resnet32_gray").weights.flatten(),
                       torch.tensor([0.299, 0.587, 0.114]))


def test_concat_objective_trains_on_both_halves():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    x, x_adv, y = torch.rand(4, 3, 2, 2), torch.rand(4, 3, 2, 2), torch.tensor([0, 1, 2, 0])
    with torch.no_grad():
        loss, logits, targets = concat_objective(model, x, y, x_adv)
        both = nn.functional.cross_entropy(model(torch.cat([x, x_adv])), torch.cat([y, y]))
    assert logits.shape == (8, 3) and torch.equal(targets, torch.cat([y, y]))
    assert float(loss) == pytest.approx(float(both))
    with pytest.raises(ValueError, match="threat must be one of"):
        FunctionalAdversary("Z", iterations=5, lr=0.01)


@pytest.fixture
def stores(tmp_path, monkeypatch):
    """Empty checkpoint store and state folder holding a seeded 'natural' parent model."""
    monkeypatch.setenv("STEGO_CHECKPOINTS", str(tmp_path / "ckpt"))
    monkeypatch.setenv("STEGO_STATE", str(tmp_path / "state"))
    torch.manual_seed(0)
    checkpoints.save(models.build("resnet32"), "cifar_resnet32_natural", arch="resnet32",
                     config={}, data={}, metrics={})
    return tmp_path


TINY = {  # 3 steps of 8 images, one attack step: every objective, schedule and init path
    "c+d": {"epochs": 1, "batch_size": 8,
            "adversary": {"kind": "functional", "threat": "C+D", "iterations": 1, "lr": 0.02,
                          "reg_weight": 0.05}},
    "natural": {"epochs": 1, "batch_size": 8},                      # one-cycle, from scratch
    "trades": {"epochs": 1, "batch_size": 8,
               "adversary": {"kind": "trades", "eps": 8 / 255, "step_size": 0.01, "steps": 1,
                             "init_std": 0.001}},
}


def _weights(name):
    return torch.cat([v.float().flatten() for v in checkpoints.load(name).state_dict().values()])


@pytest.mark.parametrize("row", ["c+d", "natural", "trades"])
def test_a_sliced_training_item_resumes_to_the_uninterrupted_weights(stores, row, one_thread):
    split = data.load_sample("cifar10", limit=24)          # 3 steps of 8 images
    tests = {"sample_8": data.load_sample("cifar10", limit=8)}
    kw = dict(train_split=split, override=TINY[row], test_splits=tests)
    name = training.CHECKPOINTS[row]   # for "natural": replaces the fixture's stand-in
    assert training.train_slice(row, 1, **kw) is None       # paused after step 1
    assert training.steps_done(row, "cpu") == 1
    rec = training.train_slice(row, 3, **kw)                # resumed to the end
    assert rec["config"]["row"] == row and rec["config"]["steps_done"] == 3
    assert rec["dtype"] == "float16" and 0 <= rec["metrics"]["clean_accuracy_sample_8"] <= 1
    assert training.is_trained(row, "cpu") and not training.is_trained(row, "cuda")
    assert training.steps_done(row, "cpu") == 0             # the state file is gone
    sliced = _weights(name)

    rec2 = training.train_slice(row, 3, **kw)               # again, in one go
    assert rec2["config"]["steps_done"] == 3
    assert torch.equal(_weights(name), sliced)


def test_children_of_a_retrained_parent_are_stale(stores, one_thread):
    split = data.load_sample("cifar10", limit=8)
    kw = dict(train_split=split, override=TINY["c+d"],
              test_splits={"sample_8": data.load_sample("cifar10", limit=8)})
    rec = training.train_slice("c+d", 1, **kw)
    assert rec["config"]["parent"]["checkpoint"] == "cifar_resnet32_natural"
    assert training.is_trained("c+d")
    torch.manual_seed(1)                                     # a different natural model
    checkpoints.save(models.build("resnet32"), "cifar_resnet32_natural", arch="resnet32",
                     config={}, data={}, metrics={})
    assert not training.is_trained("c+d")


def test_cifar_train_says_where_the_committed_table1_models_were_trained():
    """The module docstring once called the Table 1 models GPU work; it must name the device
    the committed models record (their manifest entries), and that the code runs on either."""
    from stego_lib.experiments import cifar_train

    devices = {checkpoints.entry(name)["config"].get("device_path")
               for name in checkpoints.available()
               if checkpoints.entry(name)["config"].get("table1_row")}
    if not devices:
        pytest.skip("no Table 1 model is committed")
    doc = " ".join(cifar_train.__doc__.split())
    words = {"cpu": "CPUs", "cuda": "GPUs"}
    assert f"Table 1 models were trained on {' and '.join(words[d] for d in sorted(devices))}" \
        in doc
    assert "GPU work" not in doc and "runs on either device" in doc
