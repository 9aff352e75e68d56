"""Paper I chunks: the detector threshold, clean scores, and one PGD sweep point per chunk.

Each (model, ε, number of images) is one cache entry holding, per test image, the model's
prediction on the adversarial image and the three detector scores (no images). A chunk is
seeded from (seed, model, ε), so it does not depend on the batch size or on which chunks
ran before; the campaign runner computes them one at a time, resumably.

Example::

    >>> import torch
    >>> flat = torch.full((2, 1, 28, 28), 100, dtype=torch.uint8)
    >>> {k: v.tolist() for k, v in all_scores(flat, None).items()}
    {'abs': [0.0, 0.0], 'signed': [0.0, 0.0], 'ws': [0.0, 0.0]}
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import torch

from ... import checkpoints, data
from ...checkpoints import LazyModel
from ...cache import CacheMiss, cached
from ...tasks import CachedUnit
from .config import (CAMPAIGN_COMMAND, CHECKPOINTS, DETECTORS, EXPERIMENT, PARTIAL_N, VERSION,
                     ModelMissingError, Paper1Config, images_for, sweep_plan)


def all_scores(images: torch.Tensor, quantize) -> dict[str, np.ndarray]:
    """The three detector scores of a batch (see ``DETECTORS``), as float32 arrays."""
    from ...detectors import score, ws_estimate
    from ...detectors.pixels import to_255

    out = {}
    for kind in ("abs", "signed"):
        out[kind] = score(images, residual=kind, quantize=quantize).cpu().numpy().astype(np.float32)
    x = images
    if x.dtype != torch.uint8:  # WS needs 8-bit levels; use the same quantisation as above
        x = to_255(x, quantize=quantize or "round").clamp(0, 255).to(torch.uint8)
    out["ws"] = ws_estimate(x, variance="cross4").cpu().numpy().astype(np.float32)
    return out


def needs_gpu(n_images: int, steps: int) -> bool:
    """Chunks this large are not computed inside a notebook on a CPU; the campaign does them."""
    return n_images * max(steps, 1) > 100_000


def model_sha(model: str) -> str | None:
    """The sha256 of Paper I model ``model`` ("natural", "adversarial", ...)."""
    return checkpoints.sha(CHECKPOINTS[model])


class LazyTest:
    """The first ``n`` test images, loaded only when a chunk has to be computed: a page that
    reads committed results needs no data root."""

    def __init__(self, cfg: Paper1Config):
        self.cfg, self.split = cfg, None

    def get(self, n: int | None = None) -> data.Split:
        if self.split is None:
            if self.cfg.data == "sample":
                self.split = data.load_sample("mnist", limit=self.cfg.n_images)
            else:
                self.split = data.load_mnist("test", limit=self.cfg.n_images)
        if n is None or n >= len(self.split):
            return self.split
        return data.Split(self.split.pixels[:n], self.split.labels[:n],
                          dataclasses.replace(self.split.provenance, count=n))


def threshold_config(cfg: Paper1Config) -> dict:
    """The cache key of :func:`threshold_chunk`."""
    return {"kind": "threshold", "split": "train", "n": cfg.threshold_n,
            "detectors": list(DETECTORS)}


def threshold_chunk(cfg: Paper1Config, mode: str):
    ccfg = threshold_config(cfg)

    def compute():
        split = data.load_mnist("train", limit=cfg.threshold_n)
        return all_scores(split.pixels, None), {"data": split.provenance.to_dict()}

    return cached(EXPERIMENT, ccfg, VERSION, compute, needs_gpu=False,
                  command=CAMPAIGN_COMMAND, mode=mode)


def attack_config(cfg: Paper1Config, model_name: str, sha: str, eps: float, n: int) -> dict:
    """The cache key of one sweep point (unchanged since the first release of the cache)."""
    return {"kind": "attack", "model": model_name, "checkpoint": sha, "eps": eps,
            "steps": cfg.steps, "alpha": cfg.alpha, "seed": cfg.seed,
            "n_images": n, "data": cfg.data, "clip_start": cfg.clip_start,
            "loss": cfg.loss, "quantize": cfg.quantize}


def start_seed(seed: int, model_name: str, eps: float) -> int:
    """The seed of one sweep point's random starts (drawn for all its images at once), from
    the config's ``seed``."""
    return (seed * 1_000_003 + list(CHECKPOINTS).index(model_name) * 10_007
            + int(round(eps * 10_000)))


@dataclass(frozen=True, eq=False)
class SweepPoint(CachedUnit):
    """PGD at ``eps`` on the first ``n`` test images against the model ``model`` (checkpoint
    sha256 ``sha``) under ``cfg``: one cache entry, whose key :meth:`key` builds once."""

    experiment, version = EXPERIMENT, VERSION

    cfg: Paper1Config
    model: str
    sha: str
    eps: float
    n: int

    def key(self) -> dict:
        return attack_config(self.cfg, self.model, self.sha, self.eps, self.n)


def attack_chunk(point: SweepPoint, test: LazyTest, lazy: LazyModel, mode, store,
                 progress=None, any_device: bool = False):
    """PGD on the first ``point.n`` test images at ``point.eps``; predictions and detector
    scores.

    A paper-scale chunk is computed inside a notebook only on a GPU; the campaign passes
    ``any_device=True`` because computing it chunk by chunk on a CPU is its job."""
    from ...attacks import PGD

    cfg, model_name, eps, n = point.cfg, point.model, point.eps, point.n

    def compute():
        model = lazy.get()
        dev = next(model.parameters()).device
        atk = PGD(eps=eps, steps=cfg.steps, alpha=cfg.alpha, clip_start=cfg.clip_start,
                  loss=cfg.loss)
        gen = torch.Generator().manual_seed(start_seed(cfg.seed, model_name, eps))
        test_ = test.get(n)
        start_all = atk.init(test_.images, generator=gen)
        preds, scores = [], {k: [] for k in DETECTORS}
        bs = cfg.batch_size
        for i in range(0, len(test_), bs):
            x = test_.images[i:i + bs].to(dev)
            y = test_.labels[i:i + bs].to(dev)
            x_adv = atk.run(model, x, y, start_all[i:i + bs].to(dev))
            with torch.no_grad():
                preds.append(model(x_adv).argmax(1).cpu())
            for k, v in all_scores(x_adv, cfg.quantize).items():
                scores[k].append(v)
            if progress is not None:
                progress(len(x))
        pred = torch.cat(preds).numpy().astype(np.int8)
        arrays = {"pred": pred, "success": pred != test_.labels.numpy()}
        arrays.update({f"score_{k}": np.concatenate(v) for k, v in scores.items()})
        return arrays, {"attack": repr(atk), "data": test_.provenance.to_dict()}

    return cached(EXPERIMENT, point.key(), VERSION, compute,
                  needs_gpu=needs_gpu(n, cfg.steps) and not any_device,
                  command=CAMPAIGN_COMMAND, mode=mode,
                  store=store)


def clean_config(cfg, model_name, sha) -> dict:
    """The cache key of :func:`clean_chunk`."""
    return {"kind": "clean", "model": model_name, "checkpoint": sha,
            "n_images": cfg.n_images, "data": cfg.data}


def clean_chunk(cfg, model_name, sha, test: LazyTest, lazy: LazyModel, mode, store):
    ccfg = clean_config(cfg, model_name, sha)

    def compute():
        model = lazy.get()
        test_ = test.get()
        dev = next(model.parameters()).device
        preds = []
        with torch.no_grad():
            for i in range(0, len(test_), cfg.batch_size):
                preds.append(model(test_.images[i:i + cfg.batch_size].to(dev)).argmax(1).cpu())
        arrays = {"pred": torch.cat(preds).numpy().astype(np.int8),
                  "labels": test_.labels.numpy().astype(np.int8)}
        arrays.update({f"score_{k}": v for k, v in all_scores(test_.pixels, None).items()})
        return arrays, {"data": test_.provenance.to_dict()}

    return cached(EXPERIMENT, ccfg, VERSION, compute, needs_gpu=False, command=CAMPAIGN_COMMAND,
                  mode=mode, store=store)


@dataclass
class ModelResult:
    """Per-image arrays of one model: rows are ε values, columns test images.

    Row ``i`` holds results for the first ``n[i]`` images only (the ε outside Table II may be
    computed on fewer images); the rest of the row is padding (``pred`` -1, ``success`` False,
    scores NaN) that every summary leaves out."""

    name: str
    checkpoint: dict
    eps: np.ndarray                 # (E,)
    n: np.ndarray                   # (E,) images computed at each ε
    pred: np.ndarray                # (E, N) int8 predicted label of the adversarial image
    success: np.ndarray             # (E, N) bool  attack changed the label away from the truth
    scores: dict                    # detector -> (E, N) float32
    clean_pred: np.ndarray          # (N,) int8
    clean_scores: dict              # detector -> (N,) float32
    runtime_s: float = 0.0


@dataclass
class Paper1Result:
    config: Paper1Config
    labels: np.ndarray              # (N,) int64
    data: str                       # provenance of the test images
    thresholds: dict                # detector -> float (max over the threshold images)
    threshold_data: str             # provenance of the threshold images
    models: dict = field(default_factory=dict)   # name -> ModelResult
    notes: list = field(default_factory=list)


def _pad(a: np.ndarray, n: int, fill) -> np.ndarray:
    if len(a) == n:
        return a
    out = np.full((n,), fill, dtype=a.dtype)
    out[:len(a)] = a
    return out


def _image_counts(cfg, e) -> list[int]:
    """The numbers of images a committed sweep point at ``e`` may hold, most first: all the
    test images, the ε's own number, and at profile paper the first campaign's 2,000."""
    ns = [cfg.n_images, images_for(cfg, e)]
    if cfg.profile == "paper":
        ns.append(PARTIAL_N)
    return sorted({n for n in ns if n <= cfg.n_images}, reverse=True)


def sweep_entry(point: SweepPoint, test, lazy, mode, store):
    """The largest committed entry at ``point``'s ε (see :func:`_image_counts`); when none is
    committed, ``point`` itself (the plan's number of images), computed if ``mode`` allows."""
    for k in _image_counts(point.cfg, point.eps):
        try:
            return attack_chunk(dataclasses.replace(point, n=k), test, lazy, "cache-only", store)
        except CacheMiss:
            pass
    return attack_chunk(point, test, lazy, mode, store)


def _model_shas(cfg: Paper1Config) -> dict:
    """The checkpoint sha of every model of ``cfg``; a missing one raises ModelMissingError."""
    shas = {}
    for m in cfg.models:
        shas[m] = model_sha(m)
        if shas[m] is None:
            raise ModelMissingError(
                f"the {m} model (checkpoint {CHECKPOINTS[m]!r}) is not committed yet; "
                f"train it with: python -m stego_lib.campaign run --items paper1-train-{m}")
    return shas


def _thresholds(cfg: Paper1Config, mode: str, test: LazyTest, notes: list) -> tuple[dict, str]:
    """Each detector's threshold (the largest score on the threshold images) and a description
    of those images; at profile smoke without training data, the smoke images themselves
    (with a note saying so)."""
    try:
        thr = threshold_chunk(cfg, mode if mode != "recompute" else "auto")
        thr_scores, thr_data = {k: thr.arrays[k] for k in DETECTORS}, thr.meta.get("data", {})
    except (data.DataNotFoundError, LookupError):
        if cfg.profile != "smoke":
            raise
        split = test.get()
        thr_scores, thr_data = all_scores(split.pixels, None), split.provenance.to_dict()
        notes.append("No MNIST training data and no cached threshold: the threshold is the "
                     "maximum over the smoke images themselves (so their false-positive rate "
                     "is 0 by construction).")
    thresholds = {k: float(np.max(v)) for k, v in thr_scores.items()}
    return thresholds, (f"MNIST {thr_data.get('split', '?')}, {thr_data.get('count', 0):,} "
                        f"images ({thr_data.get('source', '?')})")


def run(config: Paper1Config, *, mode: str = "auto", progress: bool = True) -> Paper1Result:
    """Compute (or read from the cache) every chunk of ``config``.

    Raises:
        ModelMissingError: a needed checkpoint is not committed (the message names the
            campaign command that trains it).
        GPURequiredError: a paper-scale chunk is not cached (the campaign computes it).
        CacheMiss: ``mode="cache-only"`` and a chunk is missing.
    """
    cfg = config
    store = cfg.profile != "smoke"
    notes = []
    test = LazyTest(cfg)
    shas = _model_shas(cfg)   # every checkpoint first, so a missing one fails before any work
    thresholds, thr_desc = _thresholds(cfg, mode, test, notes)
    result = None
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(cfg.models) * (len(cfg.eps) + 1), desc="paper1", unit="chunk",
                   disable=None)  # no bar when stderr is not a terminal (notebooks, logs)
    try:
        for m in cfg.models:
            sha, lazy = shas[m], LazyModel(CHECKPOINTS[m])
            clean = clean_chunk(cfg, m, sha, test, lazy, mode, store)
            n_all = len(clean.arrays["labels"])
            if result is None:
                d = clean.meta.get("data", {})
                desc = data.Provenance(**d).describe() if d else "?"
                result = Paper1Result(cfg, clean.arrays["labels"].astype(np.int64), desc,
                                      thresholds, thr_desc, notes=notes)
            if bar is not None:
                bar.update(1)
            rows, runtime = [], float(clean.meta.get("runtime_s", 0))
            for e, n in sorted(sweep_plan(cfg)):    # the campaign's points, in ε order
                ent = sweep_entry(SweepPoint(cfg, m, sha, e, n), test, lazy, mode, store)
                rows.append(ent.arrays)
                runtime += float(ent.meta.get("runtime_s", 0))
                if bar is not None:
                    bar.update(1)
            result.models[m] = ModelResult(
                name=m, checkpoint=checkpoints.entry(CHECKPOINTS[m]), eps=np.array(cfg.eps),
                n=np.array([len(r["pred"]) for r in rows]),
                pred=np.stack([_pad(r["pred"], n_all, -1) for r in rows]),
                success=np.stack([_pad(r["success"], n_all, False) for r in rows]),
                scores={k: np.stack([_pad(r[f"score_{k}"], n_all, np.nan) for r in rows])
                        for k in DETECTORS},
                clean_pred=clean.arrays["pred"],
                clean_scores={k: clean.arrays[f"score_{k}"] for k in DETECTORS},
                runtime_s=runtime)
    finally:
        if bar is not None:
            bar.close()
    return result


def committed_eps(cfg: Paper1Config, model: str) -> list[float]:
    """The ε of ``cfg`` whose sweep point for ``model`` is in the results cache (at all images
    or at the ε's own number of images), with the clean chunk cached too."""
    from ...cache import ResultsCache

    sha = model_sha(model)
    if sha is None:
        return []
    cache = ResultsCache()

    def has(ccfg):
        return cache.has(EXPERIMENT, ccfg, VERSION)

    if not has(clean_config(cfg, model, sha)):
        return []
    return [e for e in cfg.eps
            if any(has(attack_config(cfg, model, sha, e, n)) for n in _image_counts(cfg, e))]


def run_committed(config: Paper1Config, *, mode: str = "cache-only", progress: bool = False
                  ) -> Paper1Result:
    """Like :func:`run`, but each model over the ε of ``config`` that are already in the
    results cache (a campaign that is still running shows what it has finished). Models with
    nothing committed are left out; raises CacheMiss if no model has anything."""
    parts = {}
    for m in config.models:
        eps = committed_eps(config, m)
        if eps:
            parts[m] = run(config.replace(models=(m,), eps=eps), mode=mode, progress=progress)
    if not parts:
        raise CacheMiss(f"{EXPERIMENT}: nothing committed at profile {config.profile!r}")
    first = next(iter(parts.values()))
    merged = Paper1Result(config.replace(models=tuple(parts)), first.labels, first.data,
                          first.thresholds, first.threshold_data, notes=first.notes)
    for m, r in parts.items():
        merged.models[m] = r.models[m]
    return merged


def page_result(config: Paper1Config | str):
    """What the Paper I page shows (a :class:`stego_lib.experiments.Shown`) for ``config``
    (or a profile's name).

    At profile ``paper`` it shows every model and ε whose paper-scale results are committed,
    and says what is still being computed; when nothing is committed yet, or at a smaller
    profile, it behaves like :func:`stego_lib.experiments.best_available`, falling back to a
    smaller profile with the values the reader chose (:meth:`Paper1Config.at`)."""
    from .. import Shown, best_available

    if isinstance(config, str):
        config = Paper1Config(config)
    if config.profile == "paper":
        try:
            res = run_committed(config)
        except CacheMiss:
            pass
        else:
            pending = []
            for m in config.models:
                have = len(res.models[m].eps) if m in res.models else 0
                if have < len(config.eps):
                    pending.append(f"{m} model: {have} of {len(config.eps)} ε values committed")
            note = "Profile 'paper'."
            if pending:
                note += (" Still being computed by the campaign (" + "; ".join(pending) +
                         "); the page shows what is committed.")
            return Shown(res, "paper", config.profile, note)
    return best_available(lambda profile: config.at(profile), run, config.profile)
