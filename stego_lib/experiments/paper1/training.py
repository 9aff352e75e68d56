"""Paper I training recipes: the natural and the adversarially trained ("secret") MNIST models.

Both use MadryCNN with mnist_challenge's initialisation (truncated normal, std 0.1; biases
0.1) and its optimiser (Adam, batch 50). Training runs in step slices so the campaign can
stop and resume it: each slice ends with a state file (git-ignored), the last one saves the
float16 checkpoint and measures it, reloaded, on all 10,000 test images.

Example::

    >>> slices("natural")[:3], len(slices("natural"))
    ([5000, 10000, 15000], 20)
    >>> total_steps("madry"), slices("madry")[-1]   # the CPU budget stops it short of 100,000
    (15000, 15000)
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch

from ... import checkpoints, data
from ...storage import state_dir
from ..._checks import check_choice
from ...attacks.training import RampedPGD
from ...cache import ResultsCache, cached
from .compute import all_scores
from .config import CHECKPOINTS, EXPERIMENT

PGD40 = dict(eps=0.3, steps=40, alpha=0.01, random_start=True, clip_start=False, loss="ce")

RECIPES = {
    # mnist_challenge's train.py without the adversary (the paper never says how its natural
    # model was trained; this is the schedule of the reference it used).
    "natural": dict(checkpoint="mnist_natural", init="mnist_challenge", optimizer="adam",
                    lr=1e-4, batch_size=50, steps=100_000, schedule=None, adversary=None,
                    reference="MadryLab/mnist_challenge train.py, adversary removed"),
    # mnist_challenge's recipe exactly (config.json): PGD-40 on every batch. ~30 CPU hours.
    "adversarial-reference": dict(
        checkpoint="mnist_adversarial", init="mnist_challenge", optimizer="adam", lr=1e-4,
        batch_size=50, steps=100_000, schedule=None, adversary=dict(PGD40), eps_ramp_steps=0,
        reference="MadryLab/mnist_challenge train.py and config.json"),
    # The CPU recipe: PGD-7 (step 0.1 ~ 2.5 eps / k, random start) instead of PGD-40, 40,000
    # steps with a cosine decay from 5e-4, and eps ramped up linearly over the first 5,000
    # steps (a curriculum that keeps the first steps from collapsing). ~2 CPU hours.
    "adversarial": dict(
        checkpoint="mnist_adversarial", init="mnist_challenge", optimizer="adam", lr=5e-4,
        batch_size=50, steps=40_000, schedule="cosine",
        adversary=dict(eps=0.3, steps=7, alpha=0.1, random_start=True, clip_start=False,
                       loss="ce"), eps_ramp_steps=5_000,
        reference="PGD adversarial training after MadryLab/mnist_challenge, shortened for a CPU",
        deviations=["PGD-7 with step 0.1 during training instead of PGD-40 with step 0.01",
                    "40,000 steps instead of 100,000",
                    "Adam lr 5e-4 with cosine decay instead of a constant 1e-4",
                    "eps ramped linearly from 0 to 0.3 over the first 5,000 steps"]),
}
# Madry's recipe, run on a CPU as its own model beside the secret model above: does the
# training attack (PGD-40 of step 0.01 rather than our PGD-7 of step 0.1) decide how visible
# the model's PGD examples are to the detector? About 2.6 s per step on one core.
RECIPES["madry"] = dict(RECIPES["adversarial-reference"], checkpoint="mnist_adversarial_madry",
                        reference="MadryLab/mnist_challenge train.py and config.json, "
                                  "trained here on a CPU across sessions")
# Where a run stops short of its recipe: the Madry-recipe run ends at the experiment's CPU
# budget (about 11 CPU hours at 2.6 s a step on one core, snapshots included). Its learning
# rate is constant, so the steps it takes are exactly the recipe's first ones; the checkpoint
# records how many.
STEP_BUDGET = {"madry": 15_000}
SLICE_STEPS = {"natural": 5_000, "adversarial-reference": 2_000, "adversarial": 3_000,
               "madry": 500}
# Steps of the Madry-recipe run at which its PGD examples are diagnosed (and the ε they are
# diagnosed at: Table II's columns that separate the paper's secret model from ours).
MADRY_SNAPSHOT_EVERY = 5_000
MADRY_SNAPSHOT_STEPS = (1_000, 2_500) + tuple(range(MADRY_SNAPSHOT_EVERY, 100_001,
                                                    MADRY_SNAPSHOT_EVERY))
MADRY_SNAPSHOT_EPS = (0.10, 0.30, 0.35, 0.40)
# Steps of the natural run at which the dependence of Table II on training is measured.
SNAPSHOT_STEPS = (5_000, 10_000, 20_000, 50_000, 100_000)
SNAPSHOT_EPS = (0.05, 0.10, 0.15)
SNAPSHOT_N = 1000


def total_steps(which: str) -> int:
    """The steps the run takes: the recipe's, or fewer where ``STEP_BUDGET`` caps it."""
    return min(RECIPES[which]["steps"], STEP_BUDGET.get(which, RECIPES[which]["steps"]))


def slices(which: str) -> list[int]:
    """The step at which each training slice ends (snapshot steps are slice ends too)."""
    total, size = total_steps(which), SLICE_STEPS[which]
    ends = set(range(size, total, size)) | {total}
    if which == "natural":
        ends |= {s for s in SNAPSHOT_STEPS if s < total}
    return sorted(ends)


def state_path(which: str, seed: int = 0) -> Path:
    return state_dir() / f"paper1-{which}-seed{seed}.state.pt"


def resume_path(which: str, seed: int = 0) -> Path:
    """The committed copy of an unfinished run's state (only runs that take several sessions
    keep one), so that a fresh checkout on another machine continues where it stopped."""
    return checkpoints.checkpoints_dir() / "resume" / f"paper1-{which}-seed{seed}.state.pt"


def _steps_in(path: Path) -> int:
    if not path.exists():
        return 0
    return int(torch.load(path, map_location="cpu", weights_only=True)["step"])


def steps_done(which: str, seed: int = 0) -> int:
    """Steps in the saved state of an unfinished run (0 if none), the committed copy included."""
    return max(_steps_in(state_path(which, seed)), _steps_in(resume_path(which, seed)))


def export_state(which: str, seed: int = 0) -> Path:
    """Write the committed copy of the run's state: the weights as they are (float32) and
    Adam's two moment estimates in bfloat16, which halves the file (about 26 MB for MadryCNN);
    the rounding of the moments, once per slice, is far below their step-to-step change."""
    from ..._io import atomic_write_bytes

    state = torch.load(state_path(which, seed), map_location="cpu", weights_only=True)
    for s in state["opt"]["state"].values():
        for k in ("exp_avg", "exp_avg_sq"):
            s[k] = s[k].to(torch.bfloat16)
    buf = io.BytesIO()
    torch.save(state, buf)
    return atomic_write_bytes(resume_path(which, seed), buf.getvalue())


def import_state(which: str, seed: int = 0) -> bool:
    """Continue from the committed copy when it is further along than the local state (a new
    machine); the moments go back to float32. Returns whether it was imported."""
    from ..._io import atomic_write_bytes

    if _steps_in(resume_path(which, seed)) <= _steps_in(state_path(which, seed)):
        return False
    state = torch.load(resume_path(which, seed), map_location="cpu", weights_only=True)
    for s in state["opt"]["state"].values():
        for k in ("exp_avg", "exp_avg_sq"):
            s[k] = s[k].float()
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(state_path(which, seed), buf.getvalue())
    return True


def recipe_record(which: str, seed: int) -> dict:
    r = {k: v for k, v in RECIPES[which].items() if k != "checkpoint"}
    return {"recipe_name": which, "recipe": r, "seed": seed}


def is_trained(which: str, seed: int = 0) -> bool:
    """The checkpoint exists and was trained with this recipe and seed."""
    try:
        cfg = checkpoints.entry(RECIPES[which]["checkpoint"])["config"]
    except checkpoints.CheckpointNotFoundError:
        return False
    return cfg.get("recipe_name") == which and cfg.get("seed") == seed


def train_slice(which: str, stop_at: int, *, seed: int = 0, progress: bool = True,
                train_images=None) -> dict | None:
    """Train ``which`` up to step ``stop_at`` (resuming from its state file), then save the
    state; at the last step save the checkpoint and measure it. Returns the manifest record
    when the checkpoint was saved, else None."""
    from ... import models, training

    check_choice(which, tuple(RECIPES), name="recipe")
    r = RECIPES[which]
    dev = checkpoints.device()
    train = train_images or data.load_mnist("train")
    torch.manual_seed(seed)
    model = models.build("mnist_cnn", init=r["init"]).to(dev)
    adversary = None
    if r["adversary"] is not None:
        adversary = RampedPGD(r.get("eps_ramp_steps", 0), **r["adversary"])
    path = state_path(which, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    if which == "madry":
        import_state(which, seed)
    hist = training.train(model, train.pixels, train.labels, epochs=10**6,
                          max_steps=total_steps(which), batch_size=r["batch_size"], lr=r["lr"], optimizer=r["optimizer"],
                          schedule=r["schedule"], adversary=adversary, seed=seed, device=dev,
                          progress=progress, stop_at=stop_at, state_path=path)
    if which == "natural" and hist["steps"] in SNAPSHOT_STEPS:
        snapshot(model, which, hist["steps"], seed)
    if which == "madry":
        if hist["steps"] in MADRY_SNAPSHOT_STEPS:
            madry_snapshot(model, hist["steps"], seed)
        if not hist["finished"]:
            export_state(which, seed)
    if not hist["finished"]:
        return None
    record = _save(model, which, seed, hist, train)
    resume_path(which, seed).unlink(missing_ok=True)
    return record


def madry_snapshot_config(step: int, seed: int, eps: float) -> dict:
    from .diagnostics import N_IMAGES, PGD_SETTINGS

    return {"kind": "madry-snapshot", **recipe_record("madry", seed), "step": step,
            "eps": float(eps), "n_images": N_IMAGES, "pgd": dict(PGD_SETTINGS), "seed": 0,
            "quantize": "floor"}


def madry_snapshot(model, step: int, seed: int = 0) -> list:
    """The diagnostics of :mod:`.diagnostics` on the model at ``step`` of the Madry-recipe
    run, at ``MADRY_SNAPSHOT_EPS`` (one cache entry each; the clean accuracy on all 10,000
    test images is stored with the first)."""
    from ... import training
    from .diagnostics import measure

    out = []
    for k, eps in enumerate(MADRY_SNAPSHOT_EPS):
        def compute(eps=eps, k=k):
            arrays, meta = measure(model, eps)
            if k == 0:
                test = data.load_mnist("test")
                meta["clean_accuracy_test10k"] = training.evaluate(
                    model, test.pixels, test.labels, device=next(model.parameters()).device)
            return arrays, meta
        out.append(cached(EXPERIMENT + "_madry_snapshots", madry_snapshot_config(step, seed, eps),
                          "1", compute, needs_gpu=False,
                          command="python -m stego_lib.campaign run --items paper1-train-madry"))
    return out


def _save(model, which: str, seed: int, hist: dict, train) -> dict:
    from ... import training

    r = RECIPES[which]
    name = r["checkpoint"]
    dev = checkpoints.device()
    deviations = list(r.get("deviations", []))
    if hist["steps"] < r["steps"]:
        deviations.append(f"{hist['steps']:,} of the recipe's {r['steps']:,} steps (the CPU "
                          f"budget of this experiment; constant learning rate)")
    config = {**recipe_record(which, seed), "steps_done": hist["steps"], "device": str(dev),
              "deviations": deviations,
              "final_train_loss": hist["loss"][-1:], "final_train_acc": hist["acc"][-1:]}
    checkpoints.save(model, name, arch="mnist_cnn", arch_kwargs={"init": r["init"]},
                     config=config, data={"train": train.provenance.to_dict()}, metrics={},
                     half=True)
    test = data.load_mnist("test")
    reloaded = checkpoints.load(name, device=dev)
    metrics = {"clean_accuracy_test10k": training.evaluate(reloaded, test.pixels, test.labels,
                                                           device=dev),
               "measured_on": "reloaded float16 weights, all 10,000 MNIST test images"}
    state_path(which, seed).unlink(missing_ok=True)
    return checkpoints.update_metrics(name, metrics)


# The robustness check of the secret model: PGD-40 (the paper's attack at ε 0.3) and, against
# gradient masking, PGD-100 with the CW margin loss from 5 random starts. Each run is its own
# cached result (one campaign chunk of ~6 CPU minutes), so a stop loses at most one run.
ROBUST_RUNS = (("pgd40", 0),) + tuple(("pgd100_cw", k) for k in range(5))
ROBUST_BATCH = 100  # 1.6x faster than 500 on a 2-core CPU, bit-identical output


def _robust_attack(attack: str) -> dict:
    check_choice(attack, ("pgd40", "pgd100_cw"), name="attack")
    return dict(PGD40) if attack == "pgd40" else dict(PGD40, steps=100, loss="cw")


def robustness_config(name: str, attack: str, restart: int) -> dict:
    sha = checkpoints.entry(name)["sha256"]
    return {"kind": "robustness", "checkpoint": name, "sha256": sha,
            "attack": _robust_attack(attack), "seed": (0 if attack == "pgd40" else 1000) + restart,
            "n_images": 10_000}


def robustness_run(name: str, attack: str, restart: int = 0, *, mode: str = "auto"):
    """Which of the 10,000 test images the reloaded checkpoint still classifies correctly under
    one attack run (seeded random start). Cached; ``arrays["correct"]`` is boolean."""
    from ... import training
    from ...attacks import PGD

    cfg = robustness_config(name, attack, restart)

    def compute():
        dev = checkpoints.device()
        model = checkpoints.load(name, device=dev)
        test = data.load_mnist("test")
        atk = PGD(**cfg["attack"])
        gen = torch.Generator().manual_seed(cfg["seed"])
        pred = training.predict(model, test.pixels, test.labels, batch_size=ROBUST_BATCH,
                                attack=lambda m, x, y: atk(m, x, y, generator=gen), device=dev)
        return {"correct": (pred == test.labels).numpy()}, {}

    return cached(EXPERIMENT + "_robustness", cfg, "1", compute, needs_gpu=False, mode=mode,
                  command="python -m stego_lib.campaign run --items paper1-train-adversarial")


def robustness(name: str) -> dict:
    """The manifest metrics from the committed runs: PGD-40 accuracy, and the accuracy under
    the CW check (an image counts as robust only if all 5 restarts fail). A metric whose runs
    are not all committed is left out."""
    from ...cache import CacheMiss

    runs = {}
    for attack, k in ROBUST_RUNS:
        try:
            runs[attack, k] = robustness_run(name, attack, k, mode="cache-only").arrays["correct"]
        except CacheMiss:
            pass
    out = {}
    if ("pgd40", 0) in runs:
        out["pgd40_eps0.3_accuracy_test10k"] = float(runs["pgd40", 0].mean())
    cw = [v for (a, _), v in runs.items() if a == "pgd100_cw"]
    if len(cw) == 5:
        out["pgd100_cw_5restarts_eps0.3_accuracy_test10k"] = float(np.logical_and.reduce(cw).mean())
    return out


def record_robustness(name: str) -> dict:
    """Write the metrics of the committed runs into the checkpoint's manifest entry (the
    campaign computes the runs chunk by chunk and calls this after each)."""
    return checkpoints.update_metrics(name, robustness(name))


def snapshot_config(which: str, step: int, seed: int) -> dict:
    return {"kind": "snapshot", **recipe_record(which, seed), "step": step,
            "eps": list(SNAPSHOT_EPS), "n_images": SNAPSHOT_N, "pgd": dict(PGD40, eps=None)}


def snapshot(model, which: str, step: int, seed: int = 0, *, config: dict | None = None):
    """How attackable and how detectable the model is at this point of its training: clean
    accuracy on all 10,000 test images, and PGD-40 on the first 1,000 at the ε of
    ``SNAPSHOT_EPS`` with the share flagged by the paper's detector. Cached."""
    from ... import training
    from ...attacks import PGD
    from .compute import threshold_chunk
    from .config import make_config

    ccfg = config or snapshot_config(which, step, seed)

    def compute():
        dev = next(model.parameters()).device
        model.eval()
        test = data.load_mnist("test")
        thr = float(np.max(threshold_chunk(make_config("paper"), "auto").arrays["abs"]))
        first = data.load_mnist("test", limit=SNAPSHOT_N)
        out = {"clean_accuracy": np.float32(training.evaluate(model, test.pixels, test.labels,
                                                              device=dev))}
        acc, flagged, tpr = [], [], []
        for e in SNAPSHOT_EPS:
            atk = PGD(eps=e, steps=40, alpha=0.01)
            gen = torch.Generator().manual_seed(int(round(e * 10_000)))
            x_adv = atk(model, first.images.to(dev), first.labels.to(dev), generator=gen)
            with torch.no_grad():
                pred = model(x_adv).argmax(1).cpu()
            flag = all_scores(x_adv, "floor")["abs"] > thr
            ok = (pred == first.labels).numpy()
            acc.append(ok.mean()), flagged.append(flag.mean()), tpr.append((~ok & flag).mean())
        out.update(eps=np.array(SNAPSHOT_EPS), accuracy=np.array(acc), flagged=np.array(flagged),
                   tpr=np.array(tpr))
        return out, {"threshold": thr}

    return cached(EXPERIMENT + "_snapshots", ccfg, "1", compute, needs_gpu=False,
                  command="python -m stego_lib.campaign run --items paper1-train-natural")


def snapshot_checkpoint_config(name: str) -> dict:
    """The cache key of :func:`snapshot_checkpoint`'s measurement of the committed ``name``."""
    return {"kind": "snapshot", "checkpoint": name, "sha256": checkpoints.entry(name)["sha256"],
            "eps": list(SNAPSHOT_EPS), "n_images": SNAPSHOT_N, "pgd": dict(PGD40, eps=None)}


def has_snapshot_checkpoint(name: str) -> bool:
    return ResultsCache().has(EXPERIMENT + "_snapshots", snapshot_checkpoint_config(name), "1")


def snapshot_checkpoint(name: str):
    """The same measurements for a committed checkpoint (e.g. the PyTorch-initialised model)."""
    model = checkpoints.load(name, device=checkpoints.device())
    return snapshot(model, name, -1, config=snapshot_checkpoint_config(name))


__all__ = ["CHECKPOINTS", "RECIPES", "ROBUST_RUNS", "SLICE_STEPS", "SNAPSHOT_STEPS",
           "STEP_BUDGET", "is_trained", "record_robustness", "robustness", "robustness_run",
           "slices", "snapshot", "snapshot_checkpoint", "snapshots", "steps_done", "total_steps",
           "train_slice"]


def snapshots() -> list[dict]:
    """Every committed snapshot measurement: the natural run at ``SNAPSHOT_STEPS`` and the
    PyTorch-initialised model. Each row: ``label``, ``init``, ``schedule``, ``steps``,
    ``clean_accuracy`` and per-ε arrays ``eps``, ``accuracy``, ``flagged``, ``tpr`` (first
    ``SNAPSHOT_N`` test images)."""
    from ...cache import CacheMiss

    rows = []

    def add(label, init, schedule, steps, ccfg):
        try:
            ent = cached(EXPERIMENT + "_snapshots", ccfg, "1", None, needs_gpu=False,
                         command="", mode="cache-only")
        except CacheMiss:
            return
        a = ent.arrays
        rows.append({"label": label, "init": init, "schedule": schedule, "steps": steps,
                     "n": SNAPSHOT_N, "clean_accuracy": float(a["clean_accuracy"]),
                     "eps": a["eps"], "accuracy": a["accuracy"], "flagged": a["flagged"],
                     "tpr": a["tpr"]})

    name = "mnist_natural_pytorch_init"
    try:
        rec = checkpoints.entry(name)
        add("PyTorch init, Adam 1e-3 cosine", "PyTorch default", "Adam 1e-3, cosine, batch 50",
            rec["config"].get("steps_done"), snapshot_checkpoint_config(name))
    except checkpoints.CheckpointNotFoundError:
        pass
    r = RECIPES["natural"]
    for step in SNAPSHOT_STEPS:
        add(f"mnist_challenge init, {step:,} steps", "mnist_challenge",
            f"Adam {r['lr']:g}, constant, batch {r['batch_size']}", step,
            snapshot_config("natural", step, 0))
    return rows


def madry_snapshots(seed: int = 0) -> list[dict]:
    """The committed diagnostics of the Madry-recipe run, one row per snapshot step: ``step``,
    ``clean`` (accuracy on all 10,000 test images) and ``by_eps`` (ε -> the summary of
    :func:`.diagnostics.summary`)."""
    from .diagnostics import summary

    out = []
    for step in MADRY_SNAPSHOT_STEPS:
        by, clean = {}, None
        for eps in MADRY_SNAPSHOT_EPS:
            key = madry_snapshot_config(step, seed, eps)
            if not ResultsCache().has(EXPERIMENT + "_madry_snapshots", key, "1"):
                continue
            ent = cached(EXPERIMENT + "_madry_snapshots", key, "1", None, needs_gpu=False,
                         command="", mode="cache-only")
            by[eps] = summary(ent)
            clean = ent.meta.get("clean_accuracy_test10k", clean)
        if by:
            out.append({"step": step, "clean": clean, "by_eps": by})
    return out
