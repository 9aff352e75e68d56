"""How a re-executed result is compared with its committed arrays, and how far it may differ.

Bit identity across CPUs and torch builds is not the promise: a sign-step attack (PGD) turns a
float rounding difference into a whole grey level, and 100 Adam steps of a functional attack
carry such a difference to the decision boundary on an image or two. What a reader can expect
to reproduce, and what :data:`TOLERANCES` states per kind of result, is the predictions, the
flags and the headline number.

Example::

    >>> import numpy as np
    >>> spec = Spec(preds=("pred",), scores=("score",), flags={"score": 0.5},
    ...             value=lambda a: 100 * float(np.mean(a["pred"] == 1)))
    >>> stored = {"pred": np.array([1, 1, 0, 1]), "score": np.array([0.1, 0.9, 0.4, 0.2])}
    >>> fresh = {"pred": np.array([1, 1, 0, 0]), "score": np.array([0.1, 0.9, 0.6, 0.2])}
    >>> r = compare(spec, fresh, stored, "pgd")
    >>> r.pred_agree, r.flag_agree, round(r.score_diff, 3), r.value_diff, r.ok
    (0.75, 0.75, 0.2, 25.0, False)
    >>> compare(spec, stored, stored, "exact").ok
    True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["Comparison", "Spec", "TOLERANCES", "Tolerance", "compare"]


@dataclass(frozen=True)
class Tolerance:
    """How far a re-execution on another machine may differ from the committed result.

    ``pred_agree`` and ``flag_agree`` are the least shares of images whose prediction (or
    per-image outcome) and whose detector flag must agree; ``extra`` more disagreeing images are
    allowed on top, so a small slice is not failed by one borderline image. ``score_diff`` is
    the largest allowed absolute difference of a per-image score; ``value_diff`` that of the headline
    value (percentage points). A flag whose committed score lies within ``flag_margin`` of the
    threshold is a coin toss under rounding noise: its flips are reported, not counted."""

    pred_agree: float
    flag_agree: float
    score_diff: float
    value_diff: float
    extra: int = 0
    flag_margin: float = 0.0

    def allowed(self, share: float, n: int) -> int:
        """Disagreeing images allowed among ``n`` for a least agreement ``share``."""
        return int(np.floor((1.0 - share) * n + 1e-9)) + self.extra


# Justified by measurement on two kernel paths of the same CPU (AVX2 and PyTorch's plain
# kernels, ATEN_CPU_CAPABILITY=default) against the committed results; the numbers behind
# each are in the Reproducing chapter's verification report.
TOLERANCES = {
    # No optimisation: a forward pass, a detector or a fixed embedding. Float noise only.
    "exact": Tolerance(pred_agree=1.0, flag_agree=1.0, score_diff=1e-3, value_diff=0.0),
    # PGD's sign steps: rounding becomes whole grey levels, scores move by about 0.01-0.02
    # and a flag near the threshold can flip; predictions almost never do. On the adversarial
    # MNIST model at ε 0.05, 43 % of the scores lie within 6e-4 of the threshold and 7 % of
    # their flags flip between torch 2.14 and 2.15: flips within 0.01 of it are not counted.
    "pgd": Tolerance(pred_agree=0.98, flag_agree=0.95, score_diff=0.1, value_diff=3.0, extra=1,
                     flag_margin=0.01),
    # 100 Adam steps of a functional attack: an image at the boundary may end either side.
    "functional": Tolerance(pred_agree=0.95, flag_agree=0.95, score_diff=0.1, value_diff=5.0,
                            extra=1, flag_margin=0.01),
    # Training a detector or a model on the recomputed features/images: the learned decision
    # is as stable as the inputs, its scores less so.
    "learned": Tolerance(pred_agree=0.95, flag_agree=0.90, score_diff=float("inf"),
                         value_diff=5.0, extra=1),
}


@dataclass(frozen=True)
class Spec:
    """Which stored arrays a re-execution is compared on.

    - ``preds``: per-image predictions or outcomes (class labels, correct/success booleans).
    - ``outcomes``: per-image class labels of attacked images, compared by whether each is the
      true label (``labels``, an array of the re-execution): at a large ε which wrong class an
      attack ends in follows its whole trajectory and changes with float rounding, whether it
      fooled the classifier does not. Changes of the wrong class are reported, not counted.
    - ``labels``: the name of the true labels among the re-executed arrays.
    - ``scores``: per-image scores (detector outputs), held to the kind's ``score_diff``.
    - ``reported``: per-image scores whose largest difference is reported but not held to a
      tolerance (the WS estimate, whose scale runs to 25 and jumps with one grey level).
    - ``flags``: score name -> threshold; a flag is ``score > threshold``.
    - ``value``: the headline value of a set of arrays (e.g. the percentage still correct).
    """

    preds: tuple = ()
    outcomes: tuple = ()
    labels: str | None = None
    scores: tuple = ()
    reported: tuple = ()
    flags: dict = field(default_factory=dict)
    value: Callable[[dict], float] | None = None

    def __post_init__(self):
        if self.outcomes and not self.labels:
            raise ValueError("outcomes are compared against labels: name the labels array")


@dataclass
class Comparison:
    n: int
    pred_agree: float | None
    flag_agree: float | None
    score_diff: float | None
    value_fresh: float | None
    value_stored: float | None
    value_diff: float | None
    failures: list
    reported: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures


def _share(a, b) -> tuple[float, int]:
    same = np.asarray(a).reshape(len(a), -1) == np.asarray(b).reshape(len(b), -1)
    rows = same.all(1)
    return float(rows.mean()) if len(rows) else 1.0, int((~rows).sum())


def _flags(spec: Spec, fresh: dict, stored: dict, tol, n: int, failures: list) -> tuple:
    """The lowest share of images whose flag agrees (None: no flags) and the flips of images
    whose stored score lies within the tolerance's margin of the threshold; a failure is
    appended for every array with more flips than allowed away from the threshold."""
    flag_agree, borderline = None, 0
    for k, thr in spec.flags.items():
        f_new, f_old = np.asarray(fresh[k]) > thr, np.asarray(stored[k]) > thr
        share, _ = _share(f_new, f_old)
        flag_agree = share if flag_agree is None else min(flag_agree, share)
        near = np.abs(np.asarray(stored[k], float) - thr) <= tol.flag_margin
        bad = int(((f_new != f_old) & ~near).sum())
        borderline += int(((f_new != f_old) & near).sum())
        if bad > tol.allowed(tol.flag_agree, n):
            failures.append(f"{k} flags: {bad} of {n} images disagree "
                            f"(at most {tol.allowed(tol.flag_agree, n)} allowed)")
    return flag_agree, borderline


def compare(spec: Spec, fresh: dict, stored: dict, kind: str) -> Comparison:
    """Compare ``fresh`` with ``stored`` (both already cut to the same images) under
    ``TOLERANCES[kind]``. A missing array in ``fresh`` is a failure, not a pass."""
    if kind not in TOLERANCES:
        raise ValueError(f"kind must be one of {sorted(TOLERANCES)}, got {kind!r}")
    tol, failures = TOLERANCES[kind], []
    names = (*spec.preds, *spec.outcomes, *spec.scores, *spec.reported)
    missing = [k for k in names if k not in fresh or k not in stored]
    if spec.outcomes and spec.labels not in fresh:
        missing.append(spec.labels)
    if missing:
        return Comparison(0, None, None, None, None, None, None,
                          [f"arrays missing from the re-execution: {missing}"])
    n = len(fresh[names[0]]) if names else 0
    for k in names:
        if len(fresh[k]) != len(stored[k]):
            failures.append(f"{k}: {len(fresh[k])} images re-executed, {len(stored[k])} stored")
    if failures:
        return Comparison(n, None, None, None, None, None, None, failures)
    pred_agree = score_diff = None
    for k in spec.preds:
        share, bad = _share(fresh[k], stored[k])
        pred_agree = share if pred_agree is None else min(pred_agree, share)
        if bad > tol.allowed(tol.pred_agree, n):
            failures.append(f"{k}: {bad} of {n} images disagree "
                            f"(at most {tol.allowed(tol.pred_agree, n)} allowed)")
    wrong_class = 0
    for k in spec.outcomes:
        y = np.asarray(fresh[spec.labels])
        f_new, f_old = np.asarray(fresh[k]), np.asarray(stored[k])
        share, bad = _share(f_new == y, f_old == y)
        pred_agree = share if pred_agree is None else min(pred_agree, share)
        wrong_class += int(((f_new != f_old) & (f_new != y) & (f_old != y)).sum())
        if bad > tol.allowed(tol.pred_agree, n):
            failures.append(f"{k}: {bad} of {n} images fooled the classifier on one side only "
                            f"(at most {tol.allowed(tol.pred_agree, n)} allowed)")
    if wrong_class and tol.allowed(tol.pred_agree, n) == 0:
        # nothing is chaotic where nothing is optimised: there the class itself must agree
        failures.append(f"{wrong_class} of {n} images end in another wrong class")
    for k in spec.scores:
        d = float(np.max(np.abs(np.asarray(fresh[k], float) - np.asarray(stored[k], float)),
                         initial=0.0))
        score_diff = d if score_diff is None else max(score_diff, d)
        if not d <= tol.score_diff:
            failures.append(f"{k}: largest difference {d:.3g} (at most {tol.score_diff:g})")
    flag_agree, borderline = _flags(spec, fresh, stored, tol, n, failures)
    reported = {k: float(np.max(np.abs(np.asarray(fresh[k], float)
                                       - np.asarray(stored[k], float)), initial=0.0))
                for k in spec.reported}
    if spec.flags:
        reported["borderline_flag_flips"] = float(borderline)
    if spec.outcomes:
        reported["other_wrong_class"] = float(wrong_class)
    vf = vs = vd = None
    if spec.value is not None:
        vf, vs = float(spec.value(fresh)), float(spec.value(stored))
        vd = abs(vf - vs)
        # Each borderline flip may move a rate of flags by 100 / n points on its own.
        limit = tol.value_diff + 100 * borderline / max(n, 1)
        if not vd <= limit + 1e-9:
            failures.append(f"value {vf:.4g} re-executed, {vs:.4g} committed "
                            f"(at most {limit:.3g} apart)")
    return Comparison(n, pred_agree, flag_agree, score_diff, vf, vs, vd, failures, reported)
