"""Re-executing the remaining experiments: Paper I's device check, diagnostics, robustness runs
and the snapshot of a committed checkpoint, and the data overview.

Registered here (one adapter per kind of entry):

- ``paper1_device_check``: the CPU recomputation of a GPU-computed sweep point, row by row
  (``pred_cpu``, ``score_cpu`` and its flag), each row inside the batch of 100 it had;
- ``paper1_diagnostics``: PGD-40 with and without its random start and the start noise alone,
  a batch of 100 images at a time, with the δ and gradient statistics;
- ``paper1_robustness``: PGD-40 and PGD-100 (CW loss) on batches of 100 test images, from the
  generator the run drew its starts from batch by batch;
- ``paper1_snapshots``, the entry keyed by a committed checkpoint (the PyTorch-initialised
  natural model): PGD-40 at one ε of the entry on the first 250 of its 1,000 images;
- ``data_overview``: a split's class histogram and mean pixel, and the JPEG copy's error.

Not re-executable, so no adapter applies to them (a verify report never reaches them):

- ``paper1_madry_snapshots``: the diagnostics of the Madry-recipe run at steps 1,000, 2,500,
  5,000, 10,000 and 15,000, measured on the live float32 weights during training. No weights
  of those steps are committed: the resume states in the history are at 5,500, 8,000, 10,500
  and 12,500 steps, and the checkpoint ``mnist_adversarial_madry`` is a float16 copy of the
  15,000-step weights (the Paper I page says the two differ), which the key does not name.
  The same measurement on that checkpoint is ``paper1_diagnostics``, re-executed here.
- ``paper1_snapshots`` of the natural training run (steps 5,000 to 100,000): the weights of
  the intermediate steps were never committed, and the 100,000-step snapshot was taken on
  the live float32 weights, of which ``mnist_natural`` is a float16 copy the key does not name.

Example::

    >>> [e in ADAPTERS for e in ("paper1_device_check", "paper1_diagnostics",
    ...                          "paper1_robustness", "paper1_snapshots", "data_overview")]
    [True, True, True, True, True]
    >>> "paper1_madry_snapshots" in ADAPTERS
    False
    >>> _is_checkpoint_snapshot(Entry({}, {"config": {"kind": "snapshot", "step": 5000}}))
    False
"""
from __future__ import annotations

import functools

import numpy as np
import torch

from .. import data, training
from ..attacks import PGD
from ..cache import Entry, ResultsCache
from ..experiments import data_overview
from ..experiments.paper1 import diagnostics
from ..experiments.paper1.compute import all_scores, attack_config, start_seed
from ..experiments.paper1.config import CHECKPOINTS, EXPERIMENT as SWEEP, VERSION as SWEEP_VERSION
from ..experiments.paper1.config import make_config
from ..experiments.paper1.training import ROBUST_BATCH
from .compare import Spec
from .paper1 import checked_model, mnist_test, paper1_threshold
from .registry import ADAPTERS, Reexec, register

__all__ = ["SNAPSHOT_IMAGES"]


def _is(kind: str):
    return lambda entry: entry.meta.get("config", {}).get("kind") == kind


def _through(a: dict, thr: float) -> np.ndarray:
    """Let through: misclassified and not flagged by the pixel predictor."""
    return (np.asarray(a["pred_cpu"]) != np.asarray(a["labels"])) & \
        (np.asarray(a["score_cpu"]) <= thr)


# --- paper1_device_check --------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _device_rows(model: str, checkpoint: str, eps: float, n_first: int,
                 reference_sha256: str) -> tuple[np.ndarray, np.ndarray]:
    """The test images an entry holds, in its order (its first ``n_first`` images and every
    image its stored sweep point let through), and which of them that run let through.
    Recomputed from the sweep entry the key names by sha256, so no data is needed."""
    cfg = make_config("paper")
    ref = ResultsCache().get(SWEEP, attack_config(cfg, model, checkpoint, eps, cfg.n_images),
                             SWEEP_VERSION)
    if ref is None or ref.meta["sha256"] != reference_sha256:
        raise LookupError(f"the sweep point {model} ε {eps} the check was computed against is "
                          f"not committed (sha256 {reference_sha256[:12]})")
    # ``success`` is "misclassified", so the labels need not be loaded to plan a job.
    through = ref.arrays["success"] & (ref.arrays["score_abs"] <= paper1_threshold())
    wanted = set(range(min(n_first, len(through)))) | set(np.nonzero(through)[0].tolist())
    idx = np.asarray(sorted(wanted))
    return idx, through[idx]


def _rows_of(entry: Entry) -> tuple[np.ndarray, np.ndarray]:
    k = entry.meta["config"]
    return _device_rows(k["model"], k["checkpoint"], float(k["eps"]), int(k["n_first"]),
                        k["reference_sha256"])


def _device_check(entry: Entry, start: int, stop: int) -> dict:
    """Rows ``[start, stop)``: each image attacked inside the whole batch of ``batch_size``
    it had in the sweep, from the sweep point's own starts (drawn for all 10,000 at once)."""
    k, cfg = entry.meta["config"], make_config("paper")
    idx_all, through_ref = _rows_of(entry)
    idx = idx_all[start:stop]
    net = checked_model(CHECKPOINTS[k["model"]], k["checkpoint"])
    test = mnist_test(cfg.data, cfg.n_images)
    atk = PGD(eps=k["eps"], steps=cfg.steps, alpha=cfg.alpha, clip_start=cfg.clip_start,
              loss=cfg.loss)
    starts = atk.init(test.images, generator=torch.Generator().manual_seed(
        start_seed(cfg.seed, k["model"], k["eps"])))
    bs = cfg.batch_size
    pred, score = np.zeros(len(idx), np.int8), np.zeros(len(idx), np.float32)
    for b in np.unique(idx // bs):
        sl, rows = slice(b * bs, (b + 1) * bs), idx // bs == b
        x_adv = atk.run(net, test.images[sl], test.labels[sl], starts[sl])
        with torch.no_grad():
            pred[rows] = net(x_adv).argmax(1).numpy()[idx[rows] - sl.start]
        score[rows] = all_scores(x_adv, cfg.quantize)["abs"][idx[rows] - sl.start]
    thr = paper1_threshold()
    out = {"index": idx, "pred_cpu": pred, "score_cpu": score,
           "labels": test.labels[idx].numpy().astype(np.int8),
           "first": idx < k["n_first"], "through_ref": through_ref[start:stop]}
    out["flag_cpu"] = out["score_cpu"] > thr
    out["through_cpu"] = _through(out, thr)
    return out


def _device_spec(entry: Entry) -> Spec:
    """The rows' images and labels exactly (which images the entry holds), ``pred_cpu``,
    ``score_cpu`` and its flag (``flag_cpu``); value: the share let through on the CPU
    (misclassified and not flagged), the count the perfect-separation ε hangs on. The
    ``*_ref`` arrays copy the stored sweep point (``paper1``'s own adapter re-executes it)."""
    thr = paper1_threshold()
    return Spec(preds=("index", "labels", "pred_cpu"), scores=("score_cpu",),
                flags={"score_cpu": thr},
                value=lambda a: 100 * float(np.mean(_through(a, thr))))


def _device_images(entry: Entry) -> int:
    try:
        return len(_rows_of(entry)[0])
    except LookupError:
        # A plan must not stop at one missing sweep point: its re-execution reports it.
        return entry.meta["config"]["n_first"]


# A row costs the PGD-40 of its whole batch of 100: 20 rows touch one or two batches among the
# first 500 images, and three or four among the images let through (about 6 per batch).
register(Reexec("paper1_device_check", lambda e: "pgd", _device_images,
                _device_spec, _device_check, step=1, size=20, applies=_is("device-check"),
                rate=0.6))   # 30-34 s for 20 rows in three batches, measured


# --- paper1_diagnostics ---------------------------------------------------------------------

DIAG_BATCH = 100   # measure()'s batch


def _diagnose(model, eps: float, pgd: dict, x, y, s) -> dict:
    """One batch of :func:`.diagnostics.measure`'s loop: the same attacks, scores and
    statistics (its own functions), without the four δ kept for the figure."""
    with_start = PGD(eps=eps, **pgd)
    no_start = PGD(eps=eps, random_start=False, **pgd)
    noise_only = PGD(eps=eps, **dict(pgd, steps=0))
    adv, stats = diagnostics.observed_pgd(with_start, model, x, y, s)
    adv0, stats0 = diagnostics.observed_pgd(no_start, model, x, y, x)
    noisy = noise_only.project(s, x)
    out = {}
    for tag, img in (("pgd", adv), ("nostart", adv0), ("noise", noisy)):
        with torch.no_grad():
            out[f"pred_{tag}"] = model(img).argmax(1).numpy().astype(np.int8)
        out[f"score_{tag}"] = all_scores(img, "floor")["abs"]
    d, flat = adv - x, diagnostics.flat_mask(x)
    dz = (d[..., 1:-1, 1:-1] == 0) & flat
    out.update(
        at_bound=(d.abs() >= 0.99 * eps).flatten(1).float().mean(1),
        unchanged=(d == 0).flatten(1).float().mean(1),
        roughness=diagnostics.delta_roughness(d),
        roughness_flat=diagnostics.delta_roughness(d, flat),
        roughness_noise_flat=diagnostics.delta_roughness(noisy - x, flat),
        unchanged_flat=dz.flatten(1).sum(1) / flat.flatten(1).sum(1),
        zero_grad=stats["zero_grad"], sign_consistency=stats["sign_consistency"],
        zero_grad_nostart=stats0["zero_grad"], sign_consistency_nostart=stats0["sign_consistency"])
    return {k: np.asarray(v, dtype=np.int8 if k.startswith("pred") else np.float32)
            for k, v in out.items()}


def _diagnostics(entry: Entry, start: int, stop: int) -> dict:
    """Images ``[start, stop)`` in :func:`.diagnostics.measure`'s batches of 100."""
    k = entry.meta["config"]
    model = checked_model(k["checkpoint"], k["sha256"])
    test = mnist_test("root", k["n_images"])
    x_all, y_all = test.images, test.labels
    # measure() seeds the starts from ε and draws them for all the entry's images at once.
    gen = torch.Generator().manual_seed(int(round(k["eps"] * 10_000)))
    start_all = PGD(eps=k["eps"], **k["pgd"]).init(x_all, generator=gen)
    sls = [slice(i, min(i + DIAG_BATCH, stop)) for i in range(start, stop, DIAG_BATCH)]
    parts = [_diagnose(model, k["eps"], k["pgd"], x_all[sl], y_all[sl], start_all[sl])
             for sl in sls]
    out = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    out["labels"] = y_all[start:stop].numpy().astype(np.int8)
    return out


_SHARES = ("at_bound", "unchanged", "unchanged_flat", "zero_grad", "zero_grad_nostart")
# Not held to a tolerance: the roughness of δ is on the 0-255 scale, where one grey level of a
# sign step moves it; the sign consistency averages over the few pixels whose gradient is not
# zero, so on the secret model one changed step moves it by up to 0.18 on another kernel path.
_REPORTED = ("roughness", "roughness_flat", "roughness_noise_flat", "sign_consistency",
             "sign_consistency_nostart")


def _diagnostics_spec(entry: Entry) -> Spec:
    """The three predictions and detector scores (and flags) of PGD-40, PGD-40 without its
    start and the start noise; the per-image shares of pixels at the bound or unchanged and
    of zero gradients as scores in [0, 1]; the roughness of δ and the sign consistency of the
    gradients are reported only. Value: the share of PGD-40 images flagged, in percent (the
    page's flag table). ``delta_first`` and ``noise_first`` (four images for the figure) are
    not compared."""
    thr = paper1_threshold()
    return Spec(preds=("labels",), outcomes=("pred_pgd", "pred_nostart", "pred_noise"),
                labels="labels",
                scores=("score_pgd", "score_nostart", "score_noise", *_SHARES),
                reported=_REPORTED,
                flags={"score_pgd": thr, "score_nostart": thr, "score_noise": thr},
                value=lambda a: 100 * float(np.mean(np.asarray(a["score_pgd"]) > thr)))


register(Reexec("paper1_diagnostics", lambda e: "pgd", lambda e: e.meta["config"]["n_images"],
                _diagnostics_spec, _diagnostics, step=DIAG_BATCH, size=DIAG_BATCH,
                applies=_is("diagnostics"), rate=3.6))   # 18-29 s a batch, measured


# --- paper1_robustness ----------------------------------------------------------------------

def _robustness(entry: Entry, start: int, stop: int) -> dict:
    """Batches ``[start, stop)`` of :func:`.training.robustness_run`: its ``predict`` call, with
    the generator first advanced past the starts drawn for the batches before ``start``."""
    k = entry.meta["config"]
    model = checked_model(k["checkpoint"], k["sha256"])
    test = mnist_test("root", k["n_images"])
    atk = PGD(**k["attack"])
    gen = torch.Generator().manual_seed(k["seed"])
    # The run drew each batch's start from one generator in turn: replay the earlier draws.
    for i in range(0, start, ROBUST_BATCH):
        atk.init(test.images[i:i + ROBUST_BATCH], generator=gen)
    pred = training.predict(model, test.pixels[start:stop], test.labels[start:stop],
                            batch_size=ROBUST_BATCH, device="cpu",
                            attack=lambda m, x, y: atk(m, x, y, generator=gen))
    return {"correct": (pred == test.labels[start:stop]).numpy()}


def _robust_spec(entry: Entry) -> Spec:
    """Which images stay correctly classified; value: the accuracy under the attack, in
    percent (the manifest's PGD-40 accuracy, or one restart of the CW check)."""
    return Spec(preds=("correct",), value=lambda a: 100 * float(np.mean(a["correct"])))


def _attack_steps(steps: int):
    return lambda e: _is("robustness")(e) and e.meta["config"]["attack"]["steps"] == steps


for _steps, _rate in ((40, 7.7), (100, 3.7)):   # PGD-40 (CE), PGD-100 (CW): 13 s, 22-27 s a batch
    register(Reexec("paper1_robustness", lambda e: "pgd", lambda e: e.meta["config"]["n_images"],
                    _robust_spec, _robustness, step=ROBUST_BATCH, size=ROBUST_BATCH,
                    applies=_attack_steps(_steps), rate=_rate))


# --- paper1_snapshots -----------------------------------------------------------------------

SNAPSHOT_IMAGES = 250   # of the entry's first 1,000 test images: about 25 s of PGD-40 per ε


def _stored_or(entry: Entry, name: str):
    """``name`` of a set of arrays, or the committed one when the set lacks it: the runner cuts
    only an entry's per-row arrays, so a scalar reaches ``value`` from the re-execution
    alone, and is compared with the committed scalar."""
    return lambda a: float(np.asarray(a[name] if name in a else entry.arrays[name]))


def _snapshot(entry: Entry, start: int, stop: int) -> dict:
    """ε rows ``[start, stop)``: PGD-40 on the first ``SNAPSHOT_IMAGES`` images from the
    starts :func:`.training.snapshot` drew for all 1,000 at once; and the clean accuracy on
    all 10,000 test images."""
    k = entry.meta["config"]
    model = checked_model(k["checkpoint"], k["sha256"])
    first = mnist_test("root", k["n_images"])
    x, y = first.images, first.labels
    n, thr = min(SNAPSHOT_IMAGES, len(y)), paper1_threshold()
    pgd = {name: v for name, v in k["pgd"].items() if name != "eps"}
    out = {"eps": [], "accuracy": [], "flagged": [], "tpr": []}
    for e in k["eps"][start:stop]:
        atk = PGD(eps=e, **pgd)
        starts = atk.init(x, generator=torch.Generator().manual_seed(int(round(e * 10_000))))
        x_adv = atk.run(model, x[:n], y[:n], starts[:n])
        with torch.no_grad():
            ok = (model(x_adv).argmax(1) == y[:n]).numpy()
        flag = all_scores(x_adv, "floor")["abs"] > thr
        for name, v in (("eps", e), ("accuracy", ok.mean()), ("flagged", flag.mean()),
                        ("tpr", (~ok & flag).mean())):
            out[name].append(v)
    test = mnist_test("root", 10_000)
    return {**{name: np.asarray(v, float) for name, v in out.items()},
            "clean_accuracy": np.float32(training.evaluate(model, test.pixels, test.labels))}


def _snapshot_spec(entry: Entry) -> Spec:
    """Per ε (the entry's rows): the ε exactly, and PGD-40's accuracy, share flagged and TPR
    on the first ``SNAPSHOT_IMAGES`` images as scores against the committed rates on 1,000
    images; the score tolerance (0.1) is over 3.6 standard errors of that sample at any rate,
    the value tolerance (3 points) is not, so no rate is the value. Value: the clean accuracy
    on all 10,000 test images, in percent (the dependence table's first column)."""
    acc = _stored_or(entry, "clean_accuracy")
    return Spec(preds=("eps",), scores=("accuracy", "flagged", "tpr"),
                value=lambda a: round(100 * acc(a), 2))


def _is_checkpoint_snapshot(entry: Entry) -> bool:
    # Only a snapshot keyed by a committed checkpoint has its weights; see the module doc.
    k = entry.meta.get("config", {})
    return k.get("kind") == "snapshot" and "sha256" in k


register(Reexec("paper1_snapshots", lambda e: "pgd", lambda e: len(e.meta["config"]["eps"]),
                _snapshot_spec, _snapshot, step=1, size=1, applies=_is_checkpoint_snapshot,
                rate=0.025))   # 35-39 s an ε, the clean accuracy included, measured


# --- data_overview --------------------------------------------------------------------------

def _split(entry: Entry, start: int, stop: int) -> dict:
    """The experiment's own summary of the split the key names (seconds): classes
    ``[start, stop)`` of its histogram, and the mean pixel."""
    k = entry.meta["config"]
    s = data_overview._summary(data.load(k["dataset"], k["split"], source=k["source"],
                                         limit=k["limit"]))
    return {"class_counts": s["class_counts"][start:stop], "mean_pixel": s["mean_pixel"]}


def _split_spec(entry: Entry) -> Spec:
    """The class histogram exactly (its rows are the 10 classes; its sum is the image count);
    value: the mean pixel in percent of 255, to the page's four decimals of the [0, 1]
    value. The eight example images are not compared."""
    mean = _stored_or(entry, "mean_pixel")
    return Spec(preds=("class_counts",), value=lambda a: round(100 * mean(a), 2))


register(Reexec("data_overview", lambda e: "exact", lambda e: 10, _split_spec, _split,
                step=10, size=10, applies=lambda e: "dataset" in e.meta.get("config", {}),
                rate=1.7))   # 3-6 s to load a split, measured


def _jpeg(entry: Entry, start: int, stop: int) -> dict:
    """The experiment's own JPEG error of the split (seconds for all its images), cut."""
    a = data_overview._jpeg_error(entry.meta["config"]["jpeg_error"])
    return {k: v[start:stop] for k, v in a.items()}


def _jpeg_images(entry: Entry) -> int:
    """The images of the split's exact-pixel subset (the metadata does not count them)."""
    split = entry.meta["config"]["jpeg_error"]
    try:
        with np.load(data.data_root() / "cifar10-exact-subset.npz", allow_pickle=False) as z:
            return len(z[f"{split}_indices"])
    except OSError:
        # No data root: plan from the committed array; the re-execution will say what is missing.
        stored = ResultsCache().get(entry.meta["experiment"], entry.meta["config"],
                                    entry.meta["version"])
        return len(stored.arrays["psnr"])


def _jpeg_spec(entry: Entry) -> Spec:
    """Per image, the L-inf error exactly (whole grey levels) and the PSNR as a score. No
    value: the page shows no percentage for it (its medians are in dB and grey levels)."""
    return Spec(preds=("linf",), scores=("psnr",))


register(Reexec("data_overview", lambda e: "exact", _jpeg_images, _jpeg_spec, _jpeg,
                step=1, size=10_000,
                applies=lambda e: "jpeg_error" in e.meta.get("config", {}), rate=250.0))
