"""The CSV beside each figure holds exactly the points the figure draws: lines, markers, error
bars, bars, scatter points, lines at one value and heat-map cells, read back from the drawn
figure; pictures are not points."""
import csv
import io
import re
from urllib.parse import unquote

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from stego_lib.plotting import paper1
from stego_lib.plotting.points import plotted_points, with_points


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_lines_and_error_bars():
    fig, ax = plt.subplots()
    ax.errorbar([1, 2, 3], [10.0, 20.0, 30.0], yerr=[[1, 2, 3], [4, 5, 6]], fmt="o",
                label="ours")
    ax.plot([1, 2, 3], [11.0, 19.5, 30.25], "x", label="paper")
    ax.set(xlabel="bound", ylabel="accuracy (%)")
    t = plotted_points(fig)
    assert t.header == ["series", "bound", "accuracy (%)", "accuracy (%) low", "accuracy (%) high"]
    assert t.rows == [["ours", "1", "10", "9", "14"], ["ours", "2", "20", "18", "25"],
                      ["ours", "3", "30", "27", "36"], ["paper", "1", "11", "", ""],
                      ["paper", "2", "19.5", "", ""], ["paper", "3", "30.25", "", ""]]


def test_an_unlabelled_line_under_labelled_markers_is_not_repeated():
    fig, ax = plt.subplots()
    ax.plot([0.1, 0.2], [0.5, 0.9], "-")
    ax.plot([0.1, 0.2], [0.5, 0.9], "o", label="natural")
    ax.plot([0.1, 0.2], [0.2, 0.3], "-")        # no markers over it: its points stay
    assert plotted_points(fig).rows == [["natural", "0.1", "0.5"], ["natural", "0.2", "0.9"],
                                        ["", "0.1", "0.2"], ["", "0.2", "0.3"]]


def test_categories_bars_scatter_and_lines_at_one_value():
    fig, ax = plt.subplots()
    ax.bar([0, 1, 2], [5.0, 7.5, 1.0], label="AUC")
    ax.scatter([0, 2], [6.0, 2.0], label="paper")
    ax.set_xticks([0, 1, 2], ["C", "D", "S"])
    ax.axhline(3.0, label="chance")
    ax.axvline(1.0, label="cut")
    rows = plotted_points(fig).rows
    assert ["AUC", "D", "7.5"] in rows and ["paper", "S", "2"] in rows
    assert ["chance", "", "3"] in rows and ["cut", "D", ""] in rows
    assert len(rows) == 7


def test_horizontal_bars():
    fig, ax = plt.subplots()
    ax.barh([0, 1], [0.25, 0.75])
    ax.set_yticks([0, 1], ["WS", "SPAM"])
    assert plotted_points(fig).rows == [["0.25", "WS"], ["0.75", "SPAM"]]


def test_a_heat_map_is_points_and_a_picture_is_not():
    fig, (a, b) = plt.subplots(1, 2)
    a.imshow(np.array([[1.0, 2.0], [3.0, np.nan]]))
    a.set_xticks([0, 1], ["C", "D"])
    a.set_yticks([0, 1], ["natural", "C-trained"])
    a.set_title("z")
    b.imshow(np.random.default_rng(0).random((64, 64, 3)))
    b.set_title("image")
    t = plotted_points(fig)
    assert t.header == ["x", "y", "value"]   # one panel has points: no panel column
    assert t.rows == [["C", "natural", "1"], ["D", "natural", "2"],
                      ["C", "C-trained", "3"], ["D", "C-trained", ""]]


def test_panels_are_named_by_their_titles():
    fig, axes = plt.subplots(1, 2)
    for ax, title in zip(axes, ("MNIST", "CIFAR-10")):
        ax.plot([0, 1], [0, 1], label="predictor")
        ax.set(title=title, xlabel="ε", ylabel="AUC")
    t = plotted_points(fig)
    assert t.header == ["panel", "series", "ε", "AUC"]
    assert [r[0] for r in t.rows] == ["MNIST", "MNIST", "CIFAR-10", "CIFAR-10"]


def _html(obj) -> str:
    return obj._repr_mimebundle_()["text/html"]


def test_the_figure_offers_its_points_as_csv():
    fig, ax = plt.subplots()
    ax.plot([0.1, 0.2], [0.5, 0.25], "o", label="ours")
    shown = with_points(fig, "tpr")
    bundle = shown._repr_mimebundle_()
    assert bundle["image/png"].startswith(b"\x89PNG")
    html = bundle["text/html"]
    assert 'data-points="2"' in html and 'download="tpr.csv"' in html
    href = re.search(r'href="data:text/csv;charset=utf-8,([^"]*)"', html).group(1)
    assert list(csv.reader(io.StringIO(unquote(href)))) == [
        ["series", "x", "y"], ["ours", "0.1", "0.5"], ["ours", "0.2", "0.25"]]


def test_a_figure_of_pictures_says_it_has_no_points():
    fig, ax = plt.subplots()
    ax.imshow(np.zeros((64, 64, 3)))
    ax.axis("off")
    html = _html(with_points(fig, "examples"))
    assert 'data-points="0"' in html and "text/csv" not in html


def test_bad_input():
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="lower-case"):
        with_points(fig, "Fig 2")
    with pytest.raises(TypeError, match="matplotlib figure"):
        with_points("(not computed yet)", "fig")


def test_the_book_fig2_csv_holds_every_tpr_it_draws():
    eps = np.round(np.arange(0.01, 0.11, 0.01), 2)
    tpr = np.linspace(0.0, 1.0, len(eps))
    curves = {"natural": {"eps": eps, "n": np.full(len(eps), 10_000), "tpr": tpr}}
    t = plotted_points(paper1.fig_tpr(curves))
    ours = {(r[1], r[2]) for r in t.rows if r[0].startswith("natural") and "ours" in r[0]}
    assert ours == {(f"{e:.6g}", f"{v:.6g}") for e, v in zip(eps, tpr)}
    # the paper's Table II points are drawn as crosses and listed too
    assert any("paper" in r[0] for r in t.rows)


def test_a_small_grey_image_without_named_rows_is_a_picture():
    fig, ax = plt.subplots()
    ax.imshow(np.random.default_rng(1).random((28, 28)), cmap="gray")
    ax.set(xticks=[], yticks=[])
    assert plotted_points(fig).rows == []


def test_numbers_stay_numbers_on_a_log_axis():
    fig, ax = plt.subplots()
    ax.plot([0.0, 0.001, 0.5], [0.0, 0.4, 1.0], label="roc")
    ax.set_xscale("symlog", linthresh=1e-3)
    assert plotted_points(fig).rows == [["roc", "0", "0"], ["roc", "0.001", "0.4"],
                                        ["roc", "0.5", "1"]]


def test_a_figure_with_too_many_points_is_refused():
    from stego_lib.plotting import points
    fig, ax = plt.subplots()
    ax.plot(np.arange(points.MAX_POINTS + 1), np.zeros(points.MAX_POINTS + 1) + 1.5, "o")
    with pytest.raises(ValueError, match="20,001 points"):
        with_points(fig, "roc")._repr_mimebundle_()
