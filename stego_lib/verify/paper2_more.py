"""Re-executing Paper II's side studies: our attack's variants beside the authors' (C, C+D and
S gaps), the C-RGB bound sweep, the released B&W model's conversion, the qualitative figures
and the perceptual-distance sweep.

Every attack here starts at the identity (no random start), and its loss is a sum over the
images, so an image's result does not depend on the other images of its batch: a slice may
start anywhere (``step`` 1). The batches are still cut on the original's grid (multiples of
its batch size), so a re-executed batch never mixes images of two original batches; a batch of
another size rounds differently, which the tolerances allow for. The figures'
and the perceptual sweep's generators, seeded afresh for every batch, are passed as the
original passed them; with the identity start they draw nothing.

Example::

    >>> all(e in ADAPTERS for e in MORE), len(ADAPTERS["paper2_cd_gap"])
    (True, 2)
    >>> [(s.start, s.stop) for s in _batches(90, 230, 100)]
    [(90, 100), (100, 200), (200, 230)]
"""
from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F

from .. import data, perceptual as metrics
from ..attacks import StAdv, attack, functional_attack, protocol_kappa
from ..cache import Entry
from ..experiments import perceptual as sweep
from ..experiments.paper2 import authors, bw_conversion as bw, c_gap, cd_gap
from ..models.reference import BW_FITTED_SCALE
from ..models.resnet import GRAY_WEIGHTS
from ..training import predict
from .compare import Spec
from .paper1 import checked_model
from .paper2 import _model, _outcomes, cifar_test, correct_percent
from .registry import ADAPTERS, Reexec, register

__all__ = ["MORE", "bw_rows"]

MORE = ("paper2_bw_conversion", "paper2_c_gap", "paper2_cd_gap", "paper2_crgb_bound",
        "paper2_figures", "paper2_s_gap", "perceptual")
BATCH = 100   # the gap studies' and the bound sweep's batch (make_config's batch_size)


def _batches(start: int, stop: int, size: int):
    """Slices of ``[start, stop)`` cut where the original's batches of ``size`` were cut."""
    i = start
    while i < stop:
        j = min((i // size + 1) * size, stop)
        yield slice(i, j)
        i = j


@functools.lru_cache(maxsize=2)
def _plain_model(name: str, sha: str):
    # The figures, the perceptual sweep and the B&W study loaded their model without
    # cpu_layout: the same layout here, so the convolutions round as they did.
    return checked_model(name, sha)


def _n(entry: Entry) -> int:
    return entry.meta["config"]["n_images"]


def _has(*names):
    """Entries whose key holds all of ``names``."""
    return lambda entry: all(n in entry.meta.get("config", {}) for n in names)


# --- the gap studies and the C-RGB bound sweep: our attack, per image still correct ----------

def _correct(entry: Entry, threat, start: int, stop: int, change: bool = False) -> dict:
    k = entry.meta["config"]
    model = _model(entry.meta["model_checkpoint"], k["checkpoint"])   # channels-last, as lazy_model
    split = cifar_test(k["data"])
    correct, moved = [], []
    for sl in _batches(start, stop, BATCH):
        x, y = split.images[sl], split.labels[sl]
        # a key names its protocol only when it is not the package's (κ = ∞)
        adv = attack(model, x, y, threat, steps=k["iterations"], lr=k["lr"],
                     reg_weight=k["reg_weight"],
                     kappa=protocol_kappa(k.get("protocol", "package-2020")))
        with torch.no_grad():
            correct.append((model(adv).argmax(1) == y).numpy())
        moved.append((adv - x).abs().amax(dim=(1, 2, 3)).numpy().astype(np.float32))
    out = {"correct": np.concatenate(correct)}
    if change:
        out["max_change"] = np.concatenate(moved)
    return out


def _variant(variants: dict, key: dict, fields: tuple) -> str:
    """The variant whose settings are the key's; an unknown combination is refused."""
    want = tuple(key[f] for f in fields)
    for name, settings in variants.items():
        if tuple(settings) == want:
            return name
    raise LookupError(f"no variant {dict(zip(fields, want))} in this version of the experiment")


def _c_gap(entry: Entry, start: int, stop: int) -> dict:
    """Our C with the key's gamut and lattice box on the released C-trained model: per image,
    still correct (compared, and the accuracy, %)."""
    name = _variant(c_gap.VARIANTS, entry.meta["config"], ("gamut", "box"))
    return _correct(entry, c_gap._threat(name), start, stop)


def _cd_gap(entry: Entry, start: int, stop: int) -> dict:
    """Our C+D with the key's colour and delta parts on the released C+S+D-trained model: per
    image, still correct (compared, and the accuracy, %)."""
    name = _variant(cd_gap.VARIANTS, entry.meta["config"], ("gamut", "box", "delta"))
    return _correct(entry, cd_gap.threat(name), start, stop)


def _s_gap(entry: Entry, start: int, stop: int) -> dict:
    """Our S with the key's padding on the released model of the key's row: per image, still
    correct (compared, and the accuracy, %)."""
    return _correct(entry, StAdv(padding=entry.meta["config"]["padding"]), start, stop)


def _crgb(entry: Entry, start: int, stop: int) -> dict:
    """C-RGB at the key's bound and Adam step: per image, still correct and the largest
    per-pixel change (both compared; the accuracy, %, is the headline)."""
    threat = functional_attack("C-RGB", recolor={"eps": entry.meta["config"]["eps"]})
    return _correct(entry, threat, start, stop, change=True)


def _twin(entry: Entry, start: int, stop: int) -> dict:
    """The authors' C+D (recoloradv 0.0.1) with CIELUV's white point set to ours, through
    :func:`.cd_gap._with_our_white` as the entry was: per image, the prediction as returned
    and on 8-bit pixels, and still correct (all compared; the accuracy, %, is the headline)."""
    k = entry.meta["config"]
    white = [round(cd_gap.U_WHITE, 10), round(cd_gap.V_WHITE, 10)]
    if k["white"] != white:
        raise LookupError(f"the key's white point {k['white']} is not this code's {white}")
    model = _model(entry.meta["model_checkpoint"], k["checkpoint"])
    split = cifar_test(k["data"])

    def compute():
        # built inside: the reference reads the white point when its colour space is made
        params = authors.reference_attack(k["attack"], model, k["iterations"])
        pred, pred8 = [], []
        for sl in _batches(start, stop, BATCH):
            adv = params.attack(split.images[sl], split.labels[sl])[0].detach()
            model.eval()
            with torch.no_grad():
                pred.append(model(adv).argmax(1))
                pred8.append(model((adv * 255).round() / 255).argmax(1))
        return _outcomes(split.labels[start:stop], pred, pred8), {"attack": ""}

    out, _ = cd_gap._with_our_white(compute)
    return {**out, "labels": split.labels[start:stop].numpy().astype(np.int8)}


_CORRECT = Spec(preds=("correct",), value=correct_percent)   # the share still correct, %
_REFERENCE = Spec(preds=("correct",), outcomes=("pred", "pred_uint8"), labels="labels",
                  value=correct_percent)
# max_change is at most the bound (0.02-0.18): held to the functional kind's 0.1.
_BOUND = Spec(preds=("correct",), scores=("max_change",), value=correct_percent)

# Rates measured on one thread of a 2-core CPU that a campaign kept busy on both cores (about
# half of what an idle core does); the sizes keep one re-execution near 30 s there.
register(Reexec("paper2_c_gap", lambda e: "functional", _n, lambda e: _CORRECT, _c_gap,
                size=20, applies=_has("gamut", "box"), rate=0.7))
# the reference colour function's lattice projection makes its C+D the dearest variant
register(Reexec("paper2_cd_gap", lambda e: "functional", _n, lambda e: _CORRECT, _cd_gap,
                size=12, applies=_has("delta"), rate=0.35))
# the reference package: about 15 s of its own per batch, then 4-5 s per image
register(Reexec("paper2_cd_gap", lambda e: "functional", _n, lambda e: _REFERENCE, _twin,
                size=6, applies=_has("package", "white"), rate=0.16))
register(Reexec("paper2_s_gap", lambda e: "functional", _n, lambda e: _CORRECT, _s_gap,
                size=20, applies=_has("padding"), rate=0.7))
register(Reexec("paper2_crgb_bound", lambda e: "functional", _n, lambda e: _BOUND, _crgb,
                size=20, applies=_has("eps"), rate=0.7))


# --- the released B&W model's conversion: clean forward passes, (93 inputs) × images ----------

def bw_rows(key: dict) -> list[tuple[str, str, float]]:
    """The measured inputs (conversion, where, scale) in the order the entry stores them.

    Example:
        >>> rows = bw_rows(bw.config())
        >>> len(rows), rows[0], rows[-1]
        (93, ('bt601', 'before', 0.6), ('luv', 'before', 1.0))
    """
    return [(conv, where, s) for conv in key["conversions"] for where in ("before", "after")
            if where == "before" or conv in GRAY_WEIGHTS for s in key["scales"][where]]


@functools.lru_cache(maxsize=1)
def _bw_test() -> data.Split:
    return data.load_cifar10("test", exact_subset=True)


def _bw(entry: Entry, start: int, stop: int) -> dict:
    """Per input and test image: still correct and the loss, from the first convolution on
    (the model's own front end is bypassed, as in the study)."""
    k = entry.meta["config"]
    rows = bw_rows(k)
    stored = list(zip(entry.arrays["conversion"], entry.arrays["where"], entry.arrays["scale"]))
    if [(c, w) for c, w, _ in rows] != [(str(c), str(w)) for c, w, _ in stored] or \
            not np.allclose([s for *_, s in rows], [s for *_, s in stored]):
        raise LookupError("the key's conversions and scales are not the entry's rows")
    net = _plain_model("released/gray", k["checkpoint"])
    test = _bw_test()
    x, y = test.images[start:stop], test.labels[start:stop]
    correct, nll = [], []
    for conv, where, s in rows:
        with torch.no_grad():
            logits = bw._head(net, bw._network_input(x, conv, where, s))
        correct.append((logits.argmax(1) == y).numpy())
        nll.append(F.cross_entropy(logits, y, reduction="none").numpy().astype(np.float32))
    return {"correct": np.stack(correct), "nll": np.stack(nll)}


def _bw_spec(entry: Entry) -> Spec:
    """``correct`` and ``nll`` per image (a row of 93 inputs each); the headline: the accuracy
    of the input the B&W row is given elsewhere (0.74 times the channel mean after the
    normaliser). Not compared: ``bn_mean_rms``, ``bn_logvar_rms`` and ``colour_bn``, statistics
    of the 4,660 augmented training images (one generator, seeded once, crops and flips them
    all), which no slice of test images holds a share of."""
    rows = bw_rows(entry.meta["config"])
    used = next(i for i, (c, w, s) in enumerate(rows)
                if (c, w) == ("mean", "after") and np.isclose(s, BW_FITTED_SCALE))
    # the runner puts the image axis first: correct is (images, 93) here
    return Spec(preds=("correct",), scores=("nll",),
                value=lambda a: 100 * float(np.mean(np.asarray(a["correct"])[:, used])))


register(Reexec("paper2_bw_conversion", lambda e: "exact", lambda e: e.meta["test"]["count"],
                _bw_spec, _bw,   # 93 forward passes per image
                size=40, applies=_has("conversions"), rate=1.2,
                image_axis=lambda name: 1 if name in ("correct", "nll") else 0))


# --- the figures and the perceptual sweep: attacked images, outcomes and distances ------------

def _attacked(entry: Entry, threat, lr: float, start: int, stop: int):
    """The attacked images ``[start, stop)`` and the clean ones, batched and seeded as
    ``_attack_chunk``/``_compute`` did."""
    k = entry.meta["config"]
    sha = k.get("checkpoint") or entry.meta["model_sha256"]   # the figures' key names no sha
    model = _plain_model(k["model"], sha)
    split = cifar_test("sample")   # the first n_images exact-pixel images
    advs = []
    for sl in _batches(start, stop, k["batch_size"]):
        gen = torch.Generator().manual_seed(k["seed"])   # the same start for every batch
        advs.append(attack(model, split.images[sl], split.labels[sl], threat,
                           steps=k["iterations"], lr=lr, generator=gen))
    x, y = split.images[start:stop], split.labels[start:stop]
    adv = torch.cat(advs)
    return x, adv, {"labels": y.numpy(), "clean_pred": predict(model, x).numpy(),
                    "adv_pred": predict(model, adv).numpy(),
                    "linf": (adv - x).flatten(1).abs().amax(1).numpy()}


def _figure(entry: Entry, start: int, stop: int) -> dict:
    """The per-image arrays of one attack of the figures (:func:`_figure_spec` says which are
    compared; the headline: the accuracy under attack, %). Not compared: ``shown`` and
    ``adv_shown`` (the first ``n_show`` images, clean and attacked, whose outcomes and
    distances are among the per-image arrays) and C's ``lattice`` (the same images' colour
    functions, 16,384 numbers each: only what they do to the images is held)."""
    threat = functional_attack(entry.meta["config"]["attack"])
    x, adv, out = _attacked(entry, threat, 1e-3, start, stop)   # attack()'s default lr
    out["l2"] = (adv - x).flatten(1).norm(dim=1).numpy()
    out["changed_pixels"] = ((adv - x).abs().amax(1) > 0.5 / 255).float().mean((1, 2)).numpy()
    return out


def _accuracy(a: dict) -> float:
    """The share of images still classified correctly under attack, in percent."""
    return 100 * float(np.mean(np.asarray(a["adv_pred"]) == np.asarray(a["labels"])))


def _figure_spec(entry: Entry) -> Spec:
    """Outcomes per image and the share of pixels changed; the largest change (``linf``) too
    unless the attack has S. A flow moves a pixel by as much as its neighbours differ, so with
    S an image's largest change jumps with a rounding-sized change of the flow (0.07 of 0.5
    measured when only the batch differs), as does ``l2`` (to about 6): both reported only."""
    flow = "S" in entry.meta["config"]["attack"].split("+")
    return Spec(preds=("labels", "clean_pred"), outcomes=("adv_pred",), labels="labels",
                scores=("changed_pixels",) if flow else ("linf", "changed_pixels"),
                reported=("linf", "l2") if flow else ("l2",), value=_accuracy)


register(Reexec("paper2_figures", lambda e: "functional", _n, _figure_spec, _figure,
                size=16, applies=_has("attack", "n_show"), rate=0.6))   # C+S+D; D 0.8/s


def _sweep(entry: Entry, start: int, stop: int) -> dict:
    """One (attack, scale) point of Fig 6: per image the outcomes, the largest change and the
    entry's own metrics (:func:`_sweep_spec` says which are held); the headline: the error
    rate, %. Nothing of the entry is left out."""
    k = entry.meta["config"]
    threat = sweep.threat_for(k["attack"], k["scale"])
    x, adv, out = _attacked(entry, threat, k["lr"], start, stop)   # lr: already × scale
    return out | metrics.distances(x, adv, entry.meta["metrics"])


def _error_rate(a: dict) -> float:
    """Fig 6's error rate: the share of attacked images the model gets wrong, in percent."""
    return 100 - _accuracy(a)


def _sweep_spec(entry: Entry) -> Spec:
    """Outcomes, the largest change and the metrics in [0, 1] (1 − SSIM, LPIPS) per image;
    CIEDE2000's ΔE runs to several units and is reported only."""
    ms = entry.meta["metrics"]
    return Spec(preds=("labels", "clean_pred"), outcomes=("adv_pred",), labels="labels",
                scores=("linf", *(m for m in ms if m != "ciede2000")),
                reported=tuple(m for m in ms if m == "ciede2000"), value=_error_rate)


register(Reexec("perceptual", lambda e: "functional", _n, _sweep_spec, _sweep, size=16,
                applies=_has("scale"), rate=0.5))   # C and C+D; D about twice as fast
