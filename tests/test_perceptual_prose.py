"""The perceptual page's sentences and its table of the paper's Fig 6 statements: every number
they print is read back from the summary they were made from, and every verdict is checked
against a summary built to come out that way."""
import re

import numpy as np
import pytest

from stego_lib.cache import CacheMiss, GPURequiredError
from stego_lib.experiments import perceptual, perceptual_prose as prose

SCALES = [0.25, 0.5, 1.0, 2.0]
LABELS = {"dssim": "1 − SSIM", "ciede2000": "mean CIEDE2000 ΔE00"}


def _summary(err: dict, dist: dict, n: int = 200) -> dict:
    """A summary of the shape :func:`perceptual.summarize` returns: ``err[attack]`` error rates
    and ``dist[attack]`` 1 − SSIM per scale; CIEDE2000 is 1 − SSIM × 50."""
    attacks = {}
    for name in ("C", "D", "C+D"):
        d = np.array(dist[name], float)
        attacks[name] = {"scale": np.array(SCALES), "error_rate": np.array(err[name], float),
                         "dssim": d, "ciede2000": 50 * d, "n_images": n,
                         "clean_accuracy": 0.9, "default_index": SCALES.index(1.0)}
    return {"metrics": ["dssim", "ciede2000"], "labels": LABELS, "attacks": attacks}


# D reaches a high error rate with the least distance; C+D is the strongest and the farthest.
CONTRARY = _summary(err={"C": [0.3, 0.5, 0.8, 0.95], "D": [0.4, 0.7, 0.95, 1.0],
                         "C+D": [0.6, 0.92, 1.0, 1.0]},
                    dist={"C": [0.01, 0.03, 0.08, 0.15], "D": [0.004, 0.01, 0.05, 0.1],
                          "C+D": [0.03, 0.06, 0.1, 0.17]})
# C+D reaches every error rate with the least distance and is closer than C at some bounds.
AGREEING = _summary(err={"C": [0.3, 0.5, 0.8, 0.95], "D": [0.4, 0.7, 0.95, 1.0],
                         "C+D": [0.6, 0.92, 1.0, 1.0]},
                    dist={"C": [0.01, 0.03, 0.08, 0.15], "D": [0.004, 0.02, 0.05, 0.1],
                          "C+D": [0.003, 0.012, 0.07, 0.17]})


def _err(summary):
    return {n: summary["attacks"][n]["error_rate"] for n in ("C", "D", "C+D")}


def _dist(summary):
    return {n: summary["attacks"][n]["dssim"] for n in ("C", "D", "C+D")}


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"(?<![\w.])[+-]?\d+(?:\.\d+)?", text)]


def _by(claims):
    return {c["claim"]: c for c in claims}


def test_contrary_result_is_stated_as_the_other_way():
    claims = _by(prose.fig6_claims(CONTRARY))
    assert claims["stronger"]["verdict"] == prose.SAME
    assert claims["closer"]["verdict"] == prose.OTHER
    assert claims["least"]["verdict"] == prose.OTHER
    text = prose.conclusion(list(claims.values()), CONTRARY)
    assert text.startswith("Two of the paper's three statements come out the other way here")
    assert "not in conflict" not in text
    # without LPIPS the metric is named as a possible cause, without softening the verdict
    assert "LPIPS" in text and "as stated" in text
    # the one that holds is said to hold
    assert "As in the paper, C+D misclassifies more images" in text
    reading = prose.reading(CONTRARY)
    assert "This is the other way round from the paper: D alone, not C+D" in reading
    assert "not in conflict" not in reading


def test_agreeing_result_is_stated_as_in_the_paper():
    claims = _by(prose.fig6_claims(AGREEING))
    assert [c["verdict"] for c in claims.values()] == [prose.SAME] * 3
    text = prose.conclusion(list(claims.values()), AGREEING)
    assert text.startswith("As in the paper,") and "other way" not in text
    assert "LPIPS" not in text   # nothing to explain
    assert prose.reading(AGREEING).endswith(
        "As in the paper, C+D misclassifies 90 % of the images with the smallest perceptual "
        "distance of the three attacks.")


def test_numbers_in_the_table_are_the_summary_s():
    s = CONTRARY
    rows, i = s["attacks"], s["attacks"]["C+D"]["default_index"]
    claims = _by(prose.fig6_claims(s))
    # error rates at the default bounds, in the order C+D, C, D
    stronger = claims["stronger"]["ours"]
    assert _numbers(stronger)[:3] == [round(100 * rows[n]["error_rate"][i], 1)
                                      for n in ("C+D", "C", "D")]
    # the largest gain over the stronger single attack, where that one leaves room
    gains = [(rows["C+D"]["error_rate"][k] - max(rows["C"]["error_rate"][k],
                                                 rows["D"]["error_rate"][k]), SCALES[k])
             for k in range(len(SCALES))
             if max(rows["C"]["error_rate"][k], rows["D"]["error_rate"][k]) < 1]
    gain, scale = max(gains)
    assert f"({len(gains)} of {len(SCALES)} bounds)" in stronger
    assert f"at {scale:g} × the default bounds: {100 * gain:+.1f} points" in stronger
    # distances at the default bounds and the excess over the farther single attack
    closer = claims["closer"]["ours"]
    for m in s["metrics"]:
        far = max(rows["C"][m][i], rows["D"][m][i])
        assert (f"By {LABELS[m]}, C+D lies at {rows['C+D'][m][i]:.4f} at the default bounds, "
                f"C at {rows['C'][m][i]:.4f} and D at {rows['D'][m][i]:.4f} "
                f"({100 * (rows['C+D'][m][i] / far - 1):+.0f} % over the farther alone)") in closer
    lower = sum(x < max(c, d) for x, c, d in zip(rows["C+D"]["dssim"], rows["C"]["dssim"],
                                                   rows["D"]["dssim"]))
    assert f"below the farther alone at {lower} of {len(SCALES)} bounds" in closer
    # the distance each attack needs for 90 %, from least to most
    least = claims["least"]["ours"]
    for m in s["metrics"]:
        need = {n: perceptual.distance_at_error(rows[n], m, 0.9) for n in ("C", "D", "C+D")}
        order = sorted(need, key=need.get)
        assert f"by {LABELS[m]}, " + ", ".join(f"{n} {need[n]:.4f}" for n in order) in least


def test_closer_counts_the_bounds_where_the_combination_is_nearer():
    claims = _by(prose.fig6_claims(AGREEING))
    rows = AGREEING["attacks"]
    k = sum(x < max(c, d) for x, c, d in zip(rows["C+D"]["dssim"], rows["C"]["dssim"],
                                               rows["D"]["dssim"]))
    assert 0 < k < len(SCALES)
    assert f"{k} by 1 − SSIM" in claims["closer"]["finding"]


def test_stronger_needs_a_gain_beyond_noise():
    # C+D one image (0.5 %) above D where D leaves room: within two standard errors
    same = {"C": [0.3, 0.5, 0.8, 0.9], "D": [0.4, 0.7, 0.9, 0.95]}
    err = {**same, "C+D": [e + 0.005 for e in same["D"]]}
    stronger = _by(prose.fig6_claims(_summary(err, _dist(CONTRARY))))["stronger"]
    assert stronger["verdict"] == prose.OPEN and "within two standard errors" in stronger["finding"]
    # C+D well below D wherever D leaves room: the other way
    err = {**same, "C+D": [e - 0.2 for e in same["D"]]}
    stronger = _by(prose.fig6_claims(_summary(err, _dist(CONTRARY))))["stronger"]
    assert stronger["verdict"] == prose.OTHER
    assert stronger["finding"].startswith("C+D misclassifies fewer images")
    # every image already fooled by D at every bound: nothing can show
    full = {"C": [0.5] * 4, "D": [1.0] * 4, "C+D": [1.0] * 4}
    stronger = _by(prose.fig6_claims(_summary(full, _dist(CONTRARY))))["stronger"]
    assert stronger["verdict"] == prose.OPEN and "no gain" in stronger["finding"]


def test_least_is_open_when_a_capped_attack_might_need_less():
    err = {"C": [0.3, 0.5, 0.8, 0.95], "D": [0.95, 1.0, 1.0, 1.0], "C+D": [0.6, 0.92, 1.0, 1.0]}
    dist = {"C": [0.01, 0.03, 0.08, 0.15], "D": [0.02, 0.04, 0.05, 0.1],
            "C+D": [0.003, 0.012, 0.07, 0.17]}
    least = _by(prose.fig6_claims(_summary(err, dist)))["least"]
    assert least["verdict"] == prose.OPEN and least["finding"].startswith("D already")
    assert "D ≤ " in least["ours"]


def test_metrics_that_disagree_leave_least_open():
    s = _summary(_err(AGREEING), _dist(AGREEING))
    # CIEDE2000 ranks D first, 1 − SSIM ranks C+D first
    s["attacks"]["D"]["ciede2000"] = s["attacks"]["D"]["ciede2000"] / 10
    least = _by(prose.fig6_claims(s))["least"]
    assert least["verdict"] == prose.OPEN and "disagree" in least["finding"]


def test_with_lpips_the_metric_is_not_offered_as_a_cause():
    s = _summary(_err(CONTRARY), _dist(CONTRARY))
    for row in s["attacks"].values():
        row["lpips"] = row.pop("dssim")
        del row["ciede2000"]
    s["metrics"], s["labels"] = ["lpips"], {"lpips": "LPIPS (AlexNet)"}
    claims = prose.fig6_claims(s)
    text = prose.conclusion(claims, s)
    assert "other way" in text and "cannot compute" not in text
    assert "under the metric used here" in text


def test_incomplete_sweep_settles_nothing():
    s = _summary(_err(CONTRARY), _dist(CONTRARY))
    del s["attacks"]["C+D"]
    claims = prose.fig6_claims(s)
    assert [c["verdict"] for c in claims] == [prose.OPEN] * 3
    assert prose.conclusion(claims, s).startswith("Not settled:")
    assert prose.reading(s) == ("The sweep shown does not include all three attacks at the "
                                "default bounds.")


def _committed():
    try:
        shown = perceptual.page_result("paper")
    except (CacheMiss, GPURequiredError, perceptual.ModelMissingError):
        return None
    return perceptual.summarize(shown.result) if shown.profile == "paper" else None


def test_committed_sweep_reads_as_its_numbers():
    summary = _committed()
    if summary is None:
        pytest.skip("the paper-profile sweep is not in the committed results")
    rows = summary["attacks"]
    claims = _by(prose.fig6_claims(summary))
    # the verdict on "least visible" follows the interpolated distances
    need = {m: {n: perceptual.distance_at_error(rows[n], m, 0.9) for n in ("C", "D", "C+D")}
            for m in summary["metrics"]}
    cheapest = {min(v, key=v.get) for v in need.values()}
    if "C+D" not in cheapest:
        assert claims["least"]["verdict"] == prose.OTHER
        assert "other way" in prose.conclusion(list(claims.values()), summary)
    # "closer" is the other way exactly when C+D is never nearer than the farther single attack
    nearer = any(x < max(c, d) for m in summary["metrics"]
                 for x, c, d in zip(rows["C+D"][m], rows["C"][m], rows["D"][m]))
    assert (claims["closer"]["verdict"] == prose.SAME) == nearer
    for c in claims.values():
        assert c["verdict"] in (prose.SAME, prose.OTHER, prose.OPEN)
        assert "not in conflict" not in c["ours"] + c["finding"]
