"""Re-execute a seeded sample of the committed results on this machine, within a time budget.

:func:`plan` walks the results folder, keeps every entry an adapter can re-execute, and orders
them so that one pass reaches every experiment before a second entry of any experiment is
taken; the seed shuffles the entries within each experiment and picks which slice of each
entry is re-executed. :func:`verify` runs the plan until the budget is spent and returns the
report.

Example::

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     plan(0, root=tmp)
    []
"""
from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .. import provenance
from ..cache import Entry, ResultsCache, results_dir
from .compare import TOLERANCES, compare
from .registry import CANNOT, Reexec, adapter, cut

__all__ = ["Job", "UnknownResultError", "entries", "plan", "verify"]

# Measurements of speed, not results: nothing to re-execute.
SKIP = ("benchmarks", "verification")


class UnknownResultError(LookupError):
    """``--chunk`` names no committed result."""


@dataclass
class Job:
    experiment: str
    key: str
    start: int
    stop: int
    whole: bool
    estimate_s: float


def entries(root=None) -> list[tuple[str, str]]:
    """(experiment, key) of every committed entry, sorted. An entry whose arrays are missing is
    listed too: re-executing it fails, and says so."""
    root = results_dir(root)
    return [(meta.parent.name, meta.stem) for meta in sorted(Path(root).glob("*/*.json"))
            if meta.parent.name not in SKIP]


def _load(cache: ResultsCache, experiment: str, key: str):
    meta = json.loads(cache.paths(experiment, key)[1].read_text())
    return cache.get(experiment, meta["config"], meta["version"])


def _job(cache, experiment, key, rng) -> Job | None:
    # The metadata alone says which adapter applies and how many images: no npz is read.
    meta = json.loads(cache.paths(experiment, key)[1].read_text())
    entry = Entry({}, meta)
    r = adapter(entry)
    if r is None:
        return None
    n = r.n_images(entry)
    size = min(n, max(r.step, (r.size // r.step) * r.step))
    # A whole-batch window, anywhere in the entry: the seed picks where.
    starts = list(range(0, max(n - size, 0) + 1, r.step)) or [0]
    start = rng.choice(starts)
    stop = min(start + size, n)
    return Job(experiment, key, start, stop, (start, stop) == (0, n), (stop - start) / r.rate)


def plan(seed: int, *, root=None, only: str | None = None) -> list[Job]:
    """Every re-executable entry as a job, in the order :func:`verify` takes them: the seed
    shuffles each experiment's entries, then one entry of each experiment in turn.
    ``only``: ``experiment/key`` of a single entry."""
    cache, rng = ResultsCache(root), random.Random(seed)
    listed = entries(root)
    if only is not None:
        wanted = tuple(only.strip("/").split("/", 1))
        if wanted not in listed:
            raise UnknownResultError(f"no committed result {only!r}; expected "
                                     f"<experiment>/<key>, e.g. {'/'.join(listed[0]) if listed else 'paper1/<key>'}")
        listed = [wanted]
    by_exp: dict[str, list[str]] = {}
    for exp, key in listed:
        by_exp.setdefault(exp, []).append(key)
    # Only entries an adapter can re-execute take a place in a round, so every experiment
    # with one re-executable entry is reached in the first round.
    queues = {}
    for exp in sorted(by_exp):
        keys = by_exp[exp][:]
        rng.shuffle(keys)
        jobs_of = [j for j in (_job(cache, exp, k, rng) for k in keys) if j is not None]
        if jobs_of:
            queues[exp] = jobs_of
    order = sorted(queues)
    rng.shuffle(order)
    jobs = []
    while any(queues.values()):
        for exp in order:
            if queues[exp]:
                jobs.append(queues[exp].pop(0))
    return jobs


def _run_one(cache: ResultsCache, job: Job) -> dict:
    entry = _load(cache, job.experiment, job.key)
    r: Reexec = adapter(entry)
    spec, kind = r.spec(entry), r.kind(entry)
    names = (*spec.preds, *spec.outcomes, *spec.scores, *spec.reported)
    t0 = time.perf_counter()
    fresh = r.rerun(entry, job.start, job.stop)
    seconds = time.perf_counter() - t0
    fresh = {k: np.moveaxis(np.asarray(v), r.image_axis(k), 0) if r.image_axis(k) else np.asarray(v)
             for k, v in fresh.items()}
    stored = cut(r, entry.arrays, [k for k in names if k in entry.arrays], job.start, job.stop)
    c = compare(spec, fresh, stored, kind)
    return {**asdict(job), "kind": kind, "seconds": round(seconds, 2), "n": c.n,
            "pred_agree": c.pred_agree, "flag_agree": c.flag_agree, "score_diff": c.score_diff,
            "value_fresh": c.value_fresh, "value_stored": c.value_stored,
            "value_diff": c.value_diff, "reported": c.reported, "ok": c.ok, "failures": c.failures,
            "stored_on": provenance.of(entry.meta)}


def verify(seed: int, minutes: float, *, root=None, only: str | None = None,
           progress: bool = True, log=print) -> dict:
    """Re-execute the plan of ``seed`` until ``minutes`` are spent; the report as a dict.

    A job starts only while its estimated time fits the budget left (the first always runs).
    An adapter that raises is a failure of that result, reported with its message."""
    cache = ResultsCache(root)
    jobs = plan(seed, root=root, only=only)
    budget, t0, rows = minutes * 60, time.perf_counter(), []
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(jobs), desc="verify", unit="result", disable=None)
    try:
        for job in jobs:
            left = budget - (time.perf_counter() - t0)
            if rows and job.estimate_s > left:
                continue
            if left <= 0:
                break
            try:
                row = _run_one(cache, job)
            except Exception as err:   # one broken result must not hide the others
                row = {**asdict(job), "ok": False, "failures": [f"{type(err).__name__}: {err}"]}
            rows.append(row)
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{job.experiment} {'ok' if row['ok'] else 'FAILED'}")
    finally:
        if bar is not None:
            bar.close()
    experiments = sorted({e for e, _ in entries(root)})
    return {"seed": seed, "minutes": minutes, "machine": provenance.machine(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seconds": round(time.perf_counter() - t0, 1),
            "tolerances": {k: asdict(v) for k, v in TOLERANCES.items()},
            "experiments": experiments,
            "reached": sorted({r["experiment"] for r in rows}),
            "cannot": {e: CANNOT[e] for e in experiments if e in CANNOT},
            "results": rows, "ok": all(r["ok"] for r in rows)}
