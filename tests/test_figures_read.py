"""Can a reader read the figures? Each figure is drawn from small synthetic inputs shaped like
the committed results and measured with matplotlib's renderer: no legend sits on a data
point, legend and tick text is large enough at the size the book shows it, panels that share
their series share one legend, and no label is written on the points of the perceptual
figure."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from stego_lib.plotting import beyond, paper1, perceptual
from stego_lib.plotting._figure import MAX_WIDTH

MIN_PT = 8   # the smallest text a reader takes in without effort
EPS = np.round(np.arange(0.01, 0.505, 0.01), 2)
MODELS = {"natural": 0.10, "adversarial": 0.36, "madry": 0.32}   # model -> ε where TPR is 0.5


def _rise(mid: float) -> np.ndarray:
    """A logistic step from 0 to 1 over ε, centred on ``mid``."""
    return 1 / (1 + np.exp(-(EPS - mid) / 0.02))


def _curves() -> dict:
    out = {}
    for m, mid in MODELS.items():
        tpr, acc = _rise(mid), 1 - _rise(mid - 0.02)
        out[m] = {"eps": EPS, "n": np.full(len(EPS), 10_000), "tpr": tpr, "accuracy": acc,
                  "combined": np.maximum(acc, tpr), "auc": 0.5 + _rise(0.02) / 2}
    return out


def _heads() -> dict:
    return {m: {"tpr50_eps": mid, "perfect_separation_eps": round(mid + 0.05, 2)}
            for m, mid in MODELS.items()}


def _rocs() -> dict:
    fpr = np.linspace(0, 1, 200)
    return {m: [{"eps": e, "fpr": fpr, "tpr": fpr ** (0.02 / e), "auc": 0.99, "op": (0.0, 0.5)}
                for e in (0.05, 0.1, 0.15, 0.2, 0.3, 0.4)] for m in MODELS}


def _titles(n: int) -> list:
    return ["MNIST, natural model, PGD", "MNIST, adversarial model, PGD"][:n] + \
        [f"CIFAR-10, attack {k}" for k in range(n - 2)]


def _roc_groups(n: int = 11) -> dict:
    fpr = np.linspace(0, 1, 200)
    shapes = {"predictor": 0.2, "ws": 1.0, "spam_fld": 0.05}   # tpr = fpr ** shape
    rows = [{"detector": d, "roc": (fpr, fpr ** p), "auc": 0.9, "fpr": {"rate": 0.0},
             "tpr": {"rate": 0.2}} for d, p in shapes.items()]
    return {t: rows for t in _titles(n)}


def _auc_series(n: int) -> dict:
    out = {}
    for t in _titles(n):
        x = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4] if t.startswith("MNIST") else [0.25, 0.5, 1.0, 2.0]
        out[t] = {d: (x, np.linspace(lo, hi, len(x)), np.full(len(x), 0.02))
                  for d, lo, hi in (("predictor", 0.55, 0.95), ("ws", 0.5, 0.55),
                                    ("spam_fld", 0.7, 1.0))}
    return out


def _perceptual_summary() -> dict:
    """Three attacks at seven bounds, the default (1×) fifth, as the committed sweep has."""
    def row(err, dssim, ciede):
        return {"error_rate": np.array(err) / 100, "dssim": np.array(dssim),
                "ciede2000": np.array(ciede), "default_index": 4}
    return {"metrics": ["dssim", "ciede2000"],
            "labels": {"dssim": "1 − SSIM", "ciede2000": "mean CIEDE2000 ΔE00"},
            "attacks": {
                "C": row([25, 48, 74, 90, 93, 99, 99], [.004, .014, .041, .071, .098, .144, .182],
                         [1.2, 2.2, 4.1, 5.4, 6.6, 8.2, 9.4]),
                "D": row([39, 70, 97, 99, 100, 100, 100],
                         [.001, .005, .019, .037, .057, .099, .139],
                         [0.5, 1.0, 2.0, 2.9, 3.8, 5.5, 7.0]),
                "C+D": row([55, 90, 100, 100, 100, 100, 100],
                           [.006, .019, .051, .082, .112, .164, .208],
                           [1.3, 2.5, 4.2, 5.5, 6.7, 8.6, 10.1])}}


def _rates(values) -> list:
    return [{"rate": v, "lo": max(0.0, v - 0.02), "hi": min(1.0, v + 0.02)} for v in values]


def _adaptive() -> dict:
    eps = [0.05, 0.1, 0.2, 0.3, 0.4]
    side = lambda comb, mis: {"eps": eps, "combined": _rates(comb), "misclassified": _rates(mis)}
    return {m: {"plain": side([1, 1, 1, 0.99, 1], [0.02, 0.3, 0.9, 1, 1]),
                "adaptive": side([1, 0.9, 0.5, 0.2, 0.05], [0.02, 0.3, 0.9, 1, 1])}
            for m in ("natural", "adversarial")}


def _lsb() -> dict:
    rate = np.array([0.05, 0.1, 0.2, 0.4, 1.0])
    one = lambda k: {"change_rate": rate / 2, "ws_q": (rate / 2 - 0.01, rate / 2, rate / 2 + 0.01),
                     "ws_window9_mean": rate / 2 * k, "rate": rate,
                     "predictor_auc": 0.5 + rate / 2.2, "ws_auc": 0.5 + rate / 2.1 * k}
    return {d: {"replacement": one(1.0), "matching": one(0.3)} for d in ("MNIST", "CIFAR-10")}


FIGURES = {
    "tpr (3.1)": lambda: paper1.fig_tpr(_curves()),
    "accuracy (3.2)": lambda: paper1.fig_accuracy(_curves(), _heads()),
    "combined (3.3)": lambda: paper1.fig_combined(_curves(), _heads()),
    "roc (3.4)": lambda: paper1.fig_roc(_rocs()),
    "auc (3.5)": lambda: paper1.fig_auc(_curves()),
    "perceptual (10.1)": lambda: perceptual.distance_vs_error(_perceptual_summary()),
    "beyond roc (12.1)": lambda: beyond.roc_figure(_roc_groups()),
    "beyond auc (12.2)": lambda: beyond.auc_figure(_auc_series(11), "bound"),
    "beyond auc, 9 panels": lambda: beyond.auc_figure(_auc_series(9), "bound"),
    "adaptive (13.1)": lambda: beyond.adaptive_figure(_adaptive()),
    "lsb (14.1)": lambda: beyond.lsb_figure(_lsb()),
}
SHARED_SERIES = ["roc (3.4)", "perceptual (10.1)", "beyond roc (12.1)", "beyond auc (12.2)",
                 "beyond auc, 9 panels", "adaptive (13.1)", "lsb (14.1)"]


def _draw(name: str):
    fig = FIGURES[name]()
    FigureCanvasAgg(fig)   # the functions return closed figures, whose canvas draws nothing
    fig.canvas.draw()
    return fig


def _legends(fig) -> list:
    return list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]


def _points(fig) -> list:
    """(x, y, r) in display pixels of every plotted vertex inside its panel; r is half the
    marker's size (0 for a line without markers)."""
    out = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for line in ax.lines:
            if len(line.get_xydata()) == 0:
                continue
            marker = line.get_marker() not in ("None", "", " ", None)
            r = line.get_markersize() / 2 * fig.dpi / 72 if marker else 0.0
            xy = line.get_transform().transform(line.get_xydata())   # ax.transData for data
            out += [(x, y, r) for x, y in xy if ax.bbox.contains(x, y)]
    return out


def _covers(box, point) -> bool:
    x, y, r = point
    return box.x0 - r < x < box.x1 + r and box.y0 - r < y < box.y1 + r


def _shrink(fig) -> float:
    """How much the book shrinks the figure: it is saved with a tight box at about 100
    pixels an inch and drawn at most MAX_WIDTH inches wide."""
    width = fig.get_tightbbox(fig.canvas.get_renderer()).width   # inches
    return min(1.0, MAX_WIDTH / width)


@pytest.mark.parametrize("name", list(FIGURES))
def test_no_legend_covers_a_data_point(name):
    fig = _draw(name)
    points = _points(fig)
    assert points and _legends(fig)
    for legend in _legends(fig):
        box = legend.get_window_extent()
        covered = [p for p in points if _covers(box, p)]
        assert not covered, f"{name}: the legend covers {len(covered)} plotted points"


@pytest.mark.parametrize("name", list(FIGURES))
def test_legend_and_tick_text_is_readable(name):
    fig = _draw(name)
    texts = [t for legend in _legends(fig) for t in legend.get_texts()]
    for ax in fig.axes:
        if ax.get_visible() and ax.axison:
            texts += ax.get_xticklabels() + ax.get_yticklabels()
    shrink = _shrink(fig)
    small = {t.get_text(): round(t.get_fontsize() * shrink, 1) for t in texts
             if t.get_visible() and t.get_text() and t.get_fontsize() * shrink < MIN_PT}
    assert not small, f"{name}: text shown under {MIN_PT} pt: {small}"


@pytest.mark.parametrize("name", SHARED_SERIES)
def test_panels_sharing_series_have_one_legend(name):
    fig = _draw(name)
    assert len(_legends(fig)) == 1


def test_no_label_is_written_on_the_perceptual_points():
    fig = _draw("perceptual (10.1)")
    points = [p for p in _points(fig) if p[2] > 0]   # the markers: points and rings
    for ax in fig.axes:
        for text in ax.texts:
            box = text.get_window_extent()
            assert not any(_covers(box, p) for p in points), \
                f"the label {text.get_text()!r} sits on a data point"
    # every point stays identifiable: the legend names each attack and the ringed bound
    names = [t.get_text() for legend in _legends(fig) for t in legend.get_texts()]
    assert names == ["C", "D", "C+D", "default bound"]


def test_paper1_headline_table_names_models_in_words_and_says_not_reached():
    heads = {m: {"perfect_separation_eps": 0.21, "zero_accuracy_eps": None,
                 "min_combined_accuracy": 0.66, "tpr50_eps": 0.1, "fpr": 0.0,
                 "clean_accuracy": 0.99, "paper": {"perfect_separation_eps": 0.17,
                                                   "zero_accuracy_eps": 0.17,
                                                   "min_combined_accuracy": 0.5}}
             for m in ("natural", "madry")}
    t = paper1.headline_table(heads)
    assert {r[0] for r in t.rows} == {"natural", "adversarial, Madry's recipe"}
    assert [r[2] for r in t.rows if r[1] == "model accuracy 0 from ε"] == ["not reached"] * 2
